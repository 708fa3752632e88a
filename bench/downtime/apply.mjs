/**
 * bench/downtime: applying the migration the two ways, as child processes spawned with argument
 * arrays and the password in PGPASSWORD: `psql --single-transaction -f` (naive) and
 * `pgwarden migrate` on the plain folder.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** A migration that has not finished after this long is killed (the bench caps its own run). */
const MIGRATION_CAP_MS = 120_000;

/**
 * Runs a program, resolves to `{ code, stdout, stderr, killed }`; never rejects on exit codes.
 * It is killed after `capMs` (default: the migration cap).
 */
export function runProgram(command, args, env, capMs = MIGRATION_CAP_MS) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, capMs);
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, killed });
    });
  });
}

/** Environment for the children: no inherited PG* variables, the password in PGPASSWORD. */
export function childEnv(cluster) {
  const env = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('PG') && k !== 'DATABASE_URL') env[k] = v;
  env.PGPASSWORD = cluster.password;
  return env;
}

/** URL of `database` on the cluster without the password (it travels in PGPASSWORD). */
export function databaseUrl(cluster, database, withPassword = false) {
  const auth = withPassword ? `${cluster.user}:${encodeURIComponent(cluster.password)}` : cluster.user;
  return `postgres://${auth}@${cluster.host}:${cluster.port}/${encodeURIComponent(database)}`;
}

/** The naive way: one file in one transaction, stopping at the first error. */
export function applyNaive({ cluster, database, file, capMs }) {
  return runProgram(
    'psql',
    [
      '-X',
      '-q',
      '-v',
      'ON_ERROR_STOP=1',
      '--single-transaction',
      '-h',
      cluster.host,
      '-p',
      String(cluster.port),
      '-U',
      cluster.user,
      '-d',
      database,
      '-f',
      file,
    ],
    childEnv(cluster),
    capMs,
  );
}

/** pgwarden's CLI in this checkout. */
export function pgwardenMain(root) {
  return join(root, 'dist', 'cli', 'main.js');
}

/** True when this checkout's dist has the `migrate` command. */
export function pgwardenMigrateAvailable(root) {
  const result = spawnSync(process.execPath, [pgwardenMain(root), 'migrate', '--help'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return result.status === 0 && /--dir\b/.test(result.stdout.toString());
}

/** The safe way: `pgwarden migrate` on the plain folder (`extraArgs` after the bench's own). */
export function applyPgwarden({
  root,
  cluster,
  database,
  dir,
  lockTimeoutMs,
  retryBudgetMs,
  extraArgs = [],
  capMs,
}) {
  return runProgram(
    process.execPath,
    [
      pgwardenMain(root),
      'migrate',
      '--database-url',
      databaseUrl(cluster, database),
      '--dir',
      dir,
      '--format',
      'plain',
      '--lock-timeout',
      `${lockTimeoutMs}ms`,
      '--retry-budget',
      `${retryBudgetMs}ms`,
      '--allow-uncommitted',
      ...extraArgs,
    ],
    childEnv(cluster),
    capMs,
  );
}
