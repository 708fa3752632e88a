/**
 * Faults: hostile manifests. A manifest whose names are not the ones pgwarden writes — an archive
 * `../victim`, an absolute path, an id that is not the file's own (claiming another backup's
 * archive), a globals file `../x` — is an invalid manifest: `backup list` flags it, `prune` (the
 * one deploy runs too) never touches a path named in it, and verify and restore refuse it. The
 * victims outside the backup directory survive, and so does the good backup next to them.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createBackup } from '../../src/backup/create.js';
import { pruneBackups } from '../../src/backup/prune.js';
import { pgwarden } from '../support/cli.js';
import { useTestDatabase } from '../support/database.js';
import { tempDir } from '../support/files.js';

const db = useTestDatabase();
let base: string;
let dir: string;
let goodId: string;

/** Names and SHA-256 of every file under `path` (to prove nothing changed). */
function tree(path: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(path, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = join(entry.parentPath, entry.name);
    out[file] = createHash('sha256').update(readFileSync(file)).digest('hex');
  }
  return out;
}

const OLD = new Date(Date.now() - 400 * 24 * 3600 * 1000).toISOString();

beforeAll(async () => {
  await db.query('CREATE TABLE t (x int); INSERT INTO t SELECT generate_series(1, 100)');
  base = tempDir();
  dir = join(base, 'backups');
  // the victims: a directory and files next to the backup directory, and one at an absolute path
  mkdirSync(join(base, 'victim'));
  writeFileSync(join(base, 'victim', 'important.txt'), 'keep me\n');
  writeFileSync(join(base, 'x'), 'keep me too\n');
  writeFileSync(join(base, 'absolute-victim'), 'and me\n');
  // an old verified backup whose manifest the hostile ones are made from, and a newer good one
  const template = (await createBackup({ databaseUrl: db.url, dir })).manifest;
  goodId = (await createBackup({ databaseUrl: db.url, dir })).manifest.id;
  for (const name of readdirSync(dir)) if (name.startsWith(template.id)) rmSync(join(dir, name));
  const hostile = (name: string, changes: Record<string, unknown>) =>
    writeFileSync(
      join(dir, `${name}.manifest.json`),
      JSON.stringify({
        ...template,
        id: name,
        archive: `${name}.dump`,
        startedAt: OLD,
        finishedAt: OLD,
        ...changes,
      }),
    );
  hostile('evil-parent', { archive: '../victim' });
  hostile('evil-absolute', { archive: join(base, 'absolute-victim') });
  hostile('evil-id', { id: goodId, archive: `${goodId}.dump` });
  hostile('evil-globals', { globals: { file: '../x', size: 12, sha256: 'x'.repeat(64) } });
  hostile('evil-slash-id', { id: '../evil', archive: '../evil.dump' });
  writeFileSync(join(dir, 'evil-globals.dump'), 'not even a dump');
});

describe('hostile manifests', () => {
  it('backup list flags each as an invalid manifest, naming the bad field', async () => {
    const result = await pgwarden(['backup', 'list', '--backup-dir', dir, '--json'], { env: {} });
    expect(result.code, result.stderr).toBe(0);
    const list = JSON.parse(result.stdout);
    expect(list.backups.map((b: { id: string }) => b.id)).toEqual([goodId]);
    const reasons = Object.fromEntries(
      list.flagged.map((f: { name: string; reason: string }) => [f.name, f.reason]),
    );
    expect(reasons['evil-parent.manifest.json']).toMatch(
      /invalid manifest, left alone: .*archive "\.\.\/victim" is not "evil-parent\.dump"/,
    );
    expect(reasons['evil-absolute.manifest.json']).toMatch(
      /archive ".*absolute-victim" is not "evil-absolute\.dump"/,
    );
    expect(reasons['evil-id.manifest.json']).toMatch(/id ".*" is not the file's own id "evil-id"/);
    expect(reasons['evil-globals.manifest.json']).toMatch(
      /globals file "\.\.\/x" is not "evil-globals\.globals\.sql"/,
    );
    expect(reasons['evil-slash-id.manifest.json']).toMatch(/id "\.\.\/evil" is not a single file name/);
    const text = await pgwarden(['backup', 'list', '--backup-dir', dir], { env: {} });
    expect(text.stdout).toMatch(/evil-parent\.manifest\.json: invalid manifest, left alone/);
  });

  it('prune (as backup prune and as deploy runs it) deletes nothing they name; the victims survive', async () => {
    const before = tree(base);
    const result = await pgwarden(
      ['backup', 'prune', '--backup-dir', dir, '--retention-days', '1', '--keep', '1'],
      { env: {} },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(join(base, 'victim', 'important.txt')), '../victim deleted').toBe(true);
    expect(existsSync(join(base, 'x')), '../x deleted').toBe(true);
    expect(result.stdout).toContain('Nothing to prune');
    // deploy calls the same function after every successful deploy
    const pruned = await pruneBackups({ dir, retentionDays: 1, keep: 1 });
    expect(pruned.delete).toEqual([]);
    expect(tree(base)).toEqual(before);
    expect(existsSync(join(base, 'victim', 'important.txt'))).toBe(true);
    expect(existsSync(join(base, 'x'))).toBe(true);
    expect(existsSync(join(base, 'absolute-victim'))).toBe(true);
    expect(existsSync(join(dir, `${goodId}.dump`))).toBe(true);
  });

  it.each([
    ['evil-parent', /invalid manifest: archive "\.\.\/victim" is not "evil-parent\.dump"/],
    ['evil-id', /invalid manifest: id ".*" is not the file's own id "evil-id"/],
  ])('verify and restore refuse %s (exit 1) and change nothing', async (id, message) => {
    const before = tree(base);
    const verify = await pgwarden(['backup', 'verify', id, '--backup-dir', dir], { env: {} });
    expect(verify.code).toBe(1);
    expect(verify.stderr).toMatch(message);
    const restore = await pgwarden(['restore', id, '--backup-dir', dir, '--preview'], {
      env: { DATABASE_URL: db.url },
    });
    expect(restore.code).toBe(1);
    expect(restore.stderr).toMatch(message);
    expect(tree(base)).toEqual(before);
  });

  it('an id with a slash is not a backup id (exit 2)', async () => {
    const result = await pgwarden(['backup', 'verify', '../backups/evil-parent', '--backup-dir', dir], {
      env: {},
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('is not a backup id');
  });
});
