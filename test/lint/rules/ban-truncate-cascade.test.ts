import { describe, expect, it } from 'vitest';
import { lintText } from '../../../src/lint/lint.js';

const RULE = 'ban-truncate-cascade';
const run = (sql: string, opts: { pgVersion?: number; runner?: string; before?: string } = {}) =>
  lintText(sql, { rules: { [RULE]: 'error' }, ...opts }).then((r) =>
    r.findings.filter((f) => f.rule === RULE),
  );

const CHAIN = [
  'CREATE TABLE customers (id bigint PRIMARY KEY);',
  'CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers (id));',
  'CREATE TABLE order_items (id bigint PRIMARY KEY, order_id bigint REFERENCES orders (id));',
  'CREATE TABLE notes (id bigint PRIMARY KEY, note_of bigint REFERENCES notes (id));',
].join('\n');

describe(RULE, () => {
  it('err: names the tables reached through foreign keys, transitively', async () => {
    const f = await run('TRUNCATE customers CASCADE;', { before: CHAIN });
    expect(f).toHaveLength(1);
    expect(f[0]!.column).toBe(10);
    expect(f[0]!.message).toContain('empties customers');
    expect(f[0]!.message).toContain('orders, order_items');
    expect(f[0]!.message).toContain('any other referencing table pgwarden does not know of');
  });

  it('err: unknown tables: says pgwarden does not know which', async () => {
    const f = await run('TRUNCATE plans CASCADE;');
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('does not know which');
  });

  it('ok: without CASCADE; everything reached was created in this migration', async () => {
    expect(await run('TRUNCATE customers, orders, order_items;', { before: CHAIN })).toEqual([]);
    expect(await run(`${CHAIN}\nTRUNCATE customers CASCADE;`)).toEqual([]);
  });

  it('err: a new table referenced by an existing one', async () => {
    const sql =
      'CREATE TABLE tags (id bigint PRIMARY KEY);\nALTER TABLE orders ADD CONSTRAINT orders_tag_fk FOREIGN KEY (tag_id) REFERENCES tags (id);\nTRUNCATE tags CASCADE;';
    const f = await run(sql, { before: CHAIN });
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('orders, order_items');
  });
});
