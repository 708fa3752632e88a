/**
 * The writers behind `pgwarden fix`: for every format, a project folder laid out like a real one
 * gets three new migrations, and pgwarden's own reader reads them back — after the old ones, with
 * the expected ids, texts and transaction handling — while the old files stay as they were and a
 * write that would cover an existing file writes nothing.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SchemaModel } from '../../src/analysis/schema-model.js';
import { PgwardenError } from '../../src/errors/pgwarden-error.js';
import { nextFlywayVersions } from '../../src/fix/formats/flyway.js';
import {
  type NewMigration,
  planMigrationFiles,
  writeMigrationFiles,
} from '../../src/fix/write-migrations.js';
import { FORMATS } from '../../src/migrate/formats/index.js';
import { scriptSteps } from '../../src/migrate/steps.js';
import type { FormatId, Migration } from '../../src/migrate/types.js';
import { loadParser } from '../../src/sql/parser.js';
import { tempDir } from '../support/files.js';

beforeAll(() => loadParser());

const NOW = new Date('2026-03-14T15:09:26.535Z');

const EXPAND: NewMigration = {
  name: 'add_users_email_verified',
  up: '-- pgwarden fix (1/3): expand\nALTER TABLE users ADD COLUMN email_verified boolean;\n',
  down: 'ALTER TABLE users DROP COLUMN email_verified;\n',
  transaction: true,
};
const INDEX: NewMigration = {
  name: 'index_users_email_verified',
  up: '-- pgwarden fix (2/3): build the index without blocking writes\nCREATE INDEX CONCURRENTLY users_email_verified_idx ON users (email_verified);\n',
  down: 'DROP INDEX CONCURRENTLY users_email_verified_idx;\n',
  transaction: false,
};
const DEFAULT: NewMigration = {
  name: 'default_users_email_verified',
  up: '-- pgwarden fix (3/3)\nALTER TABLE users ALTER COLUMN email_verified SET DEFAULT false;\n',
  transaction: true,
};
const NEW = [EXPAND, INDEX, DEFAULT];

/** Every file under `dir` with its text. */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (at: string) => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      else files[relative(dir, path)] = readFileSync(path, 'utf8');
    }
  };
  walk(dir);
  return files;
}

function catchError(run: () => unknown): PgwardenError {
  try {
    run();
  } catch (error) {
    if (error instanceof PgwardenError) return error;
    throw error;
  }
  throw new Error('expected an error');
}

/** How pgwarden's runner will run each statement of a script: `true` = in the migration's transaction. */
function transactional(migration: Migration): boolean[] {
  return scriptSteps(migration.up, new SchemaModel(), 16).steps.map((step) => step.transactional);
}

interface Case {
  format: FormatId;
  /** The project, relative paths → text. */
  project: Record<string, string>;
  /** The migrations directory inside the project. */
  migrations: string;
  ids: string[];
  /** The texts the reader should give the new migrations' up and down scripts. */
  ups: string[];
  downs: (string | undefined)[];
  /** `MigrationScript.transaction` of each new up script, as the reader sets it. */
  upTransaction: (boolean | undefined)[];
}

const sql = (text: string) => `${text.trim()}\n`;

