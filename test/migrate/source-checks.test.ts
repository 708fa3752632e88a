/**
 * What the runner refuses in a folder before anything runs (src/migrate/source-checks.ts): a format
 * given explicitly that reads none of the SQL files, and another tool's down marker inside what
 * would run as an up script — never "nothing to migrate", never a down section run as up.
 */
import { describe, expect, it } from 'vitest';
import { loadMigrations } from '../../src/migrate/source.js';
import { rejection } from '../support/errors.js';
import { tempDir } from '../support/files.js';

const load = (files: Record<string, string>, format?: string) =>
  loadMigrations({ cwd: tempDir(files), dir: 'migrations', format });

describe('migration folder checks', () => {
  it('a format given that reads none of the .sql files is FORMAT_MISMATCH (exit 2), naming them', async () => {
    const files = { 'migrations/001_users.sql': 'CREATE TABLE users (id int);\n' };
    for (const format of ['golang-migrate', 'flyway', 'prisma']) {
      const error = await rejection(load(files, format));
      expect(error.code, format).toBe('FORMAT_MISMATCH');
      expect(error.exitCode).toBe(2);
      expect(error.message).toMatch(/format reads none of the 1 \.sql file in .*\(001_users\.sql\)$/);
    }
    // detected, or an empty folder: nothing to complain about
    expect((await load(files)).migrations.map((m) => m.id)).toEqual(['001_users']);
    expect((await load({ 'migrations/.gitkeep': '' }, 'flyway')).migrations).toEqual([]);
  });

  it("another tool's down marker in what runs as up is FORMAT_MISMATCH, naming the file, the line and the format to use", async () => {
    const files = {
      'migrations/001_users.sql': 'CREATE TABLE users (id int);\n',
      'migrations/002_email.sql':
        '-- add the e-mail column\nALTER TABLE users ADD COLUMN email text;\n\n-- migrate:down\nALTER TABLE users DROP COLUMN email;\n',
    };
    for (const format of ['plain', 'supabase', 'node-pg-migrate', undefined]) {
      const error = await rejection(load(files, format));
      expect(error.code, String(format)).toBe('FORMAT_MISMATCH');
      expect(error.message).toContain(
        `002_email.sql line 4 is dbmate's down marker ("-- migrate:down"), inside what the`,
      );
      expect(error.hint).toContain('--format dbmate');
    }
    const goose = await rejection(
      load({
        'migrations/001_a.sql': '-- +goose Up\nCREATE TABLE a (id int);\n-- +goose Down\nDROP TABLE a;\n',
      }),
    );
    expect(goose.message).toContain("001_a.sql line 3 is goose's down marker");
    // read as dbmate, the down section is the down section
    const dbmate = await load(
      {
        'migrations/20260101000000_a.sql':
          '-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n',
      },
      'dbmate',
    );
    expect(dbmate.migrations[0]!.up.text).not.toContain('DROP TABLE');
  });
});
