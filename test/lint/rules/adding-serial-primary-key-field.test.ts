import { describe, expect, it } from 'vitest';
import { lintText } from '../../../src/lint/lint.js';

const RULE = 'adding-serial-primary-key-field';
const run = (sql: string, opts: { before?: string } = {}) =>
  lintText(sql, { rules: { [RULE]: 'error' }, ...opts }).then((r) =>
    r.findings.filter((f) => f.rule === RULE),
  );

describe(RULE, () => {
  it('err: ADD PRIMARY KEY builds the index under ACCESS EXCLUSIVE', async () => {
    const f = await run('SELECT 1;\nALTER TABLE users ADD PRIMARY KEY (id);');
    expect(f).toHaveLength(1);
    expect(f[0]!.line).toBe(2);
    expect(f[0]!.message).toContain('ACCESS EXCLUSIVE lock on users');
    expect(f[0]!.help).toContain('CREATE UNIQUE INDEX CONCURRENTLY');
  });

  it('err: ADD COLUMN … PRIMARY KEY', async () => {
    const f = await run('ALTER TABLE audit_log ADD COLUMN id bigserial PRIMARY KEY;');
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('"id"');
  });

  it('err: a partitioned table gets per-partition advice', async () => {
    const f = await run('ALTER TABLE events ADD PRIMARY KEY (id, at);', {
      before: 'CREATE TABLE events (id bigint NOT NULL, at timestamptz NOT NULL) PARTITION BY RANGE (at);',
    });
    expect(f[0]!.help).toContain('each partition');
  });

  it('ok: USING INDEX, a new table, and a UNIQUE column', async () => {
    expect(
      await run('ALTER TABLE users ADD CONSTRAINT users_pkey PRIMARY KEY USING INDEX users_id_idx;'),
    ).toEqual([]);
    expect(await run('CREATE TABLE tags (id bigint);\nALTER TABLE tags ADD PRIMARY KEY (id);')).toEqual([]);
    expect(await run('ALTER TABLE users ADD COLUMN handle text UNIQUE;')).toEqual([]);
  });
});
