import { describe, expect, it } from 'vitest';
import { lintText } from '../../../src/lint/lint.js';

const RULE = 'primary-key-using-index-on-nullable-column';
const run = (sql: string, opts: { pgVersion?: number; before?: string } = {}) =>
  lintText(sql, { rules: { [RULE]: 'error' }, ...opts }).then((r) =>
    r.findings.filter((f) => f.rule === RULE),
  );

const PK = 'ALTER TABLE users ADD CONSTRAINT users_pkey PRIMARY KEY USING INDEX users_key_idx;';
const table = (columns: string, extra = '') =>
  `CREATE TABLE users (${columns});\nCREATE UNIQUE INDEX CONCURRENTLY users_key_idx ON users (tenant_id, id);${extra}`;

describe(RULE, () => {
  it('err: nullable index columns are named, with the ACCESS EXCLUSIVE scan', async () => {
    const f = await run(`SELECT 1;\n${PK}`, {
      before: table('tenant_id bigint NOT NULL, id bigint, email text'),
    });
    expect(f).toHaveLength(1);
    expect(f[0]!.level).toBe('error');
    expect(f[0]!.line).toBe(2);
    expect(f[0]!.message).toContain('Column "id" of users is nullable');
    expect(f[0]!.message).not.toContain('tenant_id');
    expect(f[0]!.message).toContain('ACCESS EXCLUSIVE lock on users');
    expect(f[0]!.help).toContain('CHECK (id IS NOT NULL) NOT VALID');
  });

  it('err: several nullable columns', async () => {
    const f = await run(PK, { before: table('tenant_id bigint, id bigint') });
    expect(f[0]!.message).toContain('Columns "tenant_id", "id" of users are nullable');
  });

  it('err: an unknown index is a warning that says the columns could not be checked', async () => {
    const f = await run(PK);
    expect(f).toHaveLength(1);
    expect(f[0]!.level).toBe('warning');
    expect(f[0]!.message).toContain('could not be checked');
  });

  it('ok: NOT NULL columns', async () => {
    expect(await run(PK, { before: table('tenant_id bigint NOT NULL, id bigint NOT NULL') })).toEqual([]);
    expect(
      await run(`ALTER TABLE users ALTER COLUMN id SET NOT NULL;\n${PK}`, {
        before: table('tenant_id bigint NOT NULL, id bigint'),
      }),
    ).toEqual([]);
  });

  it('ok: a validated CHECK (col IS NOT NULL) proves it on PostgreSQL 12+, not before', async () => {
    const before = table(
      'tenant_id bigint NOT NULL, id bigint',
      '\nALTER TABLE users ADD CONSTRAINT users_id_nn CHECK (id IS NOT NULL);',
    );
    expect(await run(PK, { before })).toEqual([]);
    const old = await run(PK, { before, pgVersion: 11 });
    expect(old).toHaveLength(1);
    expect(old[0]!.help).toContain('Before PostgreSQL 12');
  });

  it('err: a CHECK that is still NOT VALID does not prove it', async () => {
    const before = table(
      'tenant_id bigint NOT NULL, id bigint',
      '\nALTER TABLE users ADD CONSTRAINT users_id_nn CHECK (id IS NOT NULL) NOT VALID;',
    );
    expect(await run(PK, { before })).toHaveLength(1);
  });

  it('ok: a table created in the same file', async () => {
    expect(await run(`${table('tenant_id bigint, id bigint')}\n${PK}`)).toEqual([]);
  });
});
