import { describe, expect, it } from 'vitest';
import { lintText } from '../../../src/lint/lint.js';

const RULE = 'require-enum-value-ordering';
const run = (sql: string, opts: { pgVersion?: number; runner?: string; before?: string } = {}) =>
  lintText(sql, { rules: { [RULE]: 'warning' }, ...opts }).then((r) =>
    r.findings.filter((f) => f.rule === RULE),
  );

const BEFORE = "CREATE TYPE order_status AS ENUM ('new', 'shipped', 'it''s done');";

describe(RULE, () => {
  it('err: no BEFORE/AFTER, enum unknown: no fix', async () => {
    const f = await run("ALTER TYPE order_status ADD VALUE 'pending';");
    expect(f).toHaveLength(1);
    expect(f[0]!.level).toBe('warning');
    expect(f[0]!.message).toContain('goes last');
    expect(f[0]!.fix).toBeUndefined();
  });

  it('err: the enum is known: the fix makes "last" explicit, keeping IF NOT EXISTS', async () => {
    const f = await run("ALTER TYPE order_status ADD VALUE IF NOT EXISTS 'archived';", { before: BEFORE });
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain("(after 'it''s done')");
    expect(f[0]!.fix).toBe("ALTER TYPE order_status ADD VALUE IF NOT EXISTS 'archived' AFTER 'it''s done'");
  });

  it('ok: BEFORE or AFTER given; IF NOT EXISTS of an existing value; RENAME VALUE', async () => {
    const sql = [
      "ALTER TYPE order_status ADD VALUE 'pending' BEFORE 'shipped';",
      "ALTER TYPE order_status ADD VALUE 'archived' AFTER 'shipped';",
      "ALTER TYPE order_status ADD VALUE IF NOT EXISTS 'new';",
      "ALTER TYPE order_status RENAME VALUE 'new' TO 'created';",
    ].join('\n');
    expect(await run(sql, { before: BEFORE })).toEqual([]);
  });

  it('ok: off unless the style preset is on', async () => {
    const r = await lintText("ALTER TYPE order_status ADD VALUE 'pending';");
    expect(r.findings.filter((f) => f.rule === RULE)).toEqual([]);
    const styled = await lintText("ALTER TYPE order_status ADD VALUE 'pending';", { presets: ['style'] });
    expect(styled.findings.filter((f) => f.rule === RULE)).toHaveLength(1);
  });
});
