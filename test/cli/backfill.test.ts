/**
 * `pgwarden backfill` through the CLI: --dry-run shows the plan and changes nothing; bad flags are
 * exit 2 with the table unchanged; on a real terminal (a pseudo-terminal from `script`) the
 * progress is a bar, elsewhere lines; --json is JSON lines ending with the result.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI, pgwarden } from '../support/cli.js';
import { sqlOn, useFreshDatabases } from '../support/database.js';

const freshDatabase = useFreshDatabases();

async function seeded() {
  const db = await freshDatabase();
  await sqlOn(
    db.url,
    `CREATE TABLE items (id int PRIMARY KEY, v int NOT NULL DEFAULT 0);
     INSERT INTO items (id) SELECT g FROM generate_series(1, 3000) g;`,
  );
  return db;
}

const untouched = async (url: string) =>
  expect(await sqlOn(url, 'SELECT count(*)::int AS n FROM items WHERE v <> 0')).toEqual([{ n: 0 }]);

describe('pgwarden backfill', () => {
  it('--dry-run: key, batches, first boundaries and an estimate; nothing changed', async () => {
    const db = await seeded();
    const dry = await pgwarden(
      ['backfill', '--table', 'items', '--set', 'v = id * 2', '--batch', '500', '--dry-run'],
      { env: { DATABASE_URL: db.url } },
    );
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('Backfill of items (dry run: nothing changed)');
    expect(dry.stdout).toContain('key: id (items_pkey), 3000 rows up to 3000');
    expect(dry.stdout).toContain('batches: 6 of 500 rows');
    expect(dry.stdout).toContain('first batches end at: 500, 1000, 1500, 2000, 2500, …');
    expect(dry.stdout).toMatch(/sample: one batch of 500 rows \(500 matching\) took \d+ ms, rolled back/);
    await untouched(db.url);
    expect(await sqlOn(db.url, `SELECT to_regclass('pgwarden.backfills') AS t`)).toEqual([{ t: null }]);
  });

  it('bad flags: exit 2, the table unchanged', async () => {
    const db = await seeded();
    for (const args of [
      ['--table', 'items', '--set', 'v = 1; DROP TABLE items'],
      ['--table', 'items', '--set', 'v = 1 --', '--where', 'id < 10'],
      ['--table', 'items', '--set', 'id = id + 1'],
      ['--table', 'nosuch', '--set', 'v = 1'],
      ['--table', 'items', '--set', 'v = 1', '--batch', 'lots'],
      ['--table', 'items', '--set', 'v = 1', '--max-lag', 'soon'],
    ]) {
      const result = await pgwarden(['backfill', ...args], { env: { DATABASE_URL: db.url } });
      expect(result.code, `${args.join(' ')}\n${result.stderr}`).toBe(2);
      expect(result.stderr).toMatch(/^pgwarden: /);
    }
    await untouched(db.url);
  });

  it('a progress bar on a terminal; JSON lines with --json', async () => {
    const db = await seeded();
    // script(1) gives the CLI a pseudo-terminal as stdout and stderr
    const tty = spawnSync(
      'script',
      [
        '-qec',
        `${process.execPath} ${CLI} backfill --table items --set 'v = v + 1' --batch 300 --sleep 20ms`,
        '/dev/null',
      ],
      { env: { ...process.env, DATABASE_URL: db.url, NO_COLOR: '1' }, encoding: 'utf8' },
    );
    expect(tty.status, tty.stdout).toBe(0);
    expect(tty.stdout).toMatch(/[█░]{10,} 100% \| 3000\/3000 rows/);
    expect(tty.stdout).toContain('Backfilled items: 3000 rows updated of 3000 in 10 batches');

    const json = await pgwarden(['backfill', '--table', 'items', '--set', 'v = v + 1', '--json'], {
      env: { DATABASE_URL: db.url },
    });
    expect(json.code, json.stderr).toBe(0);
    const lines = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({
      type: 'backfill-start',
      table: 'items',
      rowsTotal: 3000,
      resumed: false,
    });
    expect(lines.at(-1)).toMatchObject({ type: 'result', rowsUpdated: 3000 });
    expect(await sqlOn(db.url, 'SELECT v, count(*)::int AS n FROM items GROUP BY v')).toEqual([
      { v: 2, n: 3000 },
    ]);
  });
});
