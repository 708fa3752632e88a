/**
 * bench/downtime: how long the app stalls while a migration waits behind a long-running reader.
 * For each table size, the same migration is applied the naive way (`psql --single-transaction`)
 * and with `pgwarden migrate`, under app load (1 writer, 2 readers) and with a blocker session
 * holding ACCESS SHARE on the table for several seconds. Prints, side by side, the app's longest
 * query (stall) and p99 latency during the migration, failed app queries and the migration's time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startCluster } from '../../dist/testing/disposable-cluster.js';
import { applyNaive, applyPgwarden, databaseUrl, pgwardenMigrateAvailable } from './apply.mjs';
import { now, startBlocker, startLoad } from './load.mjs';
import { ACCOUNTS, endStateProblems, populate, writeMigrations } from './schema.mjs';
import { windowStats } from './stats.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ROWS = (process.env.BENCH_DOWNTIME_ROWS ?? '100000,1000000').split(',').map(Number);
const HOLD_MS = Number(process.env.BENCH_DOWNTIME_HOLD_MS ?? 5000);
const READERS = Number(process.env.BENCH_DOWNTIME_READERS ?? 2);
const BASELINE_MS = 1000;
const MIGRATION_DELAY_MS = 200;
const LOCK_TIMEOUT_MS = 500;
const RETRY_BUDGET_MS = 60_000;
/** The target for pgwarden's worst app stall at the largest size. */
const STALL_TARGET_MS = 600;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export async function benchDowntime() {
  const cluster = await startCluster({
    settings: { shared_buffers: '256MB', max_wal_size: '2GB', maintenance_work_mem: '256MB' },
  });
  const dir = mkdtempSync(join(tmpdir(), 'pgwarden-bench-downtime-'));
  const admin = new pg.Client({ connectionString: cluster.url });
  try {
    await admin.connect();
    const files = writeMigrations(dir);
    const ways = ['naive'];
    if (pgwardenMigrateAvailable(root)) ways.push('pgwarden');
    else console.error('bench/downtime: `pgwarden migrate` is not in dist yet (npm run build): naive only');
    const results = [];
    for (const rows of ROWS) {
      for (const way of ways) results.push(await scenario({ cluster, admin, files, rows, way }));
    }
    report(results);
    return results;
  } finally {
    await admin.end().catch(() => undefined);
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One run: fresh database, load, blocker, migration, figures. */
async function scenario({ cluster, admin, files, rows, way }) {
  const database = `bench_${way}_${rows}`;
  const quoted = admin.escapeIdentifier(database);
  await admin.query(`DROP DATABASE IF EXISTS ${quoted} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${quoted}`);
  const url = databaseUrl(cluster, database, true);
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    const populateStart = now();
    await populate(db, rows);
    const populateMs = now() - populateStart;

    const load = await startLoad({ url, rows, accounts: ACCOUNTS, readers: READERS });
    const loadStart = now();
    await sleep(BASELINE_MS);
    const blocker = await startBlocker({ url, holdMs: HOLD_MS });
    await sleep(MIGRATION_DELAY_MS);
    const migrationStart = now();
    const result =
      way === 'naive'
        ? await applyNaive({ cluster, database, file: files.naiveFile })
        : await applyPgwarden({
            root,
            cluster,
            database,
            dir: files.migrationsDir,
            lockTimeoutMs: LOCK_TIMEOUT_MS,
            retryBudgetMs: RETRY_BUDGET_MS,
          });
    const migrationEnd = now();
    const blockerEnd = await blocker.done;
    const records = await load.stop();

    const problems =
      result.code === 0
        ? await endStateProblems(db)
        : [
            `${way} migration ${result.killed ? 'killed after the cap' : `exited ${result.code}`}: ${(result.stderr || result.stdout).trim().slice(-800)}`,
          ];
    if (process.env.BENCH_VERBOSE)
      console.error(`--- ${way} ${rows} output:\n${result.stdout}${result.stderr}`);
    return {
      rows,
      way,
      populateMs,
      migrationMs: migrationEnd - migrationStart,
      blockerLeftMs: Math.max(0, blockerEnd - migrationStart),
      window: windowStats(records, migrationStart, migrationEnd),
      baseline: windowStats(records, loadStart, blocker.heldFrom),
      problems,
    };
  } finally {
    await db.end().catch(() => undefined);
    await admin.query(`DROP DATABASE IF EXISTS ${quoted} WITH (FORCE)`);
  }
}

const ms = (value) => `${Math.round(value).toLocaleString('en-US')} ms`;

function report(results) {
  console.log(
    `bench/downtime: blocker holds ACCESS SHARE for ${ms(HOLD_MS)}, migration starts ${MIGRATION_DELAY_MS} ms after it; ` +
      `app = 1 writer + ${READERS} reader(s); pgwarden lock_timeout ${ms(LOCK_TIMEOUT_MS)}`,
  );
  const header = [
    'rows',
    'way',
    'migration',
    'max stall',
    'p99',
    'failed',
    '>100 ms',
    'queries',
    'end state',
  ];
  const lines = results.map((r) => [
    r.rows.toLocaleString('en-US'),
    r.way,
    ms(r.migrationMs),
    ms(r.window.maxStallMs),
    ms(r.window.p99Ms),
    String(r.window.failed),
    String(r.window.over100ms),
    String(r.window.queries),
    r.problems.length ? 'WRONG' : 'ok',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const format = (cells) =>
    `  ${cells.map((c, i) => (i < 2 || i === cells.length - 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')}`.trimEnd();
  console.log(format(header));
  for (const line of lines) console.log(format(line));
  console.log(
    '  (during the migration window; "max stall" = the longest single app query; the blocker still held its lock for ' +
      results.map((r) => `${ms(r.blockerLeftMs)} [${r.way} ${r.rows.toLocaleString('en-US')}]`).join(', ') +
      ' after the migration started)',
  );
  const baselineMax = Math.max(...results.map((r) => r.baseline.maxStallMs));
  console.log(`  baseline before the blocker: worst app query ${ms(baselineMax)} over all runs`);
  for (const r of results) {
    for (const problem of r.problems) console.log(`  ${r.way} ${r.rows}: ${problem}`);
    if (r.window.firstError)
      console.log(`  ${r.way} ${r.rows}: first failed app query: ${r.window.firstError}`);
  }
  const safe = results.filter((r) => r.way === 'pgwarden' && r.problems.length === 0);
  if (safe.length) {
    const largest = safe.reduce((a, b) => (b.rows > a.rows ? b : a));
    const smallest = safe.reduce((a, b) => (b.rows < a.rows ? b : a));
    const ok = largest.window.maxStallMs <= STALL_TARGET_MS;
    console.log(
      `  pgwarden max stall at ${largest.rows.toLocaleString('en-US')} rows: ${ms(largest.window.maxStallMs)} ` +
        `(target ≤ ${ms(STALL_TARGET_MS)}) ${ok ? 'OK' : 'OVER TARGET'}` +
        (largest !== smallest
          ? `; at ${smallest.rows.toLocaleString('en-US')} rows: ${ms(smallest.window.maxStallMs)}`
          : ''),
    );
  }
}
