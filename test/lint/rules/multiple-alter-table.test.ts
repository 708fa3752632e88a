import { describe, expect, it } from 'vitest';
import { lintText } from '../../../src/lint/lint.js';

const RULE = 'multiple-alter-table';
const run = (sql: string, opts: { pgVersion?: number; runner?: string; before?: string } = {}) =>
  lintText(sql, { rules: { [RULE]: 'warning' }, ...opts }).then((r) =>
    r.findings.filter((f) => f.rule === RULE),
  );

const ORDERS = 'CREATE TABLE orders (id bigint PRIMARY KEY, customer_id int, quantity int, note text);';

describe(RULE, () => {
  it('err: two rewrites of one table, reported on the second, naming the first', async () => {
    const sql =
      'ALTER TABLE orders ALTER COLUMN quantity TYPE bigint;\nALTER TABLE orders ALTER COLUMN customer_id TYPE bigint;';
    const f = await run(sql, { before: ORDERS });
    expect(f).toHaveLength(1);
    expect(f[0]!.line).toBe(2);
    expect(f[0]!.level).toBe('warning');
    expect(f[0]!.message).toContain('this one rewrites orders');
    expect(f[0]!.message).toContain(
      '"ALTER TABLE orders ALTER COLUMN quantity TYPE bigint" (line 1) already rewrote it',
    );
    expect(f[0]!.help).toContain('ALTER TABLE orders …, …;');
  });

  it('err: a third statement is reported too, naming the first', async () => {
    const sql = [
      'ALTER TABLE users ALTER COLUMN email SET NOT NULL;',
      'ALTER TABLE users ALTER COLUMN name SET NOT NULL;',
      "ALTER TABLE users ADD CONSTRAINT users_name_check CHECK (name <> '');",
    ].join('\n');
    const f = await run(sql);
    expect(f.map((x) => x.line)).toEqual([2, 3]);
    expect(f[1]!.message).toContain('"ALTER TABLE users ALTER COLUMN email SET NOT NULL"');
  });

  it('err: a lock upgrade from SHARE ROW EXCLUSIVE to ACCESS EXCLUSIVE', async () => {
    const sql =
      'ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;\nALTER TABLE orders ADD COLUMN note2 text;';
    const f = await run(sql);
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('needs ACCESS EXCLUSIVE while the transaction holds SHARE ROW EXCLUSIVE');
  });

  it('ok: catalog-only changes under a lock already held', async () => {
    expect(
      await run('ALTER TABLE users ADD COLUMN nickname text;\nALTER TABLE users ADD COLUMN avatar_url text;'),
    ).toEqual([]);
    expect(
      await run(
        'ALTER TABLE users ADD COLUMN nickname text;\nALTER TABLE users ADD CONSTRAINT users_fk FOREIGN KEY (org_id) REFERENCES orgs (id) NOT VALID;',
      ),
    ).toEqual([]);
  });

  it('ok: NOT VALID then VALIDATE must not be merged', async () => {
    const sql =
      'ALTER TABLE orders ADD CONSTRAINT orders_quantity_positive CHECK (quantity > 0) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT orders_quantity_positive;\nALTER TABLE orders ALTER COLUMN quantity SET NOT NULL;';
    expect(await run(sql)).toEqual([]);
  });

  it('ok: a data change or another statement on the table in between', async () => {
    const backfill =
      "ALTER TABLE users ALTER COLUMN plan TYPE varchar(20) USING plan::varchar(20);\nUPDATE users SET plan = 'free' WHERE plan IS NULL;\nALTER TABLE users ALTER COLUMN plan SET NOT NULL;";
    expect(await run(backfill)).toEqual([]);
    const index =
      'ALTER TABLE users ALTER COLUMN email SET NOT NULL;\nCREATE INDEX users_email_idx ON users (email);\nALTER TABLE users ALTER COLUMN name SET NOT NULL;';
    expect(await run(index)).toEqual([]);
  });

  it('ok: an ALTER of another table in between does not matter', async () => {
    const sql =
      'ALTER TABLE users ALTER COLUMN email SET NOT NULL;\nALTER TABLE orgs ADD COLUMN slug text;\nALTER TABLE users ALTER COLUMN name SET NOT NULL;';
    expect((await run(sql)).map((f) => f.line)).toEqual([3]);
  });

  it('ok: a change of a column the first statement adds cannot be merged', async () => {
    const sql =
      'ALTER TABLE users ADD COLUMN score int DEFAULT random() * 100;\nALTER TABLE users ALTER COLUMN score TYPE bigint;';
    expect(await run(sql)).toEqual([]);
  });

  it('ok: separate transactions, ONLY vs not, new tables', async () => {
    const sql =
      'ALTER TABLE users ALTER COLUMN email SET NOT NULL;\nALTER TABLE users ALTER COLUMN name SET NOT NULL;';
    expect(await run(sql, { runner: 'psql' })).toEqual([]);
    expect(
      await run(
        sql.replace('ALTER TABLE users ALTER COLUMN name', 'ALTER TABLE ONLY users ALTER COLUMN name'),
      ),
    ).toEqual([]);
    expect(await run(`CREATE TABLE users (id bigint, email text, name text);\n${sql}`)).toEqual([]);
    expect(
      await run(`BEGIN;\n${sql.replace('\n', '\nCOMMIT;\nBEGIN;\n')}\nCOMMIT;`, { runner: 'psql' }),
    ).toEqual([]);
  });

  it('ok: a type change that may be binary-coercible is not a certain rewrite', async () => {
    const sql =
      'ALTER TABLE users ALTER COLUMN name TYPE text;\nALTER TABLE users ALTER COLUMN bio TYPE text;';
    expect(await run(sql)).toEqual([]);
  });
});
