import { describe, expect, it } from 'vitest';
import { lintText } from '../../../src/lint/lint.js';

const RULE = 'renaming-column';
const run = (sql: string, opts: { before?: string } = {}) =>
  lintText(sql, { rules: { [RULE]: 'error' }, ...opts }).then((r) =>
    r.findings.filter((f) => f.rule === RULE),
  );

describe(RULE, () => {
  it('err: old and new name in the message', async () => {
    const f = await run('SELECT 1;\nALTER TABLE users RENAME COLUMN name TO full_name;');
    expect(f).toHaveLength(1);
    expect(f[0]!.line).toBe(2);
    expect(f[0]!.message).toContain('users.name to full_name');
  });

  it('err: renaming a view column breaks readers too', async () =>
    expect(await run('ALTER VIEW active_users RENAME COLUMN name TO full_name;')).toHaveLength(1));

  it('ok: table created in the same file', async () =>
    expect(await run('CREATE TABLE t (a int);\nALTER TABLE t RENAME COLUMN a TO b;')).toEqual([]));

  it('ok: column added earlier in the same file', async () =>
    expect(
      await run('ALTER TABLE users ADD COLUMN nick text;\nALTER TABLE users RENAME nick TO nickname;'),
    ).toEqual([]));

  it('err: a column added in an earlier migration', async () => {
    const f = await run('ALTER TABLE users RENAME nick TO nickname;', {
      before: 'CREATE TABLE users (id bigint);\nALTER TABLE users ADD COLUMN nick text;',
    });
    expect(f).toHaveLength(1);
  });

  it('ok: renaming constraints, indexes and tables is not this rule', async () =>
    expect(
      await run(
        'ALTER TABLE users RENAME CONSTRAINT a TO b;\nALTER INDEX i RENAME TO j;\nALTER TABLE users RENAME TO accounts;',
      ),
    ).toEqual([]));
});
