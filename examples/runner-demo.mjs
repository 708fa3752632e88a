#!/usr/bin/env node
/**
 * The runner on the quick-start migrations, against a throwaway PostgreSQL: boots a disposable
 * cluster (initdb + pg_ctl from the installed PostgreSQL), applies the first migration and adds a
 * few thousand users, then runs `pgwarden status`, `plan`, `migrate` and `status` again, printing
 * what each prints. Run `npm ci` first (it builds dist/).
 *
 *   node examples/runner-demo.mjs
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startCluster } from '../dist/testing/disposable-cluster.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'cli', 'main.js');
const migrations = 'examples/quickstart/migrations';

const cluster = await startCluster();
try {
  const admin = new pg.Client({ connectionString: cluster.url });
  await admin.connect();
  await admin.query('CREATE DATABASE demo');
  await admin.end();
  const url = new URL(cluster.url);
  url.pathname = '/demo';
  const databaseUrl = url.toString();
  const pgwarden = (args) => {
    console.log(`\n$ pgwarden ${args.join(' ')}`);
    const result = spawnSync(process.execPath, [cli, ...args, '--dir', migrations], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: databaseUrl, NO_COLOR: '1' },
      encoding: 'utf8',
    });
    process.stdout.write(result.stderr + result.stdout);
    return result.status;
  };

  // the app has been running on the first migration for a while
  pgwarden(['migrate', '--target', '001_create_users']);
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  await db.query(
    `INSERT INTO users (email) SELECT 'user' || g || '@example.org' FROM generate_series(1, 5000) g`,
  );
  await db.query('ANALYZE users');
  await db.end();

  pgwarden(['status']);
  pgwarden(['plan']);
  const code = pgwarden(['migrate']);
  pgwarden(['status']);
  if (code !== 0) process.exitCode = 1;
} finally {
  await cluster.stop();
}
