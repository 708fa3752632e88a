import { describe, expect, it } from 'vitest';
import { lintText } from '../../../src/lint/lint.js';

const RULE = 'require-statement-timeout';
const run = (sql: string, opts: { pgVersion?: number; runner?: string; before?: string } = {}) =>
  lintText(sql, { rules: { [RULE]: 'warning' }, ...opts }).then((r) =>
    r.findings.filter((f) => f.rule === RULE),
  );

describe(RULE, () => {
  it('err: the first disruptive statement only, with a fix that fits the transaction mode', async () => {
    const sql =
      'CREATE TABLE t (id int);\nALTER TABLE users ADD COLUMN a int;\nALTER TABLE users ADD COLUMN b int;';
    const psql = await run(sql, { runner: 'psql' });
    expect(psql).toHaveLength(1);
    expect(psql[0]!.line).toBe(2);
    expect(psql[0]!.message).toContain('ACCESS EXCLUSIVE lock on users');
    expect(psql[0]!.fix).toBe("SET statement_timeout = '10s';\nALTER TABLE users ADD COLUMN a int");
    const wrapped = await run(sql, { runner: 'transaction' });
    expect(wrapped[0]!.fix).toBe("SET LOCAL statement_timeout = '10s';\nALTER TABLE users ADD COLUMN a int");
  });

  it('ok: the pgwarden runner sets it; SET and SET LOCAL count; 0 does not', async () => {
    const alter = 'ALTER TABLE users ADD COLUMN a int;';
    expect(await run(alter)).toEqual([]);
    expect(await run(`SET statement_timeout = '5s';\n${alter}`, { runner: 'psql' })).toEqual([]);
    expect(await run(`SET LOCAL statement_timeout = '5s';\n${alter}`, { runner: 'transaction' })).toEqual([]);
    expect(await run(`SET statement_timeout = 0;\n${alter}`, { runner: 'psql' })).toHaveLength(1);
  });

  it('ok: long statements that block nobody, and new tables', async () => {
    const sql =
      'CREATE INDEX CONCURRENTLY users_a_idx ON users (a);\nALTER TABLE users VALIDATE CONSTRAINT users_a_check;\nCREATE TABLE t (id int);\nCREATE INDEX t_id_idx ON t (id);';
    expect(await run(sql, { runner: 'psql' })).toEqual([]);
  });
});
