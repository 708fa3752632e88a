/**
 * `pgwarden trace` behind the command line, run in-process with a fake CliIo: the text and JSON
 * output, exit codes, the target (a file or a migration id), option errors, the strongest-lock
 * summary, and that the password never reaches the output.
 */
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerTrace } from '../../src/cli/commands/trace.js';
import { renderTraceText, runTrace, strongestHold } from '../../src/cli/commands/trace-run.js';
import type { CliIo, GlobalOptions } from '../../src/cli/io.js';
import { holdersOf } from '../../src/trace/lock-wait.js';
import type { TracedStatement, TraceResult } from '../../src/trace/trace.js';
import { useTestDatabase } from '../support/database.js';
import { rejection } from '../support/errors.js';
import { tempDir } from '../support/files.js';

const db = useTestDatabase();
const password = decodeURIComponent(new URL(db.url).password);

const project = tempDir({
  'add.sql': [
    'ALTER TABLE items ADD COLUMN token float8 DEFAULT random();',
    '',
    'CREATE INDEX CONCURRENTLY items_token_idx ON items (token);',
    '',
  ].join('\n'),
  'fail.sql': 'CREATE TABLE fail_t (id int);\nINSERT INTO items (id, nope) VALUES (1, 2);\n',
  'empty.sql': '-- nothing yet\n',
  'db/migrations/20240101000000_init.sql':
    '-- migrate:up\nCREATE TABLE mig_t (id int);\n\nALTER TABLE items ALTER COLUMN name SET NOT NULL;\n\n-- migrate:down\nDROP TABLE mig_t;\n',
  'sub/.keep': '',
});

function fakeIo(env: NodeJS.ProcessEnv = {}, cwd = project) {
  const out = { stdout: '', stderr: '' };
  const io: CliIo = {
    stdout: { write: (text: string) => (out.stdout += text) },
    stderr: { write: (text: string) => (out.stderr += text) },
    env,
    cwd,
  };
  return { io, out };
}

function globals(extra: Partial<GlobalOptions> = {}): GlobalOptions {
  return { color: false, databaseUrl: db.url, ...extra };
}

let seeded = false;
async function seed(): Promise<void> {
  if (seeded) return;
  await db.query('CREATE TABLE items (id bigint PRIMARY KEY, name text)');
  await db.query(`INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 200) g`);
  seeded = true;
}

