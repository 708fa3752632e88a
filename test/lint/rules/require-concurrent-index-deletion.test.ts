import { describe, expect, it } from 'vitest';
import { lintText } from '../../../src/lint/lint.js';

const RULE = 'require-concurrent-index-deletion';
const run = (sql: string, opts: { pgVersion?: number; runner?: string; before?: string } = {}) =>
  lintText(sql, { rules: { [RULE]: 'error' }, ...opts }).then((r) =>
    r.findings.filter((f) => f.rule === RULE),
  );

const BEFORE = 'CREATE TABLE users (id bigint, email text);\nCREATE INDEX users_email_idx ON users (email);';

describe(RULE, () => {
  it('err: names the table when the index is known, with a fix', async () => {
    const f = await run('DROP INDEX IF EXISTS users_email_idx;', { before: BEFORE });
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('ACCESS EXCLUSIVE lock on users, blocking all reads and writes');
    expect(f[0]!.fix).toBe('DROP INDEX CONCURRENTLY IF EXISTS users_email_idx');
  });

  it('err: an unknown index still locks its table', async () => {
    const f = await run('DROP INDEX orders_ref_idx;');
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('on the index and on its table');
  });

  it('err: several indexes get one DROP INDEX CONCURRENTLY each', async () => {
    const f = await run('DROP INDEX IF EXISTS orders_ref_idx, billing."Orders_State";');
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('and 1 more index');
    expect(f[0]!.fix).toBe(
      'DROP INDEX CONCURRENTLY IF EXISTS orders_ref_idx;\nDROP INDEX CONCURRENTLY IF EXISTS billing."Orders_State"',
    );
  });

  it('err: CASCADE and DO blocks get no fix', async () => {
    const cascade = await run('DROP INDEX orders_ref_idx CASCADE;');
    expect(cascade[0]!.fix).toBeUndefined();
    expect(cascade[0]!.help).toContain('CASCADE');
    const block = await run('DO $$ BEGIN DROP INDEX orders_ref_idx; END $$;');
    expect(block).toHaveLength(1);
    expect(block[0]!.fix).toBeUndefined();
  });

  it('ok: CONCURRENTLY, and indexes of tables created in this migration', async () => {
    expect(await run('DROP INDEX CONCURRENTLY users_email_idx;')).toEqual([]);
    expect(await run(`${BEFORE}\nDROP INDEX users_email_idx;`)).toEqual([]);
  });
});
