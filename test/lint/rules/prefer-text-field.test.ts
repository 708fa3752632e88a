import { describe, expect, it } from 'vitest';
import { lintText } from '../../../src/lint/lint.js';
import { parseSql } from '../../../src/sql/parser.js';

const RULE = 'prefer-text-field';
const run = (sql: string) =>
  lintText(sql, { rules: { [RULE]: 'error' } }).then((r) => r.findings.filter((f) => f.rule === RULE));

describe(RULE, () => {
  it('err: CREATE TABLE: text plus a CHECK at the end of the column definition', async () => {
    const f = await run(
      'CREATE TABLE users (name varchar(100) NOT NULL DEFAULT \'\', "Nick" character varying (20));',
    );
    expect(f.map((x) => x.fix)).toEqual([
      'CREATE TABLE users (name text NOT NULL DEFAULT \'\' CHECK (length(name) <= 100), "Nick" character varying (20))',
      'CREATE TABLE users (name varchar(100) NOT NULL DEFAULT \'\', "Nick" text CHECK (length("Nick") <= 20))',
    ]);
    for (const x of f) expect(parseSql(x.fix!)).toHaveProperty('stmts');
  });

  it('err: ADD COLUMN on a table created in the same file gets the inline fix', async () => {
    const f = await run(
      'CREATE TABLE t (id bigint);\nALTER TABLE t ADD COLUMN code varchar(10), ADD COLUMN x int;',
    );
    expect(f).toHaveLength(1);
    expect(f[0]!.fix).toBe('ALTER TABLE t ADD COLUMN code text CHECK (length(code) <= 10), ADD COLUMN x int');
  });

  it('err: ADD COLUMN on an existing table: no inline CHECK (it would scan the table), NOT VALID advice', async () => {
    const f = await run('ALTER TABLE users ADD COLUMN code varchar(10);');
    expect(f).toHaveLength(1);
    expect(f[0]!.fix).toBeUndefined();
    expect(f[0]!.help).toContain('NOT VALID');
  });

  it('err: the fix lands on the type when multi-byte text comes before it', async () => {
    const f = await run('-- コメント\nCREATE TABLE 顧客 (名前 varchar(10));');
    expect(f[0]!.fix).toBe('CREATE TABLE 顧客 (名前 text CHECK (length("名前") <= 10))');
  });

  it('err: arrays are reported without a fix', async () => {
    const f = await run('CREATE TABLE t (tags varchar(20)[]);');
    expect(f).toHaveLength(1);
    expect(f[0]!.fix).toBeUndefined();
  });

  it('ok: varchar without a limit, text, char', async () =>
    expect(await run('CREATE TABLE t (a varchar, b text, c char(2));')).toEqual([]));
});
