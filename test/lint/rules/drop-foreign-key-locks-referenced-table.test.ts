import { describe, expect, it } from 'vitest';
import { lintText } from '../../../src/lint/lint.js';

const RULE = 'drop-foreign-key-locks-referenced-table';
const run = (sql: string, opts: { before?: string; runner?: string } = {}) =>
  lintText(sql, { rules: { [RULE]: 'warning' }, ...opts }).then((r) =>
    r.findings.filter((f) => f.rule === RULE),
  );

const TABLES =
  'CREATE TABLE users (id bigint PRIMARY KEY);\nCREATE TABLE shops (id bigint PRIMARY KEY);\nCREATE TABLE orders (id bigint, user_id bigint REFERENCES users, shop_id bigint, note text, CONSTRAINT orders_shop_fk FOREIGN KEY (shop_id) REFERENCES shops);';

describe(RULE, () => {
  it('err: DROP CONSTRAINT of a known foreign key names the referenced table', async () => {
    const f = await run('SELECT 1;\nALTER TABLE orders DROP CONSTRAINT orders_shop_fk;', { before: TABLES });
    expect(f).toHaveLength(1);
    expect(f[0]!.line).toBe(2);
    expect(f[0]!.message).toContain('referenced table shops');
    expect(f[0]!.message).toContain('ACCESS EXCLUSIVE lock on shops');
  });

  it("err: DROP CONSTRAINT by PostgreSQL's default name of an unnamed foreign key", async () => {
    const f = await run('ALTER TABLE orders DROP CONSTRAINT orders_user_id_fkey;', { before: TABLES });
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('ACCESS EXCLUSIVE lock on users');
  });

  it('err: DROP TABLE names every referenced table once', async () => {
    const f = await run('DROP TABLE orders;', { before: TABLES });
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('foreign keys to users, shops');
  });

  it('err: DROP COLUMN of a foreign-key column', async () => {
    const f = await run('ALTER TABLE orders DROP COLUMN user_id;', { before: TABLES });
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('Dropping column "user_id"');
    expect(f[0]!.message).toContain('users');
  });

  it('err: the help asks for lock_timeout when the runner does not set one', async () => {
    const f = await run('ALTER TABLE orders DROP CONSTRAINT orders_shop_fk;', {
      before: TABLES,
      runner: 'psql',
    });
    expect(f[0]!.help).toContain('Set a short lock_timeout');
  });

  it('ok: other constraints and columns, unknown constraints, new referenced tables', async () => {
    expect(await run('ALTER TABLE orders DROP COLUMN note;', { before: TABLES })).toEqual([]);
    expect(await run('ALTER TABLE orders DROP CONSTRAINT whatever;', { before: TABLES })).toEqual([]);
    expect(await run('ALTER TABLE orders DROP CONSTRAINT orders_shop_fk;')).toEqual([]);
    expect(
      await run(`${TABLES}\nALTER TABLE orders DROP CONSTRAINT orders_shop_fk;\nDROP TABLE orders;`),
    ).toEqual([]);
  });

  it('ok: a self-referencing foreign key', async () => {
    const before = 'CREATE TABLE nodes (id bigint PRIMARY KEY, parent_id bigint REFERENCES nodes);';
    expect(await run('DROP TABLE nodes;', { before })).toEqual([]);
    expect(await run('ALTER TABLE nodes DROP CONSTRAINT nodes_parent_id_fkey;', { before })).toEqual([]);
  });
});
