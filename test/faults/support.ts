/**
 * What the fault tests share: a PostgreSQL cluster of the file's own (so a test may kill, restart
 * or reconfigure it), databases on it, the processes of this machine as /proc shows them (to find
 * children that outlived pgwarden, and to scan every argv for a secret), row fingerprints to prove
 * that nothing was lost, and polling.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import {
  type DisposableCluster,
  type StartClusterOptions,
  startCluster,
} from '../../src/testing/disposable-cluster.js';
import { serverUrl } from '../support/database.js';
import { pgProgram } from '../support/pg-shims.js';

export interface TestServer {
  /** URL of the server's `postgres` database. */
  readonly url: string;
  /** A new empty database on the server: its name and URL (dropped after the file). */
  createDatabase(): Promise<{ name: string; url: string }>;
}

export interface OwnCluster extends TestServer {
  /** The running cluster (after `beforeAll`). */
  readonly cluster: DisposableCluster;
}

/**
 * Boots a cluster for this test file in `beforeAll` and removes it in `afterAll`: for tests that
 * kill, restart or reconfigure the server, or create roles.
 */
export function useOwnCluster(options: StartClusterOptions = {}): OwnCluster {
  let cluster: DisposableCluster | undefined;
  beforeAll(async () => {
    cluster = await startCluster(options);
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  }, 120_000);
  const own: OwnCluster = {
    get cluster() {
      if (!cluster) throw new Error('the cluster is not started yet (use it inside a test)');
      return cluster;
    },
    get url() {
      return own.cluster.url;
    },
    createDatabase: () => createDatabaseOn(own.url, 'fault'),
  };
  return own;
}

/**
 * The test run's shared server (test/support/global-setup.ts), for faults that stay inside a
 * database of their own: its databases are dropped after the file. Cheaper than a cluster.
 */
