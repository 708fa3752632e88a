/**
 * Contract steps (`-- pgwarden:contract after=<expand id>`) through the CLI: never in the run that
 * applies their expand step (the run applies what comes before and stops there, exit 0, saying
 * why), nor before `migrate.contractMinAge`; `--allow-contract "<reason>"` runs them, recorded; an
 * empty reason, a marker without `after=` or naming no migration: refused before anything runs.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pgwarden } from '../support/cli.js';
import { sqlOn, useFreshDatabases } from '../support/database.js';
import { deployIn, deployProject } from '../support/deploy-project.js';
import { tempDir } from '../support/files.js';

const freshDatabase = useFreshDatabases();

const CONTRACT = `-- pgwarden:contract after=002_expand
-- pgwarden-ignore ban-drop-column: the contract step; the app reads full_name since the expand release
ALTER TABLE users DROP COLUMN name;
`;

function project(contract = CONTRACT): string {
  return tempDir({
    'migrations/001_users.sql': 'CREATE TABLE users (id bigint PRIMARY KEY, name text);\n',
    'migrations/002_expand.sql': 'ALTER TABLE users ADD COLUMN full_name text;\n',
    'migrations/003_contract.sql': contract,
  });
}

const columns = async (url: string) =>
  (
    await sqlOn(
      url,
      `SELECT string_agg(column_name, ',' ORDER BY column_name) AS c FROM information_schema.columns WHERE table_name = 'users'`,
    )
  )[0].c;

describe('contract steps', () => {
  it('stop the run that applies their expand step; the next run applies them; plan and status say so', async () => {
    const db = await freshDatabase();
    const dir = project();
    const run = (args: string[]) => pgwarden(args, { cwd: dir, env: { DATABASE_URL: db.url } });
    const plan = await run(['plan', '--format', 'plain']);
    expect(plan.stdout).toContain(
      '003_contract  (one transaction)  contract step after 002_expand: not in the run that applies it',
    );

    const first = await run(['migrate', '--format', 'plain', '--allow-uncommitted']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(
      'Applied 2 migrations; stopped before the contract step 003_contract (1 still pending)',
    );
    expect(first.stderr).toContain(
      '■ stopped before 003_contract (contract step after 002_expand): its expand step 002_expand is applied in this run',
    );
    expect(await columns(db.url)).toBe('full_name,id,name');
    const status = await run(['status', '--format', 'plain']);
    expect(status.stdout).toMatch(/pending\s+003_contract\s+contract step after 002_expand/);

    const second = await run(['migrate', '--format', 'plain', '--allow-uncommitted']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('Applied 1 migration.');
    expect(await columns(db.url)).toBe('full_name,id');
  });

  it('deploy: applies the expand step, stops before the contract step, starts the app; the next deploy contracts', async () => {
    const db = await freshDatabase();
    const p = deployProject({
      '001_users.sql': 'CREATE TABLE users (id bigint PRIMARY KEY, name text);\n',
      '002_expand.sql': 'ALTER TABLE users ADD COLUMN full_name text;\n',
      '003_contract.sql': CONTRACT,
    });
    const first = await deployIn(p, db.url, ['--allow-uncommitted']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain(
      'applied 2: 001_users, 002_expand; stopped before the contract step 003_contract',
    );
    expect(existsSync(p.marker)).toBe(true);
    expect(await columns(db.url)).toBe('full_name,id,name');
    const second = await deployIn(p, db.url, ['--allow-uncommitted']);
    expect(second.code, second.stderr).toBe(0);
    expect(await columns(db.url)).toBe('full_name,id');
  });

  it('--allow-contract "<reason>" runs them, recorded; an empty reason is exit 2 with nothing applied', async () => {
    const db = await freshDatabase();
    const dir = project();
    const run = (args: string[]) => pgwarden(args, { cwd: dir, env: { DATABASE_URL: db.url } });
    const empty = await run(['migrate', '--format', 'plain', '--allow-uncommitted', '--allow-contract', ' ']);
    expect(empty.code).toBe(2);
    expect(await sqlOn(db.url, `SELECT to_regclass('users') AS t`)).toEqual([{ t: null }]);

    const allowed = await run([
      'migrate',
      '--format',
      'plain',
      '--allow-uncommitted',
      '--allow-contract',
      'single-instance app, restarted with the deploy',
    ]);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stderr).toContain(
      'warning: contract step 003_contract runs now (--allow-contract, recorded in pgwarden.events)',
    );
    expect(await columns(db.url)).toBe('full_name,id');
    expect(
      await sqlOn(
        db.url,
        `SELECT migration_id, detail->>'reason' AS reason FROM pgwarden.events WHERE kind = 'contract.allowed'`,
      ),
    ).toEqual([{ migration_id: '003_contract', reason: 'single-instance app, restarted with the deploy' }]);
  });

  it('migrate.contractMinAge holds them until the expand step is old enough', async () => {
    const db = await freshDatabase();
    const dir = project();
    writeFileSync(
      join(dir, 'pgwarden.config.json'),
      JSON.stringify({ migrate: { contractMinAge: 3_600_000 } }),
    );
    const run = (args: string[]) => pgwarden(args, { cwd: dir, env: { DATABASE_URL: db.url } });
    expect(
      (await run(['migrate', '--format', 'plain', '--allow-uncommitted', '--target', '002_expand'])).code,
    ).toBe(0);
    const held = await run(['migrate', '--format', 'plain', '--allow-uncommitted']);
    expect(held.code, held.stderr).toBe(0);
    expect(held.stderr).toMatch(
      /its expand step 002_expand was applied 0 min ago, less than migrate.contractMinAge \(60 min\)/,
    );
    expect(await columns(db.url)).toBe('full_name,id,name');
  });

  it('a marker without after=, or naming no migration: refused before anything runs', async () => {
    for (const contract of [
      '-- pgwarden:contract\nALTER TABLE users DROP COLUMN name;\n',
      CONTRACT.replace('002_expand', '009_nothing'),
    ]) {
      const db = await freshDatabase();
      const result = await pgwarden(
        ['migrate', '--format', 'plain', '--allow-uncommitted', '--no-lint-gate', 'test'],
        {
          cwd: project(contract),
          env: { DATABASE_URL: db.url },
        },
      );
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /003_contract\.sql: -- pgwarden:contract (needs after=|after=009_nothing: there is no migration)/,
      );
      expect(await sqlOn(db.url, `SELECT to_regclass('users') AS t`)).toEqual([{ t: null }]);
    }
  });
});
