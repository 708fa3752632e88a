/**
 * One deploy at a time: session-level advisory locks on a dedicated connection that never has a
 * transaction open, taken by polling `pg_try_advisory_lock` with backoff. A blocking
 * `pg_advisory_lock` (or a transaction-scoped lock) would be waited on with a snapshot held, and
 * `CREATE INDEX CONCURRENTLY` waits for every such snapshot: the classic runner deadlock.
 * In compatibility mode the native tool's key is taken too, so the tool itself, started at the
 * same moment, waits for pgwarden (and pgwarden for it).
 *
 * The lock lives as long as its connection, so the connection is kept alive and watched: no idle
 * timeouts on it (`prepareLockSession`), and `watchLock` marks the lock lost on an error or end of
 * the connection, or when a heartbeat no longer finds the keys held in `pg_locks`. The runner then
 * stops before its next statement (LOCK_LOST). Correctness does not depend on noticing in time:
 * every migration is also fenced by the apply lock (`PGWARDEN_APPLY_KEY`, see fence.ts).
 */
import type pg from 'pg';
import { PgwardenError } from '../errors/pgwarden-error.js';
import { backoffDelay, sleep } from './backoff.js';

/** pgwarden's key: the bytes of "pgwarden" would overflow; "pgward" as a 48-bit number. */
export const PGWARDEN_LOCK_KEY = 0x706777617264n;

/**
 * The apply key ("pgwapp"): taken by the work connection around each migration (transaction-level
 * for a migration that runs in one transaction, session-level around a migration run statement by
 * statement), never by the lock connection, so two runs can never apply the same migration at once
 * even when one of them has lost the migration lock.
 */
export const PGWARDEN_APPLY_KEY = 0x706777617070n;

/** How often the heartbeat checks, from `pg_locks`, that the lock session still holds its keys. */
export const HEARTBEAT_MS = 1_500;

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

/**
 * Settings of a connection that must outlive the whole run (the lock connection, and the work
 * connection, which idles while deploy takes its backup): no idle-session or idle-in-transaction
 * timeout may end it. `idle_session_timeout` exists from PostgreSQL 14.
 */
export async function prepareLongSession(client: pg.Client, pgMajor: number): Promise<void> {
  await client.query('SET idle_in_transaction_session_timeout = 0');
  if (pgMajor >= 14) await client.query('SET idle_session_timeout = 0');
}

/** What the runner knows about its migration lock while it works. */
export interface LockWatch {
  /** Why the lock is lost (the connection closed, the keys are gone), or undefined while it is held. */
  readonly lost: string | undefined;
  /** Throws LOCK_LOST when the lock is lost; the runner calls it before every statement. */
  assertHeld(): void;
  /** Stops watching (before the lock is released on purpose). */
  stop(): void;
}

/**
 * Watches the lock connection: an `error` or `end` on it, a heartbeat query that fails or stays
 * unanswered for three periods (10 s at least), or a heartbeat that no longer finds all `keys` granted to `pid` in
 * `pg_locks` (the server's truth) marks the lock lost. The heartbeat keeps the connection from
 * ever being idle for long, and costs one catalog query every `intervalMs`.
 */
export function watchLock(options: {
  client: pg.Client;
  pid: number;
  keys: bigint[];
  intervalMs?: number;
}): LockWatch {
  const { client, pid, keys } = options;
  const intervalMs = options.intervalMs ?? HEARTBEAT_MS;
  let lost: string | undefined;
  let stopped = false;
  let inFlightSince: number | undefined;
  const markLost = (reason: string) => {
    if (!stopped && lost === undefined) lost = reason;
  };
  const onError = (error: Error) => markLost(`its connection failed: ${error.message}`);
  const onEnd = () => markLost('the server closed its connection');
  client.on('error', onError);
  client.on('end', onEnd);
  const beat = async () => {
    if (stopped || lost !== undefined) return;
    if (inFlightSince !== undefined) {
      // a slow catalog read on a busy server is not a lost lock: only a long silence is
      if (Date.now() - inFlightSince > Math.max(3 * intervalMs, 10_000))
        markLost(
          `its connection stopped answering (no reply for ${Math.round((Date.now() - inFlightSince) / 1000)} s)`,
        );
      return;
    }
    inFlightSince = Date.now();
    try {
      const { rows } = await client.query(
        `SELECT count(*)::int AS n FROM pg_locks
          WHERE locktype = 'advisory' AND granted AND pid = $1 AND objsubid = 1
            AND ((classid::bigint << 32) | objid::bigint) = ANY($2::bigint[])`,
        [pid, keys.map(String)],
      );
      if (rows[0].n < keys.length)
        markLost(`the server no longer shows it held by the lock session (pid ${pid}) in pg_locks`);
    } catch (error) {
      markLost(`its connection failed: ${(error as Error).message}`);
    } finally {
      inFlightSince = undefined;
    }
  };
  const timer = setInterval(() => void beat(), intervalMs);
  timer.unref();
  return {
    get lost() {
      return lost;
    },
    assertHeld() {
      if (lost !== undefined) throw lockLostError(lost);
    },
    stop() {
      stopped = true;
      clearInterval(timer);
      client.off('error', onError);
      client.off('end', onEnd);
    },
  };
}

/**
 * LOCK_LOST: `reason` says how the lock was lost; the runner adds, in `report`, which migrations
 * it applied and which it did not.
 */
export function lockLostError(
  reason: string,
  report: { text: string; details: Record<string, unknown> } = { text: '', details: {} },
): PgwardenError {
  return new PgwardenError(
    'LOCK_LOST',
    `the migration lock was lost (${reason}); pgwarden stopped before its next statement${report.text}`,
    {
      hint: 'Another run may hold the lock now: check `pgwarden status`, then run again. Find what ends idle sessions (idle_session_timeout, a session reaper, pg_terminate_backend) and exempt pgwarden.',
      details: { reason, ...report.details },
    },
  );
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

export function describeHolders(holders: LockHolder[]): string {
  if (holders.length === 0) return '';
  return `: ${holders
    .map(
      (h) =>
        `pid ${h.pid} (${h.applicationName || 'no application name'}${h.clientAddr ? ` from ${h.clientAddr}` : ''}, connected ${h.backendStart.toISOString()})`,
    )
    .join(', ')}`;
}
