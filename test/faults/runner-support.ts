/**
 * What the runner fault tests share: the same migrations laid out in each format's folder with a
 * query for that format's own history, an `accounts` table whose balances show how often
 * `UPDATE accounts SET balance = balance * 100` ran, a gate a migration waits at until the test
 * opens it (a loop in the migration, no lock held for it), and the CLI started with its stderr
 * readable while it runs.
 */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import { expect } from 'vitest';
import { ensureLedger } from '../../src/migrate/ledger.js';
import { type CliResult, pgwardenProcess } from '../support/cli.js';
import { tempDir } from '../support/files.js';
import { sql, type TestServer, waitFor } from './support.js';

export type RunnerFormat =
  | 'plain'
  | 'node-pg-migrate'
  | 'flyway'
  | 'dbmate'
  | 'golang-migrate'
  | 'prisma'
  | 'sql-migrate'
  | 'supabase'
  | 'diesel';

export const ALL_FORMATS: RunnerFormat[] = [
  'plain',
  'node-pg-migrate',
  'flyway',
  'dbmate',
  'golang-migrate',
  'prisma',
  'supabase',
];

export interface FixtureMigration {
  /** A short name (letters and underscores). */
  name: string;
  sql: string;
}

export interface Fixture {
  format: RunnerFormat;
  /** The project directory (the CLI's cwd). */
  cwd: string;
  /** The migrations folder. */
  dir: string;
  /** The ids the format records, in order. */
  ids: string[];
  /** What the history should hold once every migration is applied, one entry per row. */
  expectedHistory: string[];
  /** The rows of the format's own history table, one entry per row, in the order applied. */
  history(url: string): Promise<string[]>;
}

const HISTORY: Record<RunnerFormat, string> = {
  plain: 'SELECT id AS v FROM pgwarden.schema_migrations ORDER BY applied_at, id',
  'node-pg-migrate': 'SELECT name AS v FROM public.pgmigrations ORDER BY id',
  flyway: `SELECT version AS v FROM flyway_schema_history WHERE type = 'SQL' ORDER BY installed_rank`,
  dbmate: 'SELECT version AS v FROM schema_migrations ORDER BY version',
  'golang-migrate': `SELECT version::text || CASE WHEN dirty THEN ' dirty' ELSE '' END AS v FROM schema_migrations`,
  prisma:
    'SELECT migration_name AS v FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL ORDER BY started_at, id',
  supabase: 'SELECT version AS v FROM supabase_migrations.schema_migrations ORDER BY version',
  'sql-migrate': 'SELECT id AS v FROM gorp_migrations ORDER BY applied_at, id',
  diesel: 'SELECT version AS v FROM __diesel_schema_migrations ORDER BY version',
};

/** `migrations` laid out as `format` lays out its folder. */
export function formatFixture(format: RunnerFormat, migrations: FixtureMigration[]): Fixture {
  const files: Record<string, string> = {};
  const ids: string[] = [];
  const folder =
    format === 'prisma' ? 'prisma/migrations' : format === 'supabase' ? 'supabase/migrations' : 'migrations';
  migrations.forEach(({ name, sql: text }, i) => {
    const n = i + 1;
    const stamp = `2024010100000${n}`;
    const body = text.endsWith('\n') ? text : `${text}\n`;
    switch (format) {
      case 'plain':
        files[`${folder}/00${n}_${name}.sql`] = body;
        ids.push(`00${n}_${name}`);
        break;
      case 'node-pg-migrate':
        files[`${folder}/${stamp}_${name}.sql`] = `-- Up Migration\n${body}\n-- Down Migration\n`;
        ids.push(`${stamp}_${name}`);
        break;
      case 'flyway':
        files[`${folder}/V${n}__${name}.sql`] = body;
        ids.push(String(n));
        break;
      case 'dbmate':
        files[`${folder}/${stamp}_${name}.sql`] = `-- migrate:up\n${body}\n-- migrate:down\n`;
        ids.push(stamp);
        break;
      case 'golang-migrate':
        files[`${folder}/${n}_${name}.up.sql`] = body;
        ids.push(String(n));
        break;
      case 'prisma':
        files[`${folder}/${stamp}_${name}/migration.sql`] = body;
        ids.push(`${stamp}_${name}`);
        break;
      case 'supabase':
        files[`${folder}/${stamp}_${name}.sql`] = body;
        ids.push(stamp);
        break;
      case 'sql-migrate':
        files[`${folder}/${n}_${name}.sql`] = `-- +migrate Up\n${body}\n-- +migrate Down\n`;
        ids.push(`${n}_${name}.sql`);
        break;
      case 'diesel':
        // `diesel migration generate` names: the version is the stamp without its dashes
        files[`${folder}/2024-01-01-00000${n}_${name}/up.sql`] = body;
        ids.push(stamp);
        break;
    }
  });
  if (format === 'prisma') files[`${folder}/migration_lock.toml`] = 'provider = "postgresql"\n';
  if (format === 'supabase') files['supabase/config.toml'] = 'project_id = "faults"\n';
  const cwd = tempDir(files);
  return {
    format,
    cwd,
    dir: join(cwd, folder),
    ids,
    expectedHistory: format === 'golang-migrate' ? [ids.at(-1)!] : ids,
    history: async (url) => (await sql<{ v: string }>(url, HISTORY[format])).map((r) => r.v),
  };
}

/** The arguments of `pgwarden migrate` for a fixture (JSON result on stdout). */
export function migrateArgs(fixture: Fixture, url: string, extra: string[] = []): string[] {
  return [
    'migrate',
    '--database-url',
    url,
    '--format',
    fixture.format,
    '--dir',
    fixture.dir,
    '--allow-uncommitted',
    '--json',
    ...extra,
  ];
}

