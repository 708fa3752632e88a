/**
 * What a concurrent index build finds under its name: the definition comparison against what the
 * server itself prints (`pg_get_indexdef()` of indexes built from the same statements), and the
 * runner's three answers — already built (counted as done), another definition (a clear error
 * with both, nothing changed), another definition under IF NOT EXISTS (PostgreSQL keeps it).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { sameIndexDefinition } from '../../src/migrate/index-build.js';
import { type MigrateEvent, migrate } from '../../src/migrate/migrate.js';
import { loadParser, parseSql } from '../../src/sql/parser.js';
import { useTestDatabase } from '../support/database.js';
import { rejection } from '../support/errors.js';
import { tempDir } from '../support/files.js';

const db = useTestDatabase();

beforeAll(loadParser);

function indexStmt(sql: string): any {
  const parsed = parseSql(sql);
  if ('error' in parsed) throw new Error(parsed.error.message);
  return parsed.stmts[0]!.stmt.IndexStmt;
}

async function fresh(schema: string): Promise<string> {
  await db.query(
    `DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}; DROP SCHEMA IF EXISTS pgwarden CASCADE`,
  );
  await db.query(
    `CREATE TABLE ${schema}.accounts (id int PRIMARY KEY, email varchar(200), name text, balance bigint, deleted_at timestamptz)`,
  );
  const url = new URL(db.url);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
}

describe('sameIndexDefinition, against what the server prints', () => {
  // each statement is built on the server, then compared with its own pg_get_indexdef()
  const same = [
    'CREATE INDEX CONCURRENTLY i ON accounts (balance)',
    'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON accounts (name, balance)',
    'CREATE INDEX CONCURRENTLY i ON accounts USING btree (balance ASC, name DESC)',
    'CREATE INDEX CONCURRENTLY i ON accounts (balance DESC NULLS FIRST, name NULLS LAST, id NULLS FIRST)',
    'CREATE INDEX CONCURRENTLY i ON accounts (balance) INCLUDE (name) WHERE deleted_at IS NULL',
    'CREATE INDEX CONCURRENTLY i ON accounts (lower(name))',
    'CREATE INDEX CONCURRENTLY i ON accounts ((balance + 1))',
    'CREATE INDEX CONCURRENTLY i ON accounts USING hash (name)',
    'CREATE INDEX CONCURRENTLY i ON accounts (balance) WITH (fillfactor = 70)',
    'CREATE UNIQUE INDEX CONCURRENTLY i ON accounts (name) NULLS NOT DISTINCT',
    'CREATE INDEX CONCURRENTLY i ON ix_same.accounts (balance)',
  ];

  it.each(same)('%s', async (statement) => {
    await db.query('DROP SCHEMA IF EXISTS ix_same CASCADE; CREATE SCHEMA ix_same');
    await db.query(
      'CREATE TABLE ix_same.accounts (id int PRIMARY KEY, email varchar(200), name text, balance bigint, deleted_at timestamptz)',
    );
    const client = await db.connect();
    await client.query('SET search_path = ix_same');
    await client.query(statement);
    const { rows } = await client.query(`SELECT pg_get_indexdef('ix_same.i'::regclass) AS def`);
    expect(sameIndexDefinition(indexStmt(statement), rows[0].def)).toBe(true);
  });

  it.each([
    ['another column', 'CREATE INDEX i ON accounts (name)'],
    ['unique', 'CREATE UNIQUE INDEX i ON accounts (balance)'],
    ['another table', 'CREATE INDEX i ON other (balance)'],
    ['another schema given', 'CREATE INDEX i ON elsewhere.accounts (balance)'],
    ['a predicate', 'CREATE INDEX i ON accounts (balance) WHERE balance > 0'],
    ['another method', 'CREATE INDEX i ON accounts USING hash (balance)'],
    ['descending', 'CREATE INDEX i ON accounts (balance DESC)'],
    ['an option', 'CREATE INDEX i ON accounts (balance) WITH (fillfactor = 50)'],
  ])('differs: %s', (_what, statement) => {
    expect(
      sameIndexDefinition(indexStmt(statement), 'CREATE INDEX i ON public.accounts USING btree (balance)'),
    ).toBe(false);
  });

  it('counts an expression the server prints with an added cast as different (the safe side)', () => {
    expect(
      sameIndexDefinition(
        indexStmt('CREATE INDEX CONCURRENTLY i ON accounts (lower(email))'),
        'CREATE INDEX i ON public.accounts USING btree (lower((email)::text))',
      ),
    ).toBe(false);
  });
});

describe('the runner before a concurrent build, when an index of that name exists', () => {
  const migration =
    'CREATE INDEX CONCURRENTLY accounts_balance_idx ON accounts (balance);\nCREATE TABLE after_index (id int);\n';
  const run = (dir: string, url: string, onEvent?: (e: MigrateEvent) => void) =>
    migrate({
      databaseUrl: url,
      cwd: dir,
      dir,
      format: 'plain',
      allowUncommitted: true,
      ...(onEvent ? { onEvent } : {}),
    });

  it('valid and the same (written otherwise): counted as done, with an event', async () => {
    const url = await fresh('ix_done');
    await db.query('CREATE INDEX accounts_balance_idx ON ix_done.accounts USING btree (balance ASC)');
    const dir = tempDir({ '001_index.sql': migration });
    const events: MigrateEvent[] = [];
    const result = await run(dir, url, (e) => events.push(e));
    expect(result.applied.map((m) => m.id)).toEqual(['001_index']);
    expect(events).toContainEqual({
      type: 'index-already-built',
      id: '001_index',
      index: 'ix_done.accounts_balance_idx',
      line: 1,
    });
    expect(events.some((e) => e.type === 'statement' && e.index === 0)).toBe(false);
    expect((await db.query(`SELECT to_regclass('ix_done.after_index') AS t`)).rows[0].t).toBe(
      'ix_done.after_index',
    );
  });

  it('valid with another definition: a clear error showing both, the index untouched', async () => {
    const url = await fresh('ix_conflict');
    await db.query('CREATE INDEX accounts_balance_idx ON ix_conflict.accounts (name)');
    const dir = tempDir({ '001_index.sql': migration });
    const error = await rejection(run(dir, url));
    expect(error.code).toBe('MIGRATION_FAILED');
    expect(error.exitCode).toBe(1);
    expect(error.message).toContain('001_index.sql:1');
    expect(error.message).toContain(
      'ix_conflict.accounts_balance_idx already exists with another definition',
    );
    expect(error.message).toContain(
      'existing:  CREATE INDEX accounts_balance_idx ON ix_conflict.accounts USING btree (name)',
    );
    expect(error.message).toContain(
      'statement: CREATE INDEX CONCURRENTLY accounts_balance_idx ON accounts (balance)',
    );
    expect(error.hint).toContain('DROP INDEX CONCURRENTLY ix_conflict.accounts_balance_idx');
    const { rows } = await db.query(
      `SELECT pg_get_indexdef('ix_conflict.accounts_balance_idx'::regclass) AS def`,
    );
    expect(rows[0].def).toContain('(name)');
    expect((await db.query(`SELECT to_regclass('ix_conflict.after_index') AS t`)).rows[0].t).toBeNull();
  });

  it('valid with another definition, statement with IF NOT EXISTS: PostgreSQL keeps the index, as the author asked', async () => {
    const url = await fresh('ix_ine');
    await db.query('CREATE INDEX accounts_balance_idx ON ix_ine.accounts (name)');
    const dir = tempDir({
      '001_index.sql':
        'CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_balance_idx ON accounts (balance);\nCREATE TABLE after_index (id int);\n',
    });
    const result = await run(dir, url);
    expect(result.applied.map((m) => m.id)).toEqual(['001_index']);
    const { rows } = await db.query(`SELECT pg_get_indexdef('ix_ine.accounts_balance_idx'::regclass) AS def`);
    expect(rows[0].def).toContain('(name)');
  });
});
