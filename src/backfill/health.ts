/**
 * When a backfill waits before its next batch, each signal one cheap catalog query:
 * - replica lag: the largest `replay_lag` in `pg_stat_replication` over the limit (the columns are
 *   only visible to superusers and pg_monitor; for other roles there is nothing to wait for);
 * - autovacuum behind: the table's dead rows over `margin` times the point where autovacuum starts
 *   on it (`autovacuum_vacuum_threshold + scale_factor × reltuples`, the table's own settings
 *   first); never while autovacuum is off for the table, as waiting would never end.
 * Sessions waiting on the batch's own row locks are counted inside the batch (`blockedSql`).
 */
import type pg from 'pg';

export interface HealthLimits {
  /** Replica replay lag allowed, in ms; undefined: not watched. */
  maxLagMs: number | undefined;
  /** Dead rows allowed, as a multiple of the table's autovacuum trigger; undefined: not watched. */
  vacuumMargin: number | undefined;
}

export interface PauseReason {
  reason: 'replica-lag' | 'autovacuum-behind';
  detail: string;
}

/** Sessions waiting for a lock this session holds: run inside the batch, before COMMIT. */
export const BLOCKED_SQL = `SELECT count(*)::int AS n FROM pg_stat_activity WHERE pg_backend_pid() = ANY (pg_blocking_pids(pid))`;

export async function pauseReason(
  client: pg.Client,
  tableOid: number,
  limits: HealthLimits,
): Promise<PauseReason | undefined> {
  if (limits.maxLagMs !== undefined) {
    const { rows } = await client.query(
      `SELECT application_name, (extract(epoch FROM replay_lag) * 1000)::bigint AS lag_ms
         FROM pg_stat_replication WHERE replay_lag IS NOT NULL ORDER BY replay_lag DESC LIMIT 1`,
    );
    const lag = rows[0] ? Number(rows[0].lag_ms) : 0;
    if (lag > limits.maxLagMs) {
      return {
        reason: 'replica-lag',
        detail: `replica ${JSON.stringify(rows[0].application_name)} replays ${seconds(lag)} behind (limit ${seconds(limits.maxLagMs)})`,
      };
    }
  }
  if (limits.vacuumMargin !== undefined) {
    const { rows } = await client.query(
      `SELECT s.n_dead_tup::float8 AS dead, greatest(c.reltuples, s.n_live_tup, 0)::float8 AS tuples, c.reloptions,
              current_setting('autovacuum')::bool AS autovacuum,
              current_setting('autovacuum_vacuum_threshold')::float8 AS threshold,
              current_setting('autovacuum_vacuum_scale_factor')::float8 AS scale
         FROM pg_class c JOIN pg_stat_all_tables s ON s.relid = c.oid WHERE c.oid = $1`,
      [tableOid],
    );
    const t = rows[0];
    if (t) {
      const options = readReloptions(t.reloptions);
      const enabled = t.autovacuum && options.autovacuum_enabled !== 'false';
      const trigger =
        Number(options.autovacuum_vacuum_threshold ?? t.threshold) +
        Number(options.autovacuum_vacuum_scale_factor ?? t.scale) * t.tuples;
      if (enabled && t.dead > limits.vacuumMargin * trigger) {
        return {
          reason: 'autovacuum-behind',
          detail: `autovacuum is behind on the table: ${Math.round(t.dead)} dead rows, over ${limits.vacuumMargin}× the ${Math.round(trigger)} at which it starts`,
        };
      }
    }
  }
  return undefined;
}

function readReloptions(options: string[] | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const option of options ?? []) {
    const at = option.indexOf('=');
    if (at > 0) out[option.slice(0, at)] = option.slice(at + 1);
  }
  return out;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
