import { describe, expect, it } from 'vitest';
import { lintText } from '../../../src/lint/lint.js';

const RULE = 'concurrent-index-on-partitioned-table';
const run = (sql: string, opts: { pgVersion?: number; runner?: string; before?: string } = {}) =>
  lintText(sql, { rules: { [RULE]: 'error' }, ...opts }).then((r) =>
    r.findings.filter((f) => f.rule === RULE),
  );

const EVENTS = [
  'CREATE TABLE events (id bigint, at timestamptz) PARTITION BY RANGE (at);',
  "CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');",
  "CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');",
].join('\n');

describe(RULE, () => {
  it('err: the statement fails; the help lists the known partitions', async () => {
    const f = await run('CREATE INDEX CONCURRENTLY events_at_idx ON events (at);', { before: EVENTS });
    expect(f).toHaveLength(1);
    expect(f[0]!.column).toBe(44);
    expect(f[0]!.message).toContain('events is a partitioned table');
    expect(f[0]!.help).toContain('known partitions: events_2025, events_2026');
  });

  it('err: ON ONLY does not help, and a table partitioned in the same file counts', async () => {
    expect(
      await run('CREATE INDEX CONCURRENTLY events_at_idx ON ONLY events (at);', { before: EVENTS }),
    ).toHaveLength(1);
    expect(await run(`${EVENTS}\nCREATE INDEX CONCURRENTLY events_at_idx ON events (at);`)).toHaveLength(1);
  });

  it('ok: a partition, an unknown table, the ON ONLY + attach pattern', async () => {
    const sql =
      'CREATE INDEX events_at_idx ON ONLY events (at);\nCREATE INDEX CONCURRENTLY events_2026_at_idx ON events_2026 (at);\nALTER INDEX events_at_idx ATTACH PARTITION events_2026_at_idx;\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);';
    expect(await run(sql, { before: EVENTS })).toEqual([]);
  });
});
