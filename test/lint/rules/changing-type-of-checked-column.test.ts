import { describe, expect, it } from 'vitest';
import { lintText } from '../../../src/lint/lint.js';

const RULE = 'changing-type-of-checked-column';
const run = (sql: string, opts: { before?: string } = {}) =>
  lintText(sql, { rules: { [RULE]: 'error' }, ...opts }).then((r) =>
    r.findings.filter((f) => f.rule === RULE),
  );

const USERS =
  "CREATE TABLE users (id bigint, name varchar(100), code int);\nALTER TABLE users ADD CONSTRAINT name_not_blank CHECK (name <> '');\nALTER TABLE users ADD CONSTRAINT name_short CHECK (length(name) < 90);";

describe(RULE, () => {
  it('err: a binary-coercible change still re-checks every validated CHECK on the column', async () => {
    const f = await run('SELECT 1;\nALTER TABLE users ALTER COLUMN name TYPE varchar(200);', {
      before: USERS,
    });
    expect(f).toHaveLength(1);
    expect(f[0]!.line).toBe(2);
    expect(f[0]!.message).toContain('"name_not_blank", "name_short"');
    expect(f[0]!.message).toContain('ACCESS EXCLUSIVE lock on users');
  });

  it('ok: a change that rewrites the table anyway (changing-column-type reports it)', async () => {
    const before = 'CREATE TABLE t (code int CHECK (code > 0));';
    expect(await run('ALTER TABLE t ALTER COLUMN code TYPE bigint;', { before })).toEqual([]);
  });

  it('ok: the CHECKs dropped in the same ALTER TABLE, wherever the DROP is written', async () => {
    const sql =
      "ALTER TABLE users ALTER COLUMN name TYPE varchar(200), DROP CONSTRAINT name_not_blank, DROP CONSTRAINT name_short, ADD CONSTRAINT name_not_blank CHECK (name <> '') NOT VALID;";
    expect(await run(sql, { before: USERS })).toEqual([]);
  });

  it('err: only the CHECKs not dropped are named', async () => {
    const f = await run('ALTER TABLE users DROP CONSTRAINT name_short, ALTER COLUMN name TYPE text;', {
      before: USERS,
    });
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('"name_not_blank"');
    expect(f[0]!.message).not.toContain('name_short');
  });

  it('ok: NOT VALID CHECKs are not re-checked', async () => {
    const before =
      "CREATE TABLE users (id bigint, name varchar(100));\nALTER TABLE users ADD CONSTRAINT name_not_blank CHECK (name <> '') NOT VALID;";
    expect(await run('ALTER TABLE users ALTER COLUMN name TYPE text;', { before })).toEqual([]);
  });

  it('ok: another column, or a table created in the same file', async () => {
    expect(await run('ALTER TABLE users ALTER COLUMN id TYPE bigint;', { before: USERS })).toEqual([]);
    expect(await run(`${USERS}\nALTER TABLE users ALTER COLUMN name TYPE text;`)).toEqual([]);
  });
});
