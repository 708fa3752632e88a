/**
 * The Flyway format against a real server: file names and versions as Flyway parses and orders
 * them, Flyway's CRC-32 checksum, `flyway_schema_history` created and written exactly as Flyway
 * does (expected DDL and rows from flyway/flyway, cited next to each expectation), failed and
 * baseline rows, repair-style resolve, and Flyway's advisory-lock key.
 */
import { join } from 'node:path';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { checksumOf } from '../../../src/migrate/checksum.js';
import {
  compareFlywayVersions,
  coveredByFlywayBaseline,
  crc32,
  flywayChecksum,
  flywayFormat,
  flywayLockKey,
  javaHashCode,
  parseFlywayVersion,
} from '../../../src/migrate/formats/flyway.js';
import type { Migration } from '../../../src/migrate/types.js';
import { useTestDatabase } from '../../support/database.js';
import { tempDir } from '../../support/files.js';
import { catchError, describeTable, recordApplied } from './support.js';

const db = useTestDatabase();
const project = join(import.meta.dirname, '../../fixtures/migrate/flyway');
const location = join(project, 'sql');
const history = flywayFormat.history;

/**
 * Checksums of the fixture scripts computed independently of pgwarden, with Python's
 * `zlib.crc32` over the UTF-8 text with its line terminators removed, as a signed int.
 */
const FIXTURE_CHECKSUMS: Record<string, number> = {
  'V1__create_users_and_posts.sql': -1081817478,
  'V1_1__add_user_bio.sql': -287968733,
  'V2__index_posts_author.sql': 216114333,
  'V2.1__updated_at_trigger.sql': 1392354013,
  'V3__posts_title_index.sql': -873915460,
  'reports/V10__post_stats.sql': 1263418375,
  'R__active_users_view.sql': 1090653203,
};

/** PostgreSQLDatabase.getRawCreateScript (flyway-database-postgresql), no tablespace, no baseline. */
function nativeDdl(table: string): string {
  const [schema, name] = table.split('.') as [string, string];
  const t = `"${schema}"."${name}"`;
  return `CREATE TABLE ${t} (
    "installed_rank" INT NOT NULL,
    "version" VARCHAR(50),
    "description" VARCHAR(200) NOT NULL,
    "type" VARCHAR(20) NOT NULL,
    "script" VARCHAR(1000) NOT NULL,
    "checksum" INTEGER,
    "installed_by" VARCHAR(100) NOT NULL,
    "installed_on" TIMESTAMP NOT NULL DEFAULT now(),
    "execution_time" INTEGER NOT NULL,
    "success" BOOLEAN NOT NULL
);
ALTER TABLE ${t} ADD CONSTRAINT "${name}_pk" PRIMARY KEY ("installed_rank");
CREATE INDEX "${name}_s_idx" ON ${t} ("success");`;
}

