import { describe, expect, it } from 'vitest';
import { lintText } from '../../../src/lint/lint.js';

const RULE = 'require-concurrent-reindex';
const run = (sql: string, opts: { pgVersion?: number; runner?: string; before?: string } = {}) =>
  lintText(sql, { rules: { [RULE]: 'error' }, ...opts }).then((r) =>
    r.findings.filter((f) => f.rule === RULE),
  );

const BEFORE = 'CREATE TABLE users (id bigint, email text);\nCREATE INDEX users_email_idx ON users (email);';

describe(RULE, () => {
  it('err: REINDEX INDEX names the table lock and the index lock, with a fix', async () => {
    const f = await run('REINDEX INDEX users_email_idx;', { before: BEFORE });
    expect(f).toHaveLength(1);
    expect(f[0]!.level).toBe('error');
    expect(f[0]!.message).toContain('SHARE lock on users, blocking writes');
    expect(f[0]!.message).toContain('ACCESS EXCLUSIVE lock on the index');
    expect(f[0]!.fix).toBe('REINDEX INDEX CONCURRENTLY users_email_idx');
  });

  it('err: REINDEX TABLE with options keeps them in the fix', async () => {
    const f = await run('REINDEX (VERBOSE) TABLE billing.invoices;');
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('each of its indexes');
    expect(f[0]!.fix).toBe('REINDEX (VERBOSE) TABLE CONCURRENTLY billing.invoices');
  });

  it('err: (CONCURRENTLY false) is a plain REINDEX, without a fix', async () => {
    const f = await run('REINDEX (CONCURRENTLY false) TABLE users;');
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('SHARE lock on users');
    expect(f[0]!.fix).toBeUndefined();
  });

  it('warn: before PostgreSQL 12 there is no CONCURRENTLY', async () => {
    const f = await run('REINDEX INDEX users_email_idx;', { pgVersion: 11 });
    expect(f).toHaveLength(1);
    expect(f[0]!.level).toBe('warning');
    expect(f[0]!.message).toContain('PostgreSQL 12');
    expect(f[0]!.fix).toBeUndefined();
  });

  it('err: SCHEMA and DATABASE lock every table (and fail in a transaction block)', async () => {
    const f = await run('REINDEX SCHEMA billing;\nREINDEX DATABASE app;');
    expect(f.map((x) => x.line)).toEqual([1, 2]);
    expect(f[0]!.message).toContain('every table of schema billing');
    expect(f[0]!.fix).toBe('REINDEX SCHEMA CONCURRENTLY billing');
    // the transaction block is another rule's finding: pgwarden runs the statement alone …
    const alone = await lintText('REINDEX SCHEMA billing;');
    expect(alone.findings.map((x) => x.rule)).not.toContain('ban-concurrent-index-creation-in-transaction');
    // … a runner that wraps the file makes it fail
    const wrapped = await lintText('CREATE TABLE t (id int);\nREINDEX SCHEMA billing;', {
      runner: 'transaction',
    });
    expect(wrapped.findings.map((x) => x.rule)).toContain('ban-concurrent-index-creation-in-transaction');
  });

  it('err: SYSTEM has no concurrent form and no fix', async () => {
    const f = await run('REINDEX SYSTEM app;', { runner: 'psql' });
    expect(f).toHaveLength(1);
    expect(f[0]!.fix).toBeUndefined();
    expect(f[0]!.help).toContain('maintenance window');
  });

  it('ok: CONCURRENTLY in either spelling, and tables created in this migration', async () => {
    expect(
      await run('REINDEX INDEX CONCURRENTLY users_email_idx;\nREINDEX (CONCURRENTLY) TABLE users;'),
    ).toEqual([]);
    expect(await run(`${BEFORE}\nREINDEX INDEX users_email_idx;\nREINDEX TABLE users;`)).toEqual([]);
  });

  it('err: inside a DO block, without a fix', async () => {
    const f = await run('DO $$ BEGIN REINDEX TABLE users; END $$;');
    expect(f).toHaveLength(1);
    expect(f[0]!.fix).toBeUndefined();
  });
});