export function useSharedServer(): TestServer {
  const created: string[] = [];
  afterAll(async () => {
    for (const name of created) await sql(serverUrl(), `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });
  return {
    get url() {
      return serverUrl();
    },
    async createDatabase() {
      // the shared server may be a real one (PGWARDEN_TEST_DATABASE_URL): only pgwarden_test_* names
      const db = await createDatabaseOn(serverUrl(), 'pgwarden_test_fault');
      created.push(db.name);
      return db;
    },
  };
}

async function createDatabaseOn(server: string, prefix: string): Promise<{ name: string; url: string }> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  await sql(server, `CREATE DATABASE ${name}`);
  return { name, url: withDatabase(server, name) };
}

export function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

/** Runs SQL on a new connection; the rows of the last statement. */
export async function sql<R extends pg.QueryResultRow = any>(
  url: string,
  text: string,
  params?: unknown[],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const result = (await client.query<R>(text, params as any[])) as pg.QueryResult<R> | pg.QueryResult<R>[];
    return Array.isArray(result) ? (result.at(-1)?.rows ?? []) : result.rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * A fingerprint of a table's rows (md5 over the rows in primary-key order), and the row count:
 * equal fingerprints before and after a fault prove that no row was lost, added or changed.
 */
export async function tableFingerprint(
  url: string,
  table: string,
  orderBy = '1',
): Promise<{ rows: number; md5: string }> {
  const [row] = await sql<{ rows: string; md5: string | null }>(
    url,
    `SELECT count(*)::text AS rows, md5(coalesce(string_agg(t::text, E'\\n' ORDER BY ${orderBy}), '')) AS md5 FROM ${table} t`,
  );
  return { rows: Number(row!.rows), md5: row!.md5 ?? '' };
}

export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** argv joined with spaces */
  cmdline: string;
  /** argv as the kernel holds it */
  argv: string[];
}

/** Every process /proc shows (those that vanish while being read are skipped). */
export function processes(): ProcessInfo[] {
  const list: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const raw = readFileSync(`/proc/${entry}/cmdline`);
      const argv = raw.toString('utf8').split('\0');
      if (argv.at(-1) === '') argv.pop();
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      list.push({ pid: Number(entry), ppid, cmdline: argv.join(' '), argv });
    } catch {
      // the process ended meanwhile
    }
  }
  return list;
}

/** The processes whose program (argv[0]'s base name) is one of `programs`, e.g. pg_dump. */
export function processesOf(programs: readonly string[]): ProcessInfo[] {
  return processes().filter((p) => programs.includes((p.argv[0] ?? '').split('/').pop() ?? ''));
}

/** Children, grandchildren… of `pid`, as they are now. */
export function descendantsOf(pid: number): ProcessInfo[] {
  const all = processes();
  const found: ProcessInfo[] = [];
  const queue = [pid];
  while (queue.length) {
    const parent = queue.shift()!;
    for (const p of all) {
      if (p.ppid === parent) {
        found.push(p);
        queue.push(p.pid);
      }
    }
  }
  return found;
}

/**
 * Scans the argv of every process on the machine every few milliseconds until stopped, and
 * collects the command lines that contain `secret`. Start it before the command under test. It
 * reads only /proc/<pid>/cmdline, so a scan stays cheap enough to run this often.
 */
export function watchArgv(secret: string, everyMs = 5): { stop(): { scans: number; hits: string[] } } {
  const hits = new Set<string>();
  const needle = Buffer.from(secret);
  let scans = 0;
  const timer = setInterval(() => {
    scans++;
    for (const entry of readdirSync('/proc')) {
      if (entry.charCodeAt(0) > 57) continue; // not a pid
      let raw: Buffer;
      try {
        raw = readFileSync(`/proc/${entry}/cmdline`);
      } catch {
        continue; // the process ended meanwhile
      }
      if (raw.includes(needle)) hits.add(`${entry}: ${raw.toString('utf8').split('\0').join(' ')}`);
    }
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return { scans, hits: [...hits] };
    },
  };
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes (then throws with `what`). */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  timeoutMs = 20_000,
  everyMs = 50,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Sessions connected to `database` (from any database of the cluster), with their application names. */
export async function sessionsOn(
  url: string,
  database: string,
): Promise<Array<{ pid: number; application_name: string; state: string | null }>> {
  return sql(
    url,
    `SELECT pid, application_name, state FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
    [database],
  );
}

export interface Writer {
  /** Stops writing; the ids whose INSERT was acknowledged (committed), and the failed attempts. */
  stop(): Promise<{ acked: number[]; failures: number }>;
}

/**
 * An application that writes throughout a fault: every `everyMs` it inserts the next id into
 * `table` (`INSERT INTO <table> (id) VALUES ($1)`, autocommit), reconnecting whenever its
 * connection is refused or terminated. Only acknowledged inserts count: each of them must be
 * found afterwards in the live database or in a backup.
 */
export function startWriter(url: string, table: string, everyMs = 50): Writer {
  const acked: number[] = [];
  let failures = 0;
  let stopped = false;
  let next = 1_000_000;
  const loop = (async () => {
    let client: pg.Client | undefined;
    while (!stopped) {
      try {
        if (!client) {
          client = new pg.Client({ connectionString: url, application_name: 'fault-test app' });
          client.on('error', () => undefined);
          await client.connect();
        }
        const id = next++;
        await client.query(`INSERT INTO ${table} (id) VALUES ($1)`, [id]);
        acked.push(id);
      } catch {
        failures++;
        await client?.end().catch(() => undefined);
        client = undefined;
      }
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
    await client?.end().catch(() => undefined);
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return { acked, failures };
    },
  };
}

/** The ids of `table` in a backup archive, read with pg_restore (not through pgwarden). */
export function idsInArchive(path: string, table: string): Set<number> {
  const out = spawnSync(pgProgram('pg_restore'), ['--data-only', `--table=${table}`, '--file=-', path], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  if (out.status !== 0) throw new Error(`pg_restore failed: ${out.stderr}`);
  const ids = new Set<number>();
  let inCopy = false;
  for (const line of out.stdout.split('\n')) {
    if (line.startsWith('COPY ')) inCopy = true;
    else if (line === '\\.') inCopy = false;
    else if (inCopy && line) ids.add(Number(line.split('\t')[0]));
  }
  return ids;
}

/** Whether process `pid` still runs (a zombie, dead but not yet reaped, does not count). */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** The child guards of pgwarden running now (`node -e … pgwarden-child-guard <program> …`). */
export function childGuards(): ProcessInfo[] {
  return processes().filter((p) => p.argv.includes('pgwarden-child-guard'));
}

/**
 * Two tables for backup faults: `big` (60,000 rows, about 4 MB of text: a dump of 2 MB or more,
 * long enough to be cut, killed or to fill a small disk) and `small` (3 rows).
 */
export const BACKUP_TABLES_SQL = `
  CREATE TABLE big (id int, payload text);
  INSERT INTO big SELECT g, md5(g::text) || md5((g * 7)::text) FROM generate_series(1, 60000) g;
  CREATE TABLE small (x int);
  INSERT INTO small VALUES (1), (2), (3);`;
