import { describe, expect, it } from 'vitest';
import { lintText } from '../../../src/lint/lint.js';

const RULE = 'ban-drop-database';
const run = (sql: string) =>
  lintText(sql, { rules: { [RULE]: 'error' } }).then((r) => r.findings.filter((f) => f.rule === RULE));

describe(RULE, () => {
  it('err: DROP DATABASE, IF EXISTS and FORCE included', async () => {
    const f = await run('SELECT 1;\nDROP DATABASE IF EXISTS "Reports" WITH (FORCE);');
    expect(f).toHaveLength(1);
    expect(f[0]!.line).toBe(2);
    expect(f[0]!.level).toBe('error');
    expect(f[0]!.message).toContain('"Reports"');
  });

  it('ok: a database created earlier in the same file', async () =>
    expect(await run('CREATE DATABASE scratch;\nDROP DATABASE scratch;')).toEqual([]));

  it('err: a database created after the drop does not count', async () =>
    expect(await run('DROP DATABASE scratch;\nCREATE DATABASE scratch;')).toHaveLength(1));
});
