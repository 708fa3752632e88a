#!/usr/bin/env node
/**
 * Backups and the restore preview against a throwaway PostgreSQL: boots a disposable cluster,
 * fills a small shop database, then runs `pgwarden backup create`, lets the "application" write,
 * and runs `backup list`, `backup verify`, `restore --preview` and `backup prune --dry-run`,
 * printing what each prints. Run `npm ci` first (it builds dist/).
 *
 *   node examples/backup-demo.mjs
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pgwardenIn, withDemoDatabase } from './demo-support.mjs';

const work = mkdtempSync(join(tmpdir(), 'pgwarden-backup-demo-'));

try {
  await withDemoDatabase('shop', async ({ databaseUrl, sql }) => {
    const pgwarden = pgwardenIn(work, databaseUrl);

    await sql(`
    CREATE TABLE customers (id serial PRIMARY KEY, email text NOT NULL);
    INSERT INTO customers (email) SELECT 'c' || g || '@example.org' FROM generate_series(1, 1000) g;
    CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id int REFERENCES customers, total_cents int);
    INSERT INTO orders (customer_id, total_cents) SELECT 1 + g % 1000, g FROM generate_series(1, 5000) g;`);

    const created = pgwarden(['backup', 'create']);
    const id = /^Backup (\S+):/m.exec(created.stdout)?.[1];

    // the application keeps working; someone left an old SQLite file in the backup directory
    await sql(`
    INSERT INTO orders (customer_id, total_cents) SELECT 1, g FROM generate_series(1, 120) g;
    DELETE FROM orders WHERE id <= 30;
    CREATE TABLE coupons (code text PRIMARY KEY);`);
    writeFileSync(
      join(work, 'backups', 'app.sqlite3'),
      Buffer.concat([Buffer.from('SQLite format 3\0'), Buffer.alloc(4080)]),
    );

    pgwarden(['backup', 'list']);
    pgwarden(['backup', 'verify']);
    pgwarden(['restore', id, '--preview']);
    const pruned = pgwarden(['backup', 'prune', '--dry-run']);
    if (created.code !== 0 || pruned.code !== 0) process.exitCode = 1;
  });
} finally {
  rmSync(work, { recursive: true, force: true });
}
