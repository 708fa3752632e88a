/**
 * What the pgwarden fix tests share: the setup migration, the incident, a project applied up to
 * its last migration (and the unsafe result beside it), and the schema and data to compare.
 */
import { migrate } from '../../src/migrate/migrate.js';
import { formatFixture, type RunnerFormat } from '../faults/runner-support.js';
import { type CliResult, pgwarden } from '../support/cli.js';
import { sqlOn, useFreshDatabases } from '../support/database.js';

/** Call once per test file (it registers the cleanup of its databases). */
export function fixProjects() {
  const freshDatabase = useFreshDatabases();
  return {
    freshDatabase,
    project: (format: RunnerFormat, change: string) => project(freshDatabase, format, change),
  };
}

export const SETUP = `CREATE FUNCTION default_plan() RETURNS text LANGUAGE sql VOLATILE AS $$ SELECT 'free' $$;
CREATE TABLE users (id bigint PRIMARY KEY, email text, name text);
INSERT INTO users SELECT g, 'u' || g || '@example.com', CASE WHEN g % 7 = 0 THEN NULL ELSE 'n' || g END FROM generate_series(1, 500) g;
CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint);
INSERT INTO orders SELECT g, g % 500 + 1 FROM generate_series(1, 300) g;
CREATE INDEX orders_old ON orders (id, user_id);
CREATE TABLE accounts (id bigint PRIMARY KEY, balance serial NOT NULL, code text);
INSERT INTO accounts (id, code) SELECT g, CASE WHEN g % 5 = 0 THEN NULL ELSE 'Code-' || g END FROM generate_series(1, 400) g;
CREATE TABLE labels (id bigint PRIMARY KEY, title text DEFAULT 'untitled');
INSERT INTO labels SELECT g, 'label ' || g FROM generate_series(1, 100) g;
CREATE TABLE tags (id bigint PRIMARY KEY, name text);
INSERT INTO tags SELECT g, 'tag ' || g FROM generate_series(1, 50) g;`;

// a default PostgreSQL computes for every row (a volatile function): the table is rewritten under
// ACCESS EXCLUSIVE; NOT NULL on top. (A constant default is instant on PostgreSQL 11+.)
export const INCIDENT = 'ALTER TABLE users ADD COLUMN plan text NOT NULL DEFAULT default_plan();';

/** The tables of SETUP under any name the tests give them (the migration tools' own tables left out). */
const TABLES = ['users', 'orders', 'purchases', 'accounts', 'labels', 'tags', 'topics'];
const IN_TABLES = `IN (${TABLES.map((t) => `'${t}'`).join(', ')})`;

/** Columns, constraints, indexes, sequences, triggers and views of SETUP's tables, for comparing two databases. */
export async function schemaOf(url: string): Promise<unknown> {
  return sqlOn(
    url,
    `SELECT 'column' AS kind, table_name || '.' || column_name || ' ' || data_type || coalesce('(' || character_maximum_length || ')', '') || ' ' || is_nullable || ' ' || coalesce(column_default, '') AS what
       FROM information_schema.columns WHERE table_schema = 'public' AND table_name ${IN_TABLES}
     UNION ALL
     SELECT 'constraint', conrelid::regclass::text || ' ' || contype::text || ' ' || pg_get_constraintdef(oid) || ' ' || convalidated::text
       FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text ${IN_TABLES}
     UNION ALL
     SELECT 'index', indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename ${IN_TABLES}
     UNION ALL
     SELECT 'sequence', d.objid::regclass::text || ' owned by ' || d.refobjid::regclass::text || '.' || a.attname
       FROM pg_depend d JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
       JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
      WHERE d.deptype = 'a' AND d.refobjid::regclass::text ${IN_TABLES}
     UNION ALL
     SELECT 'trigger', tgname FROM pg_trigger WHERE NOT tgisinternal AND tgrelid::regclass::text ${IN_TABLES}
     UNION ALL
     SELECT 'view', viewname FROM pg_views WHERE schemaname = 'public'
     ORDER BY 1, 2`,
  );
}

/** The rows of SETUP's tables (as JSON: the order of columns does not matter). */
export async function dataOf(url: string): Promise<Record<string, string>> {
  const tables = await sqlOn<{ name: string }>(
    url,
    `SELECT relname AS name FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' AND relname ${IN_TABLES} ORDER BY 1`,
  );
  const data: Record<string, string> = {};
  for (const { name } of tables) {
    const [row] = await sqlOn<{ md5: string }>(
      url,
      `SELECT md5(coalesce(string_agg(to_jsonb(t)::text, ',' ORDER BY id), '')) AS md5 FROM ${name} t`,
    );
    data[name] = row!.md5;
  }
  return data;
}

export function run(
  fixture: { cwd: string; dir: string; format: RunnerFormat },
  url: string,
  args: string[],
): Promise<CliResult> {
  return pgwarden([...args, '--format', fixture.format, '--dir', fixture.dir], {
    cwd: fixture.cwd,
    env: { DATABASE_URL: url },
  });
}

/** The project applied up to its last migration, which stays pending; and the unsafe result beside it. */
async function project(
  freshDatabase: () => Promise<{ name: string; url: string }>,
  format: RunnerFormat,
  change: string,
) {
  const fixture = formatFixture(format, [
    { name: 'setup', sql: SETUP },
    { name: 'change', sql: change },
  ]);
  const db = await freshDatabase();
  const unsafe = await freshDatabase();
  // the setup applied in-process (the CLI is what the tests exercise after it)
  await migrate({
    databaseUrl: db.url,
    cwd: fixture.cwd,
    dir: fixture.dir,
    format: fixture.format,
    target: fixture.ids[0]!,
    allowUncommitted: true,
  });
  await sqlOn(unsafe.url, `${SETUP}\n${change}`);
  return { fixture, db, unsafe };
}
