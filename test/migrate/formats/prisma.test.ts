/**
 * The Prisma format against a real server: the folder as Prisma lists it, `_prisma_migrations`
 * created and written exactly as the Prisma schema engine does (expected DDL and rows are taken
 * from prisma/prisma-engines and cited next to each expectation), failed states, resolve, and
 * Prisma's checksum rules.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { PgwardenError } from '../../../src/errors/pgwarden-error.js';
import { checksumOf } from '../../../src/migrate/checksum.js';
import { prismaChecksum, prismaChecksumMatches, prismaFormat } from '../../../src/migrate/formats/prisma.js';
import type { HistoryContext, Migration } from '../../../src/migrate/types.js';
import { useTestDatabase } from '../../support/database.js';
import { tempDir } from '../../support/files.js';

const db = useTestDatabase();
const fixture = join(import.meta.dirname, '../../fixtures/migrate/prisma/migrations');
const history = prismaFormat.history;
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** `create_migrations_table` in schema-engine/connectors/sql-schema-connector/src/flavour/postgres.rs. */
const NATIVE_DDL = `CREATE TABLE _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
);`;

async function catchError(promise: Promise<unknown> | (() => unknown)): Promise<PgwardenError> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    expect(error).toBeInstanceOf(PgwardenError);
    return error as PgwardenError;
  }
  throw new Error('expected an error');
}

/** Columns, constraints and indexes of a table, without its schema, for comparing two tables. */
async function describeTable(client: pg.Client, schema: string, table: string) {
  const rel = `"${schema}"."${table}"`;
  const columns = await client.query(
    `SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull,
            pg_get_expr(d.adbin, d.adrelid) AS default
       FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    [rel],
  );
  const constraints = await client.query(
    `SELECT conname, contype, pg_get_constraintdef(oid) AS def FROM pg_constraint
      WHERE conrelid = $1::regclass ORDER BY conname`,
    [rel],
  );
  const indexes = await client.query(
    `SELECT c.relname, i.indisunique, i.indisprimary,
            array(SELECT a.attname::text FROM unnest(i.indkey) k JOIN pg_attribute a
                    ON a.attrelid = i.indrelid AND a.attnum = k) AS columns
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      WHERE i.indrelid = $1::regclass ORDER BY c.relname`,
    [rel],
  );
  return { columns: columns.rows, constraints: constraints.rows, indexes: indexes.rows };
}

async function freshSchema(client: pg.Client, schema: string): Promise<void> {
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE; CREATE SCHEMA "${schema}"`);
  await client.query(`SET search_path = "${schema}"`);
}

async function applyAll(ctx: HistoryContext, migrations: Migration[]): Promise<void> {
  for (const migration of migrations) {
    await ctx.client.query('BEGIN');
    const startedAt = new Date();
    await history.markApplied(ctx, migration, { startedAt, durationMs: 12 });
    await ctx.client.query('COMMIT');
  }
}

function migrationsOf(dir: string): Migration[] {
  return prismaFormat.read(dir);
}

