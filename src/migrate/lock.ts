/**
 * One deploy at a time: session-level advisory locks on a dedicated connection that never has a
 * transaction open, taken by polling `pg_try_advisory_lock` with backoff. A blocking
 * `pg_advisory_lock` (or a transaction-scoped lock) would be waited on with a snapshot held, and
 * `CREATE INDEX CONCURRENTLY` waits for every such snapshot: the classic runner deadlock.
 * In compatibility mode the native tool's key is taken too, so the tool itself, started at the
 * same moment, waits for pgwarden (and pgwarden for it).
 */
import type pg from 'pg';
import { PgwardenError } from '../errors/pgwarden-error.js';
import { backoffDelay, sleep } from './backoff.js';

/** pgwarden's key: the bytes of "pgwarden" would overflow; "pgward" as a 48-bit number. */
export const PGWARDEN_LOCK_KEY = 0x706777617264n;

export interface LockHolder {
  pid: number;
  applicationName: string;
  clientAddr: string | null;
  backendStart: Date;
  state: string | null;
}

export interface HeldLocks {
  keys: bigint[];
  /** Releases the locks (also released when the connection closes). */
  release(): Promise<void>;
}

export interface AcquireOptions {
  client: pg.Client;
  keys: bigint[];
  /** Give up after this long (ms). */
  waitMs: number;
  /** Called once when the lock is busy, then about every 10 s while waiting. */
  onWait?: (holders: LockHolder[], waitedMs: number) => void;
  signal?: AbortSignal | undefined;
}

export async function acquireLocks(options: AcquireOptions): Promise<HeldLocks> {
  const { client, keys } = options;
  const started = Date.now();
  let attempt = 0;
  let lastReport = -Infinity;
  for (;;) {
    const taken: bigint[] = [];
    for (const key of keys) {
      const { rows } = await client.query('SELECT pg_try_advisory_lock($1::bigint) AS ok', [key.toString()]);
      if (!rows[0].ok) break;
      taken.push(key);
    }
    if (taken.length === keys.length) {
      await verifySession(client, keys);
      return {
        keys,
        release: async () => {
          for (const key of keys)
            await client.query('SELECT pg_advisory_unlock($1::bigint)', [key.toString()]);
        },
      };
    }
    // never hold some keys while waiting for the others
    for (const key of taken) await client.query('SELECT pg_advisory_unlock($1::bigint)', [key.toString()]);
    const waited = Date.now() - started;
    const busyKey = keys[taken.length]!;
    if (waited >= options.waitMs) {
      const holders = await lockHolders(client, busyKey);
      throw new PgwardenError(
        'LOCK_BUSY',
        `another deploy holds the migration lock (waited ${Math.round(waited / 1000)} s)${describeHolders(holders)}`,
        {
          hint: 'Wait for it to finish, or raise migrate.lockWait. If the holder is stuck, end it with SELECT pg_terminate_backend(<pid>).',
          details: { holders },
        },
      );
    }
    if (options.onWait && waited - lastReport >= 10_000) {
      lastReport = waited;
      options.onWait(await lockHolders(client, busyKey), waited);
    }
    await sleep(Math.min(backoffDelay(attempt++, 100, 2_000), options.waitMs - waited), options.signal);
  }
}

/** Through a transaction-pooling proxy the next query may run on another server session. */
async function verifySession(client: pg.Client, keys: bigint[]): Promise<void> {
  const { rows } = await client.query(
    `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted`,
  );
  if (rows[0].n < keys.length) {
    throw new PgwardenError(
      'DB_CONNECT',
      'the advisory lock taken by pgwarden is not held by its own session: the connection goes through a transaction-pooling proxy (PgBouncer?)',
      { hint: 'Use a direct connection to PostgreSQL (or a session-pooling one) for migrations.' },
    );
  }
}

export async function lockHolders(client: pg.Client, key: bigint): Promise<LockHolder[]> {
  const { rows } = await client.query(
    `SELECT a.pid, a.application_name, a.client_addr::text AS client_addr, a.backend_start, a.state
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND l.classid = $1::bigint::oid AND l.objid = $2::bigint::oid AND l.objsubid = 1`,
    [(key >> 32n).toString(), (key & 0xffffffffn).toString()],
  );
  return rows.map((r) => ({
    pid: r.pid,
    applicationName: r.application_name,
    clientAddr: r.client_addr,
    backendStart: r.backend_start,
    state: r.state,
  }));
}

function describeHolders(holders: LockHolder[]): string {
  if (holders.length === 0) return '';
  return `: ${holders
    .map(
      (h) =>
        `pid ${h.pid} (${h.applicationName || 'no application name'}${h.clientAddr ? ` from ${h.clientAddr}` : ''}, connected ${h.backendStart.toISOString()})`,
    )
    .join(', ')}`;
}
