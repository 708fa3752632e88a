/**
 * Blocking new connections to a database while pgwarden replaces it, remembered in the cluster so
 * that it is always undone — also after pgwarden was killed:
 * - `ALTER DATABASE … WITH ALLOW_CONNECTIONS false` (it applies to superusers too, and PostgreSQL
 *   refuses it from a session of that database, so it is run from the maintenance database:
 *   `postgres`, else `template1`), and in the same transaction a marker,
 *   `ALTER DATABASE … SET pgwarden.connections_blocked = '<json>'`, in the shared catalog
 *   `pg_db_role_setting` (so it survives the restore, which replaces everything inside the
 *   database, and is readable from any database of the cluster);
 * - unblocking reverses both in one transaction;
 * - a block whose marker is pgwarden's and whose owner is gone (no session named
 *   `pgwarden restore…` is connected to the database any more) is abandoned: `repairAbandonedBlock`
 *   reopens the database. `connect()` calls it when a database refuses connections, and doctor
 *   reports it. A database closed by someone else (no marker) is never touched.
 */
import { hostname, userInfo } from 'node:os';
import pg from 'pg';
import { PgwardenError } from '../errors/pgwarden-error.js';
import { quoteIdent, quoteLiteral } from '../sql/quote.js';
import { scrub } from './connect.js';
import { withDatabase } from './libpq.js';
import { notice } from './notices.js';
import { parseDatabaseUrl } from './url.js';

/** The marker's name: a custom setting of the database, never read by anything but pgwarden. */
export const BLOCK_SETTING = 'pgwarden.connections_blocked';

/** Application names of the sessions that own a block (pgwarden's restore and its psql). */
export const BLOCK_OWNER_PREFIX = 'pgwarden restore';

export interface BlockMarker {
  /** when the block began (ISO time) */
  since: string;
  /** what holds it, in words, e.g. "restore of backup 20261207T…" */
  reason: string;
  host: string;
  pid: number;
}

export interface ConnectionBlock {
  database: string;
  marker: BlockMarker;
  /** Reopens the database and removes the marker; idempotent. */
  unblock(): Promise<void>;
}

/**
 * Called by `connect()` when the target refuses connections: reopens it when pgwarden left it
 * closed (a notice says so) and returns true; false when it is closed by someone else or could not
 * be checked. A restore still running is an error that says so.
 */
export async function reopenAbandoned(url: string | undefined): Promise<boolean> {
  const database = targetDatabase(url);
  const outcome = await repairAbandonedBlock(url, database).catch(() => undefined);
  if (outcome?.kind === 'repaired') {
    const m = outcome.marker;
    notice(
      'connections-reopened',
      `"${database}" was left closed to new connections by an interrupted pgwarden ${m.reason} (since ${m.since}, pid ${m.pid} on ${m.host}); pgwarden reopened it`,
    );
    return true;
  }
  if (outcome?.kind === 'in-progress') {
    throw new PgwardenError(
      'DB_CONNECT',
      `"${database}" is closed to new connections while a pgwarden ${outcome.marker.reason} runs (since ${outcome.marker.since}, sessions ${outcome.pids.join(', ')})`,
      { hint: 'Wait for it to end: it reopens the database when it is done.' },
    );
  }
  return false;
}

/** The database a connection to `url` (else the PG* variables) opens, as libpq and node-postgres choose it. */
function targetDatabase(url: string | undefined): string {
  const target = url ? parseDatabaseUrl(url) : undefined;
  let osUser = '';
  try {
    osUser = userInfo().username;
  } catch {
    // no user name: only the variables can say
  }
  return target?.database ?? process.env.PGDATABASE ?? target?.user ?? process.env.PGUSER ?? osUser;
}

/** Maintenance databases tried, in order, for statements PostgreSQL refuses from the database itself. */
const MAINTENANCE = ['postgres', 'template1'];

/**
 * A connection to the cluster's maintenance database with the credentials of `url` (or the libpq
 * environment). DB_CONNECT when none of them accepts the connection.
 */
