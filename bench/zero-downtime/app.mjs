/**
 * bench/zero-downtime: the app, on bench/downtime's load loop (load.mjs): one writer every 20 ms
 * (INSERTs that do not name the new column, and UPDATEs of random existing rows, half each) and
 * readers fetching random users by primary key, each on its own connection.
 */
import { startLoad } from '../downtime/load.mjs';

export const WRITER_PAUSE_MS = 20;
export const READER_PAUSE_MS = 5;

const randomId = (rows) => 1 + Math.floor(Math.random() * rows);

/** Starts the app on `users` with `rows` existing rows; resolves to load.mjs's `{ stop() }`. */
export function startApp({ url, rows, readers }) {
  let inserted = 0;
  const tag = `${process.pid}-${Date.now()}`;
  return startLoad({
    url,
    readers,
    writerPauseMs: WRITER_PAUSE_MS,
    readerPauseMs: READER_PAUSE_MS,
    writer(client) {
      if (Math.random() < 0.5) {
        inserted++;
        return client.query('INSERT INTO users (email, name) VALUES ($1, $2)', [
          `app-${tag}-${inserted}@example.com`,
          'signed up during the migration',
        ]);
      }
      return client.query('UPDATE users SET name = $2 WHERE id = $1', [randomId(rows), 'renamed by the app']);
    },
    reader(client) {
      return client.query('SELECT * FROM users WHERE id = $1', [randomId(rows)]);
    },
  });
}
