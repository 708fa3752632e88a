import { describe, expect, it } from 'vitest';
import { lintText } from '../../../src/lint/lint.js';

const RULE = 'ban-duplicate-column-assignments';
const run = (sql: string) =>
  lintText(sql, { rules: { [RULE]: 'error' } }).then((r) => r.findings.filter((f) => f.rule === RULE));

describe(RULE, () => {
  it('err: CREATE TABLE column defined twice, at the repeat', async () => {
    const f = await run('CREATE TABLE t (\n  a int,\n  b int,\n  a text\n);');
    expect(f).toHaveLength(1);
    expect(f[0]!.line).toBe(4);
    expect(f[0]!.message).toContain('"a" is defined twice');
  });

  it('err: unquoted names are compared after folding to lower case', async () =>
    expect(await run('CREATE TABLE t (a int, A int);')).toHaveLength(1));

  it('ok: quoted names that differ in case are different columns', async () =>
    expect(await run('CREATE TABLE t (a int, "A" int);')).toEqual([]));

  it('err: PRIMARY KEY / UNIQUE column lists', async () => {
    const f = await run(
      'CREATE TABLE t (a int, b int, PRIMARY KEY (a, a));\nALTER TABLE t ADD UNIQUE (b, b);',
    );
    expect(f).toHaveLength(2);
    expect(f[0]!.message).toContain('primary key constraint');
    expect(f[1]!.message).toContain('unique constraint');
  });

  it('err: the same column added twice in one ALTER TABLE, unless the repeat says IF NOT EXISTS', async () => {
    expect(await run('ALTER TABLE t ADD COLUMN b int, ADD COLUMN b text;')).toHaveLength(1);
    expect(await run('ALTER TABLE t ADD COLUMN b int, ADD COLUMN IF NOT EXISTS b text;')).toEqual([]);
  });

  it('err: INSERT column list, whole column together with an element', async () => {
    expect(await run('INSERT INTO t (a, a) VALUES (1, 2);')).toHaveLength(1);
    expect(await run("INSERT INTO t (arr, arr[2]) VALUES ('{1}', 2);")).toHaveLength(1);
  });

  it('ok: INSERT of different elements of one array', async () =>
    expect(await run('INSERT INTO t (arr[1], arr[2]) VALUES (1, 2);')).toEqual([]));

  it('err: UPDATE SET twice, also through a row assignment, one finding per column', async () => {
    const f = await run('UPDATE t SET a = 1, (a, b) = (2, 3), a = 4;');
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('multiple assignments to same column "a"');
  });

  it('err: ON CONFLICT DO UPDATE SET and MERGE', async () => {
    expect(
      await run('INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO UPDATE SET b = 1, b = 2;'),
    ).toHaveLength(1);
    expect(
      await run(
        'MERGE INTO t USING s ON t.a = s.a WHEN MATCHED THEN UPDATE SET b = 1, b = 2 WHEN NOT MATCHED THEN INSERT (a, a) VALUES (1, 2);',
      ),
    ).toHaveLength(2);
  });

  it('err: view output names: aliases, column references, unnamed expressions', async () => {
    expect(await run('CREATE VIEW v AS SELECT 1 AS a, 2 AS a;')).toHaveLength(1);
    expect(await run('CREATE VIEW v AS SELECT a, a FROM t;')).toHaveLength(1);
    expect(await run('CREATE VIEW v AS SELECT 1, 2;')).toHaveLength(1);
    expect(await run('CREATE VIEW v AS SELECT now(), now();')).toHaveLength(1);
    expect(await run("CREATE VIEW v AS SELECT 'x'::text, b::text FROM t;")).toEqual([]);
    expect(await run("CREATE VIEW v AS SELECT 'x'::text, 'y'::text;")).toHaveLength(1);
  });

  it('err: the column list renames the first columns only', async () => {
    expect(await run('CREATE VIEW v (x) AS SELECT 1 AS a, 2 AS x;')).toHaveLength(1);
    expect(await run('CREATE VIEW v (x, y) AS SELECT a, a FROM t;')).toEqual([]);
  });

  it('ok: a star has an unknown width, so nothing after it is matched against the column list', async () => {
    expect(await run('CREATE VIEW v (a, b) AS SELECT *, 1 AS a FROM t;')).toEqual([]);
    expect(await run('CREATE VIEW v AS SELECT t.*, s.id, s.id FROM t, s;')).toHaveLength(1);
  });

  it('ok: names of a UNION come from its first branch', async () => {
    expect(await run('CREATE VIEW v AS SELECT 1 AS a, 2 AS b UNION SELECT 3 AS c, 4 AS c;')).toEqual([]);
    expect(await run('CREATE VIEW v AS SELECT 1 AS a, 2 AS a UNION SELECT 3, 4;')).toHaveLength(1);
  });

  it('err: CREATE TABLE AS and materialized views', async () => {
    expect(await run('CREATE TABLE t2 (x, x) AS SELECT 1, 2;')).toHaveLength(1);
    expect(
      await run('CREATE MATERIALIZED VIEW m AS SELECT t.id, s.id FROM t JOIN s USING (k);'),
    ).toHaveLength(1);
  });

  it('ok: expressions whose name pgwarden does not derive are never guessed', async () =>
    expect(await run('CREATE VIEW v AS SELECT (SELECT 1), (SELECT 2);')).toEqual([]));
});
