import { describe, expect, it } from 'vitest';
import { lintText } from '../../../src/lint/lint.js';

const RULE = 'require-concurrent-partition-detach';
const run = (sql: string, opts: { pgVersion?: number; runner?: string } = {}) =>
  lintText(sql, { rules: { [RULE]: 'error' }, ...opts }).then((r) =>
    r.findings.filter((f) => f.rule === RULE),
  );

const DETACH = 'ALTER TABLE events DETACH PARTITION events_2019;';

describe(RULE, () => {
  it('err: PostgreSQL 14+ gets a CONCURRENTLY fix', async () => {
    const f = await run(`SELECT 1;\n${DETACH}`);
    expect(f).toHaveLength(1);
    expect(f[0]!.level).toBe('error');
    expect(f[0]!.line).toBe(2);
    expect(f[0]!.message).toContain('ACCESS EXCLUSIVE lock on events,');
    expect(f[0]!.message).toContain('ACCESS EXCLUSIVE lock on events_2019');
    expect(f[0]!.fix).toBe('ALTER TABLE events DETACH PARTITION events_2019 CONCURRENTLY');
    expect(f[0]!.help).toContain('pgwarden migrate runs it alone');
  });

  it('err: the help says where CONCURRENTLY can run', async () => {
    const tx = await run(`BEGIN;\n${DETACH}\nCOMMIT;`, { runner: 'psql' });
    expect(tx[0]!.help).toContain('BEGIN … COMMIT');
    const wrapped = await run(DETACH, { runner: 'transaction' });
    expect(wrapped[0]!.help).toContain('migration of its own');
    const flyway = await run(DETACH, { runner: 'flyway' });
    expect(flyway[0]!.help).toContain('Flyway then runs this file without a transaction');
    const autocommit = await run(DETACH, { runner: 'psql' });
    expect(autocommit[0]!.help).toMatch(/DEFAULT partition\)\.$/);
  });

  it('err: inside a DO block there is no fix', async () => {
    const f = await run(`DO $$ BEGIN ${DETACH} END $$;`);
    expect(f).toHaveLength(1);
    expect(f[0]!.fix).toBeUndefined();
    expect(f[0]!.help).toContain('DO block');
  });

  it('err: before PostgreSQL 14 a warning that CONCURRENTLY needs 14', async () => {
    const f = await run(DETACH, { pgVersion: 13 });
    expect(f).toHaveLength(1);
    expect(f[0]!.level).toBe('warning');
    expect(f[0]!.help).toContain('needs PostgreSQL 14');
    expect(f[0]!.fix).toBeUndefined();
  });

  it('ok: CONCURRENTLY, FINALIZE, and a table created in the same file', async () => {
    expect(await run('ALTER TABLE events DETACH PARTITION events_2019 CONCURRENTLY;')).toEqual([]);
    expect(await run('ALTER TABLE events DETACH PARTITION events_2019 FINALIZE;')).toEqual([]);
    expect(
      await run(
        "CREATE TABLE m (at date) PARTITION BY RANGE (at);\nCREATE TABLE m_1 PARTITION OF m FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');\nALTER TABLE m DETACH PARTITION m_1;",
      ),
    ).toEqual([]);
  });
});
