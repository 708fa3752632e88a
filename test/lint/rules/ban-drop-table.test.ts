import { describe, expect, it } from 'vitest';
import { lintText } from '../../../src/lint/lint.js';

const RULE = 'ban-drop-table';
const run = (sql: string, opts: { before?: string } = {}) =>
  lintText(sql, { rules: { [RULE]: 'error' }, ...opts }).then((r) =>
    r.findings.filter((f) => f.rule === RULE),
  );

describe(RULE, () => {
  it('err: one finding per table; CASCADE is mentioned', async () => {
    const f = await run('SELECT 1;\nDROP TABLE IF EXISTS audit_log, app.audit_archive CASCADE;');
    expect(f).toHaveLength(2);
    expect(f[0]!.line).toBe(2);
    expect(f[0]!.message).toContain('audit_log');
    expect(f[1]!.message).toContain('app.audit_archive');
    expect(f[0]!.message).toContain('CASCADE');
  });

  it('err: a table with a foreign key also locks the referenced table', async () => {
    const f = await run('DROP TABLE notes;', {
      before:
        'CREATE TABLE orders (id bigint PRIMARY KEY);\nCREATE TABLE notes (id bigint, order_id bigint REFERENCES orders (id));',
    });
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('ACCESS EXCLUSIVE lock on orders');
  });

  it('ok: only the tables created in this file are exempt', async () => {
    const f = await run('CREATE TABLE staging (a int);\nDROP TABLE staging, legacy;');
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('legacy');
  });

  it('ok: temporary table created with CREATE TEMP TABLE … AS', async () =>
    expect(await run('CREATE TEMP TABLE ids AS SELECT 1 AS id;\nDROP TABLE ids;')).toEqual([]));

  it('ok: views, indexes and function bodies', async () =>
    expect(
      await run(
        'DROP VIEW v;\nDROP INDEX i;\nCREATE FUNCTION f() RETURNS void LANGUAGE sql AS $$ DROP TABLE old_rows $$;',
      ),
    ).toEqual([]));
});
