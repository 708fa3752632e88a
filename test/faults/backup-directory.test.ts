/**
 * Faults: the backup directory is pgwarden's only. A directory pgwarden did not create keeps its
 * mode — a shared 1777 directory, a symlinked BACKUP_DIR, the project itself (`--backup-dir .`) —
 * and a loose mode is a warning (backup create, doctor), never a chmod. A missing directory is
 * created 0700 without touching the parents that exist; every file written is 0600.
 */
import { chmodSync, lstatSync, mkdirSync, readdirSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { pgwarden } from '../support/cli.js';
import { useTestDatabase } from '../support/database.js';
import { tempDir } from '../support/files.js';

const db = useTestDatabase();

beforeAll(async () => {
  await db.query('CREATE TABLE t (x int); INSERT INTO t SELECT generate_series(1, 100)');
});

const mode = (path: string) => statSync(path).mode & 0o7777;

/** Every file pgwarden wrote in `dir` is 0600. */
function expectPrivateFiles(dir: string, names: string[]) {
  const mine = readdirSync(dir).filter((n) => !names.includes(n));
  expect(mine.some((n) => n.endsWith('.manifest.json'))).toBe(true);
  for (const name of mine) expect(mode(join(dir, name)), name).toBe(0o600);
}

describe('an existing backup directory keeps its mode', () => {
  it('a shared 1777 directory stays 1777; the backup inside is 0600 and the warning says what to do', async () => {
    const shared = join(tempDir(), 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    const result = await pgwarden(['backup', 'create', '--backup-dir', shared, '--globals'], {
      env: { DATABASE_URL: db.url },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(mode(shared)).toBe(0o1777);
    expectPrivateFiles(shared, []);
    expect(result.stderr).toContain(
      `warning: the backup directory ${shared} has mode 1777: every user can list it`,
    );
    expect(result.stderr).toContain('pgwarden does not change a directory it did not create');
    expect(result.stderr).toContain('point --backup-dir / BACKUP_DIR at a directory of its own');
  });

  it('a symlinked BACKUP_DIR: neither the link nor its target changes', async () => {
    const base = tempDir();
    const target = join(base, 'target');
    mkdirSync(target);
    chmodSync(target, 0o755);
    const link = join(base, 'link');
    symlinkSync(target, link);
    const result = await pgwarden(['backup', 'create'], {
      cwd: base,
      env: { DATABASE_URL: db.url, BACKUP_DIR: link },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(mode(target)).toBe(0o755);
    expectPrivateFiles(target, []);
    expect(result.stderr).toMatch(/warning: the backup directory link has mode 0755: every user can list it/);
  });

  it('--backup-dir . leaves the project directory as it is', async () => {
    const project = tempDir({ 'README.md': 'my project\n' });
    chmodSync(project, 0o750);
    const result = await pgwarden(['backup', 'create', '--backup-dir', '.'], {
      cwd: project,
      env: { DATABASE_URL: db.url },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(mode(project)).toBe(0o750);
    expect(mode(join(project, 'README.md'))).not.toBe(0o600);
    expectPrivateFiles(project, ['README.md']);
    expect(result.stderr).toContain('warning: the backup directory . has mode 0750: its group can list it');
  });

  it('doctor warns about the loose mode (and changes nothing)', async () => {
    const shared = join(tempDir(), 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    const result = await pgwarden(['doctor', '--check', 'backup-dir', '--backup-dir', shared, '--json'], {
      env: { DATABASE_URL: undefined },
    });
    expect(result.code, result.stderr).toBe(0);
    const check = JSON.parse(result.stdout).checks.find((c: { id: string }) => c.id === 'backup-dir');
    expect(check).toMatchObject({ status: 'warn' });
    expect(check.summary).toContain('others may list it (mode 1777)');
    expect(check.fix).toContain('pgwarden does not change a directory it did not create');
    expect(mode(shared)).toBe(0o1777);
  });
});

describe('a missing backup directory', () => {
  it('is created 0700; existing parents keep their mode; no warning', async () => {
    const base = tempDir();
    const parent = join(base, 'parent');
    mkdirSync(parent);
    chmodSync(parent, 0o755);
    const dir = join(parent, 'deeper', 'backups');
    const result = await pgwarden(['backup', 'create', '--backup-dir', dir], {
      env: { DATABASE_URL: db.url },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(mode(parent)).toBe(0o755);
    expect(mode(dir)).toBe(0o700);
    expectPrivateFiles(dir, []);
    expect(result.stderr).toContain('created the backup directory');
    expect(result.stderr).not.toContain('warning');
  });
});
