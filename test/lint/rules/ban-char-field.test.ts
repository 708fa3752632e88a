import { describe, expect, it } from 'vitest';
import { lintText } from '../../../src/lint/lint.js';

const RULE = 'ban-char-field';
const run = (sql: string) =>
  lintText(sql, { rules: { [RULE]: 'error' } }).then((r) => r.findings.filter((f) => f.rule === RULE));

describe(RULE, () => {
  it('err: char(n), character(n), nchar, bare char, bpchar', async () => {
    const f = await run('CREATE TABLE t (a char(2), b character(3), c nchar(4), d char, e bpchar);');
    expect(f.map((x) => x.message.match(/is (\S+):/)?.[1])).toEqual([
      'char(2)',
      'char(3)',
      'char(4)',
      'char(1)',
      'bpchar',
    ]);
    expect(f[0]!.fix).toBe(
      'CREATE TABLE t (a text CHECK (length(a) <= 2), b character(3), c nchar(4), d char, e bpchar)',
    );
    expect(f[4]!.fix).toBe('CREATE TABLE t (a char(2), b character(3), c nchar(4), d char, e text)');
  });

  it('ok: the one-byte "char" type, quoted or pg_catalog-qualified', async () =>
    expect(await run('CREATE TABLE t (a "char", b pg_catalog."char");')).toEqual([]));

  it('err: ALTER COLUMN … TYPE char(n), without a fix', async () => {
    const f = await run('ALTER TABLE t ALTER COLUMN code TYPE char(3);');
    expect(f).toHaveLength(1);
    expect(f[0]!.fix).toBeUndefined();
  });

  it('ok: varchar and text', async () =>
    expect(await run('CREATE TABLE t (a varchar(2), b text);')).toEqual([]));
});
