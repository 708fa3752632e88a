import { describe, expect, it } from 'vitest';
import { lintText } from '../../../src/lint/lint.js';

const RULE = 'ban-drop-not-null';
const run = (sql: string, opts: { before?: string } = {}) =>
  lintText(sql, { rules: { [RULE]: 'error' }, ...opts }).then((r) =>
    r.findings.filter((f) => f.rule === RULE),
  );

describe(RULE, () => {
  it('err: names table and column and the lock', async () => {
    const f = await run('SELECT 1;\nALTER TABLE users ALTER COLUMN middle_name DROP NOT NULL;');
    expect(f).toHaveLength(1);
    expect(f[0]!.line).toBe(2);
    expect(f[0]!.message).toContain('users.middle_name');
    expect(f[0]!.message).toContain('ACCESS EXCLUSIVE lock on users');
  });

  it('err: a column added by an earlier migration', async () => {
    const f = await run('ALTER TABLE users ALTER COLUMN locale DROP NOT NULL;', {
      before:
        "CREATE TABLE users (id bigint);\nALTER TABLE users ADD COLUMN locale text NOT NULL DEFAULT 'en';",
    });
    expect(f).toHaveLength(1);
  });

  it('ok: table created in the same file', async () =>
    expect(
      await run('CREATE TABLE t (a int NOT NULL);\nALTER TABLE t ALTER COLUMN a DROP NOT NULL;'),
    ).toEqual([]));

  it('ok: column added earlier in the same file', async () =>
    expect(
      await run(
        "ALTER TABLE users ADD COLUMN locale text NOT NULL DEFAULT 'en';\nALTER TABLE users ALTER COLUMN locale DROP NOT NULL;",
      ),
    ).toEqual([]));

  it('ok: other column changes', async () =>
    expect(await run('ALTER TABLE users ALTER COLUMN middle_name SET NOT NULL;')).toEqual([]));
});