const CASES: Case[] = [
  {
    format: 'plain',
    migrations: 'db/migrations',
    project: {
      'db/migrations/README.md': '# Migrations\nRun with `pgwarden migrate`.\n',
      'db/migrations/001_create_users.sql':
        'CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL);\n',
      'db/migrations/001_create_users.down.sql': 'DROP TABLE users;\n',
      'db/migrations/002_create_orders.sql':
        'CREATE TABLE orders (id bigserial PRIMARY KEY, user_id bigint REFERENCES users);\n',
      'db/migrations/010_orders_user_index.sql':
        'CREATE INDEX CONCURRENTLY orders_user_id_idx ON orders (user_id);\n',
      'pgwarden.config.json': '{ "migrations": { "dir": "db/migrations", "format": "plain" } }\n',
    },
    ids: [
      '011_add_users_email_verified',
      '012_index_users_email_verified',
      '013_default_users_email_verified',
    ],
    ups: [sql(EXPAND.up), sql(INDEX.up), sql(DEFAULT.up)],
    downs: [sql(EXPAND.down!), sql(INDEX.down!), undefined],
    upTransaction: [undefined, undefined, undefined],
  },
  {
    format: 'dbmate',
    migrations: 'db/migrations',
    project: {
      '.env': 'DATABASE_URL=postgres://app@localhost:5432/app?sslmode=disable\n',
      'db/schema.sql': 'SET statement_timeout = 0;\n',
      'db/migrations/20240105093000_create_users.sql':
        '-- migrate:up\nCREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL);\n\n-- migrate:down\nDROP TABLE users;\n',
      'db/migrations/20240112170000_index_users_email.sql':
        '-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n\n-- migrate:down transaction:false\nDROP INDEX CONCURRENTLY users_email_idx;\n',
    },
    ids: ['20260314150926', '20260314150927', '20260314150928'],
    ups: [
      `-- migrate:up\n${sql(EXPAND.up)}\n`,
      `-- migrate:up transaction:false\n${sql(INDEX.up)}\n`,
      `-- migrate:up\n${sql(DEFAULT.up)}\n`,
    ],
    downs: [
      `-- migrate:down\n${sql(EXPAND.down!)}`,
      `-- migrate:down transaction:false\n${sql(INDEX.down!)}`,
      '-- migrate:down\n',
    ],
    upTransaction: [undefined, false, undefined],
  },
  {
    format: 'golang-migrate',
    migrations: 'internal/db/migrations',
    project: {
      'go.mod': 'module example.com/shop\n\ngo 1.22\n',
      'internal/db/migrations/000001_create_users.up.sql':
        'CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL);\n',
      'internal/db/migrations/000001_create_users.down.sql': 'DROP TABLE users;\n',
      'internal/db/migrations/000002_index_users_email.up.sql':
        'CREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n',
      'internal/db/migrations/000002_index_users_email.down.sql':
        'DROP INDEX CONCURRENTLY users_email_idx;\n',
    },
    ids: ['3', '4', '5'],
    ups: [sql(EXPAND.up), sql(INDEX.up), sql(DEFAULT.up)],
    downs: [sql(EXPAND.down!), sql(INDEX.down!), undefined],
    upTransaction: [undefined, undefined, undefined],
  },
  {
    format: 'flyway',
    migrations: 'sql',
    project: {
      'flyway.conf': 'flyway.url=jdbc:postgresql://localhost:5432/app\nflyway.locations=filesystem:sql\n',
      'sql/V1__create_users.sql': 'CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL);\n',
      'sql/V1_1__add_users_name.sql': 'ALTER TABLE users ADD COLUMN name text;\n',
      'sql/V2__index_users_email.sql': 'CREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n',
      'sql/V2__index_users_email.sql.conf': 'executeInTransaction=false\n',
      'sql/reports/V3.1__user_stats.sql': 'CREATE TABLE user_stats (user_id bigint PRIMARY KEY);\n',
      'sql/R__active_users.sql': 'CREATE OR REPLACE VIEW active_users AS SELECT * FROM users;\n',
      'sql/afterMigrate.sql': 'ANALYZE users;\n',
    },
    ids: ['3.2', '3.3', '3.4'],
    ups: [sql(EXPAND.up), sql(INDEX.up), sql(DEFAULT.up)],
    downs: [undefined, undefined, undefined],
    upTransaction: [undefined, false, undefined],
  },
  {
    format: 'prisma',
    migrations: 'prisma/migrations',
    project: {
      'prisma/schema.prisma':
        'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n',
      'prisma/migrations/migration_lock.toml':
        '# Please do not edit this file manually\n# It should be added in your version-control system (e.g., Git)\nprovider = "postgresql"\n',
      'prisma/migrations/0_init/migration.sql':
        '-- CreateTable\nCREATE TABLE "users" ("id" SERIAL NOT NULL, "email" TEXT NOT NULL, CONSTRAINT "users_pkey" PRIMARY KEY ("id"));\n',
      'prisma/migrations/20240112141500_add_user_name/migration.sql':
        '-- AlterTable\nALTER TABLE "users" ADD COLUMN "name" TEXT;\n',
    },
    ids: [
      '20260314150926_add_users_email_verified',
      '20260314150927_index_users_email_verified',
      '20260314150928_default_users_email_verified',
    ],
    ups: [sql(EXPAND.up), sql(INDEX.up), sql(DEFAULT.up)],
    downs: [undefined, undefined, undefined],
    upTransaction: [undefined, undefined, undefined],
  },
  {
    format: 'supabase',
    migrations: 'supabase/migrations',
    project: {
      'supabase/config.toml': 'project_id = "shop"\n\n[db]\nport = 54322\nmajor_version = 16\n',
      'supabase/seed.sql': "INSERT INTO users (email) VALUES ('dev@example.com');\n",
      'supabase/migrations/.gitkeep': '',
      'supabase/migrations/20240105093000_create_users.sql':
        'create table public.users (id bigint generated always as identity primary key, email text not null);\n',
      'supabase/migrations/20240120080000_users_rls.sql':
        'alter table public.users enable row level security;\n',
    },
    ids: ['20260314150926', '20260314150927', '20260314150928'],
    ups: [sql(EXPAND.up), sql(INDEX.up), sql(DEFAULT.up)],
    downs: [undefined, undefined, undefined],
    upTransaction: [undefined, undefined, undefined],
  },
  {
    format: 'node-pg-migrate',
    migrations: 'migrations',
    project: {
      'package.json': '{ "scripts": { "migrate": "node-pg-migrate" } }\n',
      'migrations/.gitkeep': '',
      'migrations/1700000000000_create-users.sql':
        '-- Up Migration\nCREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL);\n\n-- Down Migration\nDROP TABLE users;\n',
      'migrations/1700000100000_add-users-name.sql':
        '-- Up Migration\nALTER TABLE users ADD COLUMN name text;\n\n-- Down Migration\nALTER TABLE users DROP COLUMN name;\n',
    },
    ids: [
      '1773500966535_add-users-email-verified',
      '1773500967535_index-users-email-verified',
      '1773500968535_default-users-email-verified',
    ],
    ups: [
      // node-pg-migrate's down marker pattern starts at the blank line before the marker.
      `-- Up Migration\n${sql(EXPAND.up)}`,
      `-- Up Migration\n${sql(INDEX.up)}`,
      `-- Up Migration\n${sql(DEFAULT.up)}`,
    ],
    downs: [
      `\n-- Down Migration\n${sql(EXPAND.down!)}`,
      `\n-- Down Migration\n${sql(INDEX.down!)}`,
      undefined,
    ],
    upTransaction: [undefined, undefined, undefined],
  },
];

