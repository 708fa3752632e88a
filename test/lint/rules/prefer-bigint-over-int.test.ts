import { describe, expect, it } from 'vitest';
import { lintText } from '../../../src/lint/lint.js';

const RULE = 'prefer-bigint-over-int';
const run = (sql: string) =>
  lintText(sql, { rules: { [RULE]: 'error' } }).then((r) => r.findings.filter((f) => f.rule === RULE));

describe(RULE, () => {
  it('err: every spelling, each fixed to bigint or bigserial', async () => {
    const f = await run('CREATE TABLE t (a int, b integer, c int4, d serial, e serial4, f int[]);');
    expect(f.map((x) => x.fix)).toEqual([
      'CREATE TABLE t (a bigint, b integer, c int4, d serial, e serial4, f int[])',
      'CREATE TABLE t (a int, b bigint, c int4, d serial, e serial4, f int[])',
      'CREATE TABLE t (a int, b integer, c bigint, d serial, e serial4, f int[])',
      'CREATE TABLE t (a int, b integer, c int4, d bigserial, e serial4, f int[])',
      'CREATE TABLE t (a int, b integer, c int4, d serial, e bigserial, f int[])',
      'CREATE TABLE t (a int, b integer, c int4, d serial, e serial4, f bigint[])',
    ]);
  });

  it('err: pg_catalog.int4 is reported without a fix', async () => {
    const f = await run('ALTER TABLE t ADD COLUMN a pg_catalog.int4;');
    expect(f).toHaveLength(1);
    expect(f[0]!.fix).toBeUndefined();
  });

  it('ok: bigint, smallint and other schemas', async () =>
    expect(await run('CREATE TABLE t (a bigint, b smallint, c bigserial, d app.int4);')).toEqual([]));
});
