/**
 * Sessions that would make DDL wait (and the app queue behind it): sessions holding locks on the
 * tables a migration touches, sessions idle in a transaction, and long transactions (a report
 * query, a pg_dump). Reported before the first DDL so the operator knows why a retry happens.
 */

import type pg from 'pg';
import { displayQualified, escapeControls } from '../sql/quote.js';

export interface SessionWarning {
  pid: number;
  reason: 'holds-locks' | 'idle-in-transaction' | 'long-transaction';
  applicationName: string;
  user: string;
  state: string | null;
  /** Seconds since the session's transaction started. */
  transactionSeconds: number | null;
  /** Milliseconds since its transaction started, by the server's clock. */
  transactionAgeMs: number | null;
  /** The tables it holds locks on (among those the migrations touch). */
  relations: string[];
  /** The start of its current or last query. */
  query: string;
}

export async function sessionWarnings(
  client: pg.Client,
  relations: readonly string[],
  options: { excludePids: number[]; longTransactionSeconds?: number },
): Promise<SessionWarning[]> {
  const { rows } = await client.query(
    `WITH targets AS (
       SELECT to_regclass(r) AS oid FROM unnest($1::text[]) AS r
     ), held AS (
       SELECT l.pid, array_agg(DISTINCT ARRAY[n.nspname::text, c.relname::text]) AS relations
         FROM pg_locks l JOIN targets t ON t.oid = l.relation
         JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE l.locktype = 'relation' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        GROUP BY l.pid
     )
     SELECT a.pid, a.application_name, a.usename::text AS usename, a.state,
            extract(epoch FROM now() - a.xact_start)::float8 AS xact_seconds,
            left(regexp_replace(coalesce(a.query, ''), '\\s+', ' ', 'g'), 120) AS query,
            coalesce(h.relations, '{}') AS relations
       FROM pg_stat_activity a LEFT JOIN held h ON h.pid = a.pid
      WHERE a.pid <> pg_backend_pid() AND NOT (a.pid = ANY($2::int[]))
        AND a.datname = current_database() AND a.backend_type = 'client backend'
        AND (h.pid IS NOT NULL OR a.state LIKE 'idle in transaction%'
             OR (a.xact_start IS NOT NULL AND a.xact_start < now() - make_interval(secs => $3)))
      ORDER BY a.xact_start NULLS LAST`,
    [relations, options.excludePids, options.longTransactionSeconds ?? 60],
  );
  return rows.map((r) => ({
    pid: r.pid,
    reason:
      r.relations.length > 0
        ? 'holds-locks'
        : String(r.state).startsWith('idle in transaction')
          ? 'idle-in-transaction'
          : 'long-transaction',
    applicationName: r.application_name,
    user: r.usename,
    state: r.state,
    transactionSeconds: r.xact_seconds === null ? null : Math.round(r.xact_seconds),
    transactionAgeMs: r.xact_seconds === null ? null : r.xact_seconds * 1000,
    relations: (r.relations as string[][]).map(([schema, name]) => displayQualified(schema!, name!)),
    query: r.query,
  }));
}

export function describeSession(s: SessionWarning): string {
  const what =
    s.reason === 'holds-locks'
      ? `holds locks on ${s.relations.join(', ')}`
      : s.reason === 'idle-in-transaction'
        ? 'is idle in a transaction'
        : 'has a long transaction';
  const age = s.transactionSeconds === null ? '' : ` (transaction open ${s.transactionSeconds} s)`;
  return escapeControls(
    `pid ${s.pid} ${s.applicationName ? `[${s.applicationName}] ` : ''}${what}${age}: ${s.query}`,
  );
}
