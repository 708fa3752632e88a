/**
 * pgwarden's knowledge of which column type changes rewrite the table, checked against the
 * server: each change runs inside a rolled-back transaction and the relfilenode tells.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { formatType, typeChange, typeFromAst, typeFromCatalog } from '../../src/analysis/types.js';
import { loadParser, parseSql } from '../../src/sql/parser.js';
import { useTestDatabase } from '../support/database.js';

const db = useTestDatabase();

const CHANGES: Array<[from: string, to: string]> = [
  ['varchar(10)', 'varchar(20)'],
  ['varchar(20)', 'varchar(10)'],
  ['varchar(10)', 'varchar'],
  ['varchar(10)', 'text'],
  ['character varying(10)', 'text'],
  ['text', 'varchar(100)'],
  ['text', 'varchar'],
  ['numeric(10,2)', 'numeric(12,2)'],
  ['numeric(10,2)', 'numeric(10,3)'],
  ['numeric(10,2)', 'numeric(8,2)'],
  ['numeric(10,2)', 'numeric'],
  ['decimal(10,2)', 'numeric(11,2)'],
  ['int', 'bigint'],
  ['integer', 'int8'],
  ['bigint', 'int'],
  ['smallint', 'int'],
  ['timestamp(3)', 'timestamp(6)'],
  ['timestamp(6)', 'timestamp(3)'],
  ['timestamp', 'timestamp'],
  ['time(2)', 'time(4)'],
  ['cidr', 'inet'],
  ['char(5)', 'text'],
  ['char(5)', 'char(10)'],
  ['jsonb', 'json'],
  ['json', 'jsonb'],
  ['bit varying(5)', 'bit varying(10)'],
  ['int[]', 'bigint[]'],
  ['uuid', 'text'],
  ['text', 'text'],
];

function astType(sql: string) {
  const parsed = parseSql(`CREATE TABLE x (c ${sql})`);
  if ('error' in parsed) throw new Error(parsed.error.message);
  return typeFromAst(parsed.stmts[0]!.stmt.CreateStmt.tableElts[0].ColumnDef.typeName);
}

async function catalogType(table: string) {
  const { rows } = await db.query(
    `SELECT t.typname, a.atttypmod, n.nspname FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
       JOIN pg_namespace n ON n.oid = t.typnamespace WHERE a.attrelid = $1::regclass AND a.attname = 'c'`,
    [table],
  );
  return typeFromCatalog(rows[0].typname, rows[0].atttypmod, rows[0].nspname);
}

async function rewrites(from: string, to: string, timeZone: string): Promise<boolean> {
  await db.query('DROP TABLE IF EXISTS tc');
  await db.query(`CREATE TABLE tc (id int, c ${from})`);
  await db.query(`INSERT INTO tc (id) SELECT g FROM generate_series(1, 10) g`);
  await db.query('BEGIN');
  try {
    await db.query(`SELECT set_config('TimeZone', $1, true)`, [timeZone]);
    const before = (await db.query(`SELECT pg_relation_filenode('tc') AS f`)).rows[0].f;
    await db.query(`ALTER TABLE tc ALTER COLUMN c TYPE ${to}`);
    const after = (await db.query(`SELECT pg_relation_filenode('tc') AS f`)).rows[0].f;
    return before !== after;
  } finally {
    await db.query('ROLLBACK');
  }
}

beforeAll(async () => {
  await loadParser();
});

describe('type changes', () => {
  it('reads the same type from the AST and from the catalog', async () => {
    for (const [from] of CHANGES) {
      await db.query('DROP TABLE IF EXISTS tt');
      await db.query(`CREATE TABLE tt (c ${from})`);
      expect(formatType(await catalogType('tt')), from).toBe(formatType(astType(from)));
    }
  });

  it('predicts the rewrite of every change as the server does it', async () => {
    const wrong: string[] = [];
    for (const [from, to] of CHANGES) {
      const verdict = typeChange(astType(from), astType(to), 15);
      for (const zone of ['UTC', 'America/New_York']) {
        let actual: boolean;
        try {
          actual = await rewrites(from, to, zone);
        } catch {
          continue; // not convertible without USING: irrelevant for rewrites
        }
        const predicted = verdict.rewrite === 'yes' || (verdict.rewrite === 'unless-utc' && zone !== 'UTC');
        if (predicted !== actual)
          wrong.push(`${from} → ${to} (${zone}): predicted ${predicted}, server ${actual}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('timestamp ↔ timestamptz depends on the session time zone', async () => {
    expect(typeChange(astType('timestamp'), astType('timestamptz'), 15).rewrite).toBe('unless-utc');
    expect(await rewrites('timestamp', 'timestamptz', 'UTC')).toBe(false);
    expect(await rewrites('timestamp', 'timestamptz', 'America/New_York')).toBe(true);
    expect(typeChange(astType('timestamp'), astType('timestamptz'), 11).rewrite).toBe('yes');
  });
});