describe('prisma folder', () => {
  it('lists every migration directory in Prisma order with its script', () => {
    const migrations = migrationsOf(fixture);
    expect(migrations.map((m) => m.id)).toEqual([
      '20240105093000_init',
      '20240112141500_add_user_bio',
      '20240120080000_post_author_index',
      '20240202120000_updated_at_trigger',
    ]);
    expect(migrations.map((m) => m.name)).toEqual([
      'init',
      'add_user_bio',
      'post_author_index',
      'updated_at_trigger',
    ]);
    const last = migrations[3]!;
    expect(last.path).toBe('20240202120000_updated_at_trigger/migration.sql');
    expect(last.up.path).toBe(join(fixture, '20240202120000_updated_at_trigger/migration.sql'));
    expect(last.up.text).toBe(readFileSync(last.up.path, 'utf8'));
    expect(last.up.text).toContain('$$ LANGUAGE plpgsql');
    expect(last.up.offset).toBe(0);
    expect(last.down).toBeUndefined();
    expect(last.checksum).toBe(checksumOf(last.up.text));
    expect(prismaFormat.hasDown).toBe(false);
  });

  it('sorts directories by name whatever order they are created in, ignoring plain files', () => {
    const dir = tempDir({
      '20240301000000_c/migration.sql': 'SELECT 3;\n',
      '20240101000000_a/migration.sql': 'SELECT 1;\n',
      '20240201000000_b/migration.sql': 'SELECT 2;\n',
      'README.md': 'not a migration',
    });
    expect(migrationsOf(dir).map((m) => m.id)).toEqual([
      '20240101000000_a',
      '20240201000000_b',
      '20240301000000_c',
    ]);
  });

  it('refuses a migration directory without migration.sql, naming it', async () => {
    const dir = tempDir({
      '20240101000000_a/migration.sql': 'SELECT 1;\n',
      '20240102000000_b/notes.txt': 'oops',
    });
    const error = await catchError(() => migrationsOf(dir));
    expect(error.code).toBe('USAGE');
    expect(error.message).toContain('20240102000000_b/');
    expect(error.message).toContain('no migration.sql');
  });

  it('refuses a folder whose migration_lock.toml names another provider', async () => {
    const dir = tempDir({
      'migration_lock.toml': '# Please do not edit this file manually\nprovider = "mysql"\n',
      '20240101000000_a/migration.sql': 'SELECT 1;\n',
    });
    const error = await catchError(() => migrationsOf(dir));
    expect(error.code).toBe('USAGE');
    expect(error.message).toContain('migration_lock.toml');
    expect(error.message).toContain('"mysql"');
  });

  it('reports a missing folder', async () => {
    const error = await catchError(() => migrationsOf(join(fixture, 'nope')));
    expect(error.code).toBe('PATH_NOT_FOUND');
    expect(error.message).toContain('nope');
  });

  it('scores a folder by its lock file (3), by <ts>_<name>/migration.sql dirs (2), else 0', () => {
    expect(prismaFormat.detectFolder(fixture)).toBe(3);
    expect(prismaFormat.detectFolder(tempDir({ '20240101000000_a/migration.sql': 'SELECT 1;' }))).toBe(2);
    expect(prismaFormat.detectFolder(tempDir({ '001_a.sql': 'SELECT 1;' }))).toBe(0);
    expect(prismaFormat.detectFolder(join(fixture, 'nope'))).toBe(0);
  });
});

describe('prisma checksums (schema-connector/src/checksum.rs)', () => {
  it('renders SHA-256 as zero-padded lower-case hex (checksum.rs test vector for "hello")', () => {
    expect(prismaChecksum('hello')).toBe('2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824');
  });

  it('matches scripts whatever their line endings (checksum.rs line-ending test vectors)', () => {
    const groups = [
      ['ab\ncd\nef\ngh\rab', 'ab\r\ncd\r\nef\r\ngh\rab'],
      ['ab\ncd\nef\ngh\rab\n', 'ab\r\ncd\r\nef\r\ngh\rab\r\n'],
    ];
    for (const group of groups) {
      for (const script of group) {
        for (const other of group) expect(prismaChecksumMatches(script, prismaChecksum(other))).toBe(true);
      }
    }
  });

  it('does not match other content (checksum.rs negative vectors)', () => {
    expect(prismaChecksumMatches('abc', prismaChecksum('abcd'))).toBe(false);
    expect(prismaChecksumMatches('abc\n', prismaChecksum('abc'))).toBe(false);
  });

  it('accepts the legacy checksum without zero padding (prisma-engines#1887)', () => {
    const digest = createHash('sha256').update('hello').digest();
    const unpadded = [...digest].map((b) => b.toString(16)).join('');
    expect(unpadded.length).toBeLessThan(64);
    expect(prismaChecksumMatches('hello', unpadded)).toBe(true);
    expect(prismaChecksumMatches('hello\n', unpadded)).toBe(false);
  });

  it('hashes migration.sql as Prisma reads it: the raw bytes, byte-order mark included', () => {
    const dir = tempDir({
      '20240101000000_bom/migration.sql': Buffer.concat([
        Buffer.from([0xef, 0xbb, 0xbf]),
        Buffer.from('SELECT 1;\r\n', 'utf8'),
      ]),
    });
    const [migration] = migrationsOf(dir);
    const raw = readFileSync(join(dir, '20240101000000_bom/migration.sql'));
    expect(migration!.up.text).toBe('SELECT 1;\r\n');
    expect(history.nativeChecksum!(migration!)).toBe(createHash('sha256').update(raw).digest('hex'));
    expect(history.checksumMatches!(migration!, createHash('sha256').update(raw).digest('hex'))).toBe(true);
    // The same script checked out with LF endings still matches (the CRLF→LF variant).
    const lf = createHash('sha256').update('\uFEFFSELECT 1;\n').digest('hex');
    expect(history.checksumMatches!(migration!, lf)).toBe(true);
  });
});

