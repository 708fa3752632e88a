/**
 * `drift()` end to end on the test server: the migrations of a folder are replayed on a scratch
 * database (or an empty shadow database) and the catalogs compared. Proves: nothing after migrate;
 * hand-made drift is reported and its SQL makes drift report nothing again; the scratch database
 * is gone afterwards (also after a failing migration and after Ctrl-C); history tables and schema
 * pgwarden never show; a non-empty shadow is refused naming what is there; a role without
 * CREATEDB gets a hint to use --shadow-url; two databases built by the same migrations have equal
 * fingerprints.
 */
import type pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { type DriftEvent, drift } from '../../src/drift/drift.js';
import { schemaFingerprint } from '../../src/drift/fingerprint.js';
import { migrate } from '../../src/migrate/migrate.js';
import { databaseUrl, useTestDatabase } from '../support/database.js';
import { rejection } from '../support/errors.js';
import { tempDir } from '../support/files.js';
import { applySql, resetSchema, useExtraDatabase } from './support.js';

const db = useTestDatabase();
const shadow = useExtraDatabase();

const INIT = `CREATE TYPE status AS ENUM ('new', 'paid');
CREATE TABLE accounts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL);
CREATE TABLE invoices (
  id serial PRIMARY KEY,
  account_id bigint NOT NULL REFERENCES accounts (id),
  status status NOT NULL DEFAULT 'new',
  amount numeric NOT NULL CHECK (amount >= 0)
);
`;
const MORE = `CREATE INDEX CONCURRENTLY invoices_account_idx ON invoices (account_id);
CREATE VIEW open_invoices AS SELECT id, amount FROM invoices WHERE status = 'new';
ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
`;

const project = tempDir({ 'migrations/001_init.sql': INIT, 'migrations/002_more.sql': MORE });
const broken = tempDir({
  'migrations/001_init.sql': INIT,
  'migrations/002_broken.sql':
    'ALTER TABLE invoices ADD COLUMN paid_at timestamptz;\nALTER TABLE nope ADD COLUMN x int;\n',
});
const dbmateProject = tempDir({
  'db/migrations/20240101000000_init.sql': `-- migrate:up\n${INIT}\n-- migrate:down\nDROP TABLE invoices, accounts;\n`,
});

let live: pg.Client;

beforeAll(async () => {
  live = await db.connect();
});

async function freshLive(cwd = project): Promise<void> {
  await resetSchema(live);
  await migrate({ databaseUrl: db.url, cwd, allowUncommitted: true });
}

