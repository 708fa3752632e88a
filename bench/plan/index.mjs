/**
 * bench/plan: `pgwarden plan` on a folder of 163 migrations against what it has to do at least —
 * a no-op `migrate` (read the folder and the history, nothing pending) plus the lint of the
 * pending files (after the history is replayed). Two databases: one with every migration applied
 * (the no-op migrate), one with the last 13 pending (plan, and lint of those 13). Interleaved
 * rounds, medians; target: plan ≤ migrate no-op + lint.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startCluster } from '../../dist/testing/disposable-cluster.js';
import { median } from '../backup/measure.mjs';
import { printTable } from '../backup/report.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(root, 'dist', 'cli', 'main.js');
const ROUNDS = Number(process.env.BENCH_PLAN_ROUNDS ?? 7);
const PENDING = 13;

/** 163 plain migrations: 40 tables, each created, extended, indexed and given a trigger; 3 late changes. */
function writeFolder(dir) {
  mkdirSync(dir, { recursive: true });
  let n = 0;
  const add = (name, sql) => {
    n++;
    writeFileSync(join(dir, `${String(n).padStart(4, '0')}_${name}.sql`), `${sql}\n`);
  };
  for (let i = 0; i < 40; i++) {
    const t = `t${i}`;
    add(
      `create_${t}`,
      `CREATE TABLE ${t} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());`,
    );
    add(`add_${t}_note`, `ALTER TABLE ${t} ADD COLUMN note text;`);
    add(`index_${t}`, `CREATE INDEX CONCURRENTLY ${t}_name_idx ON ${t} (name);`);
    add(
      `touch_${t}`,
      `CREATE FUNCTION ${t}_touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.created_at := now(); RETURN NEW; END $$;\nCREATE TRIGGER ${t}_touch BEFORE UPDATE ON ${t} FOR EACH ROW EXECUTE FUNCTION ${t}_touch();`,
    );
  }
  for (let i = 0; i < 3; i++) add(`late_${i}`, `ALTER TABLE t${i} ADD COLUMN extra${i} int;`);
  return readdirSync(dir).sort();
}

function timed(args, cwd, env) {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [cli, ...args], { cwd, env, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0 && result.status !== 1)
    throw new Error(`pgwarden ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  return ms;
}

export async function benchPlan() {
  const cluster = await startCluster();
  const dir = mkdtempSync(join(tmpdir(), 'pgwarden-bench-plan-'));
  try {
    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    await admin.query('CREATE DATABASE applied');
    await admin.query('CREATE DATABASE pending');
    await admin.end();
    const urlOf = (name) => {
      const url = new URL(cluster.url);
      url.pathname = `/${name}`;
      return url.toString();
    };
    const files = writeFolder(join(dir, 'migrations'));
    const envOf = (name) => ({ ...process.env, DATABASE_URL: urlOf(name), NO_COLOR: '1' });
    const setup = ['migrate', '--quiet', '--allow-uncommitted', '--no-lint-gate', 'bench setup'];
    timed(setup, dir, envOf('applied'));
    const lastApplied = files[files.length - PENDING - 1].replace(/\.sql$/, '');
    timed([...setup, '--target', lastApplied], dir, envOf('pending'));
    const pendingFiles = files.slice(-PENDING).map((f) => join('migrations', f));

    const runs = { plan: [], noop: [], lint: [] };
    for (let i = 0; i < ROUNDS; i++) {
      runs.plan.push(timed(['plan'], dir, envOf('pending')));
      runs.noop.push(timed(['migrate', '--quiet', '--allow-uncommitted'], dir, envOf('applied')));
      runs.lint.push(timed(['lint', '--offline', ...pendingFiles], dir, envOf('pending')));
    }
    const [plan, noop, lint] = [runs.plan, runs.noop, runs.lint].map(median);
    console.log(
      `bench/plan: ${files.length} migrations, ${PENDING} pending, ${ROUNDS} interleaved rounds (median)`,
    );
    printTable(
      ['way', 'median', 'min', 'max'],
      [
        ['pgwarden plan', plan, runs.plan],
        ['pgwarden migrate (nothing pending)', noop, runs.noop],
        [`pgwarden lint of the ${PENDING} pending files`, lint, runs.lint],
      ].map(([way, m, all]) => [
        way,
        `${m.toFixed(0)} ms`,
        `${Math.min(...all).toFixed(0)} ms`,
        `${Math.max(...all).toFixed(0)} ms`,
      ]),
      [0],
    );
    const ratio = plan / (noop + lint);
    console.log(
      `  plan / (migrate no-op + lint): ${ratio.toFixed(2)}× (target ≤ 1×) ${ratio <= 1 ? 'OK' : 'OVER TARGET'}`,
    );
    return { planMs: plan, noopMs: noop, lintMs: lint, ratio };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await cluster.stop();
  }
}
