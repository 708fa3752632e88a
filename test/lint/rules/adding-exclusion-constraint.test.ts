import { describe, expect, it } from 'vitest';
import { lintText } from '../../../src/lint/lint.js';

const RULE = 'adding-exclusion-constraint';
const run = (sql: string) =>
  lintText(sql, { rules: { [RULE]: 'error' } }).then((r) => r.findings.filter((f) => f.rule === RULE));

describe(RULE, () => {
  it('err: ADD CONSTRAINT … EXCLUDE on an existing table', async () => {
    const f = await run(
      'SELECT 1;\nALTER TABLE reservations ADD CONSTRAINT no_overlap EXCLUDE USING gist (room_id WITH =, during WITH &&);',
    );
    expect(f).toHaveLength(1);
    expect(f[0]!.line).toBe(2);
    expect(f[0]!.message).toContain('"no_overlap"');
    expect(f[0]!.message).toContain('ACCESS EXCLUSIVE lock on reservations');
    expect(f[0]!.message).toContain('NOT VALID');
  });

  it('ok: on a table created in the same file, or in CREATE TABLE', async () => {
    expect(
      await run('CREATE TABLE b (during tstzrange);\nALTER TABLE b ADD EXCLUDE USING gist (during WITH &&);'),
    ).toEqual([]);
    expect(await run('CREATE TABLE s (during tstzrange, EXCLUDE USING gist (during WITH &&));')).toEqual([]);
  });
});
