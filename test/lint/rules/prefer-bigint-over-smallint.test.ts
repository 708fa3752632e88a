import { describe, expect, it } from 'vitest';
import { lintText } from '../../../src/lint/lint.js';

const RULE = 'prefer-bigint-over-smallint';
const run = (sql: string) =>
  lintText(sql, { rules: { [RULE]: 'error' } }).then((r) => r.findings.filter((f) => f.rule === RULE));

describe(RULE, () => {
  it('err: smallint, int2, smallserial, serial2', async () => {
    const f = await run('CREATE TABLE t (a smallint, b int2, c smallserial, d serial2);');
    expect(f.map((x) => x.fix)).toEqual([
      'CREATE TABLE t (a bigint, b int2, c smallserial, d serial2)',
      'CREATE TABLE t (a smallint, b bigint, c smallserial, d serial2)',
      'CREATE TABLE t (a smallint, b int2, c bigserial, d serial2)',
      'CREATE TABLE t (a smallint, b int2, c smallserial, d bigserial)',
    ]);
  });

  it('err: ALTER COLUMN … TYPE smallint', async () =>
    expect(await run('ALTER TABLE t ALTER COLUMN a TYPE smallint;')).toHaveLength(1));

  it('ok: integer and bigint', async () =>
    expect(await run('CREATE TABLE t (a int, b bigint);')).toEqual([]));
});
