/**
 * `trace()` against a real server: what it reports per statement (locks from pg_locks, rewrites,
 * scans, created relations), that nothing persists, how it fails (runtime error lines, lock
 * timeouts naming the blocker, syntax errors, no CREATEDB) and the --scratch mode.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { forLibpq, withDatabase } from '../../src/db/libpq.js';
import { type TraceOptions, type TraceResult, trace } from '../../src/trace/trace.js';
import { databaseUrl, useTestDatabase } from '../support/database.js';
import { rejection } from '../support/errors.js';
import { tempDir } from '../support/files.js';

const db = useTestDatabase();
const dir = tempDir();

function source(name: string, text: string): TraceOptions['source'] {
  const path = join(dir, name);
  writeFileSync(path, text);
  return { path, text };
}

async function run(name: string, text: string, extra: Partial<TraceOptions> = {}): Promise<TraceResult> {
  return trace({ databaseUrl: db.url, source: source(name, text), ...extra });
}

async function columns(table: string): Promise<string[]> {
  const { rows } = await db.query(
    `SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`,
    [table],
  );
  return rows.map((r) => r.column_name);
}

async function relationExists(name: string): Promise<boolean> {
  const { rows } = await db.query('SELECT to_regclass($1) IS NOT NULL AS found', [name]);
  return rows[0].found;
}

async function filenode(name: string): Promise<string> {
  const { rows } = await db.query('SELECT pg_relation_filenode($1::regclass)::text AS f', [name]);
  return rows[0].f;
}

async function scratchDatabases(): Promise<string[]> {
  const { rows } = await db.query(
    `SELECT datname FROM pg_database WHERE datname LIKE 'pgwarden\\_scratch\\_%'`,
  );
  return rows.map((r) => r.datname);
}

const password = decodeURIComponent(new URL(db.url).password);

beforeAll(async () => {
  await db.query(`CREATE TABLE accounts (id bigint PRIMARY KEY, email text, note text)`);
  await db.query(
    `INSERT INTO accounts SELECT g, 'user' || g || '@example.com', NULL FROM generate_series(1, 1000) g`,
  );
  await db.query(`CREATE TABLE audit (id bigserial PRIMARY KEY, what text)`);
  await db.query('ANALYZE accounts');
});

describe('trace (rolled-back transaction)', () => {
  it('ADD COLUMN with a volatile default: ACCESS EXCLUSIVE and a rewrite, and nothing persists', async () => {
    const nodeBefore = await filenode('accounts');
    const result = await run(
      'volatile.sql',
      'ALTER TABLE accounts ADD COLUMN token float8 DEFAULT random();\n',
    );
    expect(result).toMatchObject({ mode: 'rollback', rolledBack: true, path: join(dir, 'volatile.sql') });
    expect(result.error).toBeUndefined();
    expect(result.pgVersion).toMatch(/^\d+\.\d+/);
    const [stmt] = result.statements;
    expect(stmt).toMatchObject({ index: 0, line: 1, kind: 'AlterTableStmt', ran: true, observed: true });
    // the index rebuild after the rewrite adds SHARE; ACCESS EXCLUSIVE is what matters
    expect(stmt!.locks).toContainEqual({
      relation: 'public.accounts',
      modes: ['ShareLock', 'AccessExclusiveLock'],
    });
    expect(stmt!.rewrites).toContain('public.accounts');
    expect(stmt!.rewrites).toContain('public.accounts_pkey');
    expect(stmt!.durationMs).toBeGreaterThan(0);
    expect(result.totalMs).toBe(stmt!.durationMs);
    // rolled back: the column is not there and the table keeps its storage
    expect(await columns('accounts')).toEqual(['id', 'email', 'note']);
    expect(await filenode('accounts')).toBe(nodeBefore);
  });

  it('ADD COLUMN with a constant default: ACCESS EXCLUSIVE but no rewrite and no scan', async () => {
    const result = await run('constant.sql', "ALTER TABLE accounts ADD COLUMN plan text DEFAULT 'free';\n");
    const [stmt] = result.statements;
    expect(stmt!.locks).toEqual([{ relation: 'public.accounts', modes: ['AccessExclusiveLock'] }]);
    expect(stmt!.rewrites).toEqual([]);
    expect(stmt!.scans).toEqual([]);
  });

  it('CREATE INDEX: SHARE on the table, a full scan, the index created (and gone afterwards)', async () => {
    const result = await run('index.sql', 'CREATE INDEX accounts_email_idx ON accounts (email);\n');
    const [stmt] = result.statements;
    expect(stmt!.locks).toContainEqual({ relation: 'public.accounts', modes: ['ShareLock'] });
    expect(stmt!.locks).toContainEqual({
      relation: 'public.accounts_email_idx',
      modes: ['AccessExclusiveLock'],
      created: true,
    });
    expect(stmt!.created).toEqual(['public.accounts_email_idx']);
    expect(stmt!.scans).toEqual([{ relation: 'public.accounts', seqScans: 1, tuplesRead: 1000 }]);
    expect(stmt!.rewrites).toEqual([]);
    expect(await relationExists('accounts_email_idx')).toBe(false);
  });

  it('SET NOT NULL scans the table without rewriting it; the column stays nullable', async () => {
    const result = await run('notnull.sql', 'ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;\n');
    const [stmt] = result.statements;
    expect(stmt!.locks).toEqual([{ relation: 'public.accounts', modes: ['AccessExclusiveLock'] }]);
    expect(stmt!.scans).toEqual([{ relation: 'public.accounts', seqScans: 1, tuplesRead: 1000 }]);
    expect(stmt!.rewrites).toEqual([]);
    const { rows } = await db.query(
      `SELECT is_nullable FROM information_schema.columns WHERE table_name = 'accounts' AND column_name = 'email'`,
    );
    expect(rows[0].is_nullable).toBe('YES');
  });

  it('reports each statement’s own new locks, lines, created and dropped relations; writes are rolled back', async () => {
    const text = [
      'LOCK TABLE accounts IN SHARE MODE;',
      '-- the index needs SHARE too, which is already held',
      'CREATE INDEX accounts_note_idx',
      '  ON accounts (note);',
      'CREATE TABLE scratch_t (id int);',
      "INSERT INTO audit (what) VALUES ('traced');",
      'DROP TABLE scratch_t;',
      'UPDATE accounts SET note = $$x$$ WHERE id = 1;',
    ].join('\n');
    const auditBefore = (await db.query('SELECT count(*)::int AS n FROM audit')).rows[0].n;
    const result = await run('multi.sql', text);
    expect(result.error).toBeUndefined();
    const s = result.statements;
    expect(s.map((x) => x.line)).toEqual([1, 3, 5, 6, 7, 8]);
    expect(s.map((x) => x.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(s[0]!.locks).toEqual([{ relation: 'public.accounts', modes: ['ShareLock'] }]);
    // SHARE on accounts is still held from line 1: not repeated; only the new index's lock is new
    expect(s[1]!.locks).toEqual([
      { relation: 'public.accounts_note_idx', modes: ['AccessExclusiveLock'], created: true },
    ]);
    expect(s[2]!.created).toEqual(['public.scratch_t']);
    expect(s[3]!.locks).toEqual([
      { relation: 'public.audit', modes: ['RowExclusiveLock'] },
      { relation: 'public.audit_id_seq', modes: ['RowExclusiveLock'] },
    ]);
    expect(s[4]!.dropped).toEqual(['public.scratch_t']);
    expect(s[5]!.locks).toContainEqual({ relation: 'public.accounts', modes: ['RowExclusiveLock'] });
    // nothing persists
    expect((await db.query('SELECT count(*)::int AS n FROM audit')).rows[0].n).toBe(auditBefore);
    expect((await db.query('SELECT note FROM accounts WHERE id = 1')).rows[0].note).toBeNull();
    expect(await relationExists('accounts_note_idx')).toBe(false);
    expect(await relationExists('scratch_t')).toBe(false);
  });

  it('skips the file’s BEGIN/COMMIT so nothing can commit', async () => {
    const result = await run(
      'tx.sql',
      'BEGIN;\nCREATE TABLE committed_t (id int);\nCOMMIT;\nCREATE TABLE after_commit (id int);\n',
    );
    expect(result.statements.map((s) => [s.line, s.ran])).toEqual([
      [1, false],
      [2, true],
      [3, false],
      [4, true],
    ]);
    expect(result.statements[2]!.skipped).toMatch(/transaction control/);
    expect(await relationExists('committed_t')).toBe(false);
    expect(await relationExists('after_commit')).toBe(false);
  });

  it('a runtime error names the file line of the error, stops the trace and rolls back', async () => {
    const text =
      'CREATE TABLE half_done (id int);\nSELECT id,\n       missing_column\n  FROM accounts;\nCREATE TABLE never (id int);\n';
    const result = await run('runtime.sql', text);
    expect(result.error).toMatchObject({ statementIndex: 1, line: 3, code: '42703' });
    expect(result.error!.message).toContain('column "missing_column" does not exist');
    expect(result.statements.map((s) => s.line)).toEqual([1, 2]);
    expect(result.statements[1]).toMatchObject({ ran: true, observed: false });
    expect(result.rolledBack).toBe(true);
    expect(await relationExists('half_done')).toBe(false);
    expect(await relationExists('never')).toBe(false);
  });

  it('a deferred constraint that COMMIT would reject is reported, in both modes', async () => {
    const text = [
      'CREATE TABLE parent_d (id int PRIMARY KEY);',
      'CREATE TABLE child_d (pid int REFERENCES parent_d DEFERRABLE INITIALLY DEFERRED);',
      'INSERT INTO child_d VALUES (42);',
    ].join('\n');
    for (const scratch of [false, true]) {
      const result = await run('deferred.sql', text, { scratch });
      expect(result.error, `scratch: ${scratch}`).toMatchObject({
        statementIndex: 2,
        line: 3,
        code: '23503',
      });
      expect(result.error!.message).toMatch(
        /^when the transaction commits: insert or update on table "child_d" violates foreign key constraint/,
      );
    }
    expect(await relationExists('child_d')).toBe(false);
  });

  it('maps lines through the offset of a section in its file (a migration’s up script)', async () => {
    const file =
      '-- migrate:up\n\nCREATE TABLE sectioned (id int);\nSELECT nope FROM sectioned;\n-- migrate:down\nDROP TABLE sectioned;\n';
    const path = join(dir, 'sectioned.sql');
    writeFileSync(path, file);
    const start = file.indexOf('\n') + 1;
    const text = file.slice(start, file.indexOf('-- migrate:down'));
    const result = await trace({ databaseUrl: db.url, source: { path, text, offset: start } });
    expect(result.statements.map((s) => s.line)).toEqual([3, 4]);
    expect(result.error).toMatchObject({ line: 4, code: '42703' });
  });

  it('CREATE INDEX CONCURRENTLY is skipped with the lock table’s prediction', async () => {
    const result = await run(
      'cic.sql',
      'ALTER TABLE accounts ADD COLUMN c int;\nCREATE INDEX CONCURRENTLY accounts_c_idx ON accounts (c);\n',
    );
    expect(result.error).toBeUndefined();
    const cic = result.statements[1]!;
    expect(cic).toMatchObject({ line: 2, ran: false, observed: false, durationMs: 0, locks: [] });
    expect(cic.skipped).toMatch(/transaction block/);
    expect(cic.predicted).toEqual([{ relation: 'public.accounts', modes: ['ShareUpdateExclusiveLock'] }]);
    expect(await relationExists('accounts_c_idx')).toBe(false);
    expect(await columns('accounts')).toEqual(['id', 'email', 'note']);
  });

  it('a lock held by another session: lock timeout naming the blocker, which is unaffected', async () => {
    const blocker = await db.connect();
    await blocker.query(`SET application_name = 'report-job'`);
    const pid = (await blocker.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
    await blocker.query('BEGIN');
    await blocker.query(`INSERT INTO audit (what) VALUES ('blocker')`);
    await blocker.query('SELECT count(*) FROM accounts');
    try {
      const result = await run(
        'blocked.sql',
        'CREATE TABLE before_wait (id int);\nALTER TABLE accounts ADD COLUMN blocked int;\n',
        { lockTimeoutMs: 200 },
      );
      expect(result.error).toMatchObject({ code: '55P03', statementIndex: 1, line: 2 });
      expect(result.error!.message).toContain('waited more than 200 ms');
      expect(result.error!.message).toContain('ACCESS EXCLUSIVE lock on public.accounts');
      expect(result.error!.message).toContain(`pid ${pid} (report-job)`);
      expect(result.error!.lockWait).toMatchObject({ locktype: 'relation', mode: 'AccessExclusiveLock' });
      expect(result.error!.lockWait!.blockers).toContainEqual(
        expect.objectContaining({ pid, applicationName: 'report-job', modes: ['AccessShareLock'] }),
      );
      // the blocker goes on and commits
      await blocker.query(`INSERT INTO audit (what) VALUES ('blocker-2')`);
      await blocker.query('COMMIT');
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
    }
    const { rows } = await db.query(`SELECT what FROM audit WHERE what LIKE 'blocker%' ORDER BY id`);
    expect(rows.map((r) => r.what)).toEqual(['blocker', 'blocker-2']);
    expect(await relationExists('before_wait')).toBe(false);
    expect(await columns('accounts')).toEqual(['id', 'email', 'note']);
  });

  it('a file that turns lock_timeout off still cannot wait longer than the trace allows', async () => {
    const blocker = await db.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE audit IN ACCESS SHARE MODE');
    try {
      const result = await run(
        'no-timeout.sql',
        'SET lock_timeout = 0;\nALTER TABLE audit ADD COLUMN x int;\n',
        {
          lockTimeoutMs: 150,
        },
      );
      expect(result.error).toMatchObject({ code: '55P03', line: 2 });
    } finally {
      await blocker.query('ROLLBACK');
    }
  });

  it('refuses a file with a syntax error, naming file and line, before connecting', async () => {
    const error = await rejection(
      trace({
        databaseUrl: 'postgres://nobody@127.0.0.1:1/none',
        source: source('broken.sql', 'SELECT 1;\nALTER TABEL accounts ADD COLUMN x int;\n'),
      }),
    );
    expect(error.code).toBe('MIGRATION_INVALID');
    expect(error.message).toBe(`${join(dir, 'broken.sql')}:2: syntax error: syntax error at or near "TABEL"`);
  });

  it('refuses a zero or negative lock timeout', async () => {
    for (const lockTimeoutMs of [0, -5, 1.5]) {
      const error = await rejection(run('ok.sql', 'SELECT 1;', { lockTimeoutMs }));
      expect(error.code).toBe('USAGE');
      expect(error.message).toMatch(/lock timeout must be a positive number of ms/);
    }
    const error = await rejection(run('ok.sql', 'SELECT 1;', { statementTimeoutMs: -1 }));
    expect(error.message).toMatch(/statement timeout must be a whole number/);
  });

  it('cannot connect: DB_CONNECT naming the target, never the password', async () => {
    const url = new URL(db.url);
    url.port = '1';
    const error = await rejection(
      trace({ databaseUrl: url.toString(), source: source('c.sql', 'SELECT 1;') }),
    );
    expect(error.code).toBe('DB_CONNECT');
    expect(error.exitCode).toBe(3);
    expect(error.message).toContain(':1/');
    expect(error.message).not.toContain(password);
  });

  it('an interrupt cancels the running statement and rolls back', async () => {
    const controller = new AbortController();
    const promise = run('sleep.sql', 'CREATE TABLE interrupted_t (id int);\nSELECT pg_sleep(30);\n', {
      signal: controller.signal,
    });
    await waitForQuery('SELECT pg_sleep(30)', db.name);
    controller.abort();
    const error = await rejection(promise);
    expect(error.code).toBe('INTERRUPTED');
    expect(await relationExists('interrupted_t')).toBe(false);
    // cancelled, not left running on the server
    const { rows } = await db.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE query = 'SELECT pg_sleep(30)' AND state = 'active' AND datname = current_database()`,
    );
    expect(rows[0].n).toBe(0);
  });

  it('never shows the password in results, progress or errors', async () => {
    const lines: string[] = [];
    const result = await run('pw.sql', 'CREATE TABLE pw_t (id int);\nSELECT 1/0;\n', {
      onProgress: (line) => lines.push(line),
    });
    expect(result.error).toMatchObject({ code: '22012', line: 2 });
    expect(password.length).toBeGreaterThan(8);
    expect(JSON.stringify(result)).not.toContain(password);
    expect(lines.join('\n')).not.toContain(password);
    expect(lines.length).toBeGreaterThan(0);
  });
});

describe('trace --scratch', () => {
  it('runs CREATE INDEX CONCURRENTLY for real on a scratch copy, then drops it; the live database is untouched', async () => {
    const lines: string[] = [];
    const result = await run(
      'scratch.sql',
      [
        'ALTER TABLE accounts ADD COLUMN s int;',
        'CREATE INDEX CONCURRENTLY accounts_s_idx ON accounts (s);',
        'ALTER TABLE accounts ADD COLUMN t int;',
        'VACUUM accounts;',
      ].join('\n'),
      { scratch: true, onProgress: (line) => lines.push(line) },
    );
    expect(result.error).toBeUndefined();
    expect(result.mode).toBe('scratch');
    expect(result.rolledBack).toBe(false);
    const [add, cic, add2, vacuum] = result.statements;
    expect(add).toMatchObject({ ran: true, observed: true });
    expect(add!.locks).toEqual([{ relation: 'public.accounts', modes: ['AccessExclusiveLock'] }]);
    expect(cic).toMatchObject({ ran: true, observed: false, locks: [], created: ['public.accounts_s_idx'] });
    expect(cic!.skipped).toBeUndefined();
    expect(cic!.predicted).toEqual([{ relation: 'public.accounts', modes: ['ShareUpdateExclusiveLock'] }]);
    // the concurrent build reads the (empty, schema-only) table twice
    expect(cic!.scans).toEqual([{ relation: 'public.accounts', seqScans: 2, tuplesRead: 0 }]);
    // after the index: a new transaction, so ACCESS EXCLUSIVE is new again
    expect(add2!.locks).toEqual([{ relation: 'public.accounts', modes: ['AccessExclusiveLock'] }]);
    expect(vacuum).toMatchObject({ ran: true, observed: false });
    expect(vacuum!.predicted).toEqual([{ relation: 'public.accounts', modes: ['ShareUpdateExclusiveLock'] }]);

    const name = result.scratch!.database;
    expect(name).toMatch(/^pgwarden_scratch_[0-9a-f]{12}$/);
    expect(result.scratch).toEqual({ database: name, dropped: true });
    // other test files may hold scratch databases of their own meanwhile
    expect(await scratchDatabases()).not.toContain(name);
    expect(lines.join('\n')).toContain(`creating the scratch database ${name}`);
    expect(lines.join('\n')).not.toContain(password);
    // live database untouched
    expect(await relationExists('accounts_s_idx')).toBe(false);
    expect(await columns('accounts')).toEqual(['id', 'email', 'note']);
  });

  it('a runtime error on the scratch copy is reported and the copy is still dropped', async () => {
    const result = await run(
      'scratch-err.sql',
      'CREATE TABLE ok_t (id int);\nINSERT INTO ok_t VALUES (1/0);\n',
      {
        scratch: true,
      },
    );
    expect(result.error).toMatchObject({ statementIndex: 1, line: 2, code: '22012' });
    expect(result.scratch!.dropped).toBe(true);
    expect(await scratchDatabases()).not.toContain(result.scratch!.database);
    expect(await relationExists('ok_t')).toBe(false);
  });

  it('an interrupt during a statement still drops the scratch database', async () => {
    const controller = new AbortController();
    const promise = run('scratch-sleep.sql', 'SELECT pg_sleep(30);\n', {
      scratch: true,
      signal: controller.signal,
    });
    // its own scratch database (other test files may have one of theirs meanwhile)
    const scratch = await waitForQuery('SELECT pg_sleep(30)', 'pgwarden_scratch_');
    controller.abort();
    const error = await rejection(promise);
    expect(error.code).toBe('INTERRUPTED');
    expect(await scratchDatabases()).not.toContain(scratch);
  });

  it('a role without CREATEDB gets a clear error, without its password', async () => {
    const secret = 'Tr4ce-s3cret-pw';
    await db.query(`DROP ROLE IF EXISTS trace_nocreatedb`);
    await db.query(`CREATE ROLE trace_nocreatedb LOGIN NOCREATEDB PASSWORD '${secret}'`);
    const url = new URL(databaseUrl(db.serverUrl, db.name));
    url.username = 'trace_nocreatedb';
    url.password = secret;
    try {
      const error = await rejection(
        trace({ databaseUrl: url.toString(), source: source('nocreate.sql', 'SELECT 1;'), scratch: true }),
      );
      expect(error.code).toBe('DB_QUERY');
      expect(error.message).toContain(
        'cannot create the scratch database: role "trace_nocreatedb" may not create databases',
      );
      expect(error.hint).toContain('CREATEDB');
      expect(`${error.message} ${error.hint}`).not.toContain(secret);
    } finally {
      await db.query('DROP ROLE IF EXISTS trace_nocreatedb');
    }
  });
});

describe('URLs for pg_dump and psql', () => {
  it('keeps the password out of the URL (it goes to PGPASSWORD) and translates ssl=true', () => {
    expect(forLibpq('postgres://app:p%40ss%3Aw0rd@db.example:6432/shop?ssl=true')).toEqual({
      url: 'postgres://app@db.example:6432/shop?sslmode=require',
      password: 'p@ss:w0rd',
    });
    expect(forLibpq('postgresql://app@db/shop?sslmode=verify-full')).toEqual({
      url: 'postgresql://app@db/shop?sslmode=verify-full',
      password: undefined,
    });
    expect(withDatabase('postgres://app:pw@db:5432/shop?sslmode=require', 'pgwarden_scratch_ab')).toBe(
      'postgres://app:pw@db:5432/pgwarden_scratch_ab?sslmode=require',
    );
  });
});

/** Waits until some session of the server runs `sql`. */
/** Waits until a session runs `sql` (in a database whose name starts with `prefix`); its database. */
async function waitForQuery(sql: string, prefix = ''): Promise<string> {
  const watcher = new pg.Client({ connectionString: db.serverUrl });
  await watcher.connect();
  try {
    for (let i = 0; i < 500; i++) {
      const { rows } = await watcher.query(
        `SELECT datname FROM pg_stat_activity WHERE query = $1 AND state = 'active' AND starts_with(datname, $2)`,
        [sql, prefix],
      );
      if (rows.length > 0) return rows[0].datname;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`no session started ${sql}`);
  } finally {
    await watcher.end();
  }
}
