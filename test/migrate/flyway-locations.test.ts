/**
 * Flyway's several locations: read from flyway.toml / flyway.conf or given as repeated `--dir`,
 * one ordered set (a location inside another read once, as Flyway's Locations discards it), the
 * same version in two locations refused, and `script` written relative to each file's own location
 * (FileSystemResource.getRelativePath) — against the fixture project, whose flyway.conf lists
 * `sql`, `sql/reports` (inside `sql`) and `seed`.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { wholeFolder } from '../../src/lint/folder-targets.js';
import {
  flywayConfigLocations,
  flywayLocationSet,
  readFlywayLocations,
} from '../../src/migrate/formats/flyway.js';
import { migrate } from '../../src/migrate/migrate.js';
import { loadMigrations } from '../../src/migrate/source.js';
import { status } from '../../src/migrate/status.js';
import { pgwarden } from '../support/cli.js';
import { useTestDatabase } from '../support/database.js';
import { tempDir } from '../support/files.js';
import { catchError } from './formats/support.js';

const db = useTestDatabase();
const project = join(import.meta.dirname, '../fixtures/migrate/flyway');
const sql = join(project, 'sql');
const seed = join(project, 'seed');
const IDS = ['1', '1.1', '2', '2.1', '3', '10', '20', 'R__active users view'];

describe('Flyway locations', () => {
  it('lint without paths reads every location, as migrate does', async () => {
    const targets = await wholeFolder(project, {});
    expect(targets.paths).toEqual([sql, seed]);
    expect(targets.sources?.map((s) => s.path)).toContain('seed/demo/V20__demo_users.sql');
    expect(targets.sources?.map((s) => s.path)).toContain('sql/reports/V10__post_stats.sql');
  });

  it('reads flyway.conf locations, continuation lines included, relative to its folder', () => {
    expect(flywayConfigLocations(project)).toEqual({
      file: join(project, 'flyway.conf'),
      dirs: [sql, join(sql, 'reports'), seed],
      notes: [],
    });
    expect(
      flywayLocationSet([sql, join(sql, 'reports'), seed, sql], (d) => d.slice(project.length + 1)),
    ).toEqual({
      dirs: [sql, seed],
      notes: [
        'sql/reports is inside sql, which is read with its sub-folders; read once, as part of it (as Flyway does)',
        'sql is given twice; read once',
      ],
    });
  });

  it('prefers flyway.toml to flyway.conf, says what it does not read, refuses wildcards and non-strings', async () => {
    const dir = tempDir({
      'flyway.toml':
        '[environments.dev]\nurl = "jdbc:postgresql://localhost/app"\n\n[flyway]\n# the seed data last\nlocations = [\n  "filesystem:db/migration", # schema\n  \'filesystem:db/seed\',\n  "classpath:db/java",\n  "filesystem:db/gone",\n]\n',
      'flyway.conf': 'flyway.locations=filesystem:elsewhere\n',
      'db/migration/V1__a.sql': 'SELECT 1;',
      'db/seed/V2__b.sql': 'SELECT 2;',
    });
    expect(flywayConfigLocations(dir)).toEqual({
      file: join(dir, 'flyway.toml'),
      dirs: [join(dir, 'db/migration'), join(dir, 'db/seed')],
      notes: [
        'flyway.toml: location classpath:db/java is not read (pgwarden reads filesystem: locations)',
        'flyway.toml: location filesystem:db/gone does not exist; skipped, as Flyway skips it',
      ],
    });
    const wildcard = tempDir({ 'flyway.conf': 'flyway.locations = filesystem:db/**/migration\n' });
    expect(await catchError(() => flywayConfigLocations(wildcard))).toMatchObject({
      code: 'USAGE',
      message: expect.stringContaining('filesystem:db/**/migration has wildcards'),
    });
    const numbers = tempDir({ 'flyway.toml': '[flyway]\nlocations = [1, 2]\n' });
    expect(await catchError(() => flywayConfigLocations(numbers))).toMatchObject({
      code: 'USAGE',
      message: `${join(numbers, 'flyway.toml')}: [flyway] locations must be an array of strings`,
    });
    // classpath locations only: nothing for pgwarden to read there, the well-known folders apply
    expect(
      flywayConfigLocations(tempDir({ 'flyway.conf': 'flyway.locations=db/migration\n' })),
    ).toBeUndefined();
  });

  it('reads every location as one set in version order, paths unique, the first location first', async () => {
    const source = await loadMigrations({ cwd: project });
    expect(source.format.id).toBe('flyway');
    expect(source.dir).toBe(sql);
    expect(source.dirs).toEqual([sql, seed]);
    expect(source.migrations.map((m) => m.id)).toEqual(IDS);
    expect(source.migrations.map((m) => m.path)).toContain('reports/V10__post_stats.sql');
    expect(source.migrations.find((m) => m.id === '20')!.path).toBe('../seed/demo/V20__demo_users.sql');
    expect(source.warnings).toEqual([
      'sql/reports is inside sql, which is read with its sub-folders; read once, as part of it (as Flyway does)',
    ]);
    // the same set from repeated --dir; one --dir alone says what flyway.conf lists besides
    const given = await loadMigrations({ cwd: project, dir: ['sql', 'seed'] });
    expect(given.migrations.map((m) => m.id)).toEqual(IDS);
    const one = await loadMigrations({ cwd: project, dir: 'sql' });
    expect(one.migrations.map((m) => m.id)).not.toContain('20');
    expect(one.warnings).toEqual([
      'flyway.conf also lists seed, not read: the directories given (--dir, migrations.dir) replace its locations',
    ]);
  });

  it('refuses the same version in two locations, and several directories for another format', async () => {
    const dir = tempDir({
      'a/V1__users.sql': 'SELECT 1;',
      'b/nested/V1.0__again.sql': 'SELECT 2;',
      'c/001_plain.sql': 'SELECT 3;',
    });
    expect(await catchError(() => readFlywayLocations([join(dir, 'a'), join(dir, 'b')]))).toMatchObject({
      code: 'USAGE',
      message: expect.stringContaining('V1__users.sql and ../b/nested/V1.0__again.sql (version 1.0)'),
    });
    expect(await catchError(loadMigrations({ cwd: dir, dir: ['c', 'a'] }))).toMatchObject({
      code: 'USAGE',
      message:
        'c, a: several migrations directories are read as one set only for Flyway (its locations); these are plain SQL migrations',
    });
  });

  it('applies every location and records each script relative to its own location, as Flyway does', async () => {
    const result = await migrate({ databaseUrl: db.url, cwd: project, allowUncommitted: true });
    expect(result.applied.map((m) => m.id)).toEqual(IDS);
    const { rows } = await db.query(
      'SELECT version, script, checksum FROM flyway_schema_history ORDER BY installed_rank',
    );
    expect(rows.slice(5, 7)).toEqual([
      // a file of sql/reports, a sublocation of sql: relative to sql
      { version: '10', script: 'reports/V10__post_stats.sql', checksum: 1263418375 },
      // a file of seed, the second location: relative to seed (checksum from Python's zlib.crc32)
      { version: '20', script: 'demo/V20__demo_users.sql', checksum: 1294887540 },
    ]);
    const after = await status({ databaseUrl: db.url, cwd: project });
    expect(after.dirs).toEqual([sql, seed]);
    expect(after.entries.every((e) => e.state === 'applied')).toBe(true);
  });

  it('status takes a repeated --dir as the locations (the CLI)', async () => {
    const result = await pgwarden(['status', '--dir', 'sql', '--dir', 'seed', '--json'], {
      cwd: project,
      env: { DATABASE_URL: db.url },
    });
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.dirs).toEqual([sql, seed]);
    expect(json.entries.map((e: { id: string; state: string }) => `${e.id} ${e.state}`)).toEqual(
      IDS.map((id) => `${id} applied`),
    );
  });
});
