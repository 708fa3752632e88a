import { describe, expect, it } from 'vitest';
import { lintText } from '../../../src/lint/lint.js';

const RULE = 'adding-foreign-key-constraint';
const run = (sql: string, opts: { pgVersion?: number; before?: string } = {}) =>
  lintText(sql, { rules: { [RULE]: 'error' }, ...opts }).then((r) =>
    r.findings.filter((f) => f.rule === RULE),
  );

const TABLES =
  'CREATE TABLE users (id bigint PRIMARY KEY);\nCREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint);';

describe(RULE, () => {
  it('err: a foreign key between existing tables locks both and offers NOT VALID', async () => {
    const f = await run(
      'SELECT 1;\nALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id);',
      { before: TABLES },
    );
    expect(f).toHaveLength(1);
    expect(f[0]!.level).toBe('error');
    expect(f[0]!.line).toBe(2);
    expect(f[0]!.message).toContain('SHARE ROW EXCLUSIVE lock on orders');
    expect(f[0]!.message).toContain('SHARE ROW EXCLUSIVE lock on users');
    expect(f[0]!.fix).toBe(
      'ALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID',
    );
    expect(f[0]!.help).toContain('VALIDATE CONSTRAINT orders_user_id_fkey');
  });

  it("err: an unnamed foreign key's help names PostgreSQL's default constraint name", async () => {
    const f = await run('ALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users;');
    expect(f).toHaveLength(1);
    expect(f[0]!.help).toContain('VALIDATE CONSTRAINT orders_user_id_fkey');
  });

  it('err: the fix puts NOT VALID before a trailing comment', async () => {
    const f = await run(
      'ALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users (id) -- link orders\n;',
    );
    expect(f[0]!.fix).toBe(
      'ALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID -- link orders',
    );
  });

  it('err: no fix when the ALTER TABLE has other subcommands', async () => {
    const f = await run(
      'ALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users (id), ADD COLUMN note text;',
    );
    expect(f).toHaveLength(1);
    expect(f[0]!.fix).toBeUndefined();
  });

  it('err: a new table referencing an existing one is a warning about the referenced lock only', async () => {
    const f = await run(
      'CREATE TABLE carts (id bigint PRIMARY KEY, user_id bigint);\nALTER TABLE carts ADD FOREIGN KEY (user_id) REFERENCES users (id);',
      { before: TABLES },
    );
    expect(f).toHaveLength(1);
    expect(f[0]!.level).toBe('warning');
    expect(f[0]!.message).toContain('checks no rows');
    expect(f[0]!.message).toContain('SHARE ROW EXCLUSIVE lock on users');
    expect(f[0]!.fix).toBeUndefined();
  });

  it('err: an existing table referencing a new one is still scanned', async () => {
    const f = await run(
      'CREATE TABLE regions (id bigint PRIMARY KEY);\nALTER TABLE orders ADD FOREIGN KEY (region_id) REFERENCES regions (id);',
      { before: TABLES },
    );
    expect(f).toHaveLength(1);
    expect(f[0]!.level).toBe('error');
  });

  it('ok: both tables created in the same file', async () => {
    expect(
      await run(
        'CREATE TABLE teams (id bigint PRIMARY KEY);\nCREATE TABLE members (id bigint, team_id bigint);\nALTER TABLE members ADD FOREIGN KEY (team_id) REFERENCES teams (id);',
      ),
    ).toEqual([]);
  });

  it('ok: a self-reference on a new table', async () => {
    expect(
      await run(
        'CREATE TABLE nodes (id bigint PRIMARY KEY, parent_id bigint);\nALTER TABLE nodes ADD FOREIGN KEY (parent_id) REFERENCES nodes (id);',
      ),
    ).toEqual([]);
  });

  it('ok: NOT VALID, ADD COLUMN … REFERENCES and CREATE TABLE … REFERENCES', async () => {
    expect(
      await run('ALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;'),
    ).toEqual([]);
    expect(await run('ALTER TABLE orders ADD COLUMN coupon_id bigint REFERENCES coupons (id);')).toEqual([]);
    expect(await run('CREATE TABLE payments (id bigint, order_id bigint REFERENCES orders (id));')).toEqual(
      [],
    );
  });

  it('err: ADD COLUMN … REFERENCES with any default (DEFAULT NULL too) checks every row; not on a new table', async () => {
    for (const def of ['DEFAULT NULL', 'DEFAULT 1']) {
      const f = await run(`ALTER TABLE orders ADD COLUMN coupon_id bigint ${def} REFERENCES coupons (id);`, {
        before: TABLES,
      });
      expect(f).toHaveLength(1);
      expect(f[0]!.level).toBe('error');
      expect(f[0]!.message).toContain(
        'Adding column "coupon_id" with a default and REFERENCES coupons checks every row of orders against coupons',
      );
      expect(f[0]!.help).toContain('Add the column without the default');
      // pgwarden fix has no recipe for it: not marked fixable
      expect(f[0]!.fixable).toBeUndefined();
    }
    expect(
      await run(
        'CREATE TABLE carts (id bigint PRIMARY KEY);\nALTER TABLE carts ADD COLUMN coupon_id bigint DEFAULT NULL REFERENCES coupons (id);',
      ),
    ).toEqual([]);
  });

  it('err: a partitioned table before PostgreSQL 18 gets the per-partition advice and no fix', async () => {
    const before = 'CREATE TABLE events (id bigint, user_id bigint, at timestamptz) PARTITION BY RANGE (at);';
    const sql = 'ALTER TABLE events ADD FOREIGN KEY (user_id) REFERENCES users (id);';
    const old = await run(sql, { before, pgVersion: 15 });
    expect(old).toHaveLength(1);
    expect(old[0]!.fix).toBeUndefined();
    expect(old[0]!.help).toContain('each partition');
    const pg18 = await run(sql, { before, pgVersion: 18 });
    expect(pg18[0]!.fix).toContain('NOT VALID');
  });
});
