/**
 * Deploy's lint gate is migrate's (src/migrate/lint-gate.ts): `--no-lint-gate "<reason>"` lets the
 * errors through, warns on the lint step and records the reason and the findings in
 * pgwarden.events; an empty reason is bad input (exit 2) and nothing runs; `deploy.lintGate:
 * false` skips the step.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sqlOn, useFreshDatabases } from '../support/database.js';
import { deployIn, deployProject } from '../support/deploy-project.js';

const freshDatabase = useFreshDatabases();

const INDEX = 'CREATE INDEX accounts_id_idx ON accounts (id);\n';

async function withAccounts() {
  const db = await freshDatabase();
  // more rows than the lint gate's small-table limit (10,000): the index is an outage risk
  await sqlOn(
    db.url,
    'CREATE TABLE accounts (id int); INSERT INTO accounts SELECT generate_series(1, 10001)',
  );
  return db;
}

const indexExists = async (url: string) =>
  (await sqlOn(url, `SELECT to_regclass('accounts_id_idx') IS NOT NULL AS ok`))[0].ok;

/** lint-gate.overridden rows in pgwarden.events (0 when the table does not exist). */
async function overrides(url: string): Promise<number> {
  const [t] = await sqlOn(url, `SELECT to_regclass('pgwarden.events') IS NOT NULL AS ok`);
  if (!t.ok) return 0;
  const [row] = await sqlOn(
    url,
    `SELECT count(*)::int AS n FROM pgwarden.events WHERE kind = 'lint-gate.overridden'`,
  );
  return row.n;
}

describe('deploy: the lint gate', () => {
  it('--no-lint-gate "<reason>": deployed, the lint step warns, the override recorded with the findings', async () => {
    const db = await withAccounts();
    const p = deployProject({ '001_index.sql': INDEX });
    const reason = 'accounts holds 12 rows; reviewed in PR 42';
    const result = await deployIn(p, db.url, ['--no-lint-gate', reason]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(
      /! lint {6}lint gate overridden \(--no-lint-gate, recorded in pgwarden\.events\): "accounts holds 12 rows; reviewed in PR 42"; 1 error\(s\) let through: migrations\/001_index\.sql:1 require-concurrent-index-creation \(\d+ ms\)/,
    );
    expect(existsSync(p.marker)).toBe(true);
    expect(await indexExists(db.url)).toBe(true);
    const events = await sqlOn(
      db.url,
      `SELECT format, detail, os_user, host FROM pgwarden.events WHERE kind = 'lint-gate.overridden'`,
    );
    expect(events).toHaveLength(1);
    expect(events[0].os_user).toBeTruthy();
    expect(events[0].detail).toMatchObject({
      command: 'deploy',
      reason,
      migrations: ['001_index'],
      findings: [
        expect.objectContaining({
          path: 'migrations/001_index.sql',
          line: 1,
          rule: 'require-concurrent-index-creation',
        }),
      ],
    });
    const [record] = await sqlOn(db.url, `SELECT result, steps FROM pgwarden.deploys`);
    expect(record.result).toBe('started');
    expect(record.steps).toContainEqual(expect.objectContaining({ step: 'lint', status: 'warn' }));
  });

  it('--no-lint-gate "": exit 2 before anything runs; without it: LINT_GATE, nothing applied', async () => {
    const db = await withAccounts();
    const p = deployProject({ '001_index.sql': INDEX });
    const empty = await deployIn(p, db.url, ['--no-lint-gate', '']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('--no-lint-gate needs a reason');
    const refused = await deployIn(p, db.url);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'pgwarden: deploy stopped before any change: lint errors in pending migrations:\n  migrations/001_index.sql:1 require-concurrent-index-creation:',
    );
    expect(refused.stderr).toContain('pgwarden deploy --no-lint-gate "<reason>"');
    // CREATE INDEX without CONCURRENTLY is a finding pgwarden fix rewrites
    expect(refused.stderr).toContain('pgwarden fix <migration> rewrites the newest pending migration');
    expect(existsSync(p.backups)).toBe(false);
    expect(existsSync(p.marker)).toBe(false);
    expect(await indexExists(db.url)).toBe(false);
    expect(await overrides(db.url)).toBe(0);
  });

  it('deploy.lintGate: false skips the step', async () => {
    const db = await withAccounts();
    const p = deployProject({ '001_index.sql': INDEX }, { deploy: { lintGate: false } });
    const result = await deployIn(p, db.url);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('- lint      lint gate off (deploy.lintGate)');
    expect(await indexExists(db.url)).toBe(true);
  });
});
