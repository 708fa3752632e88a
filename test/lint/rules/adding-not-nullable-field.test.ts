import { describe, expect, it } from 'vitest';
import { lintText } from '../../../src/lint/lint.js';

const RULE = 'adding-not-nullable-field';
const run = (sql: string, opts: { pgVersion?: number; before?: string } = {}) =>
  lintText(sql, { rules: { [RULE]: 'error' }, ...opts }).then((r) =>
    r.findings.filter((f) => f.rule === RULE),
  );

const USERS = 'CREATE TABLE users (id bigint PRIMARY KEY, email text, name text);';

describe(RULE, () => {
  it('err: SET NOT NULL on an existing table scans under ACCESS EXCLUSIVE', async () => {
    const f = await run('SELECT 1;\nALTER TABLE users ALTER COLUMN email SET NOT NULL;', { before: USERS });
    expect(f).toHaveLength(1);
    expect(f[0]!.line).toBe(2);
    expect(f[0]!.message).toContain('"email"');
    expect(f[0]!.message).toContain('ACCESS EXCLUSIVE lock on users');
    expect(f[0]!.help).toContain('CHECK (email IS NOT NULL) NOT VALID');
  });

  it('err: one finding per column', async () => {
    const f = await run(
      'ALTER TABLE users ALTER COLUMN email SET NOT NULL, ALTER COLUMN name SET NOT NULL;',
      {
        before: USERS,
      },
    );
    expect(f.map((x) => x.message.match(/"(\w+)"/)?.[1])).toEqual(['email', 'name']);
  });

  it('ok: a validated CHECK (col IS NOT NULL) spares the scan on PostgreSQL 12+', async () => {
    const before = `${USERS}\nALTER TABLE users ADD CONSTRAINT users_email_nn CHECK (email IS NOT NULL);`;
    expect(await run('ALTER TABLE users ALTER COLUMN email SET NOT NULL;', { before })).toEqual([]);
  });

  it('ok: the CHECK validated earlier in the same file counts too', async () => {
    const sql =
      'ALTER TABLE users ADD CONSTRAINT users_email_nn CHECK (email IS NOT NULL) NOT VALID;\nALTER TABLE users VALIDATE CONSTRAINT users_email_nn;\nALTER TABLE users ALTER COLUMN email SET NOT NULL;';
    expect(await run(sql, { before: USERS })).toEqual([]);
  });

  it('err: a CHECK that is still NOT VALID does not help', async () => {
    const before = `${USERS}\nALTER TABLE users ADD CONSTRAINT users_email_nn CHECK (email IS NOT NULL) NOT VALID;`;
    expect(await run('ALTER TABLE users ALTER COLUMN email SET NOT NULL;', { before })).toHaveLength(1);
  });

  it('err: before PostgreSQL 12 the validated CHECK is ignored', async () => {
    const before = `${USERS}\nALTER TABLE users ADD CONSTRAINT users_email_nn CHECK (email IS NOT NULL);`;
    const f = await run('ALTER TABLE users ALTER COLUMN email SET NOT NULL;', { before, pgVersion: 11 });
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('PostgreSQL 11 ignores the validated CHECK "users_email_nn"');
  });

  it('err: before PostgreSQL 12 the help does not promise a scan-free path', async () => {
    const f = await run('ALTER TABLE users ALTER COLUMN email SET NOT NULL;', { pgVersion: 11 });
    expect(f[0]!.help).toContain('Before PostgreSQL 12');
  });

  it('err: PostgreSQL 18 ADD CONSTRAINT … NOT NULL', async () => {
    const f = await run('ALTER TABLE users ADD CONSTRAINT users_email_nn NOT NULL email;', {
      before: USERS,
      pgVersion: 18,
    });
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('"email"');
  });

  it('ok: PostgreSQL 18 ADD CONSTRAINT … NOT NULL … NOT VALID scans nothing', async () => {
    expect(
      await run('ALTER TABLE users ADD CONSTRAINT users_email_nn NOT NULL email NOT VALID;', {
        before: USERS,
        pgVersion: 18,
      }),
    ).toEqual([]);
  });

  it('ok: the column is already NOT NULL', async () => {
    expect(await run('ALTER TABLE users ALTER COLUMN id SET NOT NULL;', { before: USERS })).toEqual([]);
  });

  it('ok: a table created in the same file', async () => {
    expect(await run(`${USERS}\nALTER TABLE users ALTER COLUMN email SET NOT NULL;`)).toEqual([]);
  });
});
