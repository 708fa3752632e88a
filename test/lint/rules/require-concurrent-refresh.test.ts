import { describe, expect, it } from 'vitest';
import { lintText } from '../../../src/lint/lint.js';

const RULE = 'require-concurrent-refresh';
const run = (sql: string, opts: { pgVersion?: number; runner?: string; before?: string } = {}) =>
  lintText(sql, { rules: { [RULE]: 'error' }, ...opts }).then((r) =>
    r.findings.filter((f) => f.rule === RULE),
  );

const VIEW =
  'CREATE MATERIALIZED VIEW sales_totals AS SELECT day, sum(amount) AS total FROM sales GROUP BY day;';

describe(RULE, () => {
  it('err: the view is locked for the whole refresh; fix with CONCURRENTLY', async () => {
    const f = await run('REFRESH MATERIALIZED VIEW reporting.sales_totals;');
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('ACCESS EXCLUSIVE lock on reporting.sales_totals');
    expect(f[0]!.message).toContain('every query reading it waits');
    expect(f[0]!.fix).toBe('REFRESH MATERIALIZED VIEW CONCURRENTLY reporting.sales_totals');
  });

  it('err: a known view without a unique index: create one first, no fix', async () => {
    const f = await run('REFRESH MATERIALIZED VIEW sales_totals;', { before: VIEW });
    expect(f).toHaveLength(1);
    expect(f[0]!.fix).toBeUndefined();
    expect(f[0]!.help).toContain('Create a unique index on sales_totals first');
  });

  it('err: a known view with a unique index gets the fix', async () => {
    const before = `${VIEW}\nCREATE UNIQUE INDEX sales_totals_day_key ON sales_totals (day);`;
    const f = await run('REFRESH MATERIALIZED VIEW sales_totals;', { before });
    expect(f[0]!.fix).toBe('REFRESH MATERIALIZED VIEW CONCURRENTLY sales_totals');
  });

  it('ok: CONCURRENTLY, WITH NO DATA, a view created in this migration', async () => {
    expect(await run('REFRESH MATERIALIZED VIEW CONCURRENTLY sales_totals;')).toEqual([]);
    expect(await run('REFRESH MATERIALIZED VIEW sales_totals WITH NO DATA;')).toEqual([]);
    expect(await run(`${VIEW}\nREFRESH MATERIALIZED VIEW sales_totals;`)).toEqual([]);
  });
});
