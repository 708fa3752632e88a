/**
 * The runner on a real server with plain numbered migrations: order, history, transactions,
 * failures (nothing half-applied), lock-timeout retries, statements run alone and resumed,
 * checksums, missing files, --target and rollback.
 */
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checksumOf } from '../../src/migrate/checksum.js';
import { ensureLedger } from '../../src/migrate/ledger.js';
import { PGWARDEN_LOCK_KEY } from '../../src/migrate/lock.js';
import { type MigrateEvent, migrate } from '../../src/migrate/migrate.js';
import { plan } from '../../src/migrate/plan.js';
import { resolve } from '../../src/migrate/resolve.js';
import { rollback } from '../../src/migrate/rollback.js';
import { computeStatus, readStatusInputs } from '../../src/migrate/status.js';
import { openTarget } from '../../src/migrate/target.js';
import { useTestDatabase } from '../support/database.js';
import { rejection } from '../support/errors.js';
import { tempDir } from '../support/files.js';

const db = useTestDatabase();

async function fresh(name: string): Promise<string> {
  // every test gets its own schema so histories do not mix: search_path via the URL options
  await db.query(`DROP SCHEMA IF EXISTS ${name} CASCADE; CREATE SCHEMA ${name}`);
  await db.query(`DROP SCHEMA IF EXISTS pgwarden CASCADE`);
  const url = new URL(db.url);
  url.searchParams.set('options', `-c search_path=${name}`);
  return url.toString();
}

async function status(url: string, dir: string) {
  const target = await openTarget({ databaseUrl: url, cwd: dir, dir, format: 'plain' });
  try {
    return computeStatus(await readStatusInputs(target.client, target.source));
  } finally {
    await target.close();
  }
}

async function tables(schema: string): Promise<string[]> {
  const { rows } = await db.query(`SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY 1`, [
    schema,
  ]);
  return rows.map((r) => r.tablename);
}

const base = <T extends object = object>(dir: string, url: string, extra: T = {} as T) => ({
  databaseUrl: url,
  cwd: dir,
  dir,
  format: 'plain',
  allowUncommitted: true,
  ...extra,
});

