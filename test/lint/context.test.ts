/** The linter's context: PostgreSQL version, runner semantics, objects created earlier, file order. */
import { describe, expect, it } from 'vitest';
import { lintText } from '../../src/lint/lint.js';
import { Linter } from '../../src/lint/linter.js';
import { loadParser } from '../../src/sql/parser.js';

const ids = async (sql: string, options: Parameters<typeof lintText>[1] = {}) =>
  (await lintText(sql, options)).findings.map((f) => `${f.line}:${f.rule}`);

describe('version awareness', () => {
  const sql = 'ALTER TABLE users ADD COLUMN active boolean NOT NULL DEFAULT true;';
  it('ok: a constant default is catalog-only on PostgreSQL 11+', async () => {
    expect(await ids(sql, { pgVersion: 11 })).toEqual([]);
  });
  it('err: the same statement rewrites the table on PostgreSQL 10', async () => {
    const result = await lintText(sql, { pgVersion: 10 });
    expect(result.findings.map((f) => f.rule)).toEqual(['adding-field-with-default']);
    expect(result.findings[0]!.message).toContain('PostgreSQL 10');
  });
});

describe('runner semantics', () => {
  const cic =
    'ALTER TABLE users ADD COLUMN email text;\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);';
  it('ok: the pgwarden runner runs CONCURRENTLY statements alone', async () => {
    expect(await ids(cic)).toEqual([]);
  });
  it('err: a runner that wraps the file in a transaction makes it fail', async () => {
    expect((await ids(cic, { runner: 'dbmate' })).filter((f) => f.includes('ban-concurrent'))).toEqual([
      '2:ban-concurrent-index-creation-in-transaction',
    ]);
  });
  it('err: an explicit BEGIN makes it fail under psql; the pgwarden runner drops the BEGIN and runs it alone', async () => {
    expect(await ids(`BEGIN;\n${cic}\nCOMMIT;`, { runner: 'psql' })).toContain(
      '3:ban-concurrent-index-creation-in-transaction',
    );
    expect((await ids(`BEGIN;\n${cic}\nCOMMIT;`)).filter((f) => f.includes('ban-concurrent'))).toEqual([]);
  });
  it('ok: flyway runs a file with a non-transactional statement without a transaction', async () => {
    expect((await ids(cic, { runner: 'flyway' })).filter((f) => f.includes('ban-concurrent'))).toEqual([]);
  });
  it('err: CONCURRENTLY inside a DO block always fails', async () => {
    expect(
      await ids("DO $$ BEGIN EXECUTE 'CREATE INDEX CONCURRENTLY i ON users (email)'; END $$;", {
        runner: 'psql',
      }),
    ).toContain('1:ban-concurrent-index-creation-in-transaction');
  });
  it('err: an unknown runner is a usage error', async () => {
    await expect(lintText('SELECT 1', { runner: 'nope' })).rejects.toMatchObject({ code: 'USAGE' });
  });
});

describe('objects created earlier', () => {
  it('ok: statements on a table created earlier in the same file are exempt', async () => {
    expect(
      await ids(
        'CREATE TABLE t (id int);\nCREATE INDEX t_id ON t (id);\nALTER TABLE t ALTER COLUMN id TYPE bigint;',
      ),
    ).toEqual([]);
  });

  it('err: a table created by an earlier file is an existing table for later files', async () => {
    await loadParser();
    const linter = new Linter();
    linter.lintSource({ path: '001.sql', text: 'CREATE TABLE t (id int, name varchar(20));' });
    const second = linter.lintSource({
      path: '002.sql',
      text: 'CREATE INDEX t_id ON t (id);\nALTER TABLE t ALTER COLUMN name TYPE varchar(10);\nALTER TABLE t ALTER COLUMN name TYPE varchar(40);',
    });
    expect(second.findings.map((f) => `${f.line}:${f.rule}`)).toEqual([
      '1:require-concurrent-index-creation',
      '2:changing-column-type',
    ]);
    expect(second.findings[1]!.message).toContain('varchar(20) → varchar(10)');
  });

  it('ok: SQL in a function body is not exempt by tables created in the file', async () => {
    const sql =
      'CREATE TABLE t (id int);\nCREATE FUNCTION f() RETURNS void LANGUAGE sql AS $$ CREATE INDEX t_id ON t (id) $$;';
    expect(await ids(sql)).toEqual(['2:require-concurrent-index-creation']);
  });
});

describe('rule selection', () => {
  it('err: an unknown rule in the options is rejected', async () => {
    await expect(lintText('SELECT 1', { rules: { 'no-such-rule': 'off' } })).rejects.toMatchObject({
      code: 'UNKNOWN_RULE',
    });
  });
  it('ok: a rule can be turned off, and a level changed', async () => {
    const sql = 'CREATE INDEX i ON users (email);';
    expect(await ids(sql, { rules: { 'require-concurrent-index-creation': 'off' } })).toEqual([]);
    const warned = await lintText(sql, { rules: { 'require-concurrent-index-creation': 'warning' } });
    expect(warned.findings[0]!.level).toBe('warning');
  });
});
