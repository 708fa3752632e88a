/**
 * bench/downtime: the app (one writer, N readers, each on its own connection, running queries in a
 * loop and recording every query's start, end and outcome) and the blocker (a session that holds
 * ACCESS SHARE on the table for a while, as a long report query or pg_dump does).
 */
import pg from 'pg';

/** Monotonic clock in milliseconds (process.hrtime). */
export const now = () => Number(process.hrtime.bigint()) / 1e6;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const randomInt = (max) => 1 + Math.floor(Math.random() * max);

/** Pause between two queries of one app connection: steady traffic, not a CPU saturation test. */
const THINK_MS = 2;

/**
 * Starts the app load against `url`: the writer updates random rows (4 in 5) and inserts new ones;
 * readers fetch random rows by primary key. Returns `stop()`, which ends the loops, waits for the
 * queries in flight and resolves to every query's record `{ role, start, end, ok, error? }`.
 * Another bench gives its own queries: `writer(client)` / `reader(client)` (each returns the
 * query's promise) and the pauses after each of their queries (`writerPauseMs`, `readerPauseMs`).
 */
export async function startLoad({
  url,
  rows,
  accounts,
  readers,
  writer,
  reader,
  writerPauseMs = THINK_MS,
  readerPauseMs = THINK_MS,
}) {
  const records = [];
  const workers = [{ role: 'writer', step: writer ?? writerStep, pauseMs: writerPauseMs }];
  for (let i = 0; i < readers; i++)
    workers.push({ role: `reader${i + 1}`, step: reader ?? readerStep, pauseMs: readerPauseMs });
  const clients = [];
  for (const worker of workers) {
    const client = new pg.Client({ connectionString: url, application_name: `bench-${worker.role}` });
    await client.connect();
    clients.push(client);
  }
  let running = true;

  function writerStep(client) {
    if (Math.random() < 0.8) return client.query('UPDATE t SET v = v + 1 WHERE id = $1', [randomInt(rows)]);
    return client.query('INSERT INTO t (account_id, v, payload) VALUES ($1, $2, $3)', [
      randomInt(accounts),
      randomInt(1000),
      'inserted by the bench writer',
    ]);
  }
  function readerStep(client) {
    return client.query('SELECT id, account_id, v, payload FROM t WHERE id = $1', [randomInt(rows)]);
  }

  const loops = workers.map(async (worker, i) => {
    const client = clients[i];
    while (running) {
      const start = now();
      try {
        await worker.step(client);
        records.push({ role: worker.role, start, end: now(), ok: true });
      } catch (error) {
        records.push({ role: worker.role, start, end: now(), ok: false, error: error.message });
        if (!running) break;
      }
      await sleep(worker.pauseMs);
    }
  });

  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
      return records;
    },
  };
}

/**
 * Opens a transaction that reads the whole table (taking ACCESS SHARE, held until COMMIT) and
 * then sleeps `holdMs`. Resolves once the lock is held, to `{ heldFrom, done }`; `done` resolves to
 * the time the lock was released.
 */
export async function startBlocker({ url, holdMs }) {
  const client = new pg.Client({ connectionString: url, application_name: 'bench-blocker' });
  await client.connect();
  await client.query('BEGIN');
  await client.query('SELECT count(*) FROM t');
  const heldFrom = now();
  const done = (async () => {
    try {
      await client.query('SELECT pg_sleep($1::float8 / 1000)', [holdMs]);
      await client.query('COMMIT');
      return now();
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return { heldFrom, done };
}