describe.each(CASES)('$format', (c) => {
  const format = FORMATS[c.format];

  it('writes the new migrations after the existing ones; the reader reads them back as given', () => {
    const project = tempDir(c.project);
    const dir = join(project, c.migrations);
    const before = snapshot(project);
    const existing = format.read(dir);
    expect(existing.length).toBeGreaterThan(0);

    const written = writeMigrationFiles(c.format, dir, existing, NEW, NOW);
    expect(written.map((m) => m.id)).toEqual(c.ids);

    const after = format.read(dir).filter((m) => !m.repeatable);
    const old = existing.filter((m) => !m.repeatable);
    expect(after.map((m) => m.id)).toEqual([...old.map((m) => m.id), ...c.ids]);
    expect(format.read(dir).at(-1)!.repeatable ?? false).toBe(existing.at(-1)!.repeatable ?? false);

    const added = after.slice(old.length);
    expect(added.map((m) => m.up.text)).toEqual(c.ups);
    expect(added.map((m) => m.down?.text)).toEqual(c.downs);
    expect(added.map((m) => m.up.transaction)).toEqual(c.upTransaction);
    // As pgwarden's runner will run them: the index build alone, outside the transaction.
    expect(added.map(transactional)).toEqual([[true], [false], [true]]);

    // Every file written is one the reader uses, with the mode of a source file; the old files are untouched.
    const now = snapshot(project);
    for (const [path, text] of Object.entries(before)) expect(now[path]).toBe(text);
    for (const file of written.flatMap((m) => m.files)) {
      expect(file.startsWith(dir)).toBe(true);
      expect(statSync(file).mode & 0o777).toBe(0o644 & ~process.umask());
    }
    expect(Object.keys(now).length - Object.keys(before).length).toBe(written.flatMap((m) => m.files).length);
  });

  it('refuses to write over an existing file and then writes nothing', () => {
    const project = tempDir(c.project);
    const dir = join(project, c.migrations);
    const existing = format.read(dir);
    writeMigrationFiles(c.format, dir, existing, [EXPAND], NOW);
    const before = snapshot(project);
    // Planned again from the folder as it was: the first name is taken now, the others are free.
    const error = catchError(() => writeMigrationFiles(c.format, dir, existing, NEW, NOW));
    expect(error.code).toBe('USAGE');
    expect(error.message).toMatch(/already exists; no migration was written/);
    expect(snapshot(project)).toEqual(before);
  });
});

