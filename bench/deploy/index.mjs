/**
 * bench/deploy: the cost of putting `pgwarden deploy` in front of the app when nothing is pending
 * (every restart of a container): the time from starting `pgwarden deploy -- true` until the app
 * has run, against the floor of starting Node at all plus one database round trip
 * (`node -e ''` followed by `psql -c 'select 1'`). Interleaved rounds, medians; target ≤ 1.5× the floor.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { findClientTools } from '../../dist/db/client-tools.js';
import { startCluster } from '../../dist/testing/disposable-cluster.js';
import { median } from '../backup/measure.mjs';
import { printTable } from '../backup/report.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(root, 'dist', 'cli', 'main.js');
const ROUNDS = Number(process.env.BENCH_DEPLOY_ROUNDS ?? 15);
const TARGET = 1.5;

function timed(command, args, options) {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { ...options, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  return ms;
}

export async function benchDeploy() {
  const cluster = await startCluster();
  const dir = mkdtempSync(join(tmpdir(), 'pgwarden-bench-deploy-'));
  try {
    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    await admin.query('CREATE DATABASE app');
    await admin.end();
    const url = new URL(cluster.url);
    url.pathname = '/app';
    const databaseUrl = url.toString();
    cpSync(join(root, 'examples', 'quickstart', 'migrations'), join(dir, 'migrations'), { recursive: true });
    const env = { ...process.env, DATABASE_URL: databaseUrl, NO_COLOR: '1' };
    // the migrations are applied first; the measured deploys have nothing to do
    timed(
      process.execPath,
      // the quickstart migrations are the lint demo: the gate would refuse them (deploy is what is measured)
      [cli, 'migrate', '--quiet', '--allow-uncommitted', '--no-lint-gate', 'bench setup'],
      { cwd: dir, env },
    );
    const libpq = new URL(databaseUrl);
    const password = decodeURIComponent(libpq.password);
    libpq.password = '';
    const psqlEnv = { ...process.env, PGPASSWORD: password };
    const { psql } = await findClientTools(15, 'the floor needs psql');

    const floor = [];
    const deploy = [];
    for (let i = 0; i < ROUNDS; i++) {
      floor.push(
        timed(process.execPath, ['-e', ''], { env: process.env }) +
          timed(psql, ['-X', '-q', '-c', 'select 1', libpq.toString()], { env: psqlEnv }),
      );
      deploy.push(timed(process.execPath, [cli, 'deploy', '--quiet', '--', 'true'], { cwd: dir, env }));
    }
    const f = median(floor);
    const d = median(deploy);
    console.log(`bench/deploy: nothing pending, ${ROUNDS} interleaved rounds (median)`);
    printTable(
      ['way', 'median', 'min', 'max', 'vs floor'],
      [
        ["floor: node -e '' + psql -c 'select 1'", f, floor],
        ['pgwarden deploy -- true', d, deploy],
      ].map(([way, m, runs]) => [
        way,
        `${m.toFixed(0)} ms`,
        `${Math.min(...runs).toFixed(0)} ms`,
        `${Math.max(...runs).toFixed(0)} ms`,
        `${(m / f).toFixed(2)}×`,
      ]),
      [0],
    );
    console.log(
      `  pgwarden deploy / floor: ${(d / f).toFixed(2)}× (target ≤ ${TARGET}×) ${d / f <= TARGET ? 'OK' : 'OVER TARGET'}`,
    );
    return [
      { way: 'floor', ms: f },
      { way: 'pgwarden deploy', ms: d, ratio: d / f },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await cluster.stop();
  }
}
