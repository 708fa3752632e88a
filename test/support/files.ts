/**
 * Temporary directories of files for tests, removed after the test file. The removal is one hook
 * registered when this module loads: a hook registered inside a running test is never called, so
 * a directory made in a test body used to stay in the temp directory (thousands per suite run).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll } from 'vitest';

const made: string[] = [];

/** Removes `dir` (recursively) after the test file. */
export function removeAfterFile(dir: string): void {
  made.push(dir);
}

afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export function tempDir(files: Record<string, string | Buffer> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'pgwarden-test-'));
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
  removeAfterFile(dir);
  return dir;
}
