/**
 * The library's `migrate()` gates only when given `lintGate` (the CLI gives it; drift's replay and
 * deploy's migrate step, which gated before its backup, do not): then an error-level finding
 * rejects with LINT_GATE before anything is applied, with the findings in the error's details.
 * Tables created earlier in the run, and live tables counted small, are no outage risk there.
 */
import { describe, expect, it } from 'vitest';
import { migrate } from '../../src/migrate/migrate.js';
import { sqlOn, useFreshDatabases } from '../support/database.js';
import { rejection } from '../support/errors.js';
import { tempDir } from '../support/files.js';

const freshDatabase = useFreshDatabases();

async function setup() {
  const db = await freshDatabase();
  await sqlOn(db.url, 'CREATE TABLE accounts (id int); INSERT INTO accounts SELECT generate_series(1, 20)');
  const dir = tempDir({ 'migrations/001_index.sql': 'CREATE INDEX accounts_id_idx ON accounts (id);\n' });
  const options = { databaseUrl: db.url, cwd: dir, format: 'plain', allowUncommitted: true };
  const indexed = async () =>
    (await sqlOn(db.url, `SELECT to_regclass('accounts_id_idx') IS NOT NULL AS ok`))[0].ok;
  return { options, indexed };
}

describe('migrate(): the lint gate option', () => {
  it('lintGate given: LINT_GATE with the findings, nothing applied; an empty override reason is USAGE', async () => {
    const { options, indexed } = await setup();
    const error = await rejection(migrate({ ...options, lintGate: { smallTable: { rows: 10 } } }));
    expect(error.code).toBe('LINT_GATE');
    expect(error.exitCode).toBe(1);
    expect(error.details?.findings).toEqual([
      {
        path: 'migrations/001_index.sql',
        line: 1,
        rule: 'require-concurrent-index-creation',
        message: expect.any(String),
      },
    ]);
    expect((await rejection(migrate({ ...options, lintGate: { override: ' ' } }))).code).toBe('USAGE');
    // a rule turned off in the config is not an error
    const off = await migrate({
      ...options,
      lintGate: { rules: { 'require-concurrent-index-creation': 'off' } },
    });
    expect(off.applied.map((a) => a.id)).toEqual(['001_index']);
    expect(off.lintGate).toEqual({ files: 1, warnings: 0, errors: [], overridden: undefined });
    expect(await indexed()).toBe(true);
  });

  it('a table under the small-table limit (default 10,000 rows, counted): a warning, applied', async () => {
    const { options, indexed } = await setup();
    const small = await migrate({ ...options, lintGate: {} });
    expect(small.lintGate).toEqual({ files: 1, warnings: 1, errors: [], overridden: undefined });
    expect(await indexed()).toBe(true);
  });

  it('a fresh environment: what earlier migrations of the run create is new, so the run passes', async () => {
    const db = await freshDatabase();
    const dir = tempDir({
      'migrations/001_users.sql': 'CREATE TABLE users (id bigint PRIMARY KEY, email text);\n',
      'migrations/002_orders.sql':
        'CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint);\nCREATE INDEX orders_user ON orders (user_id);\n',
      'migrations/003_more.sql': `ALTER TABLE users ADD COLUMN plan text NOT NULL;
ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);
CREATE UNIQUE INDEX users_email ON users (email);
ALTER TABLE users ALTER COLUMN email SET NOT NULL;
`,
      // dropping what this run created loses nothing; a live table is another matter (below)
      'migrations/004_drop.sql': 'DROP INDEX users_email;\nALTER TABLE orders DROP COLUMN user_id;\n',
    });
    const result = await migrate({
      databaseUrl: db.url,
      cwd: dir,
      format: 'plain',
      allowUncommitted: true,
      lintGate: {},
    });
    expect(result.lintGate?.errors).toEqual([]);
    expect(result.applied.map((a) => a.id)).toEqual(['001_users', '002_orders', '003_more', '004_drop']);
  });

  it('without lintGate: not gated (the library default)', async () => {
    const { options, indexed } = await setup();
    const result = await migrate(options);
    expect(result.applied.map((a) => a.id)).toEqual(['001_index']);
    expect(result.lintGate).toBeUndefined();
    expect(await indexed()).toBe(true);
  });
});