describe('ids', () => {
  it('come after an existing id later than now (a clock behind the newest migration)', () => {
    const dir = tempDir({
      '20300101000000_future.sql': '-- migrate:up\nSELECT 1;\n-- migrate:down\n',
    });
    const plan = planMigrationFiles('dbmate', dir, FORMATS.dbmate.read(dir), [EXPAND, DEFAULT], NOW);
    expect(plan.map((m) => m.id)).toEqual(['20300101000001', '20300101000002']);
  });

  it('continue a golang-migrate folder of timestamps with timestamps, keeping the file padding for sequences', () => {
    const stamped = tempDir({ '20240105093000_init.up.sql': 'SELECT 1;\n' });
    expect(
      planMigrationFiles(
        'golang-migrate',
        stamped,
        FORMATS['golang-migrate'].read(stamped),
        [EXPAND],
        NOW,
      )[0],
    ).toMatchObject({
      id: '20260314150926',
      files: [
        { path: join(stamped, '20260314150926_add_users_email_verified.up.sql') },
        { path: join(stamped, '20260314150926_add_users_email_verified.down.sql') },
      ],
    });
    const sequenced = tempDir({ '0009_init.up.sql': 'SELECT 1;\n' });
    expect(
      planMigrationFiles(
        'golang-migrate',
        sequenced,
        FORMATS['golang-migrate'].read(sequenced),
        [DEFAULT],
        NOW,
      )[0]!.files[0]!.path,
    ).toBe(join(sequenced, '0010_default_users_email_verified.up.sql'));
  });

  it('use the tool defaults in an empty folder', () => {
    const dir = tempDir({});
    expect(planMigrationFiles('plain', dir, [], [EXPAND], NOW)[0]!.id).toBe('001_add_users_email_verified');
    expect(planMigrationFiles('flyway', dir, [], [EXPAND], NOW)[0]!.id).toBe('1');
    expect(planMigrationFiles('supabase', dir, [], [EXPAND], NOW)[0]!.id).toBe('20260314150926');
    expect(planMigrationFiles('node-pg-migrate', dir, [], [EXPAND], NOW)[0]!.id).toBe(
      '1773500966535_add-users-email-verified',
    );
  });

  it('follow node-pg-migrate utc prefixes (17 digits, with milliseconds)', () => {
    const dir = tempDir({ '20240105093000123_init.sql': '-- Up Migration\nSELECT 1;\n' });
    const plan = planMigrationFiles(
      'node-pg-migrate',
      dir,
      FORMATS['node-pg-migrate'].read(dir),
      [EXPAND, DEFAULT],
      NOW,
    );
    expect(plan.map((m) => m.id)).toEqual([
      '20260314150926535_add-users-email-verified',
      '20260314150927535_default-users-email-verified',
    ]);
  });

  it('count up the last part of a Flyway version, keeping separators and padding', () => {
    expect(nextFlywayVersions('1_2', 2, NOW)).toEqual(['1_3', '1_4']);
    expect(nextFlywayVersions('2.1', 1, NOW)).toEqual(['2.2']);
    expect(nextFlywayVersions('007', 1, NOW)).toEqual(['008']);
    expect(nextFlywayVersions('1.9', 1, NOW)).toEqual(['1.10']);
    expect(nextFlywayVersions('20240105093000', 2, NOW)).toEqual(['20260314150926', '20260314150927']);
  });

  it('refuse a sequence that would sort before the old files in a tool that compares names', () => {
    const dir = tempDir({ '9_init.sql': '-- migrate:up\nSELECT 1;\n-- migrate:down\n' });
    const error = catchError(() =>
      planMigrationFiles('dbmate', dir, FORMATS.dbmate.read(dir), [EXPAND], NOW),
    );
    expect(error.message).toMatch(/10_add_users_email_verified\.sql would not come after 9_init\.sql/);
  });
});

