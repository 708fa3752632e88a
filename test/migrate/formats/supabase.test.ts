/**
 * The Supabase format against a real server: the folder as the Supabase CLI lists it, the
 * `statements` array split as the CLI splits files (expected arrays derived by hand from
 * supabase/cli pkg/parser and its tests), `supabase_migrations.schema_migrations` created and
 * written exactly as the CLI does, and `migration repair`-style resolve.
 */
import { join } from 'node:path';
import type pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { checksumOf } from '../../../src/migrate/checksum.js';
import { supabaseFormat, supabaseStatements } from '../../../src/migrate/formats/supabase.js';
import { loadParser } from '../../../src/sql/parser.js';
import { useTestDatabase } from '../../support/database.js';
import { tempDir } from '../../support/files.js';
import { catchError, describeTable, recordApplied } from './support.js';

const db = useTestDatabase();
const fixture = join(import.meta.dirname, '../../fixtures/migrate/supabase/supabase/migrations');
const history = supabaseFormat.history;

/** The CLI's table, from pkg/migration/history.go (CREATE_VERSION_TABLE, ADD_STATEMENTS_COLUMN, ADD_NAME_COLUMN). */
function nativeDdl(schema: string): string {
  return `CREATE SCHEMA IF NOT EXISTS ${schema};
CREATE TABLE IF NOT EXISTS ${schema}.schema_migrations (version text NOT NULL PRIMARY KEY);
ALTER TABLE ${schema}.schema_migrations ADD COLUMN IF NOT EXISTS statements text[];
ALTER TABLE ${schema}.schema_migrations ADD COLUMN IF NOT EXISTS name text;`;
}

/** What `parser.SplitAndTrim` returns for each fixture file. */
const FIXTURE_STATEMENTS: Record<string, string[]> = {
  '20240105093000': [
    '-- Profiles, one per user.\ncreate table public.profiles (\n  id uuid primary key,\n  username text not null unique,\n  created_at timestamptz not null default now()\n)',
    'alter table public.profiles enable row level security',
  ],
  '20240112141500': ['alter table public.profiles add column bio text'],
  '20240120080000': ['create index profiles_username_lower_idx on public.profiles (lower(username))'],
  '20240202120000': [
    'alter table public.profiles add column updated_at timestamptz not null default now()',
    '-- Keep updated_at current; the body has semicolons of its own.\ncreate or replace function public.handle_updated_at() returns trigger\nlanguage plpgsql as $$\nbegin\n  new.updated_at := now();\n  return new;\nend;\n$$',
    'create trigger profiles_updated_at before update on public.profiles\n  for each row execute function public.handle_updated_at()',
    '-- end of migration',
  ],
};

/** A database of its own state: drops the CLI's schema so each test starts without history. */
async function cleanClient(): Promise<pg.Client> {
  const client = await db.connect();
  await client.query('DROP SCHEMA IF EXISTS supabase_migrations CASCADE');
  return client;
}

beforeAll(async () => {
  await loadParser();
});

