/**
 * The library's `migrate()` gates only when given `lintGate` (the CLI gives it; drift's replay and
 * deploy's migrate step, which gated before its backup, do not): then an error-level finding
 * rejects with LINT_GATE before anything is applied, with the findings in the error's details.
 */
import { describe, expect, it } from 'vitest';
import { migrate } from '../../src/migrate/migrate.js';
import { sqlOn, useFreshDatabases } from '../support/database.js';
import { rejection } from '../support/errors.js';
import { tempDir } from '../support/files.js';

const freshDatabase = useFreshDatabases();

async function setup() {
  const db = await freshDatabase();
  await sqlOn(db.url, 'CREATE TABLE accounts (id int)');
  const dir = tempDir({ 'migrations/001_index.sql': 'CREATE INDEX accounts_id_idx ON accounts (id);\n' });
  const options = { databaseUrl: db.url, cwd: dir, format: 'plain', allowUncommitted: true };
  const indexed = async () =>
    (await sqlOn(db.url, `SELECT to_regclass('accounts_id_idx') IS NOT NULL AS ok`))[0].ok;
  return { options, indexed };
}

describe('migrate(): the lint gate option', () => {
  it('lintGate given: LINT_GATE with the findings, nothing applied; an empty override reason is USAGE', async () => {
    const { options, indexed } = await setup();
    const error = await rejection(migrate({ ...options, lintGate: {} }));
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

  it('without lintGate: not gated (the library default)', async () => {
    const { options, indexed } = await setup();
    const result = await migrate(options);
    expect(result.applied.map((a) => a.id)).toEqual(['001_index']);
    expect(result.lintGate).toBeUndefined();
    expect(await indexed()).toBe(true);
  });
});
