import { describe, expect, it } from 'vitest';
import { lintText } from '../../../src/lint/lint.js';
import { parseSql } from '../../../src/sql/parser.js';

const RULE = 'prefer-robust-stmts';
const run = (sql: string, runner = 'psql') =>
  lintText(sql, { rules: { [RULE]: 'error' }, runner }).then((r) =>
    r.findings.filter((f) => f.rule === RULE),
  );

// a statement that keeps the checked one from being the last of the file
const LATER = '\nSELECT 1;';

describe(RULE, () => {
  it('err: CREATE TABLE / INDEX / SEQUENCE / SCHEMA / EXTENSION without IF NOT EXISTS, with fixes', async () => {
    const f = await run(
      [
        'CREATE TABLE t (a int);',
        'CREATE UNIQUE INDEX CONCURRENTLY t_a ON t (a);',
        'CREATE SEQUENCE s;',
        'CREATE SCHEMA app;',
        'CREATE EXTENSION pgcrypto;',
        'CREATE MATERIALIZED VIEW m AS SELECT 1;',
        'SELECT 1;',
      ].join('\n'),
    );
    expect(f.map((x) => x.fix)).toEqual([
      'CREATE TABLE IF NOT EXISTS t (a int)',
      'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS t_a ON t (a)',
      'CREATE SEQUENCE IF NOT EXISTS s',
      'CREATE SCHEMA IF NOT EXISTS app',
      'CREATE EXTENSION IF NOT EXISTS pgcrypto',
      'CREATE MATERIALIZED VIEW IF NOT EXISTS m AS SELECT 1',
    ]);
    for (const x of f) expect(parseSql(x.fix!)).toHaveProperty('stmts');
    expect(f[0]!.message).toContain('psql');
    expect(f[1]!.help).toContain('indisvalid');
  });

  it('err: DROP … without IF EXISTS, placed after the object keywords', async () => {
    const f = await run(
      `DROP INDEX CONCURRENTLY i;\nDROP MATERIALIZED VIEW m;\nDROP TRIGGER tr ON t;${LATER}`,
    );
    expect(f.map((x) => x.fix)).toEqual([
      'DROP INDEX CONCURRENTLY IF EXISTS i',
      'DROP MATERIALIZED VIEW IF EXISTS m',
      'DROP TRIGGER IF EXISTS tr ON t',
    ]);
  });

  it('err: ALTER TABLE subcommands; a fix only for a single subcommand', async () => {
    const one = await run(`ALTER TABLE t ADD x int;${LATER}`);
    expect(one[0]!.fix).toBe('ALTER TABLE t ADD COLUMN IF NOT EXISTS x int');
    const drop = await run(`ALTER TABLE add DROP add;${LATER}`);
    expect(drop[0]!.fix).toBe('ALTER TABLE add DROP COLUMN IF EXISTS add');
    const many = await run(`ALTER TABLE t ADD COLUMN x int, DROP COLUMN y, DROP CONSTRAINT c;${LATER}`);
    expect(many).toHaveLength(3);
    expect(many.every((x) => x.fix === undefined)).toBe(true);
  });

  it('err: a named ADD CONSTRAINT, unless dropped IF EXISTS before', async () => {
    expect(await run(`ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0);${LATER}`)).toHaveLength(1);
    expect(
      await run(
        `ALTER TABLE t DROP CONSTRAINT IF EXISTS c;\nALTER TABLE t ADD CONSTRAINT c CHECK (a > 0);${LATER}`,
      ),
    ).toEqual([]);
    expect(
      await run(`ALTER TABLE t DROP CONSTRAINT IF EXISTS c, ADD CONSTRAINT c CHECK (a > 0);${LATER}`),
    ).toEqual([]);
    expect(await run(`ALTER TABLE t ADD CHECK (a > 0);${LATER}`)).toEqual([]);
  });

  it('err: an unnamed index is built twice on a re-run', async () => {
    const f = await run(`CREATE INDEX ON t (a);${LATER}`);
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('duplicate index');
    expect(f[0]!.fix).toBeUndefined();
  });

  it('ok: the last statement of the file: nothing after it can fail', async () => {
    expect(await run('CREATE TABLE t (a int);')).toEqual([]);
    expect(await run('CREATE TABLE t (a int);\nCOMMIT;')).toEqual([]);
  });

  it('ok: inside a transaction: BEGIN … COMMIT, or a runner that wraps the file', async () => {
    expect(await run(`BEGIN;\nCREATE TABLE t (a int);\nCOMMIT;${LATER}`)).toEqual([]);
    expect(await run(`CREATE TABLE t (a int);${LATER}`, 'transaction')).toEqual([]);
    expect(await run(`CREATE TABLE t (a int);${LATER}`, 'single-query')).toEqual([]);
  });

  it('err: after the COMMIT of an explicit transaction', async () => {
    const f = await run(
      `BEGIN;\nCREATE TABLE t (a int);\nCOMMIT;\nCREATE TABLE u (a int);${LATER}`,
      'transaction',
    );
    expect(f).toHaveLength(1);
    expect(f[0]!.line).toBe(4);
  });

  it('ok: pgwarden resumes after the last statement that succeeded', async () =>
    expect(
      await run(`CREATE INDEX CONCURRENTLY i ON t (a);\nDROP INDEX CONCURRENTLY j;${LATER}`, 'pgwarden'),
    ).toEqual([]));

  it('err: Flyway runs a file with CREATE INDEX CONCURRENTLY without a transaction', async () => {
    const f = await run('ALTER TABLE t ADD COLUMN a int;\nCREATE INDEX CONCURRENTLY i ON t (a);', 'flyway');
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('flyway');
  });

  it('ok: dropping what the same file created', async () => {
    const sql = [
      'CREATE TABLE IF NOT EXISTS stage (a int);',
      'CREATE INDEX IF NOT EXISTS stage_a ON stage (a);',
      'ALTER TABLE users ADD COLUMN IF NOT EXISTS tmp int;',
      'ALTER TABLE users DROP COLUMN tmp;',
      'DROP INDEX stage_a;',
      'DROP TABLE stage;',
      'SELECT 1;',
    ].join('\n');
    expect(await run(sql)).toEqual([]);
  });

  it('ok: temporary tables, DO blocks and function bodies', async () => {
    expect(await run(`CREATE TEMP TABLE s (a int);${LATER}`)).toEqual([]);
    expect(await run(`DO $$ BEGIN CREATE TABLE t (a int); END $$;${LATER}`)).toEqual([]);
    expect(
      await run(`CREATE OR REPLACE FUNCTION f() RETURNS void LANGUAGE sql AS $$ DROP TABLE x $$;${LATER}`),
    ).toEqual([]);
  });
});