describe('supabase folder', () => {
  it('reads <version>_<name>.sql files in version order, ignoring other files', () => {
    const migrations = supabaseFormat.read(fixture);
    expect(migrations.map((m) => m.id)).toEqual([
      '20240105093000',
      '20240112141500',
      '20240120080000',
      '20240202120000',
    ]);
    expect(migrations.map((m) => m.name)).toEqual([
      'create_profiles',
      'add_profile_bio',
      'profiles_username_index',
      'handle_updated_at',
    ]);
    const last = migrations[3]!;
    expect(last.path).toBe('20240202120000_handle_updated_at.sql');
    expect(last.up).toMatchObject({ path: join(fixture, last.path), offset: 0 });
    expect(last.up.text).toContain('language plpgsql as $$');
    expect(last.checksum).toBe(checksumOf(last.up.text));
    expect(last.down).toBeUndefined();
    expect(supabaseFormat.hasDown).toBe(false);
  });

  it('takes the version as all leading digits and the name as the rest, sorting by version', () => {
    const dir = tempDir({
      '20240105093000_b.sql': 'SELECT 2;',
      '20240105_a_b_c.sql': 'SELECT 1;',
      '3_short.sql': 'SELECT 3;',
      'notes.md': 'x',
    });
    const migrations = supabaseFormat.read(dir);
    expect(migrations.map((m) => [m.id, m.name])).toEqual([
      ['20240105', 'a_b_c'],
      ['20240105093000', 'b'],
      ['3', 'short'],
    ]);
  });

  it('skips a deprecated first <timestamp>_init.sql older than 2021-12-09, as the CLI does', () => {
    const dir = tempDir({ '20211208000000_init.sql': 'SELECT 0;', '20220101000000_a.sql': 'SELECT 1;' });
    expect(supabaseFormat.read(dir).map((m) => m.id)).toEqual(['20220101000000']);
    const recent = tempDir({ '20220101000000_init.sql': 'SELECT 0;' });
    expect(supabaseFormat.read(recent).map((m) => m.id)).toEqual(['20220101000000']);
  });

  it('skips .sql files without the version prefix with a warning naming each, as the CLI does', async () => {
    const dir = tempDir({
      '20240101000000_a.sql': 'SELECT 1;',
      'add_users.sql': 'SELECT 1;',
      'v2_x.sql': 'SELECT 1;',
    });
    const warnings: string[] = [];
    const migrations = supabaseFormat.read(dir, (w) => warnings.push(w));
    expect(migrations.map((m) => m.id)).toEqual(['20240101000000']);
    expect(warnings).toEqual([
      'add_users.sql is skipped, as the Supabase CLI skips it: its name does not match <timestamp>_<name>.sql (rename it, e.g. 20240101120000_add_users.sql, to have it applied)',
      'v2_x.sql is skipped, as the Supabase CLI skips it: its name does not match <timestamp>_<name>.sql (rename it, e.g. 20240101120000_v2_x.sql, to have it applied)',
    ]);
  });

  it('refuses two files with the same version', async () => {
    const dir = tempDir({ '20240101000000_a.sql': 'SELECT 1;', '20240101000000_b.sql': 'SELECT 2;' });
    const error = await catchError(() => supabaseFormat.read(dir));
    expect(error.code).toBe('USAGE');
    expect(error.message).toContain('20240101000000_a.sql and 20240101000000_b.sql');
  });

  it('scores supabase/migrations (or migrations next to a Supabase config.toml) 3', () => {
    expect(supabaseFormat.detectFolder(fixture)).toBe(3);
    const withConfig = tempDir({
      'config.toml': 'project_id = "x"\n',
      'migrations/20240101000000_a.sql': 'SELECT 1;',
    });
    expect(supabaseFormat.detectFolder(join(withConfig, 'migrations'))).toBe(3);
    const otherConfig = tempDir({
      'config.toml': '[server]\nport = 1\n',
      'migrations/20240101000000_a.sql': 'SELECT 1;',
    });
    expect(supabaseFormat.detectFolder(join(otherConfig, 'migrations'))).toBe(0);
    const empty = tempDir({ 'supabase/migrations/.gitkeep': '' });
    expect(supabaseFormat.detectFolder(join(empty, 'supabase/migrations'))).toBe(1);
    const elsewhere = tempDir({ 'db/20240101000000_a.sql': 'SELECT 1;' });
    expect(supabaseFormat.detectFolder(join(elsewhere, 'db'))).toBe(0);
  });
});

