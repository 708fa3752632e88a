import { describe, expect, it } from 'vitest';
import { lintText } from '../../../src/lint/lint.js';

const RULE = 'attach-partition-without-check';
const run = (sql: string, opts: { pgVersion?: number; before?: string } = {}) =>
  lintText(sql, { rules: { [RULE]: 'error' }, ...opts }).then((r) =>
    r.findings.filter((f) => f.rule === RULE),
  );

const ATTACH =
  "ALTER TABLE events ATTACH PARTITION events_2026 FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');";
const TABLES =
  'CREATE TABLE events (id bigint, at timestamptz) PARTITION BY RANGE (at);\nCREATE TABLE events_2026 (id bigint, at timestamptz);';

describe(RULE, () => {
  it('err: the partition is scanned under ACCESS EXCLUSIVE; the parent only gets SHARE UPDATE EXCLUSIVE', async () => {
    const f = await run(`SELECT 1;\n${ATTACH}`, { before: TABLES });
    expect(f).toHaveLength(1);
    expect(f[0]!.line).toBe(2);
    expect(f[0]!.message).toContain('ACCESS EXCLUSIVE lock on events_2026');
    expect(f[0]!.message).toContain('SHARE UPDATE EXCLUSIVE lock on events');
    expect(f[0]!.help).toContain('CHECK (at IS NOT NULL AND at …)');
  });

  it('err: before PostgreSQL 12 the parent is locked ACCESS EXCLUSIVE too', async () => {
    const f = await run(ATTACH, { before: TABLES, pgVersion: 11 });
    expect(f[0]!.message).toContain('ACCESS EXCLUSIVE lock on events,');
  });

  it('err: a CHECK that is still NOT VALID does not spare the scan', async () => {
    const before = `${TABLES}\nALTER TABLE events_2026 ADD CONSTRAINT b CHECK (at >= '2026-01-01' AND at < '2027-01-01') NOT VALID;`;
    expect(await run(ATTACH, { before })).toHaveLength(1);
  });

  it('ok: a validated CHECK on the partition key', async () => {
    const before = `${TABLES}\nALTER TABLE events_2026 ADD CONSTRAINT b CHECK (at IS NOT NULL AND at >= '2026-01-01' AND at < '2027-01-01');`;
    expect(await run(ATTACH, { before })).toEqual([]);
  });

  it('ok: a partition created in the same file is empty', async () => {
    expect(await run(`CREATE TABLE events_2026 (LIKE events INCLUDING ALL);\n${ATTACH}`)).toEqual([]);
  });

  it('err: a new partition loaded in the same file, before PostgreSQL 12, locks the existing parent during the scan', async () => {
    const sql = `CREATE TABLE events_2026 (LIKE events INCLUDING ALL);\nINSERT INTO events_2026 SELECT * FROM staging_events;\n${ATTACH}`;
    const before = 'CREATE TABLE events (id bigint, at timestamptz) PARTITION BY RANGE (at);';
    const old = await run(sql, { pgVersion: 11, before });
    expect(old).toHaveLength(1);
    expect(old[0]!.line).toBe(3);
    expect(old[0]!.message).toContain('rows loaded into it earlier in this migration');
    expect(old[0]!.message).toContain('ACCESS EXCLUSIVE lock on events,');
    expect(old[0]!.message).not.toContain('events_2026,');
    expect(await run(sql, { pgVersion: 15, before })).toEqual([]);
  });
});
