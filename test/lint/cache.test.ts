/**
 * `lint --cache`: findings of unchanged files come from the cache file; a changed file, any file
 * after it (its schema may differ) and any change of options are linted again; a broken cache
 * file is an empty cache; with a database there is no cache.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lint } from '../../src/lint/lint.js';
import { tempDir } from '../support/files.js';

const FILES = {
  'migrations/001_users.sql': 'CREATE TABLE users (id bigint PRIMARY KEY, email text);',
  'migrations/002_email.sql': 'ALTER TABLE users ALTER COLUMN email SET NOT NULL;',
  'migrations/003_index.sql': 'CREATE INDEX users_email ON users (email);',
};

function rules(result: Awaited<ReturnType<typeof lint>>): string[][] {
  return result.files.map((file) => file.findings.map((f) => `${f.rule}:${f.level}`));
}

/** Replaces the findings of every cached entry with one made-up finding: what comes back was cached. */
function plant(cache: string): void {
  const file = JSON.parse(readFileSync(cache, 'utf8'));
  for (const key of Object.keys(file.entries))
    file.entries[key] = [
      {
        rule: 'planted',
        level: 'warning',
        message: 'from the cache',
        line: 1,
        column: 1,
        endLine: 1,
        endColumn: 1,
        start: 0,
        end: 1,
      },
    ];
  writeFileSync(cache, JSON.stringify(file));
}

describe('lint --cache', () => {
  it('serves unchanged files from the cache and lints a changed file and every file after it', async () => {
    const dir = tempDir(FILES);
    const cache = join(dir, '.pgwarden-lintcache');
    const paths = [join(dir, 'migrations')];
    const first = await lint({ paths, cache });
    expect((statSync(cache).mode & 0o777).toString(8)).toBe('600');
    const again = await lint({ paths, cache });
    expect(rules(again)).toEqual(rules(first));

    plant(cache);
    expect(rules(await lint({ paths, cache }))).toEqual([
      ['planted:warning'],
      ['planted:warning'],
      ['planted:warning'],
    ]);

    // 002 changes: 001 still comes from the cache, 002 and 003 are linted (003 against the new model)
    writeFileSync(join(dir, 'migrations/002_email.sql'), 'ALTER TABLE users ADD COLUMN name text;');
    const changed = await lint({ paths, cache });
    expect(rules(changed)[0]).toEqual(['planted:warning']);
    expect(rules(changed).slice(1)).toEqual(rules(await lint({ paths: [join(dir, 'migrations')] })).slice(1));
  });

  it('other options lint again; a broken cache file is an empty cache', async () => {
    const dir = tempDir({
      'm/001_merge.sql': 'MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE;',
    });
    const cache = join(dir, 'cache.json');
    const paths = [join(dir, 'm')];
    await lint({ paths, cache, pgVersion: 15 });
    plant(cache);
    const older = await lint({ paths, cache, pgVersion: 14 });
    expect(rules(older)).toEqual([['syntax-not-in-version:error']]);

    writeFileSync(cache, '{ not json');
    expect(rules(await lint({ paths, cache, pgVersion: 14 }))).toEqual([['syntax-not-in-version:error']]);
    expect(JSON.parse(readFileSync(cache, 'utf8')).format).toBe(1);
  });

  it('a cache file that cannot be written is an error naming it', async () => {
    const dir = tempDir({ 'm/001.sql': 'SELECT 1;' });
    const cache = join(dir, 'missing-dir', 'cache.json');
    await expect(lint({ paths: [join(dir, 'm')], cache })).rejects.toMatchObject({
      code: 'PATH_UNWRITABLE',
      message: expect.stringContaining(cache),
    });
  });
});
