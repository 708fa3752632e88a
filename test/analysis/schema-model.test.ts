/** The schema model follows the SQL it is shown the way PostgreSQL would. */
import { describe, expect, it } from 'vitest';
import { SchemaModel } from '../../src/analysis/schema-model.js';
import { formatType, typeFromAst } from '../../src/analysis/types.js';
import { parseSqlFile } from '../../src/sql/parse-file.js';
import { loadParser, parseSql } from '../../src/sql/parser.js';
import { useTestDatabase } from '../support/database.js';

const db = useTestDatabase();
await loadParser();

function modelOf(sql: string): SchemaModel {
  const model = new SchemaModel();
  for (const stmt of parseSqlFile({ path: 'm.sql', text: sql }).statements) {
    if (stmt.origin !== 'function-body') model.apply(stmt.kind, stmt.node, 'm.sql');
  }
  return model;
}

const SQL = `
  CREATE TABLE accounts (id bigint PRIMARY KEY);
  CREATE TABLE orders (
    id bigint PRIMARY KEY,
    account_id bigint REFERENCES accounts (id),
    ref text UNIQUE,
    amount numeric CHECK (amount > 0),
    lo int, hi int,
    CHECK (lo < hi),
    EXCLUDE USING btree (ref WITH =)
  );
  ALTER TABLE orders ADD COLUMN note text CHECK (length(note) < 100);
  ALTER TABLE orders ADD FOREIGN KEY (lo) REFERENCES accounts (id) NOT VALID;
`;

describe('SchemaModel', () => {
  it('names unnamed constraints as PostgreSQL does', async () => {
    const model = modelOf(SQL);
    const predicted = model.tables
      .get('public.orders')!
      .constraints.map((c) => c.name)
      .sort();
    await db.query(SQL);
    const { rows } = await db.query(
      `SELECT conname FROM pg_constraint WHERE conrelid = 'orders'::regclass ORDER BY conname`,
    );
    expect(predicted).toEqual(rows.map((r) => r.conname));
    expect(model.indexes.has('public.orders_pkey')).toBe(true);
    expect(model.indexes.has('public.orders_ref_key')).toBe(true);
  });

  it('keeps constraints created by CREATE TABLE valid, and ALTER … NOT VALID not valid', () => {
    const model = modelOf(
      'CREATE TABLE t (a int, CHECK (a > 0) NOT VALID);\nALTER TABLE t ADD CONSTRAINT b CHECK (a < 9) NOT VALID;',
    );
    expect(model.tables.get('public.t')!.constraints.map((c) => [c.name, c.validated])).toEqual([
      ['t_a_check', true],
      ['b', false],
    ]);
  });

  it('records persistence and population of tables created AS', () => {
    const model = modelOf(
      'CREATE TEMP TABLE scratch AS SELECT 1 AS x;\nCREATE UNLOGGED TABLE cache AS SELECT 1 AS x;\nCREATE MATERIALIZED VIEW mv AS SELECT 1 AS x WITH NO DATA;',
    );
    expect(model.table({ schema: undefined, name: 'scratch' })?.persistence).toBe('temporary');
    expect(model.table({ schema: undefined, name: 'cache' })?.persistence).toBe('unlogged');
    expect(model.table({ schema: undefined, name: 'mv' })?.populated).toBe(false);
    model.apply('RefreshMatViewStmt', { relation: { relname: 'mv' } }, 'm.sql');
    expect(model.table({ schema: undefined, name: 'mv' })?.populated).toBe(true);
  });

  it('tells char(n) from the one-byte "char" type', () => {
    const type = (sql: string) => {
      const parsed = parseSql(`CREATE TABLE x (c ${sql})`);
      if ('error' in parsed) throw new Error(parsed.error.message);
      return formatType(typeFromAst(parsed.stmts[0]!.stmt.CreateStmt.tableElts[0].ColumnDef.typeName));
    };
    expect([type('char(5)'), type('character(5)'), type('"char"'), type('pg_catalog."char"')]).toEqual([
      'char(5)',
      'char(5)',
      'char',
      'char',
    ]);
  });
});
