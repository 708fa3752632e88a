/**
 * bench/backup: on a generated database of at least BENCH_BACKUP_GB (default 1) GB,
 * 1. `pgwarden backup create --no-verify` against raw `pg_dump -Fc`, interleaved, median of
 *    BENCH_BACKUP_ROUNDS (default 3) runs each, then `backup create` with verification once;
 *    prints wall time, file size and the ratio to raw (target: no-verify ≤ 1.05× raw);
 * 2. `pgwarden restore <plain.sql> --preview` against the naive way (whole file in one string,
 *    regex over the COPY blocks) on plain dumps of about 10 %, 35 % and 100 % of the database;
 *    prints wall time and peak memory (target: pgwarden's peak < 100 MB whatever the size) and
 *    checks that the row counts agree with each other and with the database.
 * A failing pgwarden run stops the bench with its message. BENCH_JSON=1 also prints every result
 * as a JSON line.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startCluster } from '../../dist/testing/disposable-cluster.js';
import { generate, TABLES } from './generate.mjs';
import { failureReason, median } from './measure.mjs';
import { mb, printTable, seconds } from './report.mjs';
import {
  databaseUrl,
  naivePreview,
  parseJson,
  pgDump,
  pgwardenCreate,
  pgwardenPreview,
  previewCounts,
  rawDump,
} from './ways.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const GB = Number(process.env.BENCH_BACKUP_GB ?? 1);
const ROUNDS = Math.max(2, Number(process.env.BENCH_BACKUP_ROUNDS ?? 3));
const DATABASE = 'bench_backup';
const CREATE_TARGET = 1.05;
const PREVIEW_MEMORY_TARGET = 100 * 1024 * 1024;

/** The plain dumps the preview reads: growing subsets of the tables (see TABLES' shares). */
const PLAIN_DUMPS = [
  { label: 'customers', tables: ['customers'] },
  { label: 'customers+orders', tables: ['customers', 'orders'] },
  { label: 'whole database', tables: TABLES.map((t) => t.name) },
];

const log = (line) => console.error(line);

