/**
 * bench/downtime: figures over the app's query records for a time window — the longest single
 * query (the stall), p99 latency, failed queries and how many queries ran.
 */

/** Nearest-rank percentile of `values` (unsorted), `p` in 0..100. */
export function percentile(values, p) {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

/**
 * Figures for the queries that overlap `[from, to]` (started before its end and finished after
 * its start), so a query that was already waiting when the migration started counts too.
 */
export function windowStats(records, from, to) {
  const inWindow = records.filter((r) => r.start <= to && r.end >= from);
  const latencies = inWindow.map((r) => r.end - r.start);
  const failed = inWindow.filter((r) => !r.ok);
  return {
    queries: inWindow.length,
    maxStallMs: latencies.length ? Math.max(...latencies) : 0,
    p99Ms: percentile(latencies, 99),
    failed: failed.length,
    firstError: failed[0]?.error,
    over100ms: latencies.filter((ms) => ms > 100).length,
  };
}