async function databaseExists(name: string): Promise<boolean> {
  return (await live.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;
}

const brief = (list: Array<{ kind: string; object: string; change: string }>) =>
  list.map((d) => `${d.kind} ${d.object} ${d.change}`);

describe('drift', () => {
  it('finds nothing right after migrate, and drops its scratch database', async () => {
    await freshLive();
    const events: DriftEvent[] = [];
    const result = await drift({ databaseUrl: db.url, cwd: project, onEvent: (e) => events.push(e) });
    expect(result).toMatchObject({ format: 'plain', scratch: 'created', migrations: 2, differences: [] });
    expect(result.database).toMatch(/^pgwarden_scratch_[0-9a-f]{12}$/);
    expect(result.fingerprint.live).toBe(result.fingerprint.expected);
    // what deploy stores after a deploy is the same fingerprint drift computes
    expect(await schemaFingerprint(live, result.excluded)).toBe(result.fingerprint.live);
    expect(events.map((e) => e.type)).toEqual([
      'scratch-created',
      'replay-start',
      'migration-applied',
      'migration-applied',
      'scratch-dropped',
    ]);
    expect(await databaseExists(result.database)).toBe(false);
    expect(result.dropError).toBeUndefined();
  });

  it('reports drift made by hand, and its SQL makes drift report nothing again', async () => {
    await freshLive();
    await live.query(`
      CREATE TABLE hotfix_log (id int, note text);
      DROP INDEX invoices_account_idx;
      ALTER TABLE invoices ALTER COLUMN status SET DEFAULT 'paid';
      ALTER TABLE accounts ADD COLUMN legacy boolean;
      ALTER TYPE status ADD VALUE 'void';
      CREATE POLICY invoices_all ON invoices FOR ALL TO PUBLIC USING (true);
      ALTER TABLE invoices DROP CONSTRAINT invoices_amount_check;
      ALTER TABLE invoices ADD CONSTRAINT invoices_amount_check CHECK (amount >= 0) NOT VALID;
      CREATE OR REPLACE VIEW open_invoices AS SELECT id, amount FROM invoices WHERE status <> 'paid';`);
    const result = await drift({ databaseUrl: db.url, cwd: project });
    expect(brief(result.differences)).toEqual([
      'policy public.invoices.invoices_all extra',
      'column public.accounts.legacy extra',
      'table public.hotfix_log extra',
      'enum public.status different',
      'column public.invoices.status different',
      'view public.open_invoices different',
      'constraint public.invoices.invoices_amount_check different',
      'index public.invoices_account_idx missing',
    ]);
    expect(result.fingerprint.live).not.toBe(result.fingerprint.expected);
    await applySql(
      live,
      result.differences.map((d) => d.sql),
    );
    const again = await drift({ databaseUrl: db.url, cwd: project });
    expect(again.differences).toEqual([]);
    expect(again.fingerprint.live).toBe(again.fingerprint.expected);
  });

  it('never reports the history tables or schema pgwarden, even where they differ', async () => {
    // an older dbmate created version varchar(255); the replay gets today's varchar
    await resetSchema(live);
    await live.query('CREATE TABLE schema_migrations (version varchar(255) PRIMARY KEY)');
    await migrate({ databaseUrl: db.url, cwd: dbmateProject, allowUncommitted: true });
    await live.query('CREATE TABLE pgwarden.local_notes (id int)');
    const result = await drift({ databaseUrl: db.url, cwd: dbmateProject });
    expect(result.format).toBe('dbmate');
    expect(result.excluded).toEqual(['public.schema_migrations']);
    expect(result.differences).toEqual([]);
  });

  it('replays on an empty --shadow-url database and compares the same way', async () => {
    await freshLive();
    const result = await drift({ databaseUrl: db.url, shadowUrl: shadow.url, cwd: project });
    expect(result).toMatchObject({ scratch: 'shadow', differences: [] });
    expect(result.database).toContain(shadow.name);
    expect(result.fingerprint.expected).toBe(await schemaFingerprint(live, result.excluded));
    // emptied again afterwards (it was empty before): the same shadow serves the next run
    const client = await shadow.connect();
    expect((await client.query(`SELECT to_regclass('public.invoices') AS t`)).rows).toEqual([{ t: null }]);
    expect(
      (await client.query(`SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = 'pgwarden'`)).rows,
    ).toEqual([{ n: 0 }]);
    const again = await drift({ databaseUrl: db.url, shadowUrl: shadow.url, cwd: project });
    expect(again).toMatchObject({ scratch: 'shadow', differences: [] });
  });

  it('refuses a --shadow-url database that is not empty, naming what is there, and changes nothing', async () => {
    const client = await shadow.connect();
    await resetSchema(client);
    await client.query('CREATE TABLE precious (id int); INSERT INTO precious VALUES (1)');
    const error = await rejection(drift({ databaseUrl: db.url, shadowUrl: shadow.url, cwd: project }));
    expect(error.code).toBe('SHADOW_NOT_EMPTY');
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain(`the shadow database`);
    expect(error.message).toContain('is not empty: table public.precious');
    expect(error.hint).toContain('only ever empties a shadow database it found empty');
    expect((await client.query('SELECT count(*)::int AS n FROM precious')).rows).toEqual([{ n: 1 }]);
    expect((await client.query(`SELECT to_regclass('public.invoices') AS t`)).rows).toEqual([{ t: null }]);
  });

  it('refuses a --shadow-url that is the live database under another name', async () => {
    await freshLive();
    const sameDatabase = new URL(db.url);
    sameDatabase.hostname = 'localhost';
    const error = await rejection(
      drift({ databaseUrl: db.url, shadowUrl: sameDatabase.toString(), cwd: project }),
    );
    expect(error.code).toBe('USAGE');
    expect(error.message).toContain('is the live database itself');
  });

  it('counts empty schemas, domains and extensions as content of a --shadow-url database too', async () => {
    const client = await shadow.connect();
    await resetSchema(client);
    await client.query(
      'CREATE SCHEMA app; CREATE DOMAIN posint AS int CHECK (VALUE > 0); CREATE EXTENSION citext',
    );
    const error = await rejection(drift({ databaseUrl: db.url, shadowUrl: shadow.url, cwd: project }));
    expect(error.code).toBe('SHADOW_NOT_EMPTY');
    expect(error.message).toMatch(/is not empty: schema app, type public\.posint, extension citext$/);
    await resetSchema(client);
  });

  it('names the migration that fails in the replay, and still drops the scratch database', async () => {
    await freshLive();
    let scratch = '';
    const error = await rejection(
      drift({
        databaseUrl: db.url,
        cwd: broken,
        onEvent: (e) => {
          if (e.type === 'scratch-created') scratch = e.database;
        },
      }),
    );
    expect(error.message).toContain('replaying the migrations on the scratch database pgwarden_scratch_');
    expect(error.message).toContain('002_broken');
    expect(error.message).toContain('relation "nope" does not exist');
    expect(error.code).toBe('DRIFT_REPLAY_FAILED');
    expect(error.exitCode).toBe(1);
    expect(scratch).not.toBe('');
    expect(await databaseExists(scratch)).toBe(false);
  });

  it('stops when interrupted and drops the scratch database', async () => {
    await freshLive();
    const controller = new AbortController();
    let scratch = '';
    const error = await rejection(
      drift({
        databaseUrl: db.url,
        cwd: project,
        signal: controller.signal,
        onEvent: (e) => {
          if (e.type === 'scratch-created') scratch = e.database;
          if (e.type === 'migration-applied') controller.abort();
        },
      }),
    );
    expect(error.code).toBe('INTERRUPTED');
    expect(await databaseExists(scratch)).toBe(false);
  });

  it('tells a role without CREATEDB to use --shadow-url, without its password', async () => {
    const secret = 'Dr1ft-s3cret-pw';
    await live.query('DROP ROLE IF EXISTS drift_nocreatedb');
    await live.query(`CREATE ROLE drift_nocreatedb LOGIN NOCREATEDB PASSWORD '${secret}'`);
    const url = new URL(databaseUrl(db.serverUrl, db.name));
    url.username = 'drift_nocreatedb';
    url.password = secret;
    try {
      const error = await rejection(drift({ databaseUrl: url.toString(), cwd: project }));
      expect(error.code).toBe('DB_QUERY');
      expect(error.exitCode).toBe(3);
      expect(error.message).toContain('role "drift_nocreatedb" may not create databases');
      expect(error.hint).toContain('--shadow-url');
      expect(`${error.message} ${error.hint}`).not.toContain(secret);
    } finally {
      await live.query('DROP ROLE IF EXISTS drift_nocreatedb');
    }
  });

  it('needs the live database as a URL', async () => {
    const error = await rejection(drift({ cwd: project }));
    expect(error.code).toBe('USAGE');
    expect(error.message).toContain('no --database-url and no DATABASE_URL');
  });

  it('reports a missing migrations directory as bad input', async () => {
    const error = await rejection(drift({ databaseUrl: db.url, cwd: project, dir: 'nowhere' }));
    expect(error.code).toBe('PATH_NOT_FOUND');
    expect(error.message).toContain('nowhere: migrations directory not found');
  });
});
