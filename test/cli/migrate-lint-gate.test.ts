/**
 * `pgwarden migrate` refuses what `deploy` refuses: an error-level lint finding in the migrations
 * about to run stops the run before anything is applied (LINT_GATE, exit 1); an ignore with a
 * reason or `--no-lint-gate "<reason>"` (recorded in pgwarden.events) gets through; an empty
 * reason is bad input; warnings, `--dry-run` and rollback are never stopped.
 */
import { describe, expect, it } from 'vitest';
import { pgwarden } from '../support/cli.js';
import { sqlOn, useFreshDatabases } from '../support/database.js';
import { tempDir } from '../support/files.js';

const freshDatabase = useFreshDatabases();

const USERS = 'CREATE TABLE users (id bigint PRIMARY KEY);\n';
/** require-concurrent-index-creation (error) on a table that exists before the run */
const INDEX = 'CREATE INDEX accounts_id_idx ON accounts (id);\n';
const IGNORED = `-- pgwarden-ignore require-concurrent-index-creation: accounts holds a few rows and is never written\n${INDEX}`;
/** renaming-column (warning) */
const RENAME = 'ALTER TABLE accounts RENAME COLUMN id TO account_id;\n';

/** A database with the table the index goes on, and a folder of plain migrations (outside git). */
async function setup(migrations: Record<string, string>, config?: object) {
  const db = await freshDatabase();
  // more rows than the lint gate's small-table limit (10,000): the index is an outage risk
  await sqlOn(
    db.url,
    'CREATE TABLE accounts (id int); INSERT INTO accounts SELECT generate_series(1, 10001)',
  );
  const files: Record<string, string> = {};
  for (const [name, text] of Object.entries(migrations)) files[`migrations/${name}`] = text;
  if (config) files['pgwarden.config.json'] = JSON.stringify(config);
  const dir = tempDir(files);
  const migrate = (extra: string[] = []) =>
    pgwarden(['migrate', '--format', 'plain', '--allow-uncommitted', ...extra], {
      cwd: dir,
      env: { DATABASE_URL: db.url },
    });
  return { db, dir, migrate };
}

/** What the run left in the database: tables, the index, the history. */
async function state(url: string) {
  const [row] = await sqlOn(
    url,
    `SELECT to_regclass('users') IS NOT NULL AS users,
            to_regclass('accounts_id_idx') IS NOT NULL AS index,
            to_regclass('pgwarden.schema_migrations') IS NOT NULL AS history`,
  );
  const applied = row.history
    ? (await sqlOn(url, 'SELECT id FROM pgwarden.schema_migrations ORDER BY 1')).map((r) => r.id)
    : [];
  return { users: row.users, index: row.index, applied };
}