export async function benchBackup() {
  const cluster = await startCluster({
    settings: { shared_buffers: '256MB', max_wal_size: '4GB', checkpoint_timeout: '30min' },
  });
  const dir = mkdtempSync(join(tmpdir(), 'pgwarden-bench-backup-'));
  const admin = new pg.Client({ connectionString: cluster.url });
  let db;
  try {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${DATABASE}`);
    db = new pg.Client({ connectionString: databaseUrl(cluster, DATABASE, true) });
    await db.connect();
    log(`bench/backup: generating a database of at least ${GB} GB …`);
    const data = await generate(db, GB * 1024 ** 3, log);
    await db.end();
    db = undefined;
    console.log(
      `bench/backup: database ${mb(data.bytes)} (pg_database_size; plain dump estimated at ${mb(data.plainBytes)}), ` +
        `generated in ${seconds(data.ms)}; ` +
        Object.entries(data.rows)
          .map(([t, n]) => `${t} ${n.toLocaleString('en-US')} rows`)
          .join(', '),
    );
    const create = await benchCreate(cluster, dir);
    const preview = await benchPreview(cluster, dir, data.rows);
    if (process.env.BENCH_JSON) {
      const meta = { bench: 'backup', databaseBytes: data.bytes, generateMs: Math.round(data.ms) };
      for (const r of [...create, ...preview]) console.log(JSON.stringify({ ...meta, ...r }));
    }
    return { database: data, create, preview };
  } finally {
    await db?.end().catch(() => undefined);
    await admin.end().catch(() => undefined);
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Total bytes of the files under `path`. */
function bytesUnder(path) {
  let total = 0;
  for (const entry of readdirSync(path, { withFileTypes: true, recursive: true }))
    if (entry.isFile()) total += statSync(join(entry.parentPath ?? entry.path, entry.name)).size;
  return total;
}

/** One `backup create` run in a fresh backup directory: `{ ms, bytes }` or `{ failed }`. */
async function createOnce(cluster, dir, verify) {
  const backupDir = join(dir, 'backups');
  mkdirSync(backupDir, { mode: 0o700 });
  try {
    const result = await pgwardenCreate(root, cluster, DATABASE, backupDir, verify);
    if (result.code !== 0) {
      throw new Error(
        `pgwarden backup create${verify ? '' : ' --no-verify'} failed: ${failureReason(result)}`,
      );
    }
    const size = Number(parseJson(result.stdout)?.backup?.size);
    return { ms: result.ms, bytes: Number.isFinite(size) && size > 0 ? size : bytesUnder(backupDir) };
  } finally {
    rmSync(backupDir, { recursive: true, force: true });
  }
}

async function benchCreate(cluster, dir) {
  const raw = [];
  const noVerify = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const file = join(dir, 'raw.dump');
    const result = await rawDump(cluster, DATABASE, file);
    if (result.code !== 0) throw new Error(`pg_dump -Fc failed: ${failureReason(result)}`);
    raw.push({ ms: result.ms, bytes: statSync(file).size });
    rmSync(file, { force: true });
    log(`  round ${round}: raw pg_dump -Fc ${seconds(result.ms)}`);
    const run = await createOnce(cluster, dir, false);
    noVerify.push(run);
    log(`  round ${round}: pgwarden backup create --no-verify ${seconds(run.ms)}`);
  }
  const verified = await createOnce(cluster, dir, true);
  log(`  pgwarden backup create (verify) ${seconds(verified.ms)}`);

  const rawMs = median(raw.map((r) => r.ms));
  const rawBest = Math.min(...raw.map((r) => r.ms));
  const results = [
    { section: 'create', way: 'raw pg_dump -Fc', runs: raw },
    { section: 'create', way: 'pgwarden backup create --no-verify', runs: noVerify },
    { section: 'create', way: 'pgwarden backup create (verify)', runs: [verified] },
  ].map((r) => {
    const ms = median(r.runs.map((x) => x.ms));
    return {
      section: r.section,
      way: r.way,
      ms: Math.round(ms),
      runsMs: r.runs.map((x) => Math.round(x.ms)),
      bytes: r.runs[r.runs.length - 1].bytes,
      ratio: ms / rawMs,
      bestRatio: Math.min(...r.runs.map((x) => x.ms)) / rawBest,
    };
  });

  console.log(`bench/backup create: ${ROUNDS} interleaved rounds (median), then one verified backup`);
  printTable(
    ['way', 'wall', 'runs', 'file size', 'vs raw', 'best vs best'],
    results.map((r) => [
      r.way,
      seconds(r.ms),
      r.runsMs.map((ms) => (ms / 1000).toFixed(2)).join(' / '),
      mb(r.bytes),
      `${r.ratio.toFixed(2)}×`,
      `${r.bestRatio.toFixed(2)}×`,
    ]),
    [0, 2],
  );
  const candidate = results[1];
  console.log(
    `  pgwarden --no-verify / raw: ${candidate.ratio.toFixed(3)}× median, ${candidate.bestRatio.toFixed(3)}× best ` +
      `(target ≤ ${CREATE_TARGET.toFixed(2)}×) ${candidate.ratio <= CREATE_TARGET ? 'OK' : 'OVER TARGET'}` +
      ' (on a busy machine the runs spread; the best runs are the least disturbed)',
  );
  return results;
}

/** Expected counts of the tables in one plain dump, by `schema.table`. */
function expectedCounts(rows, tables) {
  return Object.fromEntries(tables.map((t) => [`public.${t}`, rows[`public.${t}`]]));
}

/** Differences between two count maps, as "table: <a> n, <b> m" strings. */
function countDifferences([aName, a], [bName, b]) {
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  const problems = [];
  for (const name of [...names].sort())
    if (a[name] !== b[name])
      problems.push(`${name}: ${aName} ${a[name] ?? 'none'}, ${bName} ${b[name] ?? 'none'}`);
  return problems;
}

async function benchPreview(cluster, dir, rows) {
  const results = [];
  for (const spec of PLAIN_DUMPS) {
    const file = join(dir, 'plain.sql');
    const tableArgs =
      spec.tables.length === TABLES.length ? [] : spec.tables.flatMap((t) => ['-t', `public.${t}`]);
    const dump = await pgDump(cluster, DATABASE, ['-Fp', '-f', file, ...tableArgs]);
    if (dump.code !== 0) throw new Error(`pg_dump -Fp failed: ${failureReason(dump)}`);
    const bytes = statSync(file).size;
    const expected = expectedCounts(rows, spec.tables);
    log(`  plain dump (${spec.label}): ${mb(bytes)} in ${seconds(dump.ms)}`);
    try {
      const row = (way, result, counts, extra = {}) => ({
        section: 'preview',
        dump: spec.label,
        bytes,
        way,
        ms: Math.round(result.ms),
        peakBytes: result.peakBytes,
        ...extra,
        counts,
      });
      const result = await pgwardenPreview(root, cluster, DATABASE, file);
      if (result.code !== 0) throw new Error(`pgwarden restore --preview failed: ${failureReason(result)}`);
      const pgwardenCounts = previewCounts(parseJson(result.stdout));
      // the preview lists live tables too: one absent from this dump shows no rows in the backup
      if (pgwardenCounts)
        for (const [name, n] of Object.entries(pgwardenCounts))
          if (n === 0 && !(name in expected)) delete pgwardenCounts[name];
      const mismatches = pgwardenCounts
        ? countDifferences(['database', expected], ['pgwarden', pgwardenCounts])
        : [];
      results.push(row('pgwarden', result, pgwardenCounts, { mismatches, unchecked: !pgwardenCounts }));
      const naive = await naivePreview(root, file);
      if (naive.code !== 0) {
        results.push(row('naive', naive, undefined, { failed: failureReason(naive) }));
      } else {
        const counts = parseJson(naive.stdout)?.counts ?? {};
        const mismatches = countDifferences(['database', expected], ['naive', counts]);
        if (pgwardenCounts)
          mismatches.push(...countDifferences(['pgwarden', pgwardenCounts], ['naive', counts]));
        results.push(row('naive', naive, counts, { mismatches }));
      }
    } finally {
      rmSync(file, { force: true });
    }
  }

  console.log('bench/backup preview: plain dumps of growing size; peak RSS polled from /proc every 50 ms');
  printTable(
    ['plain dump', 'size', 'way', 'wall', 'peak RSS', 'result'],
    results.map((r) => [
      r.dump,
      mb(r.bytes),
      r.way,
      seconds(r.ms),
      r.peakBytes == null ? '—' : mb(r.peakBytes),
      previewResult(r),
    ]),
    [0, 2, 5],
  );
  for (const r of results)
    for (const m of r.mismatches ?? []) console.log(`  !!! COUNT MISMATCH (${r.way}, ${r.dump}): ${m}`);
  const measured = results.filter((r) => r.way === 'pgwarden' && r.peakBytes != null && !r.failed);
  if (measured.length) {
    const worst = Math.max(...measured.map((r) => r.peakBytes));
    const smallest = measured[0];
    const largest = measured[measured.length - 1];
    console.log(
      `  pgwarden preview peak: ${mb(worst)} at most (target < ${mb(PREVIEW_MEMORY_TARGET)}) ` +
        `${worst < PREVIEW_MEMORY_TARGET ? 'OK' : 'OVER TARGET'}; ` +
        `${mb(smallest.peakBytes)} on ${mb(smallest.bytes)} → ${mb(largest.peakBytes)} on ${mb(largest.bytes)}`,
    );
  }
  return results.map(({ counts, ...r }) => ({ ...r, counts }));
}

function previewResult(r) {
  if (r.failed) return `failed: ${r.failed}`;
  const total = Object.values(r.counts ?? {}).reduce((a, b) => a + b, 0);
  const counted = r.counts
    ? `${Object.keys(r.counts).length} table${Object.keys(r.counts).length === 1 ? '' : 's'}, ${total.toLocaleString('en-US')} rows`
    : 'counts not in JSON';
  if (r.mismatches?.length) return `MISMATCH (${r.mismatches.length}); ${counted}`;
  return `ok: ${counted}${r.unchecked ? ' (unchecked)' : ''}`;
}
