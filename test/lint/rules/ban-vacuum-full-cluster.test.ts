import { describe, expect, it } from 'vitest';
import { lintText } from '../../../src/lint/lint.js';

const RULE = 'ban-vacuum-full-cluster';
const run = (sql: string, opts: { pgVersion?: number; runner?: string; before?: string } = {}) =>
  lintText(sql, { rules: { [RULE]: 'error' }, ...opts }).then((r) =>
    r.findings.filter((f) => f.rule === RULE),
  );

describe(RULE, () => {
  it('err: one finding per table of VACUUM FULL, at the table', async () => {
    const f = await run('VACUUM (FULL, ANALYZE) orders, invoices;');
    expect(f).toHaveLength(2);
    expect(f[0]!.column).toBe(24);
    expect(f[0]!.message).toContain('VACUUM FULL rewrites orders');
    expect(f[0]!.message).toContain('ACCESS EXCLUSIVE lock on orders, blocking all reads and writes');
    expect(f[1]!.message).toContain('invoices');
  });

  it('err: FULL spelled true/on/1 counts; false/off/0 does not', async () => {
    expect(await run('VACUUM (FULL true) a;\nVACUUM (FULL on) b;\nVACUUM (FULL 1) c;')).toHaveLength(3);
    expect(
      await run('VACUUM (FULL false) a;\nVACUUM (FULL off) b;\nVACUUM (FULL 0) c;\nVACUUM ANALYZE d;'),
    ).toEqual([]);
  });

  it('err: without a table name, the whole database or every clustered table', async () => {
    const f = await run('VACUUM FULL;\nCLUSTER;', { runner: 'psql' });
    expect(f.map((x) => x.line)).toEqual([1, 2]);
    expect(f[0]!.message).toContain('every table of the database');
    expect(f[1]!.message).toContain('clustered before');
  });

  it('err: CLUSTER names its table; the help follows the PostgreSQL version', async () => {
    const f = await run('CLUSTER orders USING orders_created_at_idx;');
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('CLUSTER rewrites orders in index order');
    expect(f[0]!.help).toContain('pg_repack');
    const pg19 = await run('CLUSTER orders USING orders_created_at_idx;', { pgVersion: 19 });
    expect(pg19[0]!.help).toMatch(/^Use REPACK \(CONCURRENTLY\)/);
  });

  it('ok: tables created in this migration', async () => {
    const sql =
      'CREATE TABLE imports (id bigint PRIMARY KEY);\nVACUUM FULL imports;\nCLUSTER imports USING imports_pkey;';
    expect(await run(sql)).toEqual([]);
  });

  it('ok: the squawk name prefer-repack selects this rule', async () => {
    const r = await lintText('VACUUM FULL orders;', { rules: { 'prefer-repack': 'error' } });
    expect(r.findings.filter((f) => f.rule === RULE)).toHaveLength(1);
  });
});
