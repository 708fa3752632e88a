import { describe, expect, it } from 'vitest';
import { lintText } from '../../../src/lint/lint.js';

const RULE = 'prefer-timestamptz';
const run = (sql: string) =>
  lintText(sql, { rules: { [RULE]: 'error' } }).then((r) => r.findings.filter((f) => f.rule === RULE));

describe(RULE, () => {
  it('err: every spelling of timestamp without time zone; precision and arrays kept', async () => {
    const f = await run(
      'CREATE TABLE t (a timestamp, b timestamp(3) without time zone, c timestamp without time zone[], d timestamp (6));',
    );
    expect(f.map((x) => x.fix)).toEqual([
      'CREATE TABLE t (a timestamptz, b timestamp(3) without time zone, c timestamp without time zone[], d timestamp (6))',
      'CREATE TABLE t (a timestamp, b timestamptz(3), c timestamp without time zone[], d timestamp (6))',
      'CREATE TABLE t (a timestamp, b timestamp(3) without time zone, c timestamptz[], d timestamp (6))',
      'CREATE TABLE t (a timestamp, b timestamp(3) without time zone, c timestamp without time zone[], d timestamptz(6))',
    ]);
  });

  it('err: ALTER COLUMN … TYPE timestamp', async () =>
    expect(await run('ALTER TABLE t ALTER COLUMN at TYPE timestamp USING at::timestamp;')).toHaveLength(1));

  it('ok: timestamptz, time, date', async () =>
    expect(await run('CREATE TABLE t (a timestamptz, b timestamp with time zone, c time, d date);')).toEqual(
      [],
    ));
});
