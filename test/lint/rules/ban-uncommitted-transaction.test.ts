import { describe, expect, it } from 'vitest';
import { lintText } from '../../../src/lint/lint.js';

const RULE = 'ban-uncommitted-transaction';
const run = (sql: string, opts: { pgVersion?: number; runner?: string; before?: string } = {}) =>
  lintText(sql, { rules: { [RULE]: 'error' }, ...opts }).then((r) =>
    r.findings.filter((f) => f.rule === RULE),
  );

describe(RULE, () => {
  it('err: BEGIN left open under psql, reported at the BEGIN', async () => {
    const f = await run('SET lock_timeout = 2000;\nBEGIN;\nALTER TABLE users ADD COLUMN nickname text;', {
      runner: 'psql',
    });
    expect(f).toHaveLength(1);
    expect(f[0]!.line).toBe(2);
    expect(f[0]!.message).toContain('never committed');
    expect(f[0]!.message).toContain('rolls it back');
    expect(f[0]!.help).toContain('COMMIT');
  });

  it('err: the second of two transactions is left open', async () => {
    const sql = 'BEGIN;\nSELECT 1;\nCOMMIT;\nBEGIN;\nSELECT 2;';
    const f = await run(sql, { runner: 'psql' });
    expect(f).toHaveLength(1);
    expect(f[0]!.line).toBe(4);
  });

  it('err: a file sent as one query keeps the block open after the query', async () => {
    const f = await run('BEGIN;\nALTER TABLE users ADD COLUMN nickname text;', { runner: 'single-query' });
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('one query');
  });

  it('err: COMMIT AND CHAIN opens the next transaction', async () => {
    const f = await run('BEGIN;\nSELECT 1;\nCOMMIT AND CHAIN;\nSELECT 2;', { runner: 'psql' });
    expect(f).toHaveLength(1);
    expect(f[0]!.line).toBe(3);
  });

  it('ok: COMMIT, ROLLBACK, PREPARE TRANSACTION and END close it', async () => {
    for (const end of ['COMMIT', 'ROLLBACK', 'END', "PREPARE TRANSACTION 'm1'"]) {
      expect(await run(`BEGIN;\nSELECT 1;\n${end};`, { runner: 'psql' })).toEqual([]);
    }
  });

  it('ok: runners that wrap the file commit it themselves', async () => {
    const sql = 'BEGIN;\nALTER TABLE users ADD COLUMN nickname text;';
    for (const runner of ['pgwarden', 'transaction', 'flyway'])
      expect(await run(sql, { runner })).toEqual([]);
  });

  it('err: Flyway runs a file with a CONCURRENTLY statement without a transaction', async () => {
    const sql =
      'CREATE INDEX CONCURRENTLY users_email_idx ON users (email);\nBEGIN;\nALTER TABLE users ADD COLUMN nickname text;';
    expect(await run(sql, { runner: 'flyway' })).toHaveLength(1);
  });
});
