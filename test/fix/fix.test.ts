/**
 * `pgwarden fix` on a real server, through the CLI: the incident migration (ADD COLUMN … NOT NULL
 * DEFAULT on a table with rows) rewritten in every supported format, then applied by `migrate`:
 * the schema and the data are what the unsafe migration gives, and the new files lint clean. The
 * other recipes (SET NOT NULL, FOREIGN KEY, UNIQUE, CREATE/DROP INDEX, an UPDATE after DDL)
 * together in one file. Refusals: applied, nothing to rewrite — nothing changed.
 */
import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ALL_FORMATS, formatFixture, type RunnerFormat } from '../faults/runner-support.js';
import { type CliResult, pgwarden } from '../support/cli.js';
import { sqlOn, useFreshDatabases } from '../support/database.js';

const freshDatabase = useFreshDatabases();

const SETUP = `CREATE FUNCTION default_plan() RETURNS text LANGUAGE sql VOLATILE AS $$ SELECT 'free' $$;
CREATE TABLE users (id bigint PRIMARY KEY, email text, name text);
INSERT INTO users SELECT g, 'u' || g || '@example.com', CASE WHEN g % 7 = 0 THEN NULL ELSE 'n' || g END FROM generate_series(1, 500) g;
CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint);
INSERT INTO orders SELECT g, g % 500 + 1 FROM generate_series(1, 300) g;
CREATE INDEX orders_old ON orders (id, user_id);`;

// a default PostgreSQL computes for every row (a volatile function): the table is rewritten under
// ACCESS EXCLUSIVE; NOT NULL on top. (A constant default is instant on PostgreSQL 11+.)
const INCIDENT = 'ALTER TABLE users ADD COLUMN plan text NOT NULL DEFAULT default_plan();';

/** Columns, constraints and indexes of the two tables, for comparing two databases. */
async function schemaOf(url: string): Promise<unknown> {
  return sqlOn(
    url,
    `SELECT 'column' AS kind, table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') AS what
       FROM information_schema.columns WHERE table_schema = 'public' AND table_name IN ('users', 'orders', 'purchases')
     UNION ALL
     SELECT 'constraint', conrelid::regclass::text || ' ' || contype::text || ' ' || pg_get_constraintdef(oid) || ' ' || convalidated::text
       FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text IN ('users', 'orders', 'purchases')
     UNION ALL
     SELECT 'index', indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename IN ('users', 'orders', 'purchases')
     UNION ALL
     SELECT 'view', viewname FROM pg_views WHERE schemaname = 'public'
     ORDER BY 1, 2`,
  );
}

async function dataOf(url: string, table = 'orders'): Promise<unknown> {
  return sqlOn(
    url,
    `SELECT md5(string_agg(u::text, ',' ORDER BY id)) AS users,
            (SELECT md5(string_agg(o::text, ',' ORDER BY id)) FROM ${table} o) AS orders
       FROM users u`,
  );
}

