import { describe, expect, it } from 'vitest';
import { lintText } from '../../../src/lint/lint.js';

const RULE = 'disallowed-unique-constraint';
const run = (sql: string, opts: { before?: string } = {}) =>
  lintText(sql, { rules: { [RULE]: 'error' }, ...opts }).then((r) =>
    r.findings.filter((f) => f.rule === RULE),
  );

describe(RULE, () => {
  it('err: ADD CONSTRAINT … UNIQUE', async () => {
    const f = await run('SELECT 1;\nALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);');
    expect(f).toHaveLength(1);
    expect(f[0]!.line).toBe(2);
    expect(f[0]!.message).toContain('"users_email_key"');
    expect(f[0]!.message).toContain('ACCESS EXCLUSIVE lock on users');
    expect(f[0]!.help).toContain('UNIQUE USING INDEX');
  });

  it('err: ADD COLUMN … UNIQUE, once per UNIQUE column', async () => {
    const f = await run('ALTER TABLE users ADD COLUMN handle text UNIQUE, ADD COLUMN nick text UNIQUE;');
    expect(f.map((x) => x.message.match(/"(\w+)"/)?.[1])).toEqual(['handle', 'nick']);
  });

  it('err: a partitioned table gets per-partition advice', async () => {
    const f = await run('ALTER TABLE events ADD UNIQUE (ref, at);', {
      before: 'CREATE TABLE events (ref text, at timestamptz) PARTITION BY RANGE (at);',
    });
    expect(f[0]!.help).toContain('each partition');
  });

  it('ok: USING INDEX, a new table, a PRIMARY KEY column', async () => {
    expect(
      await run('ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_idx;'),
    ).toEqual([]);
    expect(await run('CREATE TABLE coupons (code text);\nALTER TABLE coupons ADD UNIQUE (code);')).toEqual(
      [],
    );
    expect(await run('ALTER TABLE users ADD COLUMN external_id uuid PRIMARY KEY;')).toEqual([]);
  });
});