describe('supabase statements (pkg/parser SplitAndTrim)', () => {
  it('splits the fixture files as the CLI does', () => {
    for (const migration of supabaseFormat.read(fixture)) {
      expect(supabaseStatements(migration.up.text)).toEqual(FIXTURE_STATEMENTS[migration.id]);
    }
  });

  it('keeps leading comments with the next statement and a trailing comment as its own element', () => {
    // state_test.go "after separator": ["END;", "-- comment"].
    expect(supabaseStatements('END;-- comment')).toEqual(['END', '-- comment']);
    expect(supabaseStatements('-- first\nSELECT 1;\n/* two */ SELECT 2;\n')).toEqual([
      '-- first\nSELECT 1',
      '/* two */ SELECT 2',
    ]);
  });

  it('does not cut at semicolons in comments, quotes, identifiers, dollar quotes and parentheses', () => {
    // state_test.go: block comments, quoted identifiers, dollar quotes, CREATE RULE ... DO (...).
    expect(supabaseStatements('SELECT /* ; */ 1;')).toEqual(['SELECT /* ; */ 1']);
    expect(supabaseStatements('SELECT 1 --; 1\n;')).toEqual(['SELECT 1 --; 1']);
    expect(supabaseStatements(`SELECT ';'';' AS x;`)).toEqual([`SELECT ';'';' AS x`]);
    expect(supabaseStatements('CREATE POLICY "cats;dogs" on cats_dogs; END')).toEqual([
      'CREATE POLICY "cats;dogs" on cats_dogs',
      'END',
    ]);
    expect(supabaseStatements('SELECT $tag$ any ; string$tag$;')).toEqual(['SELECT $tag$ any ; string$tag$']);
    expect(
      supabaseStatements(
        'CREATE RULE notify_me AS ON UPDATE TO mytable DO (NOTIFY mytable; SELECT "1");SELECT 1',
      ),
    ).toEqual(['CREATE RULE notify_me AS ON UPDATE TO mytable DO (NOTIFY mytable; SELECT "1")', 'SELECT 1']);
  });

  it('keeps a BEGIN ATOMIC body whole (state_test.go "inline body")', () => {
    const body = `CREATE FUNCTION add(a integer, b integer) RETURNS integer
LANGUAGE SQL
IMMUTABLE STRICT PARALLEL SAFE
RETURNS NULL ON NULL INPUT
BEGIN ATOMIC
\tSELECT 'add';
\tSELECT a + b;
END`;
    expect(supabaseStatements(`${body};\nSELECT 1;`)).toEqual([body, 'SELECT 1']);
  });

  it('drops empty statements and trims every trailing semicolon and white space, keeping CRLF inside', () => {
    expect(supabaseStatements(';;SELECT 1;;\n')).toEqual(['SELECT 1']);
    expect(supabaseStatements('BEGIN   ;  END')).toEqual(['BEGIN', 'END']);
    expect(supabaseStatements('SELECT 1\r\n  , 2;\r\nSELECT 3;\r\n')).toEqual([
      'SELECT 1\r\n  , 2',
      'SELECT 3',
    ]);
    expect(supabaseStatements('\n\n')).toEqual([]);
  });

  it('still cuts a file with a syntax error at its top-level semicolons', () => {
    expect(supabaseStatements('SELEC 1;\nSELECT 2;')).toEqual(['SELEC 1', 'SELECT 2']);
  });
});

