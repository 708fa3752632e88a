/**
 * What the walkthrough scripts share: a throwaway PostgreSQL with one database, and a way to run
 * the built pgwarden CLI in a directory against it, printing what it prints as a reader would see.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startCluster } from '../dist/testing/disposable-cluster.js';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'cli', 'main.js');

/**
 * Boots a disposable cluster with database `name`, runs `work({ databaseUrl, sql })`, and stops
 * the cluster whatever happens. `sql(text)` runs text on the database in a fresh connection.
 */
export async function withDemoDatabase(name, work) {
  const cluster = await startCluster();
  try {
    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(cluster.url);
    url.pathname = `/${name}`;
    const databaseUrl = url.toString();
    const sql = async (text) => {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        return await client.query(text);
      } finally {
        await client.end();
      }
    };
    return await work({ databaseUrl, sql });
  } finally {
    await cluster.stop();
  }
}

/**
 * `pgwarden(args)` runs the CLI in `cwd` with DATABASE_URL set, echoing `$ pgwarden …` and its
 * output (stderr first: progress, then the result); returns the exit code and stdout.
 */
export function pgwardenIn(cwd, databaseUrl, { extraArgs = [], showExit = false } = {}) {
  return (args) => {
    // an argument with spaces is shown quoted, as it would be typed
    console.log(`\n$ pgwarden ${args.map((a) => (/[\s"']/.test(a) ? JSON.stringify(a) : a)).join(' ')}`);
    const result = spawnSync(process.execPath, [cli, ...args, ...extraArgs], {
      cwd,
      env: { ...process.env, DATABASE_URL: databaseUrl, NO_COLOR: '1' },
      encoding: 'utf8',
    });
    process.stdout.write(result.stderr + result.stdout);
    if (showExit) console.log(`(exit ${result.status})`);
    return { code: result.status, stdout: result.stdout };
  };
}
