/**
 * bench/zero-downtime (issue 11 point 6): unsafe migrations (cases.mjs: the incident — ADD COLUMN
 * with a volatile default and NOT NULL —, a type change that rewrites, a column rename) applied
 * three ways on a big table while an app writes every 20 ms and reads on two connections:
 *
 * 1. naive: `psql -1 -f` of the migration as written;
 * 2. `pgwarden migrate` of the same file: the lint gate must refuse it (exit code and time are
 *    printed), then it is run with `--no-lint-gate "bench"` and measured;
 * 3. `pgwarden fix` on it (plain folder), then `pgwarden migrate` of the files fix wrote (expand →
 *    batched backfill → CHECK NOT VALID → VALIDATE → SET NOT NULL; for the type change a second
 *    `migrate` runs the contract step, the swap), the whole measured.
 *
 * Each way runs on a fresh copy of a template database of the size; one more copy per case times
 * the plain way to fill the new column (added bare, then one UPDATE, no load) to compare the
 * backfill's rows/s with. Prints, per case, size and way, the app's longest query, p99 latency,
 * failed queries and the migration's time, against the targets; and checks that way 3 ends where
 * way 1 does.
 *
 * The users table is created by the project's first migration (000), as in a project with a
 * history: fix lints the files it writes after the existing migrations (and against the live
 * schema, so a table only the database knows works too).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startCluster } from '../../dist/testing/disposable-cluster.js';
import { applyPgwarden, databaseUrl, pgwardenMigrateAvailable } from '../downtime/apply.mjs';
import { now } from '../downtime/load.mjs';
import { windowStats } from '../downtime/stats.mjs';
import { startApp } from './app.mjs';
import { CASES } from './cases.mjs';
import { report } from './report.mjs';
import { populate, writeProject } from './schema.mjs';
import { lastEventId, readEvents, singleUpdate, WAYS } from './ways.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ROWS = (process.env.BENCH_ZD_ROWS ?? '1000000,5000000').split(',').map(Number);
const SELECTED = (process.env.BENCH_ZD_CASES ?? CASES.map((c) => c.name).join(',')).split(',');
const READERS = Number(process.env.BENCH_ZD_READERS ?? 2);
/** Any child (psql, pgwarden) still running after this long is killed. */
const CAP_MS = Number(process.env.BENCH_ZD_CAP_MS ?? 30 * 60_000);
const BASELINE_MS = 1000;
/** How long the app goes on after the migration, within the measured window. */
const TAIL_MS = 1000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export async function benchZeroDowntime() {
  if (!pgwardenMigrateAvailable(root)) {
    console.error('bench/zero-downtime: `pgwarden migrate` is not in dist yet (npm run build): skipped');
    return [];
  }
  const cluster = await startCluster({
    settings: { shared_buffers: '256MB', max_wal_size: '4GB', maintenance_work_mem: '256MB' },
  });
  const dir = mkdtempSync(join(tmpdir(), 'pgwarden-bench-zd-'));
  const admin = new pg.Client({ connectionString: cluster.url });
  try {
    await admin.connect();
    const bench = { cluster, admin, dir };
    const cases = CASES.filter((c) => SELECTED.includes(c.name));
    const results = cases.map((unsafe) => ({ unsafe, sizes: [] }));
    for (const rows of ROWS) {
      const template = `zd_template_${rows}`;
      const populateMs = await createTemplate(bench, template, rows);
      for (const result of results) {
        const { unsafe } = result;
        const single = await withCopy(bench, template, `zd_update_${rows}`, (client) =>
          singleUpdate(client, unsafe),
        );
        const ways = [];
        for (const way of WAYS) ways.push(await scenario(bench, { template, rows, way, unsafe }));
        const reference = ways.find((w) => w.way === 'naive')?.endState;
        for (const w of ways) {
          if (w.way !== 'naive' && w.endState && reference?.exists)
            w.problems.push(
              ...unsafe.endStateDifferences(w.endState, reference).map((d) => `end state: ${d}`),
            );
        }
        result.sizes.push({ rows, populateMs, single, ways });
      }
      await dropDatabase(admin, template);
    }
    for (const result of results) report({ ...result, readers: READERS });
    return results;
  } finally {
    await admin.end().catch(() => undefined);
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function dropDatabase(admin, name) {
  await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(name)} WITH (FORCE)`);
}

/**
 * The size's template: the project's history applied by `pgwarden migrate` (it creates users),
 * then `rows` rows. Resolves to the time it took.
 */
async function createTemplate({ cluster, admin, dir }, template, rows) {
  const start = now();
  await dropDatabase(admin, template);
  await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(template)}`);
  const history = writeProject(join(dir, `history-${rows}`));
  const result = await applyPgwarden({
    root,
    cluster,
    database: template,
    dir: history.dir,
    lockTimeoutMs: 5000,
    retryBudgetMs: 60_000,
  });
  if (result.code !== 0)
    throw new Error(`bench/zero-downtime: migrating the template failed: ${result.stderr || result.stdout}`);
  const client = new pg.Client({ connectionString: databaseUrl(cluster, template, true) });
  await client.connect();
  try {
    await populate(client, rows);
  } finally {
    await client.end();
  }
  return now() - start;
}