describe('pgwarden trace (runTrace)', () => {
  it('prints a table per statement, the skipped statement’s prediction and the strongest lock; exit 0', async () => {
    await seed();
    const { io, out } = fakeIo();
    const code = await runTrace('add.sql', {}, globals(), io);
    expect(code).toBe(0);
    expect(out.stdout).toMatch(
      /^Trace of add\.sql on PostgreSQL 1\d\.\d+.*, in a transaction that was rolled back\n/,
    );
    expect(out.stdout).toMatch(
      /\n {6}1 {2}\d+\.\d ms +ALTER TABLE items ADD COLUMN token float8 DEFAULT random\(\)\n/,
    );
    expect(out.stdout).toContain('SHARE + ACCESS EXCLUSIVE → items\n');
    expect(out.stdout).toContain('rewrite items, items_pkey\n');
    expect(out.stdout).toMatch(/scan items \(\d+ pass(es)?, [\d,]+ rows read\)/);
    expect(out.stdout).toMatch(
      /\n {6}3 {2}skipped {6}CREATE INDEX CONCURRENTLY items_token_idx ON items \(token\)\n/,
    );
    expect(out.stdout).toContain('predicted SHARE UPDATE EXCLUSIVE → items\n');
    expect(out.stdout).toMatch(
      /Strongest lock: ACCESS EXCLUSIVE on items, items_pkey, held \d+(\.\d)? ms \(from line 1 to the end of its transaction\); it blocks all reads and writes\./,
    );
    expect(out.stdout).toContain('1 statement run, 1 skipped');
    expect(out.stdout).toContain('rolled back, nothing was changed.');
    expect(out.stderr).toContain('tracing add.sql on ');
    expect(out.stderr).toContain('line 1: ALTER TABLE items ADD COLUMN token');
    expect(`${out.stdout}${out.stderr}`).not.toContain(password);
    const { rows } = await db.query(
      `SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'items'`,
    );
    expect(rows[0].n).toBe(2);
  });

  it('--json writes the result shape on stdout', async () => {
    await seed();
    const { io, out } = fakeIo();
    const code = await runTrace('add.sql', {}, globals({ json: true }), io);
    expect(code).toBe(0);
    const result = JSON.parse(out.stdout) as TraceResult;
    expect(result).toMatchObject({ path: 'add.sql', mode: 'rollback', rolledBack: true });
    expect(result.statements).toHaveLength(2);
    expect(result.statements[0]).toMatchObject({
      index: 0,
      line: 1,
      ran: true,
      observed: true,
      kind: 'AlterTableStmt',
    });
    expect(result.statements[1]).toMatchObject({
      index: 1,
      line: 3,
      ran: false,
      observed: false,
      predicted: [{ relation: 'public.items', modes: ['ShareUpdateExclusiveLock'] }],
    });
    expect(out.stdout).not.toContain(password);
  });

  it('exits 1 when a statement fails, naming file and line', async () => {
    await seed();
    const { io, out } = fakeIo();
    const code = await runTrace('fail.sql', {}, globals(), io);
    expect(code).toBe(1);
    expect(out.stdout).toContain('✖ fail.sql:2: column "nope" of relation "items" does not exist');
    expect((await db.query(`SELECT to_regclass('fail_t') IS NULL AS gone`)).rows[0].gone).toBe(true);
  });

  it('exits 1 on a lock timeout and lists the blocking session', async () => {
    await seed();
    const blocker = await db.connect();
    await blocker.query(`SET application_name = 'nightly-report'`);
    const pid = (await blocker.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    await blocker.query('BEGIN');
    await blocker.query('SELECT count(*) FROM items');
    try {
      const { io, out } = fakeIo();
      const code = await runTrace('add.sql', { lockTimeout: '100' }, globals(), io);
      expect(code).toBe(1);
      expect(out.stdout).toContain('waited more than 100 ms for a ACCESS EXCLUSIVE lock on public.items');
      expect(out.stdout).toMatch(
        new RegExp(`\\n {4}pid ${pid} \\(nightly-report\\), idle in transaction, holding ACCESS SHARE`),
      );
      expect(out.stdout).toContain('hint: The application would have queued behind this statement.');
    } finally {
      await blocker.query('ROLLBACK');
    }
  });

  it('traces a migration by id: its up section, with the file’s line numbers', async () => {
    await seed();
    const { io, out } = fakeIo();
    const code = await runTrace('20240101000000', {}, globals({ json: true }), io);
    expect(code).toBe(0);
    const result = JSON.parse(out.stdout) as TraceResult;
    expect(result.path).toBe('db/migrations/20240101000000_init.sql');
    expect(result.statements.map((s) => [s.line, s.kind])).toEqual([
      [2, 'CreateStmt'],
      [4, 'AlterTableStmt'],
    ]);
    expect(result.statements[1]!.scans).toEqual([{ relation: 'public.items', seqScans: 1, tuplesRead: 200 }]);
  });

  it('an empty file traces nothing', async () => {
    const { io, out } = fakeIo();
    expect(await runTrace('empty.sql', {}, globals(), io)).toBe(0);
    expect(out.stdout).toContain('(no statements)');
    expect(out.stdout).toContain('0 statements run, 0.0 ms in total');
  });

  it('without a database URL: USAGE with a hint; DATABASE_URL is the fallback', async () => {
    const { io } = fakeIo();
    const error = await rejection(runTrace('add.sql', {}, globals({ databaseUrl: undefined }), io));
    expect(error.code).toBe('USAGE');
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe('trace needs a database: no --database-url and no DATABASE_URL');
    expect(error.hint).toContain('DATABASE_URL');
    const fallback = fakeIo({ DATABASE_URL: db.url });
    expect(await runTrace('empty.sql', {}, globals({ databaseUrl: undefined }), fallback.io)).toBe(0);
  });

  it('rejects bad timeouts', async () => {
    const { io } = fakeIo();
    for (const lockTimeout of ['0', 'abc', '-1', '1.5']) {
      const error = await rejection(runTrace('add.sql', { lockTimeout }, globals(), io));
      expect(error.code).toBe('USAGE');
      expect(error.message).toBe(
        `--lock-timeout must be a whole number of milliseconds above 0, not "${lockTimeout}"`,
      );
    }
    const error = await rejection(runTrace('add.sql', { statementTimeout: 'soon' }, globals(), io));
    expect(error.message).toBe('--statement-timeout must be a whole number of milliseconds, not "soon"');
  });

  it('an unknown target, a directory, a syntax error: clear errors', async () => {
    const { io } = fakeIo();
    const missing = await rejection(runTrace('nope.sql', {}, globals(), io));
    expect(missing.code).toBe('PATH_NOT_FOUND');
    expect(missing.message).toMatch(
      /^nope\.sql: no such file, and not a known migration \(no migration "nope\.sql"\)/,
    );
    expect(missing.hint).toContain('20240101000000');
    const directory = await rejection(runTrace('sub', {}, globals(), io));
    expect(directory).toMatchObject({ code: 'USAGE', message: 'sub: is a directory' });
    const syntax = tempDir({ 'bad.sql': 'SELECT 1;\n\nCREATE TABEL x (id int);\n' });
    const error = await rejection(runTrace('bad.sql', {}, globals(), fakeIo({}, syntax).io));
    expect(error).toMatchObject({
      code: 'MIGRATION_INVALID',
      message: 'bad.sql:3: syntax error: syntax error at or near "TABEL"',
    });
  });

  it('cannot connect: DB_CONNECT (exit 3) without the password', async () => {
    const url = new URL(db.url);
    url.port = '1';
    const { io, out } = fakeIo();
    const error = await rejection(runTrace('add.sql', {}, globals({ databaseUrl: url.toString() }), io));
    expect(error.code).toBe('DB_CONNECT');
    expect(error.exitCode).toBe(3);
    expect(`${error.message}${error.hint}${out.stdout}${out.stderr}`).not.toContain(password);
  });

  it('is wired into a program: options, global --json and the exit code', async () => {
    await seed();
    const { io, out } = fakeIo();
    let exit = -1;
    const program = new Command('pgwarden')
      .option('--database-url <url>')
      .option('--json')
      .option('--no-color')
      .option('--quiet')
      .exitOverride();
    registerTrace(program, io, (code) => {
      exit = code;
    });
    await program.parseAsync(
      ['--json', '--quiet', 'trace', 'fail.sql', '--database-url', db.url, '--lock-timeout', '300'],
      {
        from: 'user',
      },
    );
    expect(exit).toBe(1);
    expect(JSON.parse(out.stdout).error).toMatchObject({ line: 2, code: '42703' });
    expect(out.stderr).toBe('');
  });
});

describe('strongestHold', () => {
  const stmt = (over: Partial<TracedStatement>): TracedStatement => ({
    index: 0,
    line: 1,
    sql: '',
    kind: 'AlterTableStmt',
    ran: true,
    durationMs: 0,
    locks: [],
    rewrites: [],
    created: [],
    dropped: [],
    scans: [],
    observed: true,
    ...over,
  });
  const result = (mode: 'rollback' | 'scratch', statements: TracedStatement[]): TraceResult => ({
    path: 'x.sql',
    mode,
    pgVersion: '15.0',
    statements,
    totalMs: 0,
    rolledBack: mode === 'rollback',
  });

  it('counts from the statement that took the lock to the end of the transaction', () => {
    const hold = strongestHold(
      result('rollback', [
        stmt({ index: 0, line: 1, durationMs: 5, locks: [{ relation: 'public.a', modes: ['ShareLock'] }] }),
        stmt({
          index: 1,
          line: 2,
          durationMs: 10,
          locks: [{ relation: 'public.b', modes: ['AccessExclusiveLock'] }],
        }),
        stmt({
          index: 2,
          line: 3,
          durationMs: 20,
          locks: [{ relation: 'public.t', modes: ['AccessExclusiveLock'], created: true }],
        }),
        stmt({
          index: 3,
          line: 4,
          ran: false,
          observed: false,
          predicted: [{ relation: 'public.c', modes: ['AccessExclusiveLock'] }],
        }),
      ]),
    );
    // the created table's lock blocks nobody; the skipped statement never ran
    expect(hold).toEqual({
      mode: 'AccessExclusiveLock',
      relations: ['public.b'],
      heldMs: 30,
      fromLine: 2,
      predicted: false,
    });
  });

  it('in scratch mode a statement run alone ends the transaction before it', () => {
    const hold = strongestHold(
      result('scratch', [
        stmt({
          index: 0,
          line: 1,
          durationMs: 4,
          locks: [{ relation: 'public.a', modes: ['AccessExclusiveLock'] }],
        }),
        stmt({
          index: 1,
          line: 2,
          durationMs: 100,
          observed: false,
          predicted: [{ relation: 'public.a', modes: ['ShareUpdateExclusiveLock'] }],
        }),
        stmt({
          index: 2,
          line: 3,
          durationMs: 6,
          locks: [{ relation: 'public.b', modes: ['AccessExclusiveLock'] }],
        }),
      ]),
    );
    expect(hold).toEqual({
      mode: 'AccessExclusiveLock',
      relations: ['public.b', 'public.a'],
      heldMs: 6,
      fromLine: 3,
      predicted: false,
    });
  });

  it('no lock on an existing relation: no summary line', () => {
    const r = result('rollback', [
      stmt({ locks: [{ relation: 'public.t', modes: ['AccessExclusiveLock'], created: true }] }),
    ]);
    expect(strongestHold(r)).toBeUndefined();
    expect(renderTraceText(r, { color: false })).toContain('No lock on an existing relation.');
  });
});

describe('holdersOf', () => {
  it('finds the sessions holding locks that conflict with the modes a statement needs', async () => {
    await seed();
    const other = await db.connect();
    const pid = (await other.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    await other.query('BEGIN');
    await other.query('SELECT count(*) FROM items');
    try {
      const client = await db.connect();
      const holders = await holdersOf(client, ['public.items'], ['AccessExclusiveLock'], -1);
      expect(holders).toEqual([
        {
          relation: 'public.items',
          blockers: [expect.objectContaining({ pid, modes: ['AccessShareLock'] })],
        },
      ]);
      // ACCESS SHARE does not conflict with ROW EXCLUSIVE, and the excluded pid is left out
      expect(await holdersOf(client, ['public.items'], ['RowExclusiveLock'], -1)).toEqual([]);
      expect(await holdersOf(client, ['public.items'], ['AccessExclusiveLock'], pid)).toEqual([]);
    } finally {
      await other.query('ROLLBACK');
    }
  });
});
