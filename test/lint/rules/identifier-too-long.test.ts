import { describe, expect, it } from 'vitest';
import { lintText } from '../../../src/lint/lint.js';

const RULE = 'identifier-too-long';
const run = (sql: string) =>
  lintText(sql, { rules: { [RULE]: 'error' } }).then((r) => r.findings.filter((f) => f.rule === RULE));

const name = (bytes: number) => 'a'.repeat(bytes);

describe(RULE, () => {
  it('ok: exactly 63 bytes', async () =>
    expect(await run(`CREATE TABLE ${name(63)} (id bigint);`)).toEqual([]));

  it('err: 64 bytes, pointed at the identifier, with the truncated name', async () => {
    const f = await run(`SELECT 1;\nCREATE TABLE t (id bigint, ${name(64)} text);`);
    expect(f).toHaveLength(1);
    expect(f[0]!.line).toBe(2);
    expect(f[0]!.column).toBe(28);
    expect(f[0]!.message).toContain('64 bytes');
    expect(f[0]!.message).toContain(`("${name(63)}")`);
  });

  it('err: bytes, not characters: 22 three-byte characters', async () => {
    const f = await run('CREATE TABLE 顧客 (請求先住所の郵便番号と都道府県と市区町村と番 text);');
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('66 bytes');
    expect(f[0]!.message).toContain('("請求先住所の郵便番号と都道府県と市区町村と")');
  });

  it('err: quoted identifiers, with doubled quotes unescaped', async () => {
    const f = await run(`CREATE TABLE "${'B'.repeat(62)}""x" (id bigint);`);
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('64 bytes');
  });

  it('err: U& identifiers are decoded', async () => {
    expect(await run(`CREATE TABLE U&"${'\\0061'.repeat(64)}" (id bigint);`)).toHaveLength(1);
    expect(await run(`CREATE TABLE U&"${'\\0061'.repeat(63)}" (id bigint);`)).toEqual([]);
  });

  it('err: one finding per distinct name in a statement', async () => {
    const long = `${name(70)}_idx`;
    expect(await run(`DROP INDEX ${long}, ${long};`)).toHaveLength(1);
  });

  it('ok: long string literals and comments', async () =>
    expect(await run(`-- ${name(100)}\nCOMMENT ON TABLE t IS '${name(100)}';`)).toEqual([]));

  it('err: inside DO blocks and function bodies', async () => {
    expect(await run(`DO $$ BEGIN CREATE TABLE ${name(64)} (id bigint); END $$;`)).toHaveLength(1);
    expect(
      await run(
        `CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN UPDATE t SET ${name(64)} = 1; END $$;`,
      ),
    ).toHaveLength(1);
  });
});
