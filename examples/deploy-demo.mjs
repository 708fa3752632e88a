#!/usr/bin/env node
/**
 * The deploy walkthrough against a throwaway PostgreSQL: boots a disposable cluster, makes a small
 * git project with two dbmate migrations, then runs `pgwarden init`, `doctor`, and `deploy -- <app>`;
 * then someone "hotfixes" production by hand (a column, a test row), and `doctor`, `drift` and the
 * next `deploy` (a restart) show it. Prints what each command prints. Run `npm ci` first (it
 * builds dist/).
 *
 *   node examples/deploy-demo.mjs
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pgwardenIn, withDemoDatabase } from './demo-support.mjs';

const work = mkdtempSync(join(tmpdir(), 'pgwarden-deploy-demo-'));

const MIGRATIONS = {
  '20260101000000_users.sql': `-- migrate:up
CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL, name text NOT NULL);
-- migrate:down
DROP TABLE users;
`,
  '20260102000000_users_email_idx.sql': `-- migrate:up transaction:false
CREATE UNIQUE INDEX CONCURRENTLY users_email_idx ON users (email);
-- migrate:down
DROP INDEX users_email_idx;
`,
};

try {
  await withDemoDatabase('shop', async ({ databaseUrl, sql }) => {
    const pgwarden = pgwardenIn(work, databaseUrl, { showExit: true });
    const git = (...args) =>
      execFileSync('git', ['-c', 'user.name=demo', '-c', 'user.email=demo@localhost', ...args], {
        cwd: work,
        stdio: 'ignore',
      });

    // the project: dbmate migrations, a server, committed
    mkdirSync(join(work, 'db', 'migrations'), { recursive: true });
    for (const [name, text] of Object.entries(MIGRATIONS))
      writeFileSync(join(work, 'db', 'migrations', name), text);
    writeFileSync(join(work, 'server.js'), "console.log('server listening on :3000');\n");
    writeFileSync(join(work, '.gitignore'), 'backups/\n');
    const app = ['--', 'node', 'server.js'];

    const codes = [];
    codes.push(pgwarden(['init']).code);
    git('init', '-q');
    git('add', '.');
    git('commit', '-q', '-m', 'first release');
    const firstCheck = ['migrations', 'migrations-git', 'pg-dump', 'backup-dir', 'test-data'];
    codes.push(pgwarden(['doctor', '--check', ...firstCheck]).code);
    codes.push(pgwarden(['deploy', ...app]).code);

    // a hand-made "hotfix" on production, and a test row someone forgot
    await sql(`ALTER TABLE users ADD COLUMN nickname text;
             INSERT INTO users (email, name) VALUES ('qa+1@example.com', 'John Doe')`);
    console.log('\n(someone ran ALTER TABLE users ADD COLUMN nickname text, and inserted a test user)');

    codes.push(pgwarden(['doctor', '--check', 'migrations', 'test-data']).code);
    codes.push(pgwarden(['drift']).code);
    codes.push(pgwarden(['deploy', ...app]).code);
    // init, doctor, deploy pass; then doctor and drift find the problems (1), the restart starts the app (0)
    if (codes.join(',') !== '0,0,0,1,1,0') {
      console.error(`unexpected exit codes: ${codes.join(',')}`);
      process.exitCode = 1;
    }
  });
} finally {
  rmSync(work, { recursive: true, force: true });
}