describe('prisma history', () => {
  it('creates _prisma_migrations exactly as the schema engine does, once', async () => {
    const client = await db.connect();
    await freshSchema(client, 'native_ref');
    await client.query(NATIVE_DDL);
    await freshSchema(client, 'pw_create');
    const ctx = { client };
    expect(await history.detect(ctx)).toBe(false);
    await history.ensure(ctx);
    await history.ensure(ctx);
    expect(await history.detect(ctx)).toBe(true);
    const native = await describeTable(client, 'native_ref', '_prisma_migrations');
    const ours = await describeTable(client, 'pw_create', '_prisma_migrations');
    expect(ours).toEqual(native);
    expect(ours.constraints.map((c: { conname: string }) => c.conname)).toEqual(['_prisma_migrations_pkey']);
  });

  it('does not detect a table of the same name with other columns', async () => {
    const client = await db.connect();
    await freshSchema(client, 'pw_other');
    await client.query('CREATE TABLE _prisma_migrations (id int, name text)');
    expect(await history.detect({ client })).toBe(false);
  });

  it('detects nothing when no schema of the search_path exists, and says so when asked to read', async () => {
    const client = await db.connect();
    await client.query('SET search_path = no_such_schema');
    expect(await history.detect({ client })).toBe(false);
    const error = await catchError(history.read({ client }));
    expect(error.code).toBe('USAGE');
    expect(error.message).toContain('search_path');
    expect(error.hint).toContain('migrations.table');
  });

  it('reads a missing table as not existing, without creating it', async () => {
    const client = await db.connect();
    await freshSchema(client, 'pw_missing');
    expect(await history.read({ client })).toEqual({
      exists: false,
      table: 'pw_missing._prisma_migrations',
      applied: [],
    });
    const { rows } = await client.query("SELECT to_regclass('pw_missing._prisma_migrations') AS t");
    expect(rows[0].t).toBeNull();
  });

  it('writes the row migrate deploy leaves after a successful migration, every column', async () => {
    const client = await db.connect();
    await freshSchema(client, 'pw_applied');
    const ctx = { client };
    await history.ensure(ctx);
    const migration = migrationsOf(fixture)[1]!;
    const startedAt = new Date('2024-05-01T10:00:00.123Z');
    const before = new Date();
    await client.query('BEGIN');
    await history.markApplied(ctx, migration, { startedAt, durationMs: 40 });
    await client.query('COMMIT');
    const { rows } = await client.query('SELECT * FROM _prisma_migrations');
    expect(rows).toHaveLength(1);
    const row = rows[0];
    expect(Object.keys(row).sort()).toEqual(
      [
        'applied_steps_count',
        'checksum',
        'finished_at',
        'id',
        'logs',
        'migration_name',
        'rolled_back_at',
        'started_at',
      ].sort(),
    );
    // sql_migration_persistence.rs: id = Uuid::new_v4, checksum = render_checksum(script),
    // started_at from the client; apply_migrations.rs then bumps applied_steps_count and sets finished_at.
    expect(row.id).toMatch(UUID_V4);
    expect(row.checksum).toBe(createHash('sha256').update(readFileSync(migration.up.path)).digest('hex'));
    expect(row.migration_name).toBe('20240112141500_add_user_bio');
    expect(row.started_at.toISOString()).toBe(startedAt.toISOString());
    expect(row.finished_at.getTime()).toBeGreaterThanOrEqual(before.getTime() - 1);
    expect(row.logs).toBeNull();
    expect(row.rolled_back_at).toBeNull();
    expect(row.applied_steps_count).toBe(1);
  });

  it('records a started migration as Prisma does, keeps it on a resumed run, then finishes that row', async () => {
    const client = await db.connect();
    await freshSchema(client, 'pw_started');
    const ctx = { client };
    await history.ensure(ctx);
    const migration = migrationsOf(fixture)[2]!;
    const startedAt = new Date('2024-05-02T08:00:00.000Z');
    await history.markStarted!(ctx, migration, { startedAt });
    // record_migration_started_impl: id, checksum, started_at, migration_name; nothing else.
    const started = await client.query('SELECT * FROM _prisma_migrations');
    expect(started.rows).toHaveLength(1);
    expect(started.rows[0]).toMatchObject({
      migration_name: migration.id,
      finished_at: null,
      logs: null,
      rolled_back_at: null,
      applied_steps_count: 0,
    });
    expect(started.rows[0].started_at.toISOString()).toBe(startedAt.toISOString());
    const state = await history.read(ctx);
    expect(state.applied).toEqual([
      expect.objectContaining({
        id: migration.id,
        state: 'failed',
        detail: expect.stringContaining('never finished'),
      }),
    ]);

    await history.markStarted!(ctx, migration, { startedAt: new Date() });
    expect((await client.query('SELECT count(*)::int AS n FROM _prisma_migrations')).rows[0].n).toBe(1);

    await history.markApplied(ctx, migration, { startedAt: new Date(), durationMs: 5 });
    const finished = await client.query('SELECT * FROM _prisma_migrations');
    expect(finished.rows).toHaveLength(1);
    expect(finished.rows[0].id).toBe(started.rows[0].id);
    expect(finished.rows[0].started_at.toISOString()).toBe(startedAt.toISOString());
    expect(finished.rows[0].finished_at).not.toBeNull();
    expect(finished.rows[0].applied_steps_count).toBe(1);
    expect((await history.read(ctx)).applied).toEqual([
      expect.objectContaining({ id: migration.id, state: 'applied' }),
    ]);
  });

  it('refuses to start a migration Prisma recorded as failed', async () => {
    const client = await db.connect();
    await freshSchema(client, 'pw_refuse');
    const ctx = { client };
    await history.ensure(ctx);
    const migration = migrationsOf(fixture)[0]!;
    await client.query(
      `INSERT INTO _prisma_migrations (id, checksum, migration_name, logs, started_at)
       VALUES ('9e1a37c4-33a4-4c9f-9e0b-1b1b8f1c6a11', $1, $2, 'Database error code: 42P07', now())`,
      [prismaChecksum(migration.up.text), migration.id],
    );
    const error = await catchError(history.markStarted!(ctx, migration, { startedAt: new Date() }));
    expect(error.code).toBe('USAGE');
    expect(error.message).toContain(migration.id);
    expect(error.hint).toContain('42P07');
    expect((await client.query('SELECT count(*)::int AS n FROM _prisma_migrations')).rows[0].n).toBe(1);
  });

  it('reads native failed rows as failed with their logs, and ignores rolled-back rows', async () => {
    const client = await db.connect();
    await freshSchema(client, 'pw_failed');
    await client.query(NATIVE_DDL);
    const [init, bio] = migrationsOf(fixture);
    // What apply_migrations.rs leaves: a finished row, then a failed one with record_failed_step logs,
    // and an older attempt that `migrate resolve --rolled-back` marked.
    await client.query(
      `INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, started_at, applied_steps_count)
       VALUES ('0b0c6b1e-58a4-4c2e-8f55-0e2f4a5e2d01', $1, '2024-01-05 09:30:01+00', $2, '2024-01-05 09:30:00+00', 1)`,
      [prismaChecksum(init!.up.text), init!.id],
    );
    await client.query(
      `INSERT INTO _prisma_migrations (id, checksum, migration_name, logs, rolled_back_at, started_at)
       VALUES ('0b0c6b1e-58a4-4c2e-8f55-0e2f4a5e2d02', $1, $2, 'first attempt', '2024-01-12 15:00:00+00', '2024-01-12 14:15:00+00')`,
      [prismaChecksum(bio!.up.text), bio!.id],
    );
    await client.query(
      `INSERT INTO _prisma_migrations (id, checksum, migration_name, logs, started_at)
       VALUES ('0b0c6b1e-58a4-4c2e-8f55-0e2f4a5e2d03', $1, $2, $3, '2024-01-12 16:00:00+00')`,
      [
        prismaChecksum(bio!.up.text),
        bio!.id,
        '\nDatabase error code: 42701\ncolumn "bio" of relation "User" already exists\n',
      ],
    );
    const state = await history.read({ client });
    expect(state.exists).toBe(true);
    expect(state.table).toBe('pw_failed._prisma_migrations');
    expect(state.applied).toEqual([
      {
        id: init!.id,
        checksum: prismaChecksum(init!.up.text),
        appliedAt: new Date('2024-01-05T09:30:01Z'),
        state: 'applied',
      },
      {
        id: bio!.id,
        checksum: prismaChecksum(bio!.up.text),
        appliedAt: new Date('2024-01-12T16:00:00Z'),
        state: 'failed',
        detail: 'Database error code: 42701\ncolumn "bio" of relation "User" already exists',
      },
    ]);
  });

  it('resolves a failed migration as applied like `prisma migrate resolve --applied`', async () => {
    const client = await db.connect();
    await freshSchema(client, 'pw_resolve_applied');
    const ctx = { client };
    await history.ensure(ctx);
    const migration = migrationsOf(fixture)[1]!;
    await client.query(
      `INSERT INTO _prisma_migrations (id, checksum, migration_name, logs, started_at)
       VALUES ('7d4f2b7e-8a61-4c64-b0e4-5f7f0f8f1a01', $1, $2, 'boom', '2024-01-12 16:00:00+00')`,
      [prismaChecksum(migration.up.text), migration.id],
    );
    const message = await history.resolve!(ctx, migration, 'applied');
    expect(message).toContain('recorded 20240112141500_add_user_bio as applied');
    const { rows } = await client.query('SELECT * FROM _prisma_migrations ORDER BY started_at');
    expect(rows).toHaveLength(2);
    // mark_migration_applied.rs: failed rows get rolled_back_at, then mark_migration_applied_impl
    // inserts id, checksum, logs = '', started_at = finished_at = now (applied_steps_count keeps its default 0).
    expect(rows[0].id).toBe('7d4f2b7e-8a61-4c64-b0e4-5f7f0f8f1a01');
    expect(rows[0].rolled_back_at).not.toBeNull();
    expect(rows[1]).toMatchObject({
      migration_name: migration.id,
      logs: '',
      rolled_back_at: null,
      applied_steps_count: 0,
    });
    expect(rows[1].id).toMatch(UUID_V4);
    expect(rows[1].checksum).toBe(createHash('sha256').update(readFileSync(migration.up.path)).digest('hex'));
    expect(rows[1].started_at.getTime()).toBe(rows[1].finished_at.getTime());
    expect((await history.read(ctx)).applied).toEqual([
      expect.objectContaining({ id: migration.id, state: 'applied' }),
    ]);

    const again = await catchError(history.resolve!(ctx, migration, 'applied'));
    expect(again.code).toBe('USAGE');
    expect(again.message).toContain('already recorded as applied');
  });

  it('baselines a database without history like `migrate resolve --applied` (creating the table)', async () => {
    const client = await db.connect();
    await freshSchema(client, 'pw_baseline');
    const ctx = { client };
    const init = migrationsOf(fixture)[0]!;
    expect(await history.resolve!(ctx, init, 'applied')).toBe(
      'pw_baseline._prisma_migrations: recorded 20240105093000_init as applied',
    );
    const { rows } = await client.query(
      'SELECT migration_name, logs, applied_steps_count FROM _prisma_migrations',
    );
    expect(rows).toEqual([{ migration_name: init.id, logs: '', applied_steps_count: 0 }]);
    const ours = await describeTable(client, 'pw_baseline', '_prisma_migrations');
    await freshSchema(client, 'native_baseline');
    await client.query(NATIVE_DDL);
    expect(ours).toEqual(await describeTable(client, 'native_baseline', '_prisma_migrations'));
  });

  it('resolves a failed migration as rolled back like `prisma migrate resolve --rolled-back`', async () => {
    const client = await db.connect();
    await freshSchema(client, 'pw_resolve_rb');
    const ctx = { client };
    await history.ensure(ctx);
    const [init, bio] = migrationsOf(fixture);
    const never = await catchError(history.resolve!(ctx, bio!, 'rolled-back'));
    expect(never.message).toContain('was never applied');

    await applyAll(ctx, [init!]);
    const succeeded = await catchError(history.resolve!(ctx, init!, 'rolled-back'));
    expect(succeeded.code).toBe('USAGE');
    expect(succeeded.message).toContain('not in a failed state');

    await client.query(
      `INSERT INTO _prisma_migrations (id, checksum, migration_name, logs, started_at)
       VALUES ('5a0e8b0f-3d0b-4a55-9a2e-2d7c1a9e3b01', $1, $2, 'boom', now())`,
      [prismaChecksum(bio!.up.text), bio!.id],
    );
    expect(await history.resolve!(ctx, bio!, 'rolled-back')).toContain('marked 1 failed row(s)');
    const { rows } = await client.query(
      "SELECT rolled_back_at, finished_at FROM _prisma_migrations WHERE id = '5a0e8b0f-3d0b-4a55-9a2e-2d7c1a9e3b01'",
    );
    expect(rows[0].rolled_back_at).not.toBeNull();
    expect(rows[0].finished_at).toBeNull();
    expect((await history.read(ctx)).applied.map((r) => r.id)).toEqual([init!.id]);
  });

  it('round-trips the fixture: rows read back equal the rows Prisma writes, column for column', async () => {
    const client = await db.connect();
    await freshSchema(client, 'pw_roundtrip');
    const ctx = { client };
    await history.ensure(ctx);
    const migrations = migrationsOf(fixture);
    await applyAll(ctx, migrations);
    const state = await history.read(ctx);
    expect(state.applied.map((r) => r.id)).toEqual(migrations.map((m) => m.id));
    expect(state.applied.every((r) => r.state === 'applied')).toBe(true);
    for (const [i, record] of state.applied.entries()) {
      expect(history.checksumMatches!(migrations[i]!, record.checksum!)).toBe(true);
      expect(history.checksumMatches!(migrations[(i + 1) % migrations.length]!, record.checksum!)).toBe(
        false,
      );
    }
    const { rows } = await client.query(
      'SELECT migration_name, checksum, logs, rolled_back_at, applied_steps_count, finished_at IS NOT NULL AS finished FROM _prisma_migrations ORDER BY started_at',
    );
    expect(rows).toEqual(
      migrations.map((m) => ({
        migration_name: m.id,
        checksum: createHash('sha256').update(readFileSync(m.up.path)).digest('hex'),
        logs: null,
        rolled_back_at: null,
        applied_steps_count: 1,
        finished: true,
      })),
    );
  });

  it('uses the configured table, schema-qualified', async () => {
    const client = await db.connect();
    await client.query('CREATE SCHEMA IF NOT EXISTS app_history');
    const ctx = { client, table: 'app_history._prisma_migrations' };
    await history.ensure(ctx);
    await applyAll(ctx, migrationsOf(fixture).slice(0, 1));
    expect((await history.read(ctx)).table).toBe('app_history._prisma_migrations');
    const { rows } = await client.query('SELECT migration_name FROM app_history._prisma_migrations');
    expect(rows).toEqual([{ migration_name: '20240105093000_init' }]);
  });

  it("uses Prisma's advisory-lock key", async () => {
    const client = await db.connect();
    expect(await history.lockKeys!({ client })).toEqual([72707369n]);
  });
});
