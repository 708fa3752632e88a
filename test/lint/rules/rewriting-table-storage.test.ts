import { describe, expect, it } from 'vitest';
import { lintText } from '../../../src/lint/lint.js';

const RULE = 'rewriting-table-storage';
const run = (sql: string, opts: { pgVersion?: number; runner?: string; before?: string } = {}) =>
  lintText(sql, { rules: { [RULE]: 'error' }, ...opts }).then((r) =>
    r.findings.filter((f) => f.rule === RULE),
  );

describe(RULE, () => {
  it('err: each storage change, one finding per subcommand', async () => {
    const f = await run(
      'ALTER TABLE events SET UNLOGGED, SET TABLESPACE archive;\nALTER TABLE events SET ACCESS METHOD columnar;',
    );
    expect(f.map((x) => x.line)).toEqual([1, 1, 2]);
    expect(f[0]!.message).toContain('SET UNLOGGED rewrites events and all its indexes');
    expect(f[0]!.message).toContain('ACCESS EXCLUSIVE lock on events, blocking all reads and writes');
    expect(f[1]!.message).toContain('to tablespace archive');
    expect(f[2]!.message).toContain('SET ACCESS METHOD columnar');
  });

  it('ok: the persistence the table already has rewrites nothing', async () => {
    expect(
      await run('ALTER TABLE events SET LOGGED;', { before: 'CREATE TABLE events (id bigint);' }),
    ).toEqual([]);
    expect(
      await run('ALTER TABLE staging SET UNLOGGED;', {
        before: 'CREATE UNLOGGED TABLE staging (id bigint);',
      }),
    ).toEqual([]);
    const f = await run('ALTER TABLE staging SET LOGGED;', {
      before: 'CREATE UNLOGGED TABLE staging (id bigint);',
    });
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('WAL');
  });

  it('ok: a partitioned table has no storage of its own', async () => {
    const before = 'CREATE TABLE m (at timestamptz) PARTITION BY RANGE (at);';
    expect(
      await run('ALTER TABLE m SET TABLESPACE archive;\nALTER TABLE m SET UNLOGGED;', { before }),
    ).toEqual([]);
  });

  it('ok: a table created in this migration; SET ACCESS METHOD before PostgreSQL 15', async () => {
    expect(await run('CREATE TABLE t (id bigint);\nALTER TABLE t SET TABLESPACE archive;')).toEqual([]);
    expect(await run('ALTER TABLE t SET ACCESS METHOD columnar;', { pgVersion: 14 })).toEqual([]);
  });

  it('err: ALTER INDEX … SET TABLESPACE, with REINDEX (TABLESPACE) CONCURRENTLY on PostgreSQL 14+', async () => {
    const before =
      'CREATE TABLE users (id bigint, email text);\nCREATE INDEX users_email_idx ON users (email);';
    const f = await run('ALTER INDEX users_email_idx SET TABLESPACE fast_ssd;', { before });
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('every query planned on users');
    expect(f[0]!.fix).toBe('REINDEX (TABLESPACE fast_ssd) INDEX CONCURRENTLY users_email_idx');
    const old = await run('ALTER INDEX users_email_idx SET TABLESPACE fast_ssd;', { before, pgVersion: 13 });
    expect(old[0]!.fix).toBeUndefined();
    expect(await run(`${before}\nALTER INDEX users_email_idx SET TABLESPACE fast_ssd;`)).toEqual([]);
  });

  it('err: ALTER TABLE ALL IN TABLESPACE', async () => {
    const f = await run('ALTER TABLE ALL IN TABLESPACE old_disk SET TABLESPACE new_disk;');
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('every table in old_disk');
  });
});
