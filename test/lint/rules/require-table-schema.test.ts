import { describe, expect, it } from 'vitest';
import { lintText } from '../../../src/lint/lint.js';

const RULE = 'require-table-schema';
const run = (sql: string, opts: { before?: string; runner?: string } = {}) =>
  lintText(sql, { rules: { [RULE]: 'error' }, ...opts }).then((r) =>
    r.findings.filter((f) => f.rule === RULE),
  );

describe(RULE, () => {
  it('err: CREATE / ALTER / DROP TABLE and CREATE INDEX … ON, at the table name', async () => {
    const f = await run(
      'CREATE TABLE a (id int);\nALTER TABLE b ADD COLUMN x int;\nCREATE INDEX i ON c (x);\nDROP TABLE d;\nCREATE TABLE e AS SELECT 1;',
    );
    expect(f.map((x) => x.line)).toEqual([1, 2, 3, 4, 5]);
    expect(f[2]!.column).toBe(19);
    expect(f[0]!.help).toContain('public.a');
  });

  it('err: renames and SET SCHEMA are ALTER TABLE too', async () =>
    expect(
      await run(
        'ALTER TABLE a RENAME TO b;\nALTER TABLE a RENAME COLUMN x TO y;\nALTER TABLE a SET SCHEMA app;',
      ),
    ).toHaveLength(3));

  it('err: only the unqualified tables of a DROP are named', async () => {
    const f = await run('DROP TABLE app.a, b, c;');
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('b, c');
  });

  it('ok: qualified names', async () =>
    expect(
      await run('CREATE TABLE app.a (id int);\nCREATE INDEX i ON app.a (id);\nDROP TABLE app.a;'),
    ).toEqual([]));

  it('ok: temporary tables, also from CREATE TEMP TABLE … AS', async () =>
    expect(
      await run(
        'CREATE TEMP TABLE s (a int);\nCREATE TEMP TABLE t AS SELECT 1 AS a;\nALTER TABLE t ADD COLUMN b int;\nDROP TABLE s, t;',
      ),
    ).toEqual([]));

  it('ok: after SET search_path in the file; not before it, and not after RESET', async () => {
    const f = await run(
      'CREATE TABLE a (id int);\nSET search_path = app;\nCREATE TABLE b (id int);\nRESET search_path;\nCREATE TABLE c (id int);',
    );
    expect(f.map((x) => x.line)).toEqual([1, 5]);
  });

  it('ok: SET LOCAL search_path covers its own transaction only', async () => {
    const sql =
      'BEGIN;\nSET LOCAL search_path = app;\nCREATE TABLE a (id int);\nCOMMIT;\nBEGIN;\nCREATE TABLE b (id int);\nCOMMIT;';
    expect((await run(sql, { runner: 'psql' })).map((x) => x.line)).toEqual([6]);
    // the pgwarden runner drops the file's BEGIN/COMMIT: one transaction, SET LOCAL covers both
    expect(await run(sql)).toEqual([]);
  });
});
