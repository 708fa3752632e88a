/**
 * What every format shares (src/migrate/formats/shared.ts): listing a migrations folder, and
 * placing the history table — a configured name with more than one dot is a configuration
 * mistake, and a connection without a current schema makes detection find nothing while reading
 * the history fails with DB_QUERY.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FORMATS } from '../../../src/migrate/formats/index.js';
import { fileNames, listDirectory, listDirectoryQuietly } from '../../../src/migrate/formats/shared.js';
import { useTestDatabase } from '../../support/database.js';
import { tempDir } from '../../support/files.js';
import { catchError } from './support.js';

const db = useTestDatabase();
const formats = Object.values(FORMATS);

describe('migrations folder listing', () => {
  it('describes symbolic links by their target; a broken one is neither file nor directory', () => {
    const dir = tempDir({ '001_a.sql': 'SELECT 1;', 'sub/002_b.sql': 'SELECT 2;' });
    symlinkSync(join(dir, '001_a.sql'), join(dir, 'file-link.sql'));
    symlinkSync(join(dir, 'sub'), join(dir, 'dir-link'));
    symlinkSync(join(dir, 'gone.sql'), join(dir, 'broken.sql'));
    const entries = listDirectory(dir).sort((a, b) => a.name.localeCompare(b.name));
    expect(entries).toEqual([
      { name: '001_a.sql', isDirectory: false, isFile: true },
      { name: 'broken.sql', isDirectory: false, isFile: false },
      { name: 'dir-link', isDirectory: true, isFile: false },
      { name: 'file-link.sql', isDirectory: false, isFile: true },
      { name: 'sub', isDirectory: true, isFile: false },
    ]);
    expect(fileNames(entries)).toEqual(['001_a.sql', 'broken.sql', 'file-link.sql']);
  });

  it('names a missing directory (PATH_NOT_FOUND) and a file given as the directory (PATH_UNREADABLE)', async () => {
    const dir = tempDir();
    const missing = await catchError(() => listDirectory(join(dir, 'nope')));
    expect(missing.code).toBe('PATH_NOT_FOUND');
    expect(missing.message).toBe(`${join(dir, 'nope')}: no such migrations directory`);
    writeFileSync(join(dir, 'file'), '');
    const underFile = await catchError(() => listDirectory(join(dir, 'file', 'migrations')));
    expect(underFile.code).toBe('PATH_NOT_FOUND');
    const file = await catchError(() => listDirectory(join(dir, 'file')));
    expect(file.code).toBe('PATH_UNREADABLE');
    expect(file.message).toBe(`${join(dir, 'file')}: is a file, expected the migrations directory`);
    expect(listDirectoryQuietly(join(dir, 'nope'))).toEqual([]);
    mkdirSync(join(dir, 'empty'));
    expect(listDirectoryQuietly(join(dir, 'empty'))).toEqual([]);
  });
});

describe('history table placement', () => {
  it('refuses a configured table name with more than one dot in every format (CONFIG_INVALID)', async () => {
    const client = await db.connect();
    for (const format of formats) {
      for (const table of ['a.b.c', '.x', 'x.']) {
        const error = await catchError(() => format.history.read({ client, table }));
        expect([format.id, error.code]).toEqual([format.id, 'CONFIG_INVALID']);
        expect(error.message).toBe(`migrations.table: "${table}" is not a table name`);
        const detected = await catchError(() => format.history.detect({ client, table }));
        expect([format.id, detected.code]).toEqual([format.id, 'CONFIG_INVALID']);
      }
    }
  });

  it('detects nothing in any format when no schema of the search_path exists; reading says DB_QUERY', async () => {
    const client = await db.connect();
    await client.query('SET search_path = no_such_schema');
    for (const format of formats) {
      expect([format.id, await format.history.detect({ client })]).toEqual([format.id, false]);
      expect([format.id, await format.history.detect({ client, table: 'history' })]).toEqual([
        format.id,
        false,
      ]);
    }
    // Formats whose table has no schema of its own (the others have one: pgwarden, public, supabase_migrations).
    for (const id of ['prisma', 'flyway', 'dbmate', 'golang-migrate'] as const) {
      const error = await catchError(() => FORMATS[id].history.read({ client }));
      expect([id, error.code]).toEqual([id, 'DB_QUERY']);
      expect(error.message).toContain("no schema of the connection's search_path exists");
      expect(error.hint).toContain('migrations.table');
    }
  });
});