function run(
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
async function project(format: RunnerFormat, change: string) {
  const fixture = formatFixture(format, [
    { name: 'setup', sql: SETUP },
    { name: 'change', sql: change },
  ]);
  const db = await freshDatabase();
  const unsafe = await freshDatabase();
  const first = await run(fixture, db.url, ['migrate', '--allow-uncommitted', '--target', fixture.ids[0]!]);
  expect(first.code, first.stderr).toBe(0);
  await sqlOn(unsafe.url, `${SETUP}\n${change}`);
  return { fixture, db, unsafe };
}

describe('pgwarden fix', () => {
  for (const format of ALL_FORMATS) {
    it(`${format}: the incident migration becomes the safe sequence; migrate gives the schema and data of the unsafe one`, async () => {
      const { fixture, db, unsafe } = await project(format, INCIDENT);
      const listing = () => readdirSync(fixture.dir, { recursive: true }).map(String).sort();
      const before = listing();
      const dry = await run(fixture, db.url, ['fix', fixture.ids[1]!, '--dry-run']);
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stdout).toContain('Would rewrite (dry run)');
      expect(listing()).toEqual(before);

      const fixed = await run(fixture, db.url, ['fix', fixture.ids[1]!, '--json']);
      expect(fixed.code, fixed.stderr).toBe(0);
      const result = JSON.parse(fixed.stdout);
      expect(result.written).toBe(true);
      expect(result.migrations.map((m: { phase: string }) => m.phase)).toEqual([
        'expand',
        'backfill',
        'constrain',
        'validate',
        'tighten',
      ]);
      expect(result.remaining.filter((f: { level: string }) => f.level === 'error')).toEqual([]);
      for (const file of result.original.removed) expect(existsSync(file)).toBe(false);

      const applied = await run(fixture, db.url, ['migrate', '--allow-uncommitted']);
      expect(applied.code, applied.stderr).toBe(0);
      expect(applied.stderr).toContain('backfill done: 500 rows updated of 500');
      expect(await schemaOf(db.url)).toEqual(await schemaOf(unsafe.url));
      expect(await dataOf(db.url)).toEqual(await dataOf(unsafe.url));
    });
  }

  it('a table made outside the migrations folder: the steps lint clean against the live schema', async () => {
    const fixture = formatFixture('plain', [{ name: 'change', sql: INCIDENT }]);
    const db = await freshDatabase();
    const unsafe = await freshDatabase();
    await sqlOn(db.url, SETUP);
    await sqlOn(unsafe.url, `${SETUP}\n${INCIDENT}`);
    const fixed = await run(fixture, db.url, ['fix', fixture.ids[0]!, '--json']);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(JSON.parse(fixed.stdout).remaining.filter((f: { level: string }) => f.level === 'error')).toEqual(
      [],
    );
    const applied = await run(fixture, db.url, ['migrate', '--allow-uncommitted']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(await schemaOf(db.url)).toEqual(await schemaOf(unsafe.url));
  });

  it('SET NOT NULL, FOREIGN KEY, UNIQUE, CREATE/DROP INDEX and an UPDATE after DDL, in one file', async () => {
    const change = `UPDATE users SET name = 'anonymous' WHERE name IS NULL;
ALTER TABLE users ALTER COLUMN name SET NOT NULL;
ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);
ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);
CREATE INDEX orders_user ON orders (user_id);
DROP INDEX orders_old;
ALTER TABLE users ADD COLUMN tier text;
UPDATE users SET tier = 'basic';`;
    const { fixture, db, unsafe } = await project('plain', change);
    const fixed = await run(fixture, db.url, ['fix', fixture.ids[1]!, '--json']);
    expect(fixed.code, fixed.stderr).toBe(0);
    const result = JSON.parse(fixed.stdout);
    expect(result.remaining.filter((f: { level: string }) => f.level === 'error')).toEqual([]);
    expect(
      result.migrations.map(
        (m: { phase: string; transaction: boolean }) => `${m.phase}${m.transaction ? '' : ' alone'}`,
      ),
    ).toEqual([
      'expand',
      'backfill alone',
      'index alone',
      'index alone',
      'index alone',
      'constrain',
      'validate',
      'tighten',
    ]);
    const applied = await run(fixture, db.url, ['migrate', '--allow-uncommitted']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(await schemaOf(db.url)).toEqual(await schemaOf(unsafe.url));
    expect(await dataOf(db.url)).toEqual(await dataOf(unsafe.url));
  });

  it('renames: expand with a sync trigger or a view, contract in the next run; old and new names work in between', async () => {
    const change =
      'ALTER TABLE users RENAME COLUMN name TO full_name;\nALTER TABLE orders RENAME TO purchases;';
    const { fixture, db, unsafe } = await project('dbmate', change);
    const fixed = await run(fixture, db.url, ['fix', fixture.ids[1]!, '--json']);
    expect(fixed.code, fixed.stderr).toBe(0);
    const result = JSON.parse(fixed.stdout);
    expect(result.migrations.map((m: { phase: string }) => m.phase)).toEqual([
      'expand',
      'backfill',
      'contract',
    ]);
    expect(result.remaining.filter((f: { level: string }) => f.level === 'error')).toEqual([]);
    expect(result.migrations[2].files[0].text).toContain(
      `-- pgwarden:contract after=${result.migrations[0].id}`,
    );

    const expand = await run(fixture, db.url, ['migrate', '--allow-uncommitted']);
    expect(expand.code, expand.stderr).toBe(0);
    expect(expand.stdout).toContain('stopped before the contract step');
    // the app version still running writes the old names; the new one reads the new names
    await sqlOn(
      db.url,
      `INSERT INTO users (id, email, name) VALUES (9001, 'old@example.com', 'written old')`,
    );
    await sqlOn(db.url, `INSERT INTO orders (id, user_id) VALUES (9001, 9001)`);
    expect(await sqlOn(db.url, 'SELECT full_name FROM users WHERE id = 9001')).toEqual([
      { full_name: 'written old' },
    ]);
    await sqlOn(db.url, `UPDATE users SET full_name = 'written new' WHERE id = 9001`);
    expect(await sqlOn(db.url, 'SELECT name FROM users WHERE id = 9001')).toEqual([{ name: 'written new' }]);
    expect(await sqlOn(db.url, 'SELECT count(*)::int AS n FROM purchases WHERE id = 9001')).toEqual([
      { n: 1 },
    ]);
    await sqlOn(db.url, 'DELETE FROM users WHERE id = 9001; DELETE FROM purchases WHERE id = 9001;');

    const contract = await run(fixture, db.url, ['migrate', '--allow-uncommitted']);
    expect(contract.code, contract.stderr).toBe(0);
    expect(await schemaOf(db.url)).toEqual(await schemaOf(unsafe.url));
    expect(await dataOf(db.url, 'purchases')).toEqual(await dataOf(unsafe.url, 'purchases'));
  });

  it('refuses an applied migration and one with nothing to rewrite: nothing changed', async () => {
    const { fixture, db } = await project('plain', 'CREATE TABLE audit (id bigint PRIMARY KEY);');
    const files = () => readdirSync(fixture.dir).sort();
    const before = files();
    const nothing = await run(fixture, db.url, ['fix', fixture.ids[1]!]);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('has no lint findings pgwarden fix rewrites');
    const applied = await run(fixture, db.url, ['fix', fixture.ids[0]!]);
    expect(applied.code).toBe(2);
    expect(applied.stderr).toContain('is applied: pgwarden fix rewrites pending migrations only');
    expect(files()).toEqual(before);
    expect(await sqlOn(db.url, `SELECT to_regclass('audit') AS t`)).toEqual([{ t: null }]);
  });
});