export async function connectMaintenance(
  url: string | undefined,
  applicationName: string,
): Promise<pg.Client> {
  const failures: string[] = [];
  for (const database of MAINTENANCE) {
    // in node-postgres the connection string wins over `database`: the URL itself names it
    const client = new pg.Client({
      ...(url ? { connectionString: withDatabase(url, database) } : { database }),
      application_name: applicationName,
      connectionTimeoutMillis: 10_000,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return client;
    } catch (error) {
      failures.push(`${database}: ${scrub((error as Error).message, url)}`);
      await client.end().catch(() => undefined);
    }
  }
  throw new PgwardenError(
    'DB_CONNECT',
    `cannot connect to a maintenance database of the cluster (${failures.join('; ')}); blocking new connections to a database needs one`,
    {
      hint: 'The role must be able to connect to the postgres (or template1) database of the same server.',
    },
  );
}

/**
 * Blocks new connections to `database` (sessions already connected stay) and records the marker,
 * in one transaction on `admin` (a maintenance-database connection, kept for `unblock`).
 * DB_QUERY naming the privilege when the role may not do it (it must own the database).
 */
export async function blockConnections(
  admin: pg.Client,
  database: string,
  reason: string,
): Promise<ConnectionBlock> {
  const marker: BlockMarker = { since: new Date().toISOString(), reason, host: hostname(), pid: process.pid };
  const db = quoteIdent(database);
  try {
    await admin.query('BEGIN');
    await admin.query(`ALTER DATABASE ${db} WITH ALLOW_CONNECTIONS false`);
    await admin.query(`ALTER DATABASE ${db} SET ${BLOCK_SETTING} = ${quoteLiteral(JSON.stringify(marker))}`);
    await admin.query('COMMIT');
  } catch (error) {
    await admin.query('ROLLBACK').catch(() => undefined);
    const e = error as { code?: string; message?: string };
    throw new PgwardenError('DB_QUERY', `cannot block new connections to "${database}": ${e.message}`, {
      hint:
        e.code === '42501'
          ? `The restore must stop new connections while it replaces the database: run it as the owner of "${database}" or a superuser.`
          : 'Nothing was changed.',
      cause: error,
    });
  }
  let done = false;
  return {
    database,
    marker,
    async unblock() {
      if (done) return;
      await unblock(admin, database);
      done = true;
    },
  };
}

async function unblock(admin: pg.Client, database: string): Promise<void> {
  const db = quoteIdent(database);
  try {
    await admin.query('BEGIN');
    await admin.query(`ALTER DATABASE ${db} WITH ALLOW_CONNECTIONS true`);
    await admin.query(`ALTER DATABASE ${db} RESET ${BLOCK_SETTING}`);
    await admin.query('COMMIT');
  } catch (error) {
    await admin.query('ROLLBACK').catch(() => undefined);
    throw new PgwardenError(
      'DB_QUERY',
      `could not reopen "${database}" to new connections: ${(error as Error).message}`,
      {
        hint: `Run, as its owner from another database: ALTER DATABASE ${db} WITH ALLOW_CONNECTIONS true; ALTER DATABASE ${db} RESET ${BLOCK_SETTING}; (any later pgwarden command or pgwarden doctor also does it).`,
        cause: error,
      },
    );
  }
}

/** The marker of `database` and whether it allows connections, read from the shared catalogs. */
export async function readBlock(
  admin: pg.Client,
  database: string,
): Promise<{ allowsConnections: boolean; marker: BlockMarker | undefined } | undefined> {
  const { rows } = await admin.query<{ allow: boolean; settings: string[] | null }>(
    `SELECT d.datallowconn AS allow, s.setconfig AS settings
       FROM pg_database d
       LEFT JOIN pg_db_role_setting s ON s.setdatabase = d.oid AND s.setrole = 0
      WHERE d.datname = $1`,
    [database],
  );
  const row = rows[0];
  if (!row) return undefined;
  const entry = (row.settings ?? []).find((s) => s.startsWith(`${BLOCK_SETTING}=`));
  let marker: BlockMarker | undefined;
  if (entry) {
    try {
      marker = JSON.parse(entry.slice(BLOCK_SETTING.length + 1)) as BlockMarker;
    } catch {
      marker = { since: 'unknown', reason: 'unreadable marker', host: 'unknown', pid: 0 };
    }
  }
  return { allowsConnections: row.allow, marker };
}

export type RepairOutcome =
  | { kind: 'not-blocked' }
  /** blocked, but not by pgwarden: left alone */
  | { kind: 'not-ours' }
  /** pgwarden's block, and its restore is still connected */
  | { kind: 'in-progress'; marker: BlockMarker; pids: number[] }
  | { kind: 'repaired'; marker: BlockMarker };

/**
 * Reopens `database` when pgwarden left it blocked (its marker is set and no `pgwarden restore`
 * session is connected to it any more: the restore was killed). Anything else is left alone.
 */
export async function repairAbandonedBlock(
  url: string | undefined,
  database: string,
): Promise<RepairOutcome> {
  const admin = await connectMaintenance(url, 'pgwarden (repair)');
  try {
    const state = await readBlock(admin, database);
    if (!state?.marker)
      return state && !state.allowsConnections ? { kind: 'not-ours' } : { kind: 'not-blocked' };
    const { rows } = await admin.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND starts_with(application_name, $2)`,
      [database, BLOCK_OWNER_PREFIX],
    );
    if (rows.length > 0) return { kind: 'in-progress', marker: state.marker, pids: rows.map((r) => r.pid) };
    await unblock(admin, database);
    return { kind: 'repaired', marker: state.marker };
  } finally {
    await admin.end().catch(() => undefined);
  }
}