describe('migrations outside a transaction in tools that send a file as one query', () => {
  const TWO_INDEXES: NewMigration = {
    name: 'index_orders',
    up: '-- both without blocking writes\nCREATE INDEX CONCURRENTLY orders_user_idx ON orders (user_id); -- by user\n\n-- by date\nCREATE INDEX CONCURRENTLY orders_created_idx ON orders (created_at);\n',
    transaction: false,
  };

  it('become one migration per statement, each with its comments', () => {
    const dir = tempDir({ 'migrations/migration_lock.toml': 'provider = "postgresql"\n' });
    const migrations = join(dir, 'migrations');
    writeMigrationFiles('prisma', migrations, [], [TWO_INDEXES, EXPAND], NOW);
    const read = FORMATS.prisma.read(migrations);
    expect(read.map((m) => m.id)).toEqual([
      '20260314150926_index_orders_1',
      '20260314150927_index_orders_2',
      '20260314150928_add_users_email_verified',
    ]);
    expect(read.map((m) => m.up.text)).toEqual([
      '-- both without blocking writes\nCREATE INDEX CONCURRENTLY orders_user_idx ON orders (user_id); -- by user\n',
      '-- by date\nCREATE INDEX CONCURRENTLY orders_created_idx ON orders (created_at);\n',
      sql(EXPAND.up),
    ]);
  });

  it('stay one file where the tool runs statements apart (Flyway, plain)', () => {
    const dir = tempDir({});
    const [flyway] = planMigrationFiles('flyway', dir, [], [TWO_INDEXES], NOW);
    expect(flyway!.files.map((f) => relative(dir, f.path))).toEqual([
      'V1__index_orders.sql',
      'V1__index_orders.sql.conf',
    ]);
    expect(planMigrationFiles('plain', dir, [], [TWO_INDEXES], NOW)).toHaveLength(1);
  });

  it('cannot keep a down that would need splitting too', () => {
    const dir = tempDir({});
    const withDown = { ...TWO_INDEXES, down: 'DROP INDEX CONCURRENTLY orders_created_idx;\n' };
    expect(catchError(() => planMigrationFiles('golang-migrate', dir, [], [withDown], NOW)).message).toMatch(
      /its down cannot be split/,
    );
    const twoDrops = { ...INDEX, down: 'DROP INDEX CONCURRENTLY a;\nDROP INDEX CONCURRENTLY b;\n' };
    expect(catchError(() => planMigrationFiles('dbmate', dir, [], [twoDrops], NOW)).message).toMatch(
      /down of a migration that runs outside a transaction must be one statement/,
    );
    // Supabase has no down files: the down is dropped, the up split.
    expect(planMigrationFiles('supabase', dir, [], [withDown], NOW).map((m) => m.files.length)).toEqual([
      1, 1,
    ]);
  });
});

describe('SQL the format cannot hold', () => {
  it('refuses marker lines and Flyway placeholders', () => {
    const dir = tempDir({});
    const marker = { ...DEFAULT, up: '-- migrate:down\nSELECT 1;\n' };
    expect(catchError(() => planMigrationFiles('dbmate', dir, [], [marker], NOW)).message).toMatch(
      /a line dbmate reads as a marker/,
    );
    const nodeMarker = { ...DEFAULT, down: '-- down migration\nSELECT 1;\n' };
    expect(
      catchError(() => planMigrationFiles('node-pg-migrate', dir, [], [nodeMarker], NOW)).message,
    ).toMatch(/node-pg-migrate reads as a marker/);
    const placeholder = { ...DEFAULT, up: `UPDATE users SET note = '\${who}';\n` };
    expect(catchError(() => planMigrationFiles('flyway', dir, [], [placeholder], NOW)).message).toMatch(
      /placeholder/,
    );
  });

  it('refuses a name that is not snake_case', () => {
    const error = catchError(() =>
      planMigrationFiles('plain', tempDir({}), [], [{ ...DEFAULT, name: 'Add users' }], NOW),
    );
    expect(error.code).toBe('INTERNAL');
  });

  it('writes nothing when the last of several files is taken', () => {
    const dir = tempDir({ '003_default_users_email_verified.sql': 'SELECT 1;\n' });
    const error = catchError(() => writeMigrationFiles('plain', dir, [], NEW, NOW));
    expect(error.message).toMatch(/003_default_users_email_verified\.sql: already exists/);
    expect(readdirSync(dir)).toEqual(['003_default_users_email_verified.sql']);
  });
});
