/** `pgwarden init`: detects the layout, writes a commented config that pgwarden reads back, refuses to overwrite. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { init } from '../../src/init/init.js';
import { pgwarden } from '../support/cli.js';
import { tempDir } from '../support/files.js';

describe('pgwarden init', () => {
  it('detects a dbmate folder and writes a commented config that loads', async () => {
    const dir = tempDir({
      'db/migrations/20260101000000_users.sql':
        '-- migrate:up\nCREATE TABLE users (id int);\n-- migrate:down\nDROP TABLE users;\n',
      'db/migrations/20260102000000_more.sql':
        '-- migrate:up\nALTER TABLE users ADD COLUMN email text;\n-- migrate:down\n',
    });
    const result = await pgwarden(['init'], { cwd: dir, env: {} });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('2 dbmate migrations in db/migrations');
    expect(result.stdout).toContain('Add backups/ to .gitignore');
    const text = readFileSync(join(dir, 'pgwarden.config.json'), 'utf8');
    expect(text).toContain('// found 2 dbmate migrations here');
    const { config } = await loadConfig({ cwd: dir });
    expect(config.migrations).toEqual({ dir: 'db/migrations', format: 'dbmate' });
    expect(config.deploy?.restoreOnFailure).toBe('if-no-writes');
    // and the other commands read it
    const status = await pgwarden(['lint', '--offline'], { cwd: dir, env: {} });
    expect(status.stderr).not.toContain('invalid configuration');

    const again = await pgwarden(['init'], { cwd: dir, env: {} });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('pgwarden.config.json already exists');
    expect((await pgwarden(['init', '--force'], { cwd: dir, env: {} })).code).toBe(0);
  });

  it('without a migrations folder it still writes a config, saying so', async () => {
    const dir = tempDir({ '.gitignore': 'node_modules\nbackups/\n' });
    const result = await pgwarden(['init', '--json'], { cwd: dir, env: {} });
    expect(result.code, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout);
    expect(out.migrations).toBeUndefined();
    expect(out.gitignoreHint).toBe(false);
    expect(out.note).toBeTruthy();
    expect((await loadConfig({ cwd: dir })).config.backup).toEqual({ dir: 'backups', retentionDays: 30 });
  });

  it('a migrations folder that exists but is empty: the config names it, the format left to detection', async () => {
    const dir = tempDir({ 'db/migrations/.gitkeep': '' });
    const result = await pgwarden(['init'], { cwd: dir, env: {} });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('db/migrations has no migrations yet');
    expect((await loadConfig({ cwd: dir })).config.migrations).toEqual({ dir: 'db/migrations' });
  });

  it('finds a nested migrations folder (monorepo package, Java resources, an engine folder) and names the others', async () => {
    const dir = tempDir({
      'packages/api/prisma/migrations/20260101000000_init/migration.sql': 'CREATE TABLE users (id int);\n',
      'packages/api/prisma/migrations/20260102000000_email/migration.sql':
        'ALTER TABLE users ADD COLUMN email text;\n',
      'packages/api/prisma/migrations/migration_lock.toml': 'provider = "postgresql"\n',
      'make/migrations/postgresql/001_a.sql': 'CREATE TABLE a (id int);\n',
      'node_modules/some-lib/migrations/001_x.sql': 'CREATE TABLE x (id int);\n',
    });
    const result = await pgwarden(['init', '--json'], { cwd: dir, env: {} });
    expect(result.code, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout);
    expect(out.migrations).toEqual({ dir: 'packages/api/prisma/migrations', format: 'prisma', count: 2 });
    expect(out.others).toEqual(['make/migrations/postgresql']);
    const java = tempDir({
      'service/src/main/resources/db/migration/V1__init.sql': 'CREATE TABLE t (id int);\n',
    });
    const found = JSON.parse((await pgwarden(['init', '--json'], { cwd: java, env: {} })).stdout);
    expect(found.migrations).toEqual({
      dir: 'service/src/main/resources/db/migration',
      format: 'flyway',
      count: 1,
    });
  });

  it('a well-known folder without migrations of its own: the engine folder inside it (sql-migrate)', async () => {
    const dir = tempDir({
      'dbconfig.yml': 'development:\n  dialect: postgres\n  dir: migrations/postgres\n',
      'migrations/postgres/1_init.sql':
        '-- +migrate Up\nCREATE TABLE t (id int);\n-- +migrate Down\nDROP TABLE t;\n',
      'migrations/postgres/2_index.sql':
        '-- +migrate Up notransaction\nCREATE INDEX CONCURRENTLY t_id ON t (id);\n',
    });
    const result = await init({ cwd: dir });
    expect(result.migrations).toEqual({ dir: 'migrations/postgres', format: 'sql-migrate', count: 2 });
  });

  it('a config with a syntax error names the line', async () => {
    const dir = tempDir({ 'pgwarden.config.json': '{\n  // comment\n  "backup": { "dir": "b" },,\n}\n' });
    const result = await pgwarden(['backup', 'list'], { cwd: dir, env: {} });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/pgwarden\.config\.json:3: not valid JSON/);
  });
});