/** Runs `use(client)` on a fresh copy of the template, dropped afterwards. */
async function withCopy({ cluster, admin }, template, database, use) {
  await dropDatabase(admin, database);
  // FILE_COPY (PostgreSQL 15+) copies the files after a checkpoint instead of writing them to WAL
  const { rows } = await admin.query(`SELECT current_setting('server_version_num')::int AS v`);
  const strategy = rows[0].v >= 150000 ? ' STRATEGY FILE_COPY' : '';
  await admin.query(
    `CREATE DATABASE ${admin.escapeIdentifier(database)} TEMPLATE ${admin.escapeIdentifier(template)}${strategy}`,
  );
  const client = new pg.Client({ connectionString: databaseUrl(cluster, database, true) });
  await client.connect();
  try {
    return await use(client, database);
  } finally {
    await client.end().catch(() => undefined);
    await dropDatabase(admin, database);
  }
}

/** The longest app query overlapping the window: its role and when it started, from the window's start. */
function worstQuery(records, from, to) {
  let worst;
  for (const r of records) {
    if (r.start > to || r.end < from) continue;
    if (!worst || r.end - r.start > worst.end - worst.start) worst = r;
  }
  return worst && { role: worst.role, atMs: worst.start - from, ms: worst.end - worst.start };
}

/** One way at one size: fresh copy, prepare, app load, gate, the measured migration, figures. */
function scenario(bench, { template, rows, way, unsafe }) {
  const database = `zd_${way.name}_${rows}`;
  return withCopy(bench, template, database, async (client) => {
    const project = writeProject(join(bench.dir, database), unsafe);
    const ctx = { root, cluster: bench.cluster, database, project, unsafe, capMs: CAP_MS };
    const out = { rows, way: way.name, label: way.label, problems: [] };
    try {
      if (way.prepare) {
        out.prepare = await way.prepare(ctx);
        if (!out.prepare.ok) {
          out.problems.push(
            `${way.name}: prepare exited ${out.prepare.code}: ${out.prepare.output.slice(-800)}`,
          );
          return out;
        }
      }
      const since = await lastEventId(client);
      const url = databaseUrl(bench.cluster, database, true);
      const app = await startApp({ url, rows, readers: READERS });
      const loadStart = now();
      await sleep(BASELINE_MS);
      const baselineEnd = now();
      if (way.gate) out.gate = await way.gate(ctx);
      const migrationStart = now();
      const result = await way.migrate(ctx);
      const migrationEnd = now();
      // the app goes on for a moment: what the migration left it with counts too (a rename
      // applied as written breaks it only once the migration is over)
      await sleep(TAIL_MS);
      const records = await app.stop();
      out.migrationMs = migrationEnd - migrationStart;
      out.window = windowStats(records, migrationStart, migrationEnd + TAIL_MS);
      out.worst = worstQuery(records, migrationStart, migrationEnd + TAIL_MS);
      out.baseline = windowStats(records, loadStart, baselineEnd);
      if (process.env.BENCH_VERBOSE)
        console.error(`--- ${unsafe.name} ${way.name} ${rows} output:\n${result.stdout}${result.stderr}`);
      if (result.code !== 0) {
        out.problems.push(
          `${way.name} migration ${result.killed ? `killed after ${CAP_MS} ms` : `exited ${result.code}`}: ${(result.stderr || result.stdout).trim().slice(-800)}`,
        );
        return out;
      }
      const output = `${result.stdout}\n${result.stderr}`;
      out.backfillPauses = output.match(/backfill paused: .*/g) ?? [];
      out.backfillRetries = (output.match(/backfill: .*rolled back.*/g) ?? []).length;
      // what a migration's lock timeouts waited for, as pgwarden says it (pids left out)
      out.inTheWay = [
        ...new Set((output.match(/in the way: .*/g) ?? []).map((l) => l.replace(/pid \d+/g, 'pid N'))),
      ];
      const vacuum = await client.query(
        `SELECT autovacuum_count::int AS vacuums, autoanalyze_count::int AS analyzes
           FROM pg_stat_user_tables WHERE relid = 'users'::regclass`,
      );
      out.autovacuum = vacuum.rows[0];
      out.endState = await unsafe.readEndState(client);
      out.problems.push(...unsafe.endStateProblems(out.endState).map((p) => `end state: ${p}`));
      if (way.name !== 'naive') out.events = await readEvents(client, since);
      return out;
    } finally {
      rmSync(project.dir, { recursive: true, force: true });
    }
  });
}
