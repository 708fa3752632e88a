/**
 * Fake PostgreSQL client directories for fault tests (pgBackRest's shim idea): a temporary
 * directory with the real pg_dump, pg_restore, psql and pg_dumpall linked in, where single programs
 * can be replaced by small scripts that misbehave — die midway, truncate their output, claim an
 * old version, fail a restore halfway. Pointed at with PG_BIN, which pgwarden then searches alone.
 */
import { chmodSync, existsSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postgresBinDirs } from '../../src/util/pg-bin-dirs.js';
import { removeAfterFile } from './files.js';

const PROGRAMS = ['pg_dump', 'pg_restore', 'psql', 'pg_dumpall'] as const;
type Program = (typeof PROGRAMS)[number];

/** The path of a real client program (pg_dump, pg_restore, psql, pg_dumpall). */
export function pgProgram(name: string): string {
  return join(realBinDir(), name);
}

/** The directory of the real client programs. */
export function realBinDir(): string {
  const dir = postgresBinDirs().find((d) => PROGRAMS.every((p) => existsSync(join(d, p))));
  if (!dir) throw new Error('no PostgreSQL client programs found');
  return dir;
}

/**
 * A PG_BIN directory: every program is the real one, except those given as shell scripts. The
 * scripts can call the real program as "$REAL/<name>".
 */
export function shimDir(
  scripts: Partial<Record<Program, string>> = {},
  options: { omit?: Program[] } = {},
): string {
  const dir = mkdtempSync(join(tmpdir(), 'pgwarden-shim-'));
  const real = realBinDir();
  for (const program of PROGRAMS) {
    if (options.omit?.includes(program)) continue;
    const script = scripts[program];
    if (script === undefined) {
      symlinkSync(join(real, program), join(dir, program));
      continue;
    }
    writeFileSync(join(dir, program), `#!/bin/sh\nREAL='${real}'\n${script}\n`);
    chmodSync(join(dir, program), 0o755);
  }
  removeAfterFile(dir);
  return dir;
}