describe('migrate: the lint gate', () => {
  it('an error-level finding: exit 1 (LINT_GATE), each finding listed with the ways through, nothing applied', async () => {
    const { db, migrate } = await setup({ '001_users.sql': USERS, '002_index.sql': INDEX });
    const refused = await migrate();
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'pgwarden: migrate stopped before any change: lint errors in pending migrations:\n  migrations/002_index.sql:1 require-concurrent-index-creation: CREATE INDEX without CONCURRENTLY',
    );
    expect(refused.stderr).toContain('-- pgwarden-ignore <rule>: <why>');
    expect(refused.stderr).toContain('pgwarden migrate --no-lint-gate "<reason>"');
    // CREATE INDEX without CONCURRENTLY is a finding pgwarden fix rewrites
    expect(refused.stderr).toContain(
      'pgwarden fix <migration> rewrites the newest pending migration into the safe sequence.',
    );
    expect(refused.stderr).not.toContain('→ 001_users');
    expect(await state(db.url)).toEqual({ users: false, index: false, applied: [] });

    const json = await migrate(['--json']);
    expect(json.code).toBe(1);
    const { error } = JSON.parse(json.stdout);
    expect(error.code).toBe('LINT_GATE');
    expect(error.details.findings).toEqual([
      expect.objectContaining({
        path: 'migrations/002_index.sql',
        line: 1,
        rule: 'require-concurrent-index-creation',
      }),
    ]);
    expect(error.hint).toContain('--no-lint-gate');
    expect(await state(db.url)).toEqual({ users: false, index: false, applied: [] });

    // the plan still shows it: --dry-run is never stopped
    const dry = await migrate(['--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('error require-concurrent-index-creation (line 1)');
  });

  it('a finding ignored with a reason in the file: applied', async () => {
    const { db, migrate } = await setup({ '001_users.sql': USERS, '002_index.sql': IGNORED });
    const result = await migrate();
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toContain('lint gate');
    expect(await state(db.url)).toEqual({ users: true, index: true, applied: ['001_users', '002_index'] });
  });

  it('--no-lint-gate "<reason>": applied, a warning printed, the override recorded with reason, actor and findings', async () => {
    const { db, migrate } = await setup({ '001_users.sql': USERS, '002_index.sql': INDEX });
    const reason = 'accounts holds 12 rows; reviewed in PR 42';
    const result = await migrate(['--no-lint-gate', reason]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(
      `warning: lint gate overridden (--no-lint-gate, recorded in pgwarden.events): "${reason}"; 1 error(s) let through:\n  migrations/002_index.sql:1 require-concurrent-index-creation:`,
    );
    // the warning comes before the first migration runs
    expect(result.stderr.indexOf('warning: lint gate')).toBeLessThan(result.stderr.indexOf('→ 001_users'));
    expect(await state(db.url)).toEqual({ users: true, index: true, applied: ['001_users', '002_index'] });
    const events = await sqlOn(
      db.url,
      `SELECT format, detail, db_user = current_user AS by_me, os_user, host FROM pgwarden.events
        WHERE kind = 'lint-gate.overridden'`,
    );
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ format: 'plain', by_me: true });
    expect(events[0].os_user).toBeTruthy();
    expect(events[0].host).toBeTruthy();
    expect(events[0].detail).toMatchObject({
      command: 'migrate',
      reason,
      migrations: ['001_users', '002_index'],
      findings: [
        expect.objectContaining({
          path: 'migrations/002_index.sql',
          line: 1,
          rule: 'require-concurrent-index-creation',
        }),
      ],
    });
  });

  it('--no-lint-gate "": exit 2, nothing applied, nothing recorded', async () => {
    const { db, migrate } = await setup({ '001_users.sql': USERS, '002_index.sql': INDEX });
    for (const empty of ['', '  ']) {
      const result = await migrate(['--no-lint-gate', empty]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('--no-lint-gate needs a reason');
    }
    expect(await state(db.url)).toEqual({ users: false, index: false, applied: [] });
    expect(await sqlOn(db.url, `SELECT to_regnamespace('pgwarden') IS NULL AS absent`)).toEqual([
      { absent: true },
    ]);
  });

  it('warnings only: applied', async () => {
    const { db, migrate } = await setup({ '001_users.sql': USERS, '002_rename.sql': RENAME });
    const result = await migrate();
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Applied 2 migrations.');
    expect(await state(db.url)).toMatchObject({ users: true, applied: ['001_users', '002_rename'] });
    expect(
      await sqlOn(db.url, `SELECT count(*)::int AS n FROM pgwarden.events WHERE kind LIKE 'lint%'`),
    ).toEqual([{ n: 0 }]);
  });

  it('lints against the live schema, as plan does: NOT NULL proven by a CHECK validated in an earlier pending migration passes', async () => {
    const { db, migrate } = await setup({
      '001_check.sql':
        'ALTER TABLE accounts ADD CONSTRAINT accounts_id_not_null CHECK (id IS NOT NULL) NOT VALID;\n',
      '002_validate.sql': 'ALTER TABLE accounts VALIDATE CONSTRAINT accounts_id_not_null;\n',
      '003_not_null.sql': 'ALTER TABLE accounts ALTER COLUMN id SET NOT NULL;\n',
    });
    const result = await migrate();
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Applied 3 migrations.');
    expect(
      await sqlOn(
        db.url,
        `SELECT attnotnull FROM pg_attribute WHERE attrelid = 'accounts'::regclass AND attname = 'id'`,
      ),
    ).toEqual([{ attnotnull: true }]);
  });

  it('migrate.lintGate: false turns it off; --target gates only what runs; rollback is not gated', async () => {
    const off = await setup(
      { '001_users.sql': USERS, '002_index.sql': INDEX },
      { migrate: { lintGate: false } },
    );
    expect((await off.migrate()).code).toBe(0);
    expect(await state(off.db.url)).toEqual({
      users: true,
      index: true,
      applied: ['001_users', '002_index'],
    });

    const { db, migrate, dir } = await setup({
      '001_users.sql': USERS,
      '001_users.down.sql': 'DROP TABLE users;\n',
      '002_index.sql': INDEX,
      // a down script with an error-level finding
      '002_index.down.sql': 'DROP INDEX accounts_id_idx;\n',
    });
    const first = await migrate(['--target', '001_users']);
    expect(first.code, first.stderr).toBe(0);
    expect(await state(db.url)).toEqual({ users: true, index: false, applied: ['001_users'] });
    expect((await migrate()).code).toBe(1);
    expect((await migrate(['--no-lint-gate', 'reviewed'])).code).toBe(0);
    const rollback = await pgwarden(['rollback', '--format', 'plain', '--allow-uncommitted'], {
      cwd: dir,
      env: { DATABASE_URL: db.url },
    });
    expect(rollback.code, rollback.stderr).toBe(0);
    expect(await state(db.url)).toEqual({ users: true, index: false, applied: ['001_users'] });
  });
});
