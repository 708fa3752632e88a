import { describe, expect, it } from 'vitest';
import { lintText } from '../../../src/lint/lint.js';
import { parseSql } from '../../../src/sql/parser.js';

const RULE = 'prefer-jsonb';
const run = (sql: string) =>
  lintText(sql, { rules: { [RULE]: 'error' } }).then((r) => r.findings.filter((f) => f.rule === RULE));

describe(RULE, () => {
  it('err: CREATE TABLE, at the type, with a fix that parses', async () => {
    const f = await run('CREATE TABLE hooks (\n  id bigint,\n  payload json NOT NULL\n);');
    expect(f).toHaveLength(1);
    expect(f[0]!.line).toBe(3);
    expect(f[0]!.column).toBe(11);
    expect(f[0]!.message).toContain('hooks.payload is json');
    expect(f[0]!.fix).toBe('CREATE TABLE hooks (\n  id bigint,\n  payload jsonb NOT NULL\n)');
    expect(parseSql(f[0]!.fix!)).toHaveProperty('stmts');
  });

  it('err: ADD COLUMN and ALTER COLUMN TYPE; arrays keep their brackets', async () => {
    const f = await run('ALTER TABLE t ADD COLUMN a json[], ALTER COLUMN b TYPE json USING b::json;');
    expect(f).toHaveLength(2);
    expect(f[0]!.fix).toBe('ALTER TABLE t ADD COLUMN a jsonb[], ALTER COLUMN b TYPE json USING b::json');
    expect(f[1]!.fix).toBe('ALTER TABLE t ADD COLUMN a json[], ALTER COLUMN b TYPE jsonb USING b::json');
  });

  it('err: one finding per column per statement', async () =>
    expect(await run('ALTER TABLE t ADD COLUMN a json, ALTER COLUMN a TYPE json;')).toHaveLength(1));

  it('err: a quoted or pg_catalog-qualified name is still json, without a fix', async () => {
    const f = await run('CREATE TABLE t (a "json", b pg_catalog.json);');
    expect(f).toHaveLength(2);
    expect(f.every((x) => x.fix === undefined)).toBe(true);
  });

  it('ok: jsonb, a type named json in another schema, temporary and foreign tables, casts', async () =>
    expect(
      await run(
        "CREATE TABLE t (a jsonb, b app.json);\nCREATE TEMP TABLE s (a json);\nALTER FOREIGN TABLE f ADD COLUMN a json;\nSELECT '{}'::json;",
      ),
    ).toEqual([]));

  it('ok: inside a DO block the finding has no fix (the body text is not the file text)', async () => {
    const f = await run('DO $$ BEGIN CREATE TABLE t (a json); END $$;');
    expect(f).toHaveLength(1);
    expect(f[0]!.fix).toBeUndefined();
  });
});
