/**
 * Who a traced statement waits for. While a statement runs, a second session polls pg_locks for
 * the tracing backend's ungranted lock and `pg_blocking_pids()`, so when lock_timeout cancels the
 * statement the report can name the relation it waited for and the sessions in its way (pid,
 * application, state, query start; never their query text, which may hold data). When the poll
 * saw nothing (a very short lock timeout), `holdersOf` asks afterwards which sessions hold locks
 * that conflict with the modes the statement needed.
 */
import type pg from 'pg';
import { CONFLICTS, type LockMode } from '../locks/modes.js';
import { displayQualified } from '../sql/quote.js';

export interface Blocker {
  pid: number;
  applicationName: string;
  user: string;
  /** pg_stat_activity.state: `active`, `idle in transaction`, … */
  state: string | null;
  /** ISO time the session's current (or last) query started. */
  queryStart: string | null;
  /** ISO time the session's transaction started. */
  transactionStart: string | null;
  /** The modes it holds on the relation waited for (empty for row-level waits or when unknown). */
  modes: string[];
}

export interface LockWait {
  /** pg_locks.locktype of the awaited lock: `relation`, `transactionid` (a row lock), `tuple`, … */
  locktype: string;
  mode: string;
  /** `schema.name` of the relation waited for, for relation locks (quoted as src/sql/quote.ts's displayQualified). */
  relation?: string;
  blockers: Blocker[];
}

interface ActivityRow {
  pid: number;
  application_name: string | null;
  usename: string | null;
  state: string | null;
  query_start: Date | null;
  xact_start: Date | null;
  modes: string[] | null;
}

function toBlocker(row: ActivityRow): Blocker {
  return {
    pid: row.pid,
    applicationName: row.application_name ?? '',
    user: row.usename ?? '',
    state: row.state,
    queryStart: row.query_start ? row.query_start.toISOString() : null,
    transactionStart: row.xact_start ? row.xact_start.toISOString() : null,
    modes: row.modes ?? [],
  };
}

/** One look at what `pid` waits for, from another session; undefined when it waits for nothing. */
export async function probeLockWait(
  watcher: pg.Client,
  pid: number,
  nameOf: (oid: number) => string | undefined,
): Promise<LockWait | undefined> {
  const { rows } = await watcher.query<{
    locktype: string;
    mode: string;
    oid: string | null;
    relation: [string, string] | null;
    blockers: number[];
  }>(
    `SELECT w.locktype, w.mode, w.relation::int8::text AS oid,
            (SELECT ARRAY[n.nspname::text, c.relname::text] FROM pg_class c
               JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = w.relation) AS relation,
            pg_blocking_pids($1) AS blockers
       FROM pg_locks w
      WHERE w.pid = $1 AND NOT w.granted
      LIMIT 1`,
    [pid],
  );
  const wait = rows[0];
  if (!wait) return undefined;
  const oid = wait.oid === null ? null : Number(wait.oid);
  const relation = wait.relation
    ? displayQualified(...wait.relation)
    : oid === null
      ? undefined
      : nameOf(oid);
  const blockers = wait.blockers.length === 0 ? [] : await activity(watcher, wait.blockers, oid);
  return { locktype: wait.locktype, mode: wait.mode, ...(relation ? { relation } : {}), blockers };
}

async function activity(client: pg.Client, pids: number[], oid: number | null): Promise<Blocker[]> {
  const { rows } = await client.query<ActivityRow>(
    `SELECT a.pid, a.application_name, a.usename::text AS usename, a.state, a.query_start, a.xact_start,
            CASE WHEN $2::int8 IS NULL THEN '{}'::text[]
                 ELSE ARRAY(SELECT l.mode FROM pg_locks l
                             WHERE l.pid = a.pid AND l.granted AND l.locktype = 'relation'
                               AND l.relation::int8 = $2::int8 ORDER BY l.mode) END AS modes
       FROM pg_stat_activity a
      WHERE a.pid = ANY($1::int[])
      ORDER BY a.xact_start NULLS LAST, a.pid`,
    [pids, oid],
  );
  return rows.map(toBlocker);
}

export interface LockWaitWatch {
  /** Stops polling and returns the last wait seen (with blockers), if any. */
  stop(): Promise<LockWait | undefined>;
}

/** Polls `probeLockWait` every `intervalMs` until stopped; the first poll comes after one interval. */
export function watchLockWaits(
  watcher: pg.Client,
  pid: number,
  intervalMs: number,
  nameOf: (oid: number) => string | undefined,
): LockWaitWatch {
  let last: LockWait | undefined;
  let stopped = false;
  let inflight: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const tick = (): void => {
    inflight = probeLockWait(watcher, pid, nameOf)
      .then((wait) => {
        if (wait) last = wait;
      })
      .catch(() => undefined)
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, intervalMs);
      });
  };
  timer = setTimeout(tick, intervalMs);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await inflight;
      return last;
    },
  };
}

/**
 * Sessions other than `excludePid` holding granted locks on `relations` (`schema.name` keys)
 * that conflict with `modes`: the likely blockers of a statement that needed those modes.
 */
export async function holdersOf(
  client: pg.Client,
  relations: readonly string[],
  modes: readonly LockMode[],
  excludePid: number,
): Promise<{ relation: string; blockers: Blocker[] }[]> {
  if (relations.length === 0 || modes.length === 0) return [];
  const conflicting = [...new Set(modes.flatMap((m) => CONFLICTS[m]))];
  const out: { relation: string; blockers: Blocker[] }[] = [];
  for (const relation of relations) {
    const { rows } = await client.query<ActivityRow>(
      `SELECT a.pid, a.application_name, a.usename::text AS usename, a.state, a.query_start, a.xact_start,
              array_agg(l.mode::text ORDER BY l.mode) AS modes
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'relation' AND l.granted AND l.relation = to_regclass($1)
          AND l.mode = ANY($2::text[]) AND l.pid <> $3
        GROUP BY a.pid, a.application_name, a.usename, a.state, a.query_start, a.xact_start
        ORDER BY a.xact_start NULLS LAST, a.pid`,
      [quoteKey(relation), conflicting, excludePid],
    );
    if (rows.length > 0) out.push({ relation: displayRelationKey(relation), blockers: rows.map(toBlocker) });
  }
  return out;
}

/** A `schema.name` key of the lock table and schema model, split at its first dot. */
function splitRelationKey(key: string): string[] {
  const dot = key.indexOf('.');
  return dot < 0 ? [key] : [key.slice(0, dot), key.slice(dot + 1)];
}

/** A `schema.name` key as a regclass name (each part quoted, as a bind value), for to_regclass. */
function quoteKey(key: string): string {
  return splitRelationKey(key)
    .map((s) => `"${s.replace(/"/g, '""')}"`)
    .join('.');
}

/** A `schema.name` key of the lock table and schema model for people, quoted as observed names are. */
export function displayRelationKey(key: string): string {
  return displayQualified(...splitRelationKey(key));
}