describe('supabase history', () => {
  it('creates supabase_migrations.schema_migrations exactly as the CLI does, once, without leaking lock_timeout', async () => {
    const client = await cleanClient();
    await client.query('DROP SCHEMA IF EXISTS sb_native CASCADE');
    await client.query(nativeDdl('sb_native'));
    const ctx = { client };
    expect(await history.detect(ctx)).toBe(false);
    await history.ensure(ctx);
    await history.ensure(ctx);
    expect(await history.detect(ctx)).toBe(true);
    expect(await describeTable(client, 'supabase_migrations', 'schema_migrations')).toEqual(
      await describeTable(client, 'sb_native', 'schema_migrations'),
    );
    // history.go sets lock_timeout only for the creation batch.
    expect((await client.query('SHOW lock_timeout')).rows[0].lock_timeout).toBe('0');
  });

  it('adds the statements and name columns to a table made by an older CLI, keeping its rows', async () => {
    const client = await cleanClient();
    await client.query(
      'CREATE SCHEMA supabase_migrations; CREATE TABLE supabase_migrations.schema_migrations (version text NOT NULL PRIMARY KEY)',
    );
    await client.query("INSERT INTO supabase_migrations.schema_migrations VALUES ('20210101000000')");
    expect(await history.detect({ client })).toBe(true);
    await history.ensure({ client });
    const { rows } = await client.query(
      'SELECT version, statements, name FROM supabase_migrations.schema_migrations',
    );
    expect(rows).toEqual([{ version: '20210101000000', statements: null, name: null }]);
    expect((await history.read({ client })).applied).toEqual([{ id: '20210101000000', state: 'applied' }]);
  });

  it('writes the row the CLI writes (version, name, statements), every column', async () => {
    const client = await cleanClient();
    const ctx = { client };
    await history.ensure(ctx);
    const migration = supabaseFormat.read(fixture)[3]!;
    await recordApplied(history, ctx, [migration]);
    const { rows } = await client.query('SELECT * FROM supabase_migrations.schema_migrations');
    expect(rows).toEqual([
      {
        version: '20240202120000',
        statements: FIXTURE_STATEMENTS['20240202120000'],
        name: 'handle_updated_at',
      },
    ]);
  });

  it('round-trips the fixture: rows read back in version order, equal to what the CLI writes', async () => {
    const client = await cleanClient();
    const ctx = { client };
    await history.ensure(ctx);
    const migrations = supabaseFormat.read(fixture);
    await recordApplied(history, ctx, [...migrations].reverse());
    const state = await history.read(ctx);
    expect(state).toMatchObject({ exists: true, table: 'supabase_migrations.schema_migrations' });
    expect(state.applied).toEqual(migrations.map((m) => ({ id: m.id, state: 'applied' })));
    const { rows } = await client.query(
      'SELECT version, name, statements FROM supabase_migrations.schema_migrations ORDER BY version',
    );
    expect(rows).toEqual(
      migrations.map((m) => ({ version: m.id, name: m.name, statements: FIXTURE_STATEMENTS[m.id] })),
    );
  });

  it('reads a missing table as not existing', async () => {
    const client = await cleanClient();
    expect(await history.read({ client })).toEqual({
      exists: false,
      table: 'supabase_migrations.schema_migrations',
      applied: [],
    });
  });

  it('does not detect a table elsewhere that lacks the statements column', async () => {
    const client = await cleanClient();
    await client.query('DROP SCHEMA IF EXISTS sb_other CASCADE; CREATE SCHEMA sb_other');
    await client.query('CREATE TABLE sb_other.schema_migrations (version varchar PRIMARY KEY)');
    expect(await history.detect({ client, table: 'sb_other.schema_migrations' })).toBe(false);
    await history.ensure({ client, table: 'sb_other.schema_migrations' });
    expect(await history.detect({ client, table: 'sb_other.schema_migrations' })).toBe(true);
  });

  it('resolves like `supabase migration repair`: applied upserts the row, reverted deletes it', async () => {
    const client = await cleanClient();
    const ctx = { client };
    const [first, second] = supabaseFormat.read(fixture);
    expect(await history.resolve!(ctx, first!, 'applied')).toContain(
      'recorded version 20240105093000 as applied',
    );
    await client.query(
      "UPDATE supabase_migrations.schema_migrations SET statements = '{stale}', name = 'old' WHERE version = '20240105093000'",
    );
    await history.resolve!(ctx, first!, 'applied');
    const { rows } = await client.query(
      'SELECT version, name, statements FROM supabase_migrations.schema_migrations',
    );
    expect(rows).toEqual([
      {
        version: '20240105093000',
        name: 'create_profiles',
        statements: FIXTURE_STATEMENTS['20240105093000'],
      },
    ]);
    expect(await history.resolve!(ctx, second!, 'rolled-back')).toContain(
      'was not recorded; nothing changed',
    );
    expect(await history.resolve!(ctx, first!, 'rolled-back')).toContain('removed version 20240105093000');
    expect((await history.read(ctx)).applied).toEqual([]);
  });

  it('has no lock of its own and records nothing before a migration runs', () => {
    expect(history.lockKeys).toBeUndefined();
    expect(history.markStarted).toBeUndefined();
  });
});
