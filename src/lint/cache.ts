/**
 * `pgwarden lint --cache`: the findings of files linted before, reused when nothing that decides
 * them has changed — as eslint's `--cache` does, for repeated runs in CI (with the cache file kept
 * between jobs) and in editors.
 *
 * What decides a file's findings: its path and text, the options (PostgreSQL version and where it
 * came from, runner, rule levels, presets, whether the folder's history is replayed), the linter
 * itself (pgwarden's version and the build's modification time, so a changed rule never serves
 * old results) — and every file linted or replayed before it, whose statements build the schema
 * model it is linted against. So each file's key chains the key of the file before it: change one
 * migration and it and every later one are linted again, the earlier ones are served from the
 * cache and replayed into the model only when a later file needs it. With a live database the
 * facts (sizes, columns) change outside the files: no cache then.
 *
 * The cache file holds findings (names and messages from the migrations): written with mode 0600,
 * by a rename, so an interrupted run leaves the old file whole; a missing, unreadable or foreign
 * file is an empty cache. Only the entries of the current run are kept.
 */
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PgwardenError } from '../errors/pgwarden-error.js';
import type { SqlSource } from '../sql/source.js';
import { VERSION } from '../version.js';
import type { Finding } from './finding.js';

/** The default cache file, in the working directory (like `.eslintcache`). */
export const DEFAULT_CACHE_FILE = '.pgwarden-lintcache';

const FORMAT = 1;

interface CacheFile {
  format: number;
  options: string;
  entries: Record<string, Finding[]>;
}

/** The options' part of every key: what, besides the files, decides the findings. */
export function optionsKey(options: Record<string, unknown>): string {
  let build = '';
  try {
    build = String(statSync(fileURLToPath(import.meta.url)).mtimeMs);
  } catch {
    // bundled or virtual: the version alone
  }
  return hash(JSON.stringify({ version: VERSION, build, ...options }));
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

export class LintCache {
  private readonly old: Record<string, Finding[]>;
  private readonly used: Record<string, Finding[]> = {};

  private constructor(
    readonly path: string,
    private readonly options: string,
    old: Record<string, Finding[]>,
  ) {
    this.old = old;
  }

  /** Opens the cache file; anything but a cache of these options is an empty cache. */
  static open(path: string, options: string): LintCache {
    let entries: Record<string, Finding[]> = {};
    try {
      const file = JSON.parse(readFileSync(path, 'utf8')) as Partial<CacheFile>;
      if (
        file.format === FORMAT &&
        file.options === options &&
        file.entries &&
        typeof file.entries === 'object'
      )
        entries = file.entries;
    } catch {
      // missing, unreadable or not ours: start empty
    }
    return new LintCache(path, options, entries);
  }

  /** The key of `source` when `previous` is the key of the file before it ('' for the first). */
  static keyOf(previous: string, source: SqlSource): string {
    return createHash('sha256')
      .update(previous)
      .update('\0')
      .update(source.path)
      .update('\0')
      .update(source.text)
      .digest('base64url');
  }

  get(key: string): Finding[] | undefined {
    const found = this.old[key];
    if (found) this.used[key] = found;
    return found;
  }

  set(key: string, findings: Finding[]): void {
    this.used[key] = findings;
  }

  /**
   * Writes the entries of this run, unless they are exactly the ones read (every file from the
   * cache, none gone). A cache that cannot be written is an error naming the file.
   */
  save(): void {
    const kept = Object.keys(this.used);
    if (kept.length === Object.keys(this.old).length && kept.every((key) => this.old[key] === this.used[key]))
      return;
    const file: CacheFile = { format: FORMAT, options: this.options, entries: this.used };
    const temp = `${this.path}.${process.pid}.tmp`;
    try {
      writeFileSync(temp, JSON.stringify(file), { mode: 0o600 });
      renameSync(temp, this.path);
    } catch (error) {
      throw new PgwardenError(
        'PATH_UNWRITABLE',
        `${this.path}: cannot write the lint cache (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
        { hint: 'Give --cache-location a writable file, or drop --cache.', details: { path: this.path } },
      );
    }
  }
}