describe('migrate (plain)', () => {
  it('applies pending migrations in order, records them, and is a no-op the second time', async () => {
    const url = await fresh('r_basic');
    const dir = tempDir({
      '001_users.sql': 'CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\n',
      '002_orders.sql':
        'BEGIN;\nCREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users);\nCOMMIT;\n',
      '010_index.sql': 'CREATE INDEX orders_user_idx ON orders (user_id);\n',
    });
    expect((await status(url, dir)).counts).toMatchObject({ pending: 3, applied: 0 });
    const events: MigrateEvent[] = [];
    const result = await migrate(base(dir, url, { onEvent: (e: MigrateEvent) => events.push(e) }));
    expect(result.applied.map((a) => a.id)).toEqual(['001_users', '002_orders', '010_index']);
    expect(result.applied.every((a) => a.mode === 'transaction')).toBe(true);
    expect(await tables('r_basic')).toEqual(['orders', 'users']);
    const own = await db.query(
      `SELECT id, checksum, status, statements FROM pgwarden.migrations ORDER BY id`,
    );
    expect(own.rows.map((r) => r.id)).toEqual(['001_users', '002_orders', '010_index']);
    expect(own.rows.every((r) => /^sha256:[0-9a-f]{64}$/.test(r.checksum) && r.status === 'applied')).toBe(
      true,
    );
    expect(own.rows[1].statements).toBe(1); // BEGIN/COMMIT are the runner's, not statements
    expect(events.filter((e) => e.type === 'statement')).toHaveLength(3);
    expect((await status(url, dir)).counts).toMatchObject({ applied: 3, pending: 0 });
    expect((await migrate(base(dir, url))).applied).toEqual([]);
  });

  it('a runtime error in migration N keeps < N applied, rolls N back entirely and records nothing for it', async () => {
    const url = await fresh('r_fail');
    const dir = tempDir({
      '001_a.sql': 'CREATE TABLE a (id int);\n',
      '002_b.sql': 'CREATE TABLE b (id int);\nINSERT INTO b VALUES (1);\n\nINSERT INTO b VALUES (1 / 0);\n',
      '003_c.sql': 'CREATE TABLE c (id int);\n',
    });
    const error = await rejection(migrate(base(dir, url)));
    expect(error.code).toBe('MIGRATION_FAILED');
    expect(error.exitCode).toBe(1);
    expect(error.message).toContain('002_b.sql:4');
    expect(error.message).toContain('division by zero');
    expect(error.message).toContain('INSERT INTO b VALUES (1 / 0)');
    expect(await tables('r_fail')).toEqual(['a']);
    const s = await status(url, dir);
    expect(s.entries.map((e) => [e.id, e.state])).toEqual([
      ['001_a', 'applied'],
      ['002_b', 'pending'],
      ['003_c', 'pending'],
    ]);
    const events = await db.query(
      `SELECT kind, migration_id FROM pgwarden.events WHERE kind = 'migration.failed'`,
    );
    expect(events.rows).toEqual([{ kind: 'migration.failed', migration_id: '002_b' }]);
  });

  it('names the line of the error inside a multi-line statement', async () => {
    const url = await fresh('r_line');
    const dir = tempDir({ '001_x.sql': '-- header\nCREATE TABLE x (\n  id int,\n  y nosuchtype\n);\n' });
    const error = await rejection(migrate(base(dir, url)));
    expect(error.message).toContain('001_x.sql:4');
    expect(error.message).toContain('type "nosuchtype" does not exist');
  });

  it('refuses a migration with a syntax error before running anything', async () => {
    const url = await fresh('r_syntax');
    const dir = tempDir({
      '001_a.sql': 'CREATE TABLE a (id int);\n',
      '002_b.sql': 'CREATE TABLE b (id int;\n',
    });
    const error = await rejection(migrate(base(dir, url)));
    expect(error.code).toBe('MIGRATION_INVALID');
    expect(error.message).toContain('002_b.sql:1');
    expect(await tables('r_syntax')).toEqual([]);
  });

  it('refuses psql meta-commands and a ROLLBACK inside a migration', async () => {
    const url = await fresh('r_meta');
    const meta = tempDir({ '001_a.sql': 'CREATE TABLE a (id int);\n\\set x 1\n' });
    expect((await rejection(migrate(base(meta, url)))).message).toMatch(
      /001_a\.sql:2: psql meta-command \\set/,
    );
    const rb = tempDir({ '001_a.sql': 'CREATE TABLE a (id int);\nROLLBACK;\n' });
    expect((await rejection(migrate(base(rb, url)))).message).toContain('001_a.sql:2');
    expect(await tables('r_meta')).toEqual([]);
  });

  it('retries on lock timeout with backoff and succeeds once the blocker is gone', async () => {
    const url = await fresh('r_retry');
    await db.query('CREATE TABLE r_retry.busy (id int)');
    const blocker = await db.connect();
    await blocker.query('BEGIN; SELECT * FROM r_retry.busy');
    const release = setTimeout(() => void blocker.query('COMMIT'), 1500);
    const dir = tempDir({ '001_col.sql': 'ALTER TABLE busy ADD COLUMN note text;\n' });
    const events: MigrateEvent[] = [];
    const result = await migrate(
      base(dir, url, {
        timeouts: { lockTimeoutMs: 100, retryBudgetMs: 60_000 },
        onEvent: (e: MigrateEvent) => events.push(e),
      }),
    );
    clearTimeout(release);
    expect(result.applied[0]!.retries).toBeGreaterThan(0);
    const own = await db.query(`SELECT lock_retries FROM pgwarden.migrations WHERE id = '001_col'`);
    expect(own.rows[0].lock_retries).toBe(result.applied[0]!.retries);
    const retries = events.filter((e) => e.type === 'retry');
    expect(retries.length).toBe(result.applied[0]!.retries);
    expect(retries[0]).toMatchObject({ type: 'retry', line: 1 });
    expect((retries[0] as { blockers: string[] }).blockers.join()).toContain(`holds locks on r_retry.busy`);
    const cols = await db.query(
      `SELECT attname FROM pg_attribute WHERE attrelid = 'r_retry.busy'::regclass AND attnum > 0`,
    );
    expect(cols.rows.map((r) => r.attname)).toContain('note');
  });

  it('gives up after the retry budget, rolls back and names the blocking session', async () => {
    const url = await fresh('r_budget');
    await db.query('CREATE TABLE r_budget.busy (id int)');
    const blocker = await db.connect();
    await blocker.query('BEGIN; SELECT * FROM r_budget.busy');
    const pid = (await blocker.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    const dir = tempDir({
      '001_t.sql': 'CREATE TABLE t (id int);\nALTER TABLE busy ADD COLUMN note text;\n',
    });
    const error = await rejection(
      migrate(base(dir, url, { timeouts: { lockTimeoutMs: 50, retryBudgetMs: 600 } })),
    );
    await blocker.query('COMMIT');
    expect(error.code).toBe('LOCK_TIMEOUT');
    expect(error.exitCode).toBe(1);
    expect(error.message).toContain('001_t.sql:2');
    expect(error.message).toContain(`pid ${pid}`);
    expect(await tables('r_budget')).toEqual(['busy']);
    expect((await status(url, dir)).counts.pending).toBe(1);
  });

  it('warns about sessions idle in a transaction or holding locks on the tables it will change', async () => {
    const url = await fresh('r_sessions');
    await db.query('CREATE TABLE r_sessions.target (id int); CREATE TABLE r_sessions.other (id int)');
    const idle = await db.connect();
    await idle.query('BEGIN; SELECT * FROM r_sessions.other');
    const idlePid = (await idle.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    const dir = tempDir({ '001_t.sql': 'CREATE INDEX target_id_idx ON target (id);\n' });
    const events: MigrateEvent[] = [];
    const result = await migrate(base(dir, url, { onEvent: (e: MigrateEvent) => events.push(e) }));
    await idle.query('COMMIT');
    expect(result.sessions).toContainEqual(
      expect.objectContaining({ pid: idlePid, reason: 'idle-in-transaction' }),
    );
    expect(events.find((e) => e.type === 'sessions')).toBeDefined();
    expect(result.applied.map((a) => a.id)).toEqual(['001_t']);
  });

  it('waits for another deploy holding the migration lock, then gives up naming it (LOCK_BUSY, exit 3)', async () => {
    const url = await fresh('r_busy');
    const other = await db.connect();
    await other.query(`SELECT pg_advisory_lock(${PGWARDEN_LOCK_KEY})`);
    const otherPid = (await other.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    const dir = tempDir({ '001_t.sql': 'CREATE TABLE t (id int);\n' });
    const error = await rejection(migrate(base(dir, url, { timeouts: { lockWaitMs: 400 } })));
    await other.query(`SELECT pg_advisory_unlock(${PGWARDEN_LOCK_KEY})`);
    expect(error.code).toBe('LOCK_BUSY');
    expect(error.exitCode).toBe(3);
    expect(error.message).toContain(`pid ${otherPid}`);
    expect(await tables('r_busy')).toEqual([]);
    expect((await migrate(base(dir, url))).applied).toHaveLength(1);
  });

  it('explains a role that may not create the pgwarden schema (DB_QUERY, exit 3) and changes nothing', async () => {
    await fresh('r_perm');
    await db.query(`DROP ROLE IF EXISTS r_perm_user; CREATE ROLE r_perm_user LOGIN PASSWORD 'pw'`);
    await db.query(
      `REVOKE CREATE ON DATABASE ${db.name} FROM PUBLIC; GRANT USAGE, CREATE ON SCHEMA r_perm TO r_perm_user`,
    );
    const url = new URL(db.url);
    url.username = 'r_perm_user';
    url.password = 'pw';
    url.searchParams.set('options', '-c search_path=r_perm');
    const dir = tempDir({ '001_t.sql': 'CREATE TABLE t (id int);\n' });
    try {
      const error = await rejection(migrate(base(dir, url.toString())));
      expect(error.code).toBe('DB_QUERY');
      expect(error.exitCode).toBe(3);
      expect(error.message).toContain('permission denied for database');
      expect(error.hint).toContain('CREATE on the database');
      expect(await tables('r_perm')).toEqual([]);
    } finally {
      await db.query(`DROP OWNED BY r_perm_user; DROP ROLE r_perm_user`);
    }
  });

  it('runs CREATE INDEX CONCURRENTLY alone, outside any transaction, between transactional statements', async () => {
    const url = await fresh('r_cic');
    const dir = tempDir({
      '001_t.sql':
        'CREATE TABLE t (id int, v int);\nINSERT INTO t SELECT g, g FROM generate_series(1, 100) g;\nCREATE INDEX CONCURRENTLY t_v_idx ON t (v);\nALTER TABLE t ADD COLUMN w int;\n',
    });
    const result = await migrate(base(dir, url));
    expect(result.applied[0]).toMatchObject({ id: '001_t', mode: 'statements', statements: 4 });
    const idx = await db.query(
      `SELECT indisvalid FROM pg_index WHERE indexrelid = 'r_cic.t_v_idx'::regclass`,
    );
    expect(idx.rows[0].indisvalid).toBe(true);
    expect((await status(url, dir)).counts.applied).toBe(1);
    const progress = await db.query(`SELECT count(*)::int AS n FROM pgwarden.statement_progress`);
    expect(progress.rows[0].n).toBe(0);
  });

  it('resumes a partially applied migration after a failure, and drops the INVALID index of a failed concurrent build', async () => {
    const url = await fresh('r_resume');
    const files = {
      '001_t.sql':
        'CREATE TABLE t (id int, v int);\nINSERT INTO t VALUES (1, 1), (2, 1);\nCREATE UNIQUE INDEX CONCURRENTLY t_v_key ON t (v);\nCREATE TABLE after_index (id int);\n',
    };
    const dir = tempDir(files);
    const error = await rejection(migrate(base(dir, url)));
    expect(error.code).toBe('MIGRATION_FAILED');
    expect(error.message).toContain('001_t.sql:3');
    expect(error.message).toContain('next run resumes');
    const invalid = await db.query(
      `SELECT indisvalid FROM pg_index WHERE indexrelid = 'r_resume.t_v_key'::regclass`,
    );
    expect(invalid.rows[0].indisvalid).toBe(false);
    const s = await status(url, dir);
    expect(s.entries[0]).toMatchObject({ id: '001_t', state: 'partial' });
    // fix the data; the table and rows of the first statements are not created again
    await db.query('UPDATE r_resume.t SET v = 2 WHERE id = 2');
    const events: MigrateEvent[] = [];
    const result = await migrate(base(dir, url, { onEvent: (e: MigrateEvent) => events.push(e) }));
    expect(result.applied[0]).toMatchObject({ id: '001_t', resumedFrom: 2 });
    expect(events).toContainEqual({ type: 'dropped-invalid-index', id: '001_t', index: 'r_resume.t_v_key' });
    const valid = await db.query(
      `SELECT indisvalid FROM pg_index WHERE indexrelid = 'r_resume.t_v_key'::regclass`,
    );
    expect(valid.rows[0].indisvalid).toBe(true);
    expect(await tables('r_resume')).toEqual(['after_index', 't']);
    expect((await db.query('SELECT count(*)::int AS n FROM r_resume.t')).rows[0].n).toBe(2);
    expect((await status(url, dir)).entries[0]!.state).toBe('applied');
  });

  it('finishes a migration whose statements all ran but whose end was never recorded', async () => {
    const url = await fresh('r_unfinished');
    const sql = ['CREATE TABLE t (id int)', 'CREATE INDEX CONCURRENTLY t_idx ON t (id)'];
    const dir = tempDir({ '001_t.sql': `${sql.join(';\n')};\n` });
    // the state a process killed between the last statement and the history write leaves
    await ensureLedger(await db.connect());
    await db.query('CREATE TABLE r_unfinished.t (id int); CREATE INDEX t_idx ON r_unfinished.t (id)');
    await db.query(
      `INSERT INTO pgwarden.migrations (format, id, name, path, checksum, status, started_at, statements, pgwarden_version)
       VALUES ('plain', '001_t', 't', '001_t.sql', $1, 'partial', now(), 2, 'test')`,
      [checksumOf(readFileSync(join(dir, '001_t.sql'), 'utf8'))],
    );
    for (const [index, text] of sql.entries()) {
      await db.query(
        `INSERT INTO pgwarden.statement_progress (format, id, statement_index, statement_checksum, duration_ms)
         VALUES ('plain', '001_t', $1, $2, 1)`,
        [index, `sha256:${createHash('sha256').update(text).digest('hex')}`],
      );
    }
    const result = await migrate(base(dir, url));
    expect(result.applied[0]).toMatchObject({ id: '001_t', resumedFrom: 2 });
    expect((await status(url, dir)).entries.map((e) => e.state)).toEqual(['applied']);
    const own = await db.query(`SELECT status FROM pgwarden.migrations WHERE id = '001_t'`);
    expect(own.rows[0].status).toBe('applied');
  });

  it('refuses to resume when a statement that already ran was edited', async () => {
    const url = await fresh('r_edit_partial');
    const dir = tempDir({
      '001_t.sql': 'CREATE TABLE t (id int);\nCREATE INDEX CONCURRENTLY t_idx ON nosuch (id);\n',
    });
    await rejection(migrate(base(dir, url)));
    writeFileSync(
      join(dir, '001_t.sql'),
      'CREATE TABLE t (id bigint);\nCREATE INDEX CONCURRENTLY t_idx ON t (id);\n',
    );
    const error = await rejection(migrate(base(dir, url)));
    expect(error.code).toBe('MIGRATIONS_INCONSISTENT');
    expect(error.message).toContain(
      'statement 1 was applied by an earlier, interrupted run and has been edited',
    );
  });

  it('stops on an edited applied migration and names the file; status shows it modified', async () => {
    const url = await fresh('r_modified');
    const dir = tempDir({
      '001_a.sql': 'CREATE TABLE a (id int);\n',
      '002_b.sql': 'CREATE TABLE b (id int);\n',
    });
    await migrate(base(dir, url, { target: '001_a' }));
    writeFileSync(join(dir, '001_a.sql'), 'CREATE TABLE a (id bigint);\n');
    const s = await status(url, dir);
    expect(s.entries.map((e) => e.state)).toEqual(['modified', 'pending']);
    const error = await rejection(migrate(base(dir, url)));
    expect(error.code).toBe('MIGRATIONS_INCONSISTENT');
    expect(error.message).toContain('001_a.sql: edited after it was applied');
    expect(await tables('r_modified')).toEqual(['a']);
    // CRLF line endings are not an edit
    writeFileSync(join(dir, '001_a.sql'), 'CREATE TABLE a (id int);\r\n');
    expect((await status(url, dir)).entries[0]!.state).toBe('applied');
  });

  it('reports a database ahead of the files (missing migrations) and changes nothing', async () => {
    const url = await fresh('r_missing');
    const dir = tempDir({
      '001_a.sql': 'CREATE TABLE a (id int);\n',
      '002_b.sql': 'CREATE TABLE b (id int);\n',
    });
    await migrate(base(dir, url));
    rmSync(join(dir, '002_b.sql'));
    writeFileSync(join(dir, '003_c.sql'), 'CREATE TABLE c (id int);\n');
    const s = await status(url, dir);
    expect(s.entries.map((e) => [e.id, e.state])).toEqual([
      ['001_a', 'applied'],
      ['003_c', 'pending'],
      ['002_b', 'missing'],
    ]);
    const error = await rejection(migrate(base(dir, url)));
    expect(error.code).toBe('MIGRATIONS_INCONSISTENT');
    expect(error.message).toContain('002_b: recorded in the database but its file is not in the folder');
    expect(await tables('r_missing')).toEqual(['a', 'b']);
  });

  it('refuses out-of-order pending migrations unless allowed', async () => {
    const url = await fresh('r_order');
    const dir = tempDir({
      '001_a.sql': 'CREATE TABLE a (id int);\n',
      '003_c.sql': 'CREATE TABLE c (id int);\n',
    });
    await migrate(base(dir, url));
    writeFileSync(join(dir, '002_b.sql'), 'CREATE TABLE b (id int);\n');
    expect((await status(url, dir)).entries[1]).toMatchObject({
      id: '002_b',
      state: 'pending',
      outOfOrder: true,
    });
    expect((await rejection(migrate(base(dir, url)))).message).toContain('out of order');
    expect((await migrate(base(dir, url, { allowOutOfOrder: true }))).applied.map((a) => a.id)).toEqual([
      '002_b',
    ]);
  });

  it('plans per statement: transaction mode, locks with what they block, rewrites and scans, sizes, lint findings', async () => {
    const url = await fresh('r_plan');
    await db.query(
      'CREATE TABLE r_plan.big (id int PRIMARY KEY, v int); INSERT INTO r_plan.big SELECT g, g FROM generate_series(1, 1000) g; ANALYZE r_plan.big',
    );
    const dir = tempDir({
      '001_x.sql':
        'ALTER TABLE big ADD COLUMN w int NOT NULL DEFAULT random();\nCREATE INDEX CONCURRENTLY big_v_idx ON big (v);\n',
    });
    const result = await plan({ databaseUrl: url, cwd: dir, dir, format: 'plain' });
    expect(result.migrations).toHaveLength(1);
    const [m] = result.migrations;
    expect(m!.mode).toBe('statements');
    expect(m!.statements[0]).toMatchObject({ line: 1, mode: 'transaction', rewrites: ['r_plan.big'] });
    expect(m!.statements[0]!.locks[0]).toMatchObject({
      relation: 'r_plan.big',
      modes: ['AccessExclusiveLock'],
      blocks: 'all reads and writes',
    });
    expect(m!.statements[0]!.relations[0]).toMatchObject({ relation: 'r_plan.big', rowEstimate: 1000 });
    expect(m!.statements[1]).toMatchObject({ line: 2, mode: 'alone', scans: ['r_plan.big'] });
    expect(m!.findings.map((f) => f.rule)).toContain('adding-field-with-default');
    expect(await tables('r_plan')).toEqual(['big']);
  });

  it('adopts a database whose schema predates its history: a clear hint, then resolve --applied as a baseline', async () => {
    const url = await fresh('r_baseline');
    await db.query('CREATE TABLE r_baseline.users (id int)');
    const dir = tempDir({
      '001_users.sql': 'CREATE TABLE users (id int);\n',
      '002_email.sql': 'ALTER TABLE users ADD COLUMN email text;\n',
    });
    const error = await rejection(migrate(base(dir, url)));
    expect(error.message).toContain('relation "users" already exists');
    expect(error.hint).toBe(
      'If the database had this schema before its migration history, record the migration without running it: pgwarden resolve 001_users --applied',
    );
    const resolved = await resolve(base(dir, url, { migration: '001_users', as: 'applied' as const }));
    expect(resolved.changed).toContain('001_users');
    expect((await status(url, dir)).entries.map((e) => e.state)).toEqual(['applied', 'pending']);
    const events = await db.query(
      `SELECT detail->>'was' AS was FROM pgwarden.events WHERE kind = 'migration.resolved'`,
    );
    expect(events.rows).toEqual([{ was: 'pending' }]);
    expect((await migrate(base(dir, url))).applied.map((a) => a.id)).toEqual(['002_email']);
    // an applied migration cannot be "resolved" again, nor a pending one rolled back
    expect(
      (await rejection(resolve(base(dir, url, { migration: '001_users', as: 'applied' as const })))).code,
    ).toBe('USAGE');
    writeFileSync(join(dir, '003_x.sql'), 'SELECT 1;\n');
    expect(
      (await rejection(resolve(base(dir, url, { migration: '003_x', as: 'rolled-back' as const })))).code,
    ).toBe('USAGE');
  });

  it('rolls back with down scripts (--steps, --to) and updates the history', async () => {
    const url = await fresh('r_down');
    const dir = tempDir({
      '001_a.sql': 'CREATE TABLE a (id int);\n',
      '001_a.down.sql': 'DROP TABLE a;\n',
      '002_b.sql': 'CREATE TABLE b (id int);\n',
      '002_b.down.sql': 'DROP TABLE b;\n',
      '003_c.sql': 'CREATE TABLE c (id int);\n',
      '003_c.down.sql': 'DROP TABLE c;\n',
    });
    await migrate(base(dir, url));
    const one = await rollback(base(dir, url));
    expect(one.rolledBack.map((r) => r.id)).toEqual(['003_c']);
    expect(await tables('r_down')).toEqual(['a', 'b']);
    await migrate(base(dir, url));
    const to = await rollback(base(dir, url, { to: '001_a' }));
    expect(to.rolledBack.map((r) => r.id)).toEqual(['003_c', '002_b']);
    expect(await tables('r_down')).toEqual(['a']);
    expect((await status(url, dir)).entries.map((e) => e.state)).toEqual(['applied', 'pending', 'pending']);
    const notApplied = await rejection(rollback(base(dir, url, { to: '003_c' })));
    expect(notApplied.code).toBe('USAGE');
    expect(notApplied.message).toContain('003_c is not applied');
  });
});
