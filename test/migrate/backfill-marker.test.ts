/**
 * `-- pgwarden:backfill` in a migration, through the CLI on a real server: the UPDATE after it runs
 * in batches (plan says so), the rest of the file around it as usual; the file is still plain SQL
 * that psql runs whole; applying again after a rollback backfills again; a marker before anything
 * but an UPDATE, or with an unknown option, stops the run before anything changes, naming the line.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { forLibpq, libpqEnv } from '../../src/db/libpq.js';
import { pgwarden } from '../support/cli.js';
import { sqlOn, useFreshDatabases } from '../support/database.js';
import { tempDir } from '../support/files.js';
import { pgProgram } from '../support/pg-shims.js';

const freshDatabase = useFreshDatabases();

const UP = `ALTER TABLE users ADD COLUMN verified boolean;
ALTER TABLE users ALTER COLUMN verified SET DEFAULT false;
-- pgwarden:backfill batch=40 max-lag=off
UPDATE users SET verified = false WHERE verified IS NULL;
`;

async function seeded(): Promise<{ name: string; url: string }> {
  const db = await freshDatabase();
  await sqlOn(
    db.url,
    `CREATE TABLE users (id int PRIMARY KEY, name text); INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 100) g;`,
  );
  return db;
}

function dbmateProject(up: string, down = 'ALTER TABLE users DROP COLUMN verified;'): string {
  return tempDir({
    'db/migrations/20240101000001_verified.sql': `-- migrate:up\n${up}\n-- migrate:down\n${down}\n`,
  });
}

const run = (dir: string, url: string, args: string[]) =>
  pgwarden([...args, '--format', 'dbmate', ...(args[0] === 'plan' ? [] : ['--allow-uncommitted'])], {
    cwd: dir,
    env: { DATABASE_URL: url },
  });

describe('-- pgwarden:backfill in a migration', () => {
  it('runs the UPDATE in batches, says so in plan, and backfills again after a rollback', async () => {
    const db = await seeded();
    const dir = dbmateProject(UP);
    const plan = await run(dir, db.url, ['plan']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain(
      'line 5: UPDATE users SET verified = false WHERE verified IS NULL   [backfill: batches over the key, each its own short transaction]',
    );
    // lint models the runner: the batches run outside the transaction that holds the ALTER's lock
    expect(plan.stdout).not.toContain('data-change-under-exclusive-lock');
    expect(plan.stdout).toContain('statement by statement');

    const first = await run(dir, db.url, ['migrate']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain('backfill of users in batches over (id): 100 rows');
    expect(first.stderr).toContain('backfill done: 100 rows updated of 100 in 3 batches');
    expect(await sqlOn(db.url, 'SELECT verified, count(*)::int AS n FROM users GROUP BY 1')).toEqual([
      { verified: false, n: 100 },
    ]);
    expect(
      await sqlOn(
        db.url,
        `SELECT detail->>'batches' AS b FROM pgwarden.events WHERE kind = 'migration.backfill'`,
      ),
    ).toEqual([{ b: '3' }]);

    expect((await run(dir, db.url, ['rollback'])).code).toBe(0);
    const again = await run(dir, db.url, ['migrate']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('backfill done: 100 rows updated of 100 in 3 batches');
    expect(await sqlOn(db.url, 'SELECT count(*)::int AS n FROM users WHERE verified IS NULL')).toEqual([
      { n: 0 },
    ]);
  });

  it('is a comment to every other tool: psql runs the file whole', async () => {
    const db = await seeded();
    const dir = tempDir({ 'up.sql': UP });
    const target = forLibpq(db.url);
    const psql = spawnSync(
      pgProgram('psql'),
      ['-X', '-1', '-v', 'ON_ERROR_STOP=1', '-f', join(dir, 'up.sql'), target.url],
      {
        env: libpqEnv(target.password),
        encoding: 'utf8',
      },
    );
    expect(psql.status, psql.stderr).toBe(0);
    expect(await sqlOn(db.url, 'SELECT count(*)::int AS n FROM users WHERE verified = false')).toEqual([
      { n: 100 },
    ]);
  });

  it('before anything but an UPDATE, or with an unknown option: refused, naming the line, nothing run', async () => {
    const db = await seeded();
    const wrong = await run(dbmateProject('-- pgwarden:backfill\nDELETE FROM users WHERE id > 50;'), db.url, [
      'migrate',
    ]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(
      ':2: -- pgwarden:backfill must come right before an UPDATE; the next statement is DeleteStmt',
    );
    const unknown = await run(
      dbmateProject(
        'ALTER TABLE users ADD COLUMN verified boolean;\n-- pgwarden:backfill speed=fast\nUPDATE users SET verified = true;',
      ),
      db.url,
      ['migrate'],
    );
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(':3: pgwarden:backfill: unknown option "speed=fast"');
    expect(
      await sqlOn(db.url, `SELECT count(*)::int AS n, to_regclass('schema_migrations') AS h FROM users`),
    ).toEqual([{ n: 100, h: null }]);
    expect(
      await sqlOn(
        db.url,
        `SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'users'`,
      ),
    ).toEqual([{ n: 2 }]);
  });
});
