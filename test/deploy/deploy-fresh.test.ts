/**
 * A new environment, with the default config and no flags but the app: `pgwarden deploy -- <app>`
 * applies a project's whole history (dbmate layout in db/migrations, 121 migrations written for
 * this test in the style of a real app's folder: tables created, then indexed, constrained and
 * changed by later migrations) — the lint gate knows the tables are created in the same run, so it
 * lets the history through — and starts the app. An empty migrations folder deploys too: nothing
 * pending, the app starts.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pgwarden } from '../support/cli.js';
import { sqlOn, useFreshDatabases } from '../support/database.js';
import { tempDir } from '../support/files.js';

const freshDatabase = useFreshDatabases();

const ENTITIES = [
  'projects',
  'tasks',
  'comments',
  'labels',
  'invoices',
  'payments',
  'webhooks',
  'sessions',
  'audit_log',
  'teams',
];
const ROUNDS = 3;

/** The history of an app: accounts first, then each entity created, indexed, tightened and changed. */
function history(): Record<string, string> {
  const files: Record<string, string> = {};
  let n = 0;
  const add = (name: string, up: string, down = '') => {
    n++;
    // dbmate's timestamp versions, one second apart
    files[`db/migrations/20240101${String(n).padStart(6, '0')}_${name}.sql`] =
      `-- migrate:up\n${up}\n\n-- migrate:down\n${down}\n`;
  };
  add(
    'create_accounts',
    "CREATE TABLE accounts (id bigserial PRIMARY KEY, name text NOT NULL);\nINSERT INTO accounts (name) VALUES ('system');",
    'DROP TABLE accounts;',
  );
  for (let round = 0; round < ROUNDS; round++) {
    for (const entity of ENTITIES) {
      const t = round === 0 ? entity : `${entity}_v${round + 1}`;
      add(
        `create_${t}`,
        `CREATE TABLE ${t} (id bigserial PRIMARY KEY, account_id bigint, name text, created_at timestamptz);`,
        `DROP TABLE ${t};`,
      );
      add(
        `index_${t}`,
        `CREATE INDEX ${t}_account_id_idx ON ${t} (account_id);\nALTER TABLE ${t} ADD CONSTRAINT ${t}_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id);`,
        `ALTER TABLE ${t} DROP CONSTRAINT ${t}_account_fk;\nDROP INDEX ${t}_account_id_idx;`,
      );
      add(
        `tighten_${t}`,
        `UPDATE ${t} SET name = 'unnamed' WHERE name IS NULL;\nALTER TABLE ${t} ALTER COLUMN name SET NOT NULL;\nALTER TABLE ${t} ADD CONSTRAINT ${t}_name_key UNIQUE (name);\nALTER TABLE ${t} ALTER COLUMN created_at SET DEFAULT now();`,
      );
      add(
        `status_${t}`,
        `ALTER TABLE ${t} ADD COLUMN status text NOT NULL DEFAULT 'active', ADD COLUMN token uuid DEFAULT gen_random_uuid();\nALTER TABLE ${t} ALTER COLUMN name TYPE varchar(200);\nINSERT INTO ${t} (account_id, name) VALUES (1, 'first ${t}');`,
      );
    }
  }
  return files;
}

describe('deploy on a new environment, default config', () => {
  it('applies a 121-migration history through the lint gate and starts the app', async () => {
    const db = await freshDatabase();
    const files = history();
    expect(Object.keys(files).length).toBeGreaterThanOrEqual(100);
    const dir = tempDir(files);
    const marker = join(dir, 'app-started');
    const app = [process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, 'yes')`];
    const result = await pgwarden(['deploy', '--', ...app], { cwd: dir, env: { DATABASE_URL: db.url } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/✓ lint +121 file\(s\), no errors/);
    expect(existsSync(marker)).toBe(true);
    const [applied] = await sqlOn(db.url, 'SELECT count(*)::int AS n FROM schema_migrations');
    expect(applied.n).toBe(Object.keys(files).length);
    const [rows] = await sqlOn(db.url, `SELECT name, status FROM teams_v3`);
    expect(rows).toEqual({ name: 'first teams_v3', status: 'active' });
  });

  it('an empty migrations folder: nothing pending, the app starts', async () => {
    const db = await freshDatabase();
    const dir = tempDir({ 'db/migrations/.gitkeep': '' });
    mkdirSync(join(dir, 'db/migrations'), { recursive: true });
    const marker = join(dir, 'app-started');
    const app = [process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, 'yes')`];
    const result = await pgwarden(['deploy', '--', ...app], { cwd: dir, env: { DATABASE_URL: db.url } });
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(marker)).toBe(true);
  });
});
