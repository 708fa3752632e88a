/** Linting with a database URL: the server version and live schema facts sharpen the findings. */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { lint } from '../../src/lint/lint.js';
import { useTestDatabase } from '../support/database.js';
import { tempDir } from '../support/files.js';

const db = useTestDatabase();

beforeAll(async () => {
  await db.query(`
    CREATE TABLE accounts (id int PRIMARY KEY, name varchar(20), balance numeric(10,2));
    INSERT INTO accounts SELECT g, 'n' || g, g FROM generate_series(1, 5000) g;
    ANALYZE accounts;
    CREATE TABLE events (id bigint, at timestamptz NOT NULL) PARTITION BY RANGE (at);
    CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
    CREATE FUNCTION stable_fn() RETURNS int LANGUAGE sql STABLE AS 'SELECT 1';
    CREATE FUNCTION volatile_fn() RETURNS int LANGUAGE sql VOLATILE AS 'SELECT 1';
  `);
});

async function lintOne(sql: string) {
  const dir = tempDir({ 'm.sql': sql });
  return lint({ paths: [join(dir, 'm.sql')], databaseUrl: db.url });
}

describe('lint with a database URL', () => {
  it('uses the server version', async () => {
    const result = await lintOne('SELECT 1;');
    expect(result.pgVersion).toBe(15);
    expect(result.pgVersionSource).toBe('database');
    expect(result.live).toBe(true);
  });

  it('ok: a binary-coercible type change of a live column is not reported', async () => {
    const result = await lintOne(
      'ALTER TABLE accounts ALTER COLUMN name TYPE varchar(40);\nALTER TABLE accounts ALTER COLUMN balance TYPE numeric(14,2);',
    );
    expect(result.files[0]!.findings.filter((f) => f.rule === 'changing-column-type')).toEqual([]);
  });

  it('err: a rewriting type change names the live types and the table size', async () => {
    const result = await lintOne('ALTER TABLE accounts ALTER COLUMN id TYPE bigint;');
    const finding = result.files[0]!.findings.find((f) => f.rule === 'changing-column-type');
    expect(finding?.message).toContain('integer → bigint');
    expect(finding?.message).toMatch(/accounts \(~5\.0k rows, \d+ kB\)/);
    expect(finding?.level).toBe('error');
  });

  it('err: an index on a live partitioned table explains ON ONLY', async () => {
    const result = await lintOne('CREATE INDEX events_at_idx ON events (at);');
    const finding = result.files[0]!.findings.find((f) => f.rule === 'require-concurrent-index-creation');
    expect(finding?.message).toContain('events_2026');
    expect(finding?.help).toContain('ON ONLY');
  });

  it('uses the volatility of live user functions', async () => {
    const stable = await lintOne('ALTER TABLE accounts ADD COLUMN s int DEFAULT stable_fn();');
    expect(stable.files[0]!.findings.filter((f) => f.rule === 'adding-field-with-default')).toEqual([]);
    const volatile = await lintOne('ALTER TABLE accounts ADD COLUMN v int DEFAULT volatile_fn();');
    expect(volatile.files[0]!.findings.filter((f) => f.rule === 'adding-field-with-default')).toHaveLength(1);
  });

  it('err: an unreachable database is an environment error that never shows the password', async () => {
    const url = new URL(db.url);
    url.password = 'sup3r-secret-pw';
    url.port = '1';
    const dir = tempDir({ 'm.sql': 'SELECT 1;' });
    const error = await lint({ paths: [join(dir, 'm.sql')], databaseUrl: url.toString() }).catch((e) => e);
    expect(error.code).toBe('DB_CONNECT');
    expect(error.exitCode).toBe(3);
    expect(error.message).toContain('127.0.0.1:1/');
    expect(JSON.stringify(error.toJSON()) + error.message + (error.hint ?? '')).not.toContain(
      'sup3r-secret-pw',
    );
  });

  it('err: a wrong password is reported without echoing it', async () => {
    const url = new URL(db.url);
    url.password = 'wrong-pass-123';
    const dir = tempDir({ 'm.sql': 'SELECT 1;' });
    const error = await lint({ paths: [join(dir, 'm.sql')], databaseUrl: url.toString() }).catch((e) => e);
    expect(error.code).toBe('DB_CONNECT');
    expect(error.message).toMatch(/password authentication failed/);
    expect(error.message).not.toContain('wrong-pass-123');
  });
});
