/**
 * `long-transactions`: sessions of this database with a transaction open for more than 5 minutes,
 * or idle in a transaction for more than 1 minute. Their locks make migrations wait (and the app
 * queue behind the migration); they also hold back vacuum. Query text is cut at 80 characters.
 * Locked relations are read as raw names and quoted by src/sql/quote.ts; the user and application
 * names and the query have their control characters made visible.
 */
import { displayQualified, escapeControls } from '../../sql/quote.js';
import type { CheckOutcome, DoctorCheck, DoctorContext } from '../types.js';
import { capped } from './migrations.js';

export const LONG_TRANSACTION_MINUTES = 5;
export const IDLE_IN_TRANSACTION_MINUTES = 1;

interface SessionRow {
  pid: number;
  usename: string | null;
  application_name: string;
  state: string | null;
  xact_seconds: number;
  idle_seconds: number | null;
  query_start: Date | null;
  query: string;
  /** [schema, name] of each relation it holds a lock on */
  relations: Array<[string, string]>;
}

export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

function describe(r: SessionRow): string {
  const idle = r.state?.startsWith('idle in transaction')
    ? `idle in transaction for ${duration(r.idle_seconds ?? 0)}, `
    : '';
  const relations = r.relations.map(([schema, name]) => displayQualified(schema, name));
  const locks = relations.length ? `; holds locks on ${relations.join(', ')}` : '';
  return escapeControls(
    `pid ${r.pid} user ${r.usename ?? '?'} application "${r.application_name}": ${idle}transaction open ${duration(r.xact_seconds)}${locks}; query started ${r.query_start?.toISOString() ?? '?'}: ${r.query}`,
  );
}

export const longTransactionsCheck: DoctorCheck = {
  id: 'long-transactions',
  title: 'Long-running and idle-in-transaction sessions',
  level: 'warn',
  needsDatabase: true,
  async run(ctx: DoctorContext): Promise<CheckOutcome> {
    const client = ctx.client!;
    // ages by the server's clock (no skew with the sessions' timestamps), moved by how far the
    // doctor's `now` is from this machine's clock (0 unless a caller asked for another moment)
    const shift = (ctx.now.getTime() - Date.now()) / 1000;
    const { rows } = await client.query<SessionRow>(
      `WITH at AS (SELECT now() + make_interval(secs => $1) AS now)
       SELECT a.pid, a.usename::text AS usename, a.application_name, a.state,
              extract(epoch FROM at.now - a.xact_start)::float8 AS xact_seconds,
              extract(epoch FROM at.now - a.state_change)::float8 AS idle_seconds,
              a.query_start,
              left(regexp_replace(coalesce(a.query, ''), '\\s+', ' ', 'g'), 80) AS query,
              (SELECT coalesce(jsonb_agg(jsonb_build_array(r.nspname, r.relname) ORDER BY r.nspname, r.relname), '[]')
                 FROM (SELECT DISTINCT n.nspname, c.relname
                         FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
                         JOIN pg_namespace n ON n.oid = c.relnamespace
                        WHERE l.pid = a.pid AND l.locktype = 'relation' AND l.granted
                          AND n.nspname NOT IN ('pg_catalog', 'information_schema')
                          AND n.nspname NOT LIKE 'pg\\_toast%') r) AS relations
         FROM pg_stat_activity a, at
        WHERE a.pid <> pg_backend_pid() AND a.datname = current_database()
          AND a.backend_type = 'client backend' AND a.xact_start IS NOT NULL
          AND (a.xact_start < at.now - make_interval(mins => $2)
               OR (a.state LIKE 'idle in transaction%' AND a.state_change < at.now - make_interval(mins => $3)))
        ORDER BY a.xact_start`,
      [shift, LONG_TRANSACTION_MINUTES, IDLE_IN_TRANSACTION_MINUTES],
    );
    // without pg_read_all_stats, other roles' sessions show no transaction start: say so
    const seesAll = (
      await client.query<{ sees_all: boolean }>(
        `SELECT rolsuper OR pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') AS sees_all
           FROM pg_roles WHERE rolname = current_user`,
      )
    ).rows[0]?.sees_all;
    const evidence = seesAll
      ? []
      : ["this role cannot see other roles' sessions (grant it pg_read_all_stats to include them)"];
    const limits = `over ${LONG_TRANSACTION_MINUTES} min in a transaction, or over ${IDLE_IN_TRANSACTION_MINUTES} min idle in one`;
    if (rows.length === 0) return { status: 'pass', summary: `no session ${limits}`, evidence };
    const pids = rows.map((r) => r.pid);
    return {
      status: 'fail',
      summary: `${rows.length} session(s) ${limits}`,
      evidence: [...evidence, ...capped(rows.map(describe))],
      fix: `Find out why they stay open (an app that does not commit, a stuck job); end one with SELECT pg_terminate_backend(${pids[0]}); and set idle_in_transaction_session_timeout so the server ends such sessions. Migrations that need their tables wait for them (and are retried).`,
    };
  },
};
