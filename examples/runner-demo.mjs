#!/usr/bin/env node
/**
 * The runner on the quick-start migrations, against a throwaway PostgreSQL: boots a disposable
 * cluster (initdb + pg_ctl from the installed PostgreSQL), applies the first migration and adds
 * 20,000 users, then runs `pgwarden status`, `plan`, `migrate` (refused by the lint gate),
 * `migrate --no-lint-gate "<reason>"` and `status` again, printing what each prints. Run `npm ci`
 * first (it builds dist/).
 *
 *   node examples/runner-demo.mjs
 */
import { pgwardenIn, root, withDemoDatabase } from './demo-support.mjs';

const migrations = 'examples/quickstart/migrations';

await withDemoDatabase('demo', async ({ databaseUrl, sql }) => {
  const pgwarden = pgwardenIn(root, databaseUrl, { extraArgs: ['--dir', migrations] });

  // the app has been running on the first migration for a while
  pgwarden(['migrate', '--target', '001_create_users']);
  await sql(
    `INSERT INTO users (email) SELECT 'user' || g || '@example.org' FROM generate_series(1, 20000) g;
     ANALYZE users`,
  );

  pgwarden(['status']);
  pgwarden(['plan']);
  // the lint gate: errors in the pending migrations stop the run before anything is applied
  const refused = pgwarden(['migrate']);
  // a reviewed exception goes through with a reason, recorded in pgwarden.events
  const { code } = pgwarden(['migrate', '--no-lint-gate', 'demo: 20,000 rows, a brief lock is acceptable']);
  pgwarden(['status']);
  if (refused.code !== 1 || code !== 0) process.exitCode = 1;
});