async function newSchema(client: pg.Client, schema: string): Promise<void> {
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE; CREATE SCHEMA "${schema}"`);
}

const fixture = (): Migration[] => flywayFormat.read(location);

describe('flyway folder', () => {
  it('reads versioned migrations in version order, then repeatables, with Flyway ids and scripts', () => {
    const migrations = fixture();
    expect(migrations.map((m) => m.id)).toEqual(['1', '1.1', '2', '2.1', '3', '10', 'R__active users view']);
    expect(migrations.map((m) => m.path)).toEqual([
      'V1__create_users_and_posts.sql',
      'V1_1__add_user_bio.sql',
      'V2__index_posts_author.sql',
      'V2.1__updated_at_trigger.sql',
      'V3__posts_title_index.sql',
      'reports/V10__post_stats.sql',
      'R__active_users_view.sql',
    ]);
    expect(migrations.map((m) => m.name)).toEqual([
      'create users and posts',
      'add user bio',
      'index posts author',
      'updated at trigger',
      'posts title index',
      'post stats',
      'active users view',
    ]);
    const trigger = migrations[3]!;
    expect(trigger.up.text).toContain('LANGUAGE plpgsql AS $$');
    expect(trigger.up.path).toBe(join(location, 'V2.1__updated_at_trigger.sql'));
    expect(trigger.checksum).toBe(checksumOf(trigger.up.text));
    expect(trigger.down).toBeUndefined();
    expect(trigger.repeatable).toBeUndefined();
    expect(migrations[6]!.repeatable).toBe(true);
    expect(flywayFormat.hasDown).toBe(false);
  });

  it('turns the transaction off for a script whose .sql.conf says executeInTransaction=false', () => {
    const migrations = fixture();
    expect(migrations.find((m) => m.id === '3')!.up.transaction).toBe(false);
    expect(migrations.find((m) => m.id === '2')!.up.transaction).toBeUndefined();
  });

  it('normalises and compares versions as MigrationVersion does', () => {
    expect(parseFlywayVersion('1_1')!.text).toBe('1.1');
    expect(parseFlywayVersion('001')!.text).toBe('001');
    expect(parseFlywayVersion('2024_01_05')!.text).toBe('2024.01.05');
    expect(parseFlywayVersion('1a')).toBeUndefined();
    expect(parseFlywayVersion('1.')).toBeUndefined();
    const cmp = (a: string, b: string) =>
      compareFlywayVersions(parseFlywayVersion(a)!, parseFlywayVersion(b)!);
    expect(cmp('1.1', '1.1.0')).toBe(0);
    expect(cmp('001', '1')).toBe(0);
    expect(cmp('2', '10')).toBeLessThan(0);
    expect(cmp('1.10', '1.9')).toBeGreaterThan(0);
    expect(cmp('99999999999999999999', '99999999999999999998')).toBeGreaterThan(0);
  });

  it('sorts numerically and keeps versions as written', () => {
    const dir = tempDir({
      'V10__ten.sql': 'SELECT 10;',
      'V9__nine.sql': 'SELECT 9;',
      'V001_5__one_five.sql': 'SELECT 1.5;',
      'V1.sql': 'SELECT 1;',
      'R__b.sql': 'SELECT 2;',
      'R__a.sql': 'SELECT 1;',
    });
    const migrations = flywayFormat.read(dir);
    expect(migrations.map((m) => m.id)).toEqual(['1', '001.5', '9', '10', 'R__a', 'R__b']);
    // ResourceNameParser: a name without the separator has an empty description.
    expect(migrations[0]!.name).toBe('');
  });

  it('refuses two files with the same version, naming both', async () => {
    const dir = tempDir({
      'V1_1__a.sql': 'SELECT 1;',
      'V1.1.0__b.sql': 'SELECT 2;',
      'V2__c.sql': 'SELECT 3;',
    });
    const error = await catchError(() => flywayFormat.read(dir));
    expect(error.code).toBe('USAGE');
    expect(error.message).toContain('V1_1__a.sql');
    expect(error.message).toContain('V1.1.0__b.sql');
  });

  it('refuses a script with a placeholder, which Flyway would replace from its configuration', async () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Flyway placeholder, not a template
    const dir = tempDir({ 'V1__init.sql': 'CREATE TABLE t (id int);\nGRANT SELECT ON t TO ${reader};\n' });
    const error = await catchError(() => flywayFormat.read(dir));
    expect(error.code).toBe('USAGE');
    expect(error.message).toBe(
      `${join(dir, 'V1__init.sql')}:2: Flyway placeholder \${reader}: pgwarden does not replace Flyway placeholders`,
    );
  });

  it('refuses two repeatable migrations with the same description', async () => {
    const dir = tempDir({ 'R__view.sql': 'SELECT 1;', 'sub/R__view.sql': 'SELECT 2;' });
    const error = await catchError(() => flywayFormat.read(dir));
    expect(error.code).toBe('USAGE');
    expect(error.message).toContain('sub/R__view.sql');
  });

  it('refuses names that use the separator but have no valid version, instead of skipping them', async () => {
    const dir = tempDir({
      'V1a__typo.sql': 'SELECT 1;',
      'V__no_version.sql': 'SELECT 1;',
      'V2__ok.sql': 'SELECT 2;',
    });
    const error = await catchError(() => flywayFormat.read(dir));
    expect(error.code).toBe('USAGE');
    expect(error.message).toContain('V1a__typo.sql');
    expect(error.message).toContain('V__no_version.sql');
    expect(error.message).not.toContain('V2__ok.sql');
  });

  it('ignores callbacks, other files and names without the separator that are not versions', () => {
    const dir = tempDir({
      'V1__a.sql': 'SELECT 1;',
      'beforeMigrate.sql': 'SELECT 0;',
      'View_helpers.sql': 'SELECT 0;',
      'V2__b.SQL': 'SELECT 0;',
      'notes.txt': 'x',
    });
    expect(flywayFormat.read(dir).map((m) => m.path)).toEqual(['V1__a.sql']);
  });

  it('reads sub-folders but not hidden ones, as Flyway scans a filesystem location', () => {
    const dir = tempDir({
      'V1__a.sql': 'SELECT 1;',
      'release/2/V2__b.sql': 'SELECT 2;',
      '.backup/V3__old.sql': 'SELECT 3;',
    });
    expect(flywayFormat.read(dir).map((m) => m.path)).toEqual(['V1__a.sql', 'release/2/V2__b.sql']);
  });

  it('refuses a .sql.conf whose executeInTransaction is not a boolean', async () => {
    const dir = tempDir({ 'V1__a.sql': 'SELECT 1;', 'V1__a.sql.conf': 'executeInTransaction=maybe\n' });
    const error = await catchError(() => flywayFormat.read(dir));
    expect(error.code).toBe('USAGE');
    expect(error.message).toContain('V1__a.sql.conf');
  });

  it('scores V files 2, or 3 with flyway.conf/flyway.toml in the folder or two levels up', () => {
    expect(flywayFormat.detectFolder(location)).toBe(3);
    expect(flywayFormat.detectFolder(tempDir({ 'V1__a.sql': 'SELECT 1;' }))).toBe(2);
    expect(
      flywayFormat.detectFolder(tempDir({ 'V1__a.sql': 'SELECT 1;', 'flyway.toml': '[flyway]\n' })),
    ).toBe(3);
    const nested = tempDir({ 'flyway.conf': '', 'db/migration/V1__a.sql': 'SELECT 1;' });
    expect(flywayFormat.detectFolder(join(nested, 'db/migration'))).toBe(3);
    const deeper = tempDir({ 'flyway.conf': '', 'src/db/migration/V1__a.sql': 'SELECT 1;' });
    expect(flywayFormat.detectFolder(join(deeper, 'src/db/migration'))).toBe(2);
    expect(flywayFormat.detectFolder(tempDir({ 'R__only.sql': 'SELECT 1;', '001_a.sql': 'SELECT 1;' }))).toBe(
      0,
    );
  });
});

describe('flyway checksums (ChecksumCalculator.java)', () => {
  it('is the IEEE CRC-32 of java.util.zip.CRC32, as a signed int', () => {
    // The standard CRC-32 check values: "123456789" → 0xCBF43926, the fox → 0x414FA339.
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926 | 0);
    expect(crc32(Buffer.from('The quick brown fox jumps over the lazy dog'))).toBe(0x414fa339);
    expect(crc32(Buffer.alloc(0))).toBe(0);
  });

  it('ignores line endings, as SqlMigrationResolverSmallTest.calculateChecksum asserts', () => {
    const expected = flywayChecksum('abc\ndef efg\nxyz');
    expect(flywayChecksum('abc\r\ndef efg\nxyz\r\n')).toBe(expected);
    expect(flywayChecksum('abc\rdef efg\rxyz')).toBe(expected); // SqlMigrationResolverCRTest
    expect(flywayChecksum('\uFEFFabc\ndef efg\nxyz')).toBe(expected); // BomFilter on the first line
    expect(expected).toBe(989464445); // Python: zlib.crc32(b"abcdef efgxyz")
    expect(flywayChecksum('abc def\nxyz')).not.toBe(expected);
  });

  it('hashes UTF-8 bytes', () => {
    expect(flywayChecksum("SELECT 'é';\n")).toBe(1526126742); // Python: zlib.crc32("SELECT 'é';".encode())
  });

  it('matches checksums computed independently for the fixture scripts', () => {
    for (const migration of fixture()) {
      expect(history.nativeChecksum!(migration)).toBe(String(FIXTURE_CHECKSUMS[migration.path]));
      expect(history.checksumMatches!(migration, String(FIXTURE_CHECKSUMS[migration.path]))).toBe(true);
      expect(history.checksumMatches!(migration, '12345')).toBe(false);
    }
  });
});

describe('flyway history', () => {
  it('creates flyway_schema_history exactly as Flyway does, with <table>_pk and <table>_s_idx', async () => {
    const client = await db.connect();
    await newSchema(client, 'fw_native');
    await newSchema(client, 'fw_ours');
    await client.query(nativeDdl('fw_native.flyway_schema_history'));
    const ctx = { client, table: 'fw_ours.flyway_schema_history' };
    expect(await history.detect(ctx)).toBe(false);
    await history.ensure(ctx);
    await history.ensure(ctx);
    expect(await history.detect(ctx)).toBe(true);
    const ours = await describeTable(client, 'fw_ours', 'flyway_schema_history');
    expect(ours).toEqual(await describeTable(client, 'fw_native', 'flyway_schema_history'));
    expect(ours.constraints).toEqual(['flyway_schema_history_pk p PRIMARY KEY (installed_rank)']);
    expect(ours.indexes.map((i: { relname: string }) => i.relname)).toEqual([
      'flyway_schema_history_pk',
      'flyway_schema_history_s_idx',
    ]);
    expect(
      (await client.query('SELECT count(*)::int AS n FROM fw_ours.flyway_schema_history')).rows[0].n,
    ).toBe(0);
  });

  it('names the constraint and index after a configured table name', async () => {
    const client = await db.connect();
    await newSchema(client, 'fw_named_native');
    await newSchema(client, 'fw_named');
    await client.query(nativeDdl('fw_named_native.schema_history'));
    await history.ensure({ client, table: 'fw_named.schema_history' });
    const ours = await describeTable(client, 'fw_named', 'schema_history');
    expect(ours).toEqual(await describeTable(client, 'fw_named_native', 'schema_history'));
    expect(ours.indexes.map((i: { relname: string }) => i.relname)).toEqual([
      'schema_history_pk',
      'schema_history_s_idx',
    ]);
  });

  it('creates a missing schema with Flyway’s schema-creation marker row', async () => {
    const client = await db.connect();
    await client.query('DROP SCHEMA IF EXISTS fw_created CASCADE');
    const ctx = { client, table: 'fw_created.flyway_schema_history' };
    await history.ensure(ctx);
    const { rows } = await client.query(
      'SELECT installed_rank, version, description, type, script, checksum, installed_by = current_user AS by_me, execution_time, success FROM fw_created.flyway_schema_history',
    );
    // SchemaHistory.addSchemasMarker: rank 0, "<< Flyway Schema Creation >>", SCHEMA, the quoted schema names.
    expect(rows).toEqual([
      {
        installed_rank: 0,
        version: null,
        description: '<< Flyway Schema Creation >>',
        type: 'SCHEMA',
        script: '"fw_created"',
        checksum: null,
        by_me: true,
        execution_time: 0,
        success: true,
      },
    ]);
    expect((await history.read(ctx)).applied).toEqual([]);
  });

  it('places the table in current_schema() by default', async () => {
    const client = await db.connect();
    await newSchema(client, 'fw_default');
    await client.query('SET search_path = fw_default');
    await history.ensure({ client });
    const { rows } = await client.query(
      "SELECT to_regclass('fw_default.flyway_schema_history') IS NOT NULL AS ok",
    );
    expect(rows[0].ok).toBe(true);
    expect((await history.read({ client })).table).toBe('fw_default.flyway_schema_history');
  });

  it('writes the rows Flyway writes after successful scripts, every column', async () => {
    const client = await db.connect();
    await newSchema(client, 'fw_rows');
    const ctx = { client, table: 'fw_rows.flyway_schema_history' };
    await history.ensure(ctx);
    const migrations = fixture();
    const installedOn: Date[] = [];
    for (const [i, migration] of migrations.entries()) {
      await client.query('BEGIN');
      await history.markApplied(ctx, migration, { startedAt: new Date(), durationMs: 10.6 + i });
      installedOn.push((await client.query('SELECT now()::timestamp AS now')).rows[0].now);
      await client.query('COMMIT');
    }
    const { rows } = await client.query(
      'SELECT *, installed_by = current_user AS by_me FROM fw_rows.flyway_schema_history ORDER BY installed_rank',
    );
    // Database.getInsertStatement + JdbcTableSchemaHistory: rank max + 1, version.toString(),
    // description, type SQL, script relative to the location, CRC checksum, installed_by the current
    // user, installed_on from the column default now() (the transaction's), execution time in ms.
    expect(rows.map(({ installed_by, ...rest }: Record<string, unknown>) => rest)).toEqual(
      [
        ['1', 'create users and posts', 'V1__create_users_and_posts.sql'],
        ['1.1', 'add user bio', 'V1_1__add_user_bio.sql'],
        ['2', 'index posts author', 'V2__index_posts_author.sql'],
        ['2.1', 'updated at trigger', 'V2.1__updated_at_trigger.sql'],
        ['3', 'posts title index', 'V3__posts_title_index.sql'],
        ['10', 'post stats', 'reports/V10__post_stats.sql'],
        [null, 'active users view', 'R__active_users_view.sql'],
      ].map(([version, description, script], i) => ({
        installed_rank: i + 1,
        version,
        description,
        type: 'SQL',
        script,
        checksum: FIXTURE_CHECKSUMS[script!],
        installed_on: installedOn[i],
        execution_time: Math.round(10.6 + i),
        success: true,
        by_me: true,
      })),
    );
  });

  it('round-trips the fixture: read back, ids and checksums match the folder', async () => {
    const client = await db.connect();
    await newSchema(client, 'fw_roundtrip');
    const ctx = { client, table: 'fw_roundtrip.flyway_schema_history' };
    await history.ensure(ctx);
    const migrations = fixture();
    await recordApplied(history, ctx, migrations);
    const state = await history.read(ctx);
    expect(state).toMatchObject({ exists: true, table: 'fw_roundtrip.flyway_schema_history' });
    expect(state.applied.map((r) => r.id)).toEqual(migrations.map((m) => m.id));
    expect(state.applied.every((r) => r.state === 'applied' && r.appliedAt instanceof Date)).toBe(true);
    for (const [i, record] of state.applied.entries()) {
      expect(history.checksumMatches!(migrations[i]!, record.checksum!)).toBe(true);
    }
  });

  it('reads a repeatable migration as its latest row', async () => {
    const client = await db.connect();
    await newSchema(client, 'fw_repeat');
    const ctx = { client, table: 'fw_repeat.flyway_schema_history' };
    await history.ensure(ctx);
    const view = fixture().find((m) => m.repeatable)!;
    await recordApplied(history, ctx, [view]);
    const edited: Migration = { ...view, up: { ...view.up, text: `${view.up.text}-- edited\n` } };
    await recordApplied(history, ctx, [edited]);
    const state = await history.read(ctx);
    expect(state.applied).toHaveLength(1);
    expect(state.applied[0]!.id).toBe('R__active users view');
    expect(state.applied[0]!.checksum).toBe(String(flywayChecksum(edited.up.text)));
  });

  it('reads native failed, baseline, schema and deleted rows the way Flyway interprets them', async () => {
    const client = await db.connect();
    await newSchema(client, 'fw_states');
    await client.query(nativeDdl('fw_states.flyway_schema_history'));
    // Rows as Flyway writes them: schema marker, `flyway baseline` (version 2, "<< Flyway Baseline >>"),
    // V2.1 applied, V3 failed (a non-transactional script), V10 applied then marked deleted by repair.
    await client.query(`INSERT INTO fw_states.flyway_schema_history
      (installed_rank, version, description, type, script, checksum, installed_by, installed_on, execution_time, success) VALUES
      (0, NULL, '<< Flyway Schema Creation >>', 'SCHEMA', '"fw_states"', NULL, 'app', '2024-01-01 10:00:00', 0, true),
      (1, '2', '<< Flyway Baseline >>', 'BASELINE', '<< Flyway Baseline >>', NULL, 'app', '2024-01-01 10:00:00', 0, true),
      (2, '2.1', 'updated at trigger', 'SQL', 'V2.1__updated_at_trigger.sql', 1392354013, 'app', '2024-01-02 10:00:00', 31, true),
      (3, '3', 'posts title index', 'SQL', 'V3__posts_title_index.sql', -873915460, 'app', '2024-01-03 10:00:00', 1200, false),
      (4, '10', 'post stats', 'SQL', 'reports/V10__post_stats.sql', 1263418375, 'app', '2024-01-04 10:00:00', 12, true),
      (5, '10', 'post stats', 'DELETE', 'reports/V10__post_stats.sql', 1263418375, 'app', '2024-01-05 10:00:00', 0, true)`);
    const state = await history.read({ client, table: 'fw_states.flyway_schema_history' });
    expect(state.applied).toEqual([
      {
        id: '2',
        appliedAt: new Date(2024, 0, 1, 10),
        state: 'applied',
        detail: 'baseline: Flyway counts every versioned migration up to 2 as applied',
        baseline: true,
      },
      { id: '2.1', checksum: '1392354013', appliedAt: new Date(2024, 0, 2, 10), state: 'applied' },
      {
        id: '3',
        checksum: '-873915460',
        appliedAt: new Date(2024, 0, 3, 10),
        state: 'failed',
        detail: expect.stringContaining('V3__posts_title_index.sql as failed (success = false)'),
      },
    ]);
    const byId = new Map(fixture().map((m) => [m.id, m]));
    expect(coveredByFlywayBaseline(state.applied, byId.get('1')!)).toBe(true);
    expect(coveredByFlywayBaseline(state.applied, byId.get('1.1')!)).toBe(true);
    expect(coveredByFlywayBaseline(state.applied, byId.get('2')!)).toBe(true);
    expect(coveredByFlywayBaseline(state.applied, byId.get('2.1')!)).toBe(false);
    expect(coveredByFlywayBaseline(state.applied, byId.get('R__active users view')!)).toBe(false);
  });

  it('resolves a failed migration like `flyway repair`: rolled back deletes the failed row', async () => {
    const client = await db.connect();
    await newSchema(client, 'fw_repair_rb');
    const ctx = { client, table: 'fw_repair_rb.flyway_schema_history' };
    await history.ensure(ctx);
    const migrations = fixture();
    await recordApplied(history, ctx, migrations.slice(0, 4));
    const v3 = migrations[4]!;
    await client.query(
      `INSERT INTO fw_repair_rb.flyway_schema_history
         (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success)
       VALUES (5, '3', 'posts title index', 'SQL', 'V3__posts_title_index.sql', -873915460, 'app', 900, false)`,
    );
    expect((await history.read(ctx)).applied.at(-1)).toMatchObject({ id: '3', state: 'failed' });
    const noFailure = await catchError(history.resolve!(ctx, migrations[0]!, 'rolled-back'));
    expect(noFailure.code).toBe('USAGE');
    expect(noFailure.message).toContain('has no failed row');
    expect(await history.resolve!(ctx, v3, 'rolled-back')).toContain('installed_rank 5');
    const state = await history.read(ctx);
    expect(state.applied.map((r) => r.id)).toEqual(['1', '1.1', '2', '2.1']);
    // The next migration then gets the rank after the highest remaining one, as Flyway computes it.
    await recordApplied(history, ctx, [v3]);
    const { rows } = await client.query(
      "SELECT installed_rank, success FROM fw_repair_rb.flyway_schema_history WHERE version = '3'",
    );
    expect(rows).toEqual([{ installed_rank: 5, success: true }]);
  });

  it('resolves a failed migration as applied by setting success = true with the file’s checksum', async () => {
    const client = await db.connect();
    await newSchema(client, 'fw_repair_ok');
    const ctx = { client, table: 'fw_repair_ok.flyway_schema_history' };
    await history.ensure(ctx);
    const v3 = fixture()[4]!;
    await client.query(
      `INSERT INTO fw_repair_ok.flyway_schema_history
         (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success)
       VALUES (1, '3', 'posts title index', 'SQL', 'V3__posts_title_index.sql', 42, 'app', 900, false)`,
    );
    expect(await history.resolve!(ctx, v3, 'applied')).toContain('as successful');
    const { rows } = await client.query(
      'SELECT installed_rank, checksum, success FROM fw_repair_ok.flyway_schema_history',
    );
    expect(rows).toEqual([{ installed_rank: 1, checksum: -873915460, success: true }]);
    const again = await catchError(history.resolve!(ctx, v3, 'applied'));
    expect(again.message).toContain('already recorded as applied');
  });

  it('resolves a migration with no row as applied by recording it without running it', async () => {
    const client = await db.connect();
    await newSchema(client, 'fw_skip');
    const ctx = { client, table: 'fw_skip.flyway_schema_history' };
    const v1 = fixture()[0]!;
    expect(await history.resolve!(ctx, v1, 'applied')).toContain('without running it');
    const { rows } = await client.query(
      'SELECT installed_rank, version, checksum, execution_time, success FROM fw_skip.flyway_schema_history',
    );
    expect(rows).toEqual([
      { installed_rank: 1, version: '1', checksum: -1081817478, execution_time: 0, success: true },
    ]);
  });

  it('reads a missing table as not existing', async () => {
    const client = await db.connect();
    await newSchema(client, 'fw_none');
    expect(await history.read({ client, table: 'fw_none.flyway_schema_history' })).toEqual({
      exists: false,
      table: 'fw_none.flyway_schema_history',
      applied: [],
    });
    expect(await history.detect({ client, table: 'fw_none.flyway_schema_history' })).toBe(false);
  });

  it('does not detect a table of the same name without Flyway’s columns', async () => {
    const client = await db.connect();
    await newSchema(client, 'fw_fake');
    await client.query('CREATE TABLE fw_fake.flyway_schema_history (version text)');
    expect(await history.detect({ client, table: 'fw_fake.flyway_schema_history' })).toBe(false);
  });

  it('uses Flyway’s advisory-lock key: 0x466C79776179 + hashCode of "schema"."table"', async () => {
    // Values computed independently (Python, Java's 31*h + c over UTF-16 code units).
    expect(javaHashCode('"public"."flyway_schema_history"')).toBe(2125624436);
    expect(flywayLockKey('public', 'flyway_schema_history')).toBe(77433833903597n);
    expect(flywayLockKey('app', 'schema_history')).toBe(77430975467854n);
    const client = await db.connect();
    await client.query('SET search_path = public');
    expect(await history.lockKeys!({ client })).toEqual([77433833903597n]);
    expect(await history.lockKeys!({ client, table: 'app.schema_history' })).toEqual([77430975467854n]);
  });
});
