/**
 * `lint()`: the library function behind `pgwarden lint`. Collects the SQL files, optionally
 * reads live facts from a database, lints the files in migration order and returns the result.
 */
import type { SchemaModel } from '../analysis/schema-model.js';
import { PgwardenError } from '../errors/pgwarden-error.js';
import { loadParser } from '../sql/parser.js';
import { readSqlFile, type SqlSource } from '../sql/source.js';
import { LintCache, optionsKey } from './cache.js';
import { collectSqlFiles } from './files.js';
import { type FileResult, type LintResult, type PgVersionSource, summarize } from './finding.js';
import { DEFAULT_PG_VERSION, Linter, type LinterOptions } from './linter.js';
import { lintInParallel, workerCount } from './parallel-lint.js';

export interface LintOptions extends Omit<LinterOptions, 'schema' | 'pgVersionSource'> {
  /** Files and directories (searched recursively for *.sql, in natural order). */
  paths: string[];
  /**
   * SQL texts to lint instead of `paths`, in order (e.g. the up scripts of a migration folder,
   * from `lintSourcesOf`). Linted in the calling thread.
   */
  sources?: SqlSource[];
  /**
   * Paths among `sources` that are replayed, not linted: the earlier migrations of a folder whose
   * schema the files asked for build on (their findings are not reported).
   */
  replayOnly?: ReadonlySet<string>;
  /** Read the server version and live schema facts (sizes, column types, constraints) from here. */
  databaseUrl?: string | undefined;
  /** Where `pgVersion` came from, for messages (`option` or `config`). */
  pgVersionSource?: PgVersionSource;
  /** Threads to lint with (default: 1 below 4 cores, else half the cores up to 4; 1 = the calling thread). */
  jobs?: number;
  /**
   * A cache file (`--cache`): findings of files whose text, path, predecessors and options are
   * unchanged are read from it instead of linted (src/lint/cache.ts). Ignored with `databaseUrl`.
   */
  cache?: string;
}

export async function lint(options: LintOptions): Promise<LintResult> {
  if (options.paths.length === 0 && !options.sources) {
    throw new PgwardenError('USAGE', 'no SQL files or directories to lint', {
      hint: 'Pass paths (pgwarden lint migrations/) or set migrations.dir in pgwarden.config.json.',
    });
  }
  const files = options.sources ? [] : await collectSqlFiles(options.paths);

  let pgVersion = options.pgVersion;
  let source: PgVersionSource = options.pgVersion ? (options.pgVersionSource ?? 'option') : 'default';
  let schema: SchemaModel | undefined;
  if (options.databaseUrl) {
    // loaded on demand: offline linting never pays for the driver
    const { connect } = await import('../db/connect.js');
    const { loadLiveFacts } = await import('../analysis/live-catalog.js');
    await loadParser();
    const client = await connect({ url: options.databaseUrl });
    try {
      const live = await loadLiveFacts(client);
      schema = live.model;
      if (pgVersion === undefined) {
        pgVersion = live.pgMajor;
        source = 'database';
      }
    } catch (error) {
      if (error instanceof PgwardenError) throw error;
      throw new PgwardenError('DB_QUERY', `reading the schema failed: ${(error as Error).message}`, {
        cause: error,
      });
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  const linterOptions = {
    pgVersion: pgVersion ?? DEFAULT_PG_VERSION,
    pgVersionSource: source,
    ...(options.runner === undefined ? {} : { runner: options.runner }),
    ...(options.rules === undefined ? {} : { rules: options.rules }),
    ...(options.presets === undefined ? {} : { presets: options.presets }),
  };
  // validates the options (unknown rules, runner) before any work starts; a folder's history
  // without a database: what no migration created is assumed, and said so
  const linter = new Linter({
    ...linterOptions,
    schema,
    historyOnly: options.sources !== undefined && !schema,
  });
  const workers = workerCount(files.length, options.jobs);
  let results: FileResult[];
  if (options.cache && !schema) {
    const historyOnly = options.sources !== undefined;
    const cache = LintCache.open(options.cache, optionsKey({ ...linterOptions, historyOnly }));
    const sources = options.sources ?? files.map((path) => readSqlFile(path));
    results = await lintCached(linter, sources, options.replayOnly, cache);
    cache.save();
  } else if (options.sources) {
    await loadParser();
    results = [];
    for (const sql of options.sources) {
      if (options.replayOnly?.has(sql.path)) linter.replaySource(sql);
      else results.push(linter.lintSource(sql));
    }
  } else if (workers > 1) {
    results = await lintInParallel(files, linterOptions, linter.schema, workers);
  } else {
    await loadParser();
    results = files.map((path) => linter.lintSource(readSqlFile(path)));
  }
  return {
    files: results,
    summary: summarize(results),
    pgVersion: linter.pgVersion,
    pgVersionSource: linter.pgVersionSource,
    runner: linter.runner.id,
    live: schema !== undefined,
  };
}

/**
 * Lints `sources` in order, each file's findings from the cache when its key (which chains the
 * keys of the files before it) is there. From the first file that is not, every file is linted
 * (or replayed); the files before it are replayed first, so the model is what linting would
 * have built.
 */
async function lintCached(
  linter: Linter,
  sources: readonly SqlSource[],
  replayOnly: ReadonlySet<string> | undefined,
  cache: LintCache,
): Promise<FileResult[]> {
  const results: FileResult[] = [];
  let previous = '';
  let missed = false;
  for (const [i, source] of sources.entries()) {
    const key = LintCache.keyOf(previous, source);
    previous = key;
    const replay = replayOnly?.has(source.path) === true;
    if (!missed) {
      const findings = replay ? [] : cache.get(key);
      if (findings) {
        if (!replay) results.push({ path: source.path, findings, text: source.text });
        continue;
      }
      missed = true;
      await loadParser();
      for (const before of sources.slice(0, i)) linter.replaySource(before);
    }
    if (replay) {
      linter.replaySource(source);
      continue;
    }
    const result = linter.lintSource(source);
    cache.set(key, result.findings);
    results.push(result);
  }
  return results;
}

/** Lints SQL text (one file's worth); `before` is SQL of earlier migrations, used as context only. */
export async function lintText(
  sql: string,
  options: Omit<LinterOptions, 'pgVersionSource'> & { path?: string; before?: string } = {},
): Promise<FileResult> {
  await loadParser();
  const linter = new Linter(options);
  if (options.before) linter.lintSource({ path: '<before>', text: options.before });
  return linter.lintSource({ path: options.path ?? '<sql>', text: sql });
}
