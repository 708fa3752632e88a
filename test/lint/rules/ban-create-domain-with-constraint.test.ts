import { describe, expect, it } from 'vitest';
import { lintText } from '../../../src/lint/lint.js';

const RULE = 'ban-create-domain-with-constraint';
const run = (sql: string) =>
  lintText(sql, { rules: { [RULE]: 'error' } }).then((r) => r.findings.filter((f) => f.rule === RULE));

describe(RULE, () => {
  it('err: one finding per domain, at its first constraint, naming the kinds', async () => {
    const f = await run(
      'CREATE DOMAIN app.amount AS numeric\n  DEFAULT 0\n  NOT NULL\n  CHECK (VALUE >= 0)\n  CHECK (VALUE < 1e9);',
    );
    expect(f).toHaveLength(1);
    expect(f[0]!.line).toBe(3);
    expect(f[0]!.message).toContain('app.amount');
    expect(f[0]!.message).toContain('NOT NULL and a CHECK');
  });

  it('ok: DEFAULT, COLLATE and NULL are not constraints that need validating', async () =>
    expect(await run('CREATE DOMAIN label AS text COLLATE "C" DEFAULT \'\' NULL;')).toEqual([]));
});
