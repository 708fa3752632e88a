import { describe, expect, it } from 'vitest';
import { lintText } from '../../../src/lint/lint.js';

const RULE = 'ban-drop-column';
const run = (sql: string, opts: { before?: string; runner?: string } = {}) =>
  lintText(sql, { rules: { [RULE]: 'error' }, ...opts }).then((r) =>
    r.findings.filter((f) => f.rule === RULE),
  );

describe(RULE, () => {
  it('err: names the column and the table, at the ALTER TABLE line', async () => {
    const f = await run('SELECT 1;\nALTER TABLE users DROP COLUMN legacy_code;');
    expect(f).toHaveLength(1);
    expect(f[0]!.line).toBe(2);
    expect(f[0]!.message).toContain('"legacy_code" of users');
    expect(f[0]!.message).toContain('ACCESS EXCLUSIVE');
  });

  it('err: one finding per dropped column, IF EXISTS included', async () => {
    const f = await run('ALTER TABLE orders DROP COLUMN IF EXISTS a, DROP b CASCADE;');
    expect(f.map((x) => x.message.match(/"(\w+)"/)?.[1])).toEqual(['a', 'b']);
  });

  it('err: a column added by an earlier migration is in use', async () => {
    const f = await run('ALTER TABLE users DROP COLUMN nickname;', {
      before: 'CREATE TABLE users (id bigint);\nALTER TABLE users ADD COLUMN nickname text;',
    });
    expect(f).toHaveLength(1);
  });

  it('err: inside a DO block, which runs now', async () => {
    const f = await run('DO $$ BEGIN ALTER TABLE users DROP COLUMN legacy_code; END $$;');
    expect(f).toHaveLength(1);
  });

  it('ok: table created in the same file', async () =>
    expect(await run('CREATE TABLE t (a int, b int);\nALTER TABLE t DROP COLUMN b;')).toEqual([]));

  it('ok: column added earlier in the same file', async () =>
    expect(await run('ALTER TABLE users ADD COLUMN tmp text;\nALTER TABLE users DROP COLUMN tmp;')).toEqual(
      [],
    ));

  it('ok: column added by an earlier subcommand of the same statement', async () =>
    expect(await run('ALTER TABLE users ADD COLUMN tmp text, DROP COLUMN tmp;')).toEqual([]));

  it('err: a column dropped before it is added again is still the old one', async () => {
    const f = await run('ALTER TABLE users DROP COLUMN note, ADD COLUMN note text;');
    expect(f).toHaveLength(1);
  });

  it('err: a column of that name added to another table does not count', async () => {
    const f = await run('ALTER TABLE accounts ADD COLUMN tmp text;\nALTER TABLE users DROP COLUMN tmp;');
    expect(f).toHaveLength(1);
  });

  it('ok: inside a function body, which runs only when called', async () =>
    expect(
      await run(
        'CREATE FUNCTION cleanup() RETURNS void LANGUAGE plpgsql AS $$ BEGIN ALTER TABLE users DROP COLUMN tmp; END $$;',
      ),
    ).toEqual([]));

  it('ok: temporary table', async () =>
    expect(await run('CREATE TEMP TABLE s (a int, b int);\nALTER TABLE s DROP COLUMN b;')).toEqual([]));
});