/** `accounts` with balances 1, 2, 3 (after one `* 100`: 100, 200, 300), and the gate, closed. */
export async function seed(url: string): Promise<void> {
  await sql(
    url,
    `CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL);
     INSERT INTO accounts VALUES (1, 1), (2, 2), (3, 3);
     CREATE TABLE gate (hold boolean NOT NULL);
     INSERT INTO gate VALUES (true);`,
  );
}

export async function balances(url: string): Promise<number[]> {
  return (await sql<{ balance: string }>(url, 'SELECT balance FROM accounts ORDER BY id')).map((r) =>
    Number(r.balance),
  );
}

/** The statement a migration waits at until `openGate` (it re-reads the gate every 50 ms). */
export const GATE_SQL =
  'DO $$ BEGIN WHILE (SELECT hold FROM gate) LOOP PERFORM pg_sleep(0.05); END LOOP; END $$;';

export async function openGate(url: string): Promise<void> {
  await sql(url, 'UPDATE gate SET hold = false');
}

/** A running CLI whose stderr can be read while it runs. */
export interface RunningCli {
  child: ChildProcess;
  done: Promise<CliResult>;
  stderr(): string;
}

export function startCli(args: string[], cwd: string): RunningCli {
  const started = pgwardenProcess(args, { cwd });
  let stderr = '';
  started.child.stderr!.on('data', (chunk: string) => {
    stderr += chunk;
  });
  return { ...started, stderr: () => stderr };
}

/** Waits until a pgwarden session on `database` (by application name) runs a query containing `text`. */
export async function waitForQuery(
  url: string,
  database: string,
  application: string,
  text: string,
): Promise<number> {
  return waitFor(`${application} running ${text}`, async () => {
    const rows = await sql<{ pid: number }>(
      url,
      `SELECT pid FROM pg_stat_activity
        WHERE datname = $1 AND application_name = $2 AND state = 'active' AND strpos(query, $3) > 0`,
      [database, application, text],
    );
    return rows[0]?.pid;
  });
}

/** Waits until no session of `database` runs as `application` any more (the server ended them). */
export async function waitForGone(url: string, database: string, application: string): Promise<void> {
  await waitFor(`the sessions of ${application} to end`, async () => {
    const rows = await sql(
      url,
      'SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE $2',
      [database, `${application}%`],
    );
    return rows.length === 0;
  });
}

/** The JSON a `--json` run printed on stdout (its result, or `{ error }`). */
export function jsonOf(result: CliResult): any {
  try {
    return JSON.parse(result.stdout);
  } catch {
    throw new Error(`not JSON (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
}

/** A session of the test that stays open (to hold a lock or a snapshot while the runner works). */
export async function holdSession(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, application_name: 'fault-test holder' });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/**
 * A fresh database (accounts, closed gate), `migrations` in `format`'s folder, and a first
 * `pgwarden migrate` started and waiting at the gate, inside its migration's transaction.
 */
export async function gatedRun(
  own: TestServer,
  format: RunnerFormat,
  migrations: FixtureMigration[],
): Promise<{ name: string; url: string; fixture: Fixture; first: RunningCli }> {
  const { name, url } = await own.createDatabase();
  await seed(url);
  const fixture = formatFixture(format, migrations);
  const first = startCli(migrateArgs(fixture, url), fixture.cwd);
  await waitForQuery(own.url, name, 'pgwarden migrate', 'WHILE (SELECT hold FROM gate)');
  return { name, url, fixture, first };
}

/**
 * kill -9 of a running `pgwarden migrate` once one of its sessions runs a query containing `text`;
 * returns when the server has ended all of its sessions (what was in flight is rolled back).
 */
export async function killWhenRunning(own: TestServer, database: string, run: RunningCli, text: string) {
  await waitForQuery(own.url, database, 'pgwarden migrate', text);
  run.child.kill('SIGKILL');
  await run.done;
  await waitForGone(own.url, database, 'pgwarden migrate');
}

/**
 * `killWhenRunning` while a session of the test holds what `hold` takes (a lock, a snapshot), so
 * the runner is caught at a chosen point; the session rolls back once the runner's are gone.
 */
export async function killWhileHolding(
  own: TestServer,
  database: string,
  url: string,
  hold: string[],
  run: RunningCli,
  text: string,
): Promise<void> {
  const holder = await holdSession(url);
  try {
    for (const statement of hold) await holder.query(statement);
    await killWhenRunning(own, database, run, text);
    await holder.query('ROLLBACK');
  } finally {
    await holder.end();
  }
}

/**
 * A rerun after a fault: exits 0 having applied `applied` (ids), and every migration of the
 * fixture is now applied exactly once (history rows, one `* 100` in the balances).
 */
export async function expectRerunCompletes(
  fixture: Fixture,
  url: string,
  applied: string[],
): Promise<CliResult> {
  const again = await pgwardenProcess(migrateArgs(fixture, url), { cwd: fixture.cwd }).done;
  expect(again.code, again.stderr).toBe(0);
  expect(jsonOf(again).applied.map((m: { id: string }) => m.id)).toEqual(applied);
  expect(await balances(url)).toEqual([100, 200, 300]);
  expect(await fixture.history(url)).toEqual(fixture.expectedHistory);
  return again;
}

/** pgwarden's ledger tables, created before a run (so a test can lock one of them). */
export async function createLedger(url: string): Promise<void> {
  const client = await holdSession(url);
  try {
    await ensureLedger(client);
  } finally {
    await client.end();
  }
}
