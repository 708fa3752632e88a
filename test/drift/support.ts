/**
 * Helpers for the drift tests: a second database next to the file's own (the "expected" side of a
 * diff), resetting a database's user schema, and running drift's fix SQL statement by statement
 * (split with PostgreSQL's grammar, so CONCURRENTLY statements run outside any transaction).
 */
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { parseSqlFile } from '../../src/sql/parse-file.js';
import { loadParser } from '../../src/sql/parser.js';
import { useFreshDatabases } from '../support/database.js';

export interface ExtraDatabase {
  readonly url: string;
  readonly name: string;
  /** A new client on it; closed after the file. */
  connect(): Promise<pg.Client>;
}

/** Another `pgwarden_test_*` database on the test server (the harness's), dropped after the file. */
export function useExtraDatabase(): ExtraDatabase {
  const fresh = useFreshDatabases();
  let created: { name: string; url: string } | undefined;
  const clients: pg.Client[] = [];
  beforeAll(async () => {
    created = await fresh();
  });
  afterAll(async () => {
    for (const client of clients) await client.end().catch(() => undefined);
  });
  const get = () => {
    if (!created) throw new Error('the extra database is created in beforeAll');
    return created;
  };
  return {
    get url() {
      return get().url;
    },
    get name() {
      return get().name;
    },
    async connect() {
      const client = new pg.Client({ connectionString: get().url });
      client.on('error', () => undefined);
      await client.connect();
      clients.push(client);
      return client;
    },
  };
}

/** Drops every user object the tests make: schemas public and app, and the contrib extensions. */
export async function resetSchema(client: pg.Client): Promise<void> {
  await client.query(`
    DROP EXTENSION IF EXISTS citext, hstore;
    DROP SCHEMA IF EXISTS public, app, pgwarden, supabase_migrations CASCADE;
    CREATE SCHEMA public;`);
}

/** Runs the SQL of the differences in order, one statement at a time (outside any transaction). */
export async function applySql(client: pg.Client, sqls: readonly string[]): Promise<void> {
  await loadParser();
  for (const text of sqls) {
    const parsed = parseSqlFile({ path: 'fix.sql', text });
    if (parsed.syntaxErrors.length)
      throw new Error(`fix SQL does not parse: ${parsed.syntaxErrors[0]!.message}\n${text}`);
    for (const statement of parsed.statements.filter((s) => s.origin === 'file'))
      await client.query(statement.text);
  }
}
