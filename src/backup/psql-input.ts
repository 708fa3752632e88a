/**
 * What psql reads in a restore, and the same vetting for the preview (plain-script.ts does the
 * reading). `readPlainDump` vets a plain dump (raw or gzip) in full and counts its rows, without
 * side effects. `psqlInput` turns a dump (or `pg_restore -f -` output) into the stream psql reads:
 * the vetted script, each part handed on only once vetted (the first problem ends the stream with
 * an error, before psql sees the line), pg_dump's own meta-command lines replaced by empty lines,
 * and — when the local psql knows `\restrict` (13.22/14.19/15.14/16.10/17.6/18 and later) — the
 * whole wrapped in pgwarden's own `\restrict <random key>` … `\unrestrict <key>`, so that psql
 * itself refuses any meta-command that would still get through.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { libpqEnv } from '../db/libpq.js';
import { PgwardenError } from '../errors/pgwarden-error.js';
import { loadParser } from '../sql/parser.js';
import { run } from '../util/process.js';
import type { ArchiveKind } from './archive.js';
import type { CountOptions } from './copy-counter.js';
import {
  type ScriptFacts,
  type ScriptProblem,
  ScriptRefused,
  ScriptVetter,
  type VetOptions,
} from './plain-script.js';

export type ScriptInput = NodeJS.ReadableStream | Readable | AsyncIterable<Buffer | string>;
export type PlainKind = Extract<ArchiveKind, 'plain' | 'plain-gzip'>;

/** The bytes of a plain dump: the file, gunzipped on the fly when compressed. */
export function openPlainDump(path: string, kind: PlainKind): Readable {
  const file = createReadStream(path, { highWaterMark: 1 << 20 });
  if (kind === 'plain') return file;
  const gunzip = createGunzip();
  file.on('error', (error) => gunzip.destroy(error));
  gunzip.on('close', () => file.destroy());
  return file.pipe(gunzip);
}

/**
 * Vets a plain dump in full and counts its rows (no side effects): every reason to refuse it is in
 * `problems` (up to 20; reading stops at one that leaves the rest unreadable).
 */
export function readPlainDump(
  path: string,
  kind: PlainKind,
  options: Omit<VetOptions, 'output' | 'stopAtFirst'> & CountOptions = {},
): Promise<ScriptFacts> {
  return vetScript(openPlainDump(path, kind), options);
}

/**
 * Starts reading `input` at once: Node throws away the output of a child process that exits while
 * nobody reads it (pg_restore can finish before the parser has loaded); the data waits here.
 */
function readNow(input: ScriptInput): ScriptInput {
  if (!(input instanceof Readable)) return input;
  const buffer = new PassThrough();
  input.on('error', (error) => buffer.destroy(error));
  buffer.on('close', () => input.destroy()); // whoever stops reading stops the source too
  return input.pipe(buffer);
}

/** Vets a script read from `input`; see readPlainDump. */
export async function vetScript(
  source: ScriptInput,
  options: Omit<VetOptions, 'output' | 'stopAtFirst'> & CountOptions = {},
): Promise<ScriptFacts> {
  const { signal, onBytes, ...vet } = options;
  const input = readNow(source);
  await loadParser();
  const vetter = new ScriptVetter(vet);
  const interrupted = () => new PgwardenError('INTERRUPTED', 'reading the dump was interrupted');
  if (signal?.aborted) throw interrupted();
  const stop = () => (input as Partial<Readable>).destroy?.();
  signal?.addEventListener('abort', stop, { once: true });
  try {
    for await (const chunk of input as AsyncIterable<Buffer | string>) {
      if (signal?.aborted) break;
      vetter.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
      onBytes?.(vetter.bytes);
    }
    if (signal?.aborted) throw interrupted();
    return vetter.finish();
  } catch (error) {
    if (signal?.aborted) throw interrupted();
    const problem = asProblem(error, vetter);
    if (!problem) throw error;
    if (!vetter.problems.includes(problem)) vetter.problems.push(problem);
    stop();
    return vetter.facts();
  } finally {
    signal?.removeEventListener('abort', stop);
  }
}

/** The problem behind an error of the vetting (a refusal, a truncated or foreign COPY block). */
function asProblem(error: unknown, vetter: ScriptVetter): ScriptProblem | undefined {
  if (error instanceof ScriptRefused) return error.problem;
  if (
    error instanceof PgwardenError &&
    (error.code === 'BACKUP_INVALID' || error.code === 'BACKUP_FOREIGN')
  ) {
    return { code: error.code, line: vetter.lineNumber, message: error.message, hint: error.hint ?? '' };
  }
  return undefined;
}

export interface PsqlInputOptions {
  /** the target database (`\connect` to it is accepted and dropped) */
  database: string;
  /** the psql that will read the stream: `\restrict` is used when it knows it */
  psql: string;
  /**
   * `pg_restore --single-transaction -f -` output: its opening BEGIN and closing COMMIT are
   * accepted and dropped (the caller's transaction spans the script; --single-transaction keeps
   * pg_restore from writing a BEGIN/COMMIT pair around large-object data)
   */
  outerTransaction?: boolean;
}

/**
 * The stream psql is to read for `input`: see the file comment. It ends with an error — a
 * PgwardenError with the code of the problem (PLAIN_DUMP_REFUSED, BACKUP_FOREIGN, BACKUP_INVALID)
 * and the line — at the first reason to refuse the script, before psql has read that line; the
 * caller then stops psql without COMMIT, so the server rolls everything back.
 */
export async function psqlInput(source: ScriptInput, options: PsqlInputOptions): Promise<Readable> {
  const input = readNow(source);
  await loadParser();
  const key = (await psqlSupportsRestrict(options.psql)) ? randomBytes(24).toString('hex') : undefined;
  return Readable.from(vettedScript(input, options, key), { objectMode: false });
}

async function* vettedScript(
  input: ScriptInput,
  options: PsqlInputOptions,
  key: string | undefined,
): AsyncGenerator<Buffer> {
  let out: Buffer[] = [];
  const vetter = new ScriptVetter({
    database: options.database,
    outerTransaction: options.outerTransaction === true,
    stopAtFirst: true,
    output: (bytes) => out.push(bytes),
  });
  const take = () => {
    const parts = out;
    out = [];
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  };
  yield Buffer.from(`\\set ON_ERROR_STOP on\n${key ? `\\restrict ${key}\n` : ''}`);
  try {
    for await (const chunk of input as AsyncIterable<Buffer | string>) {
      vetter.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
      if (out.length > 0) yield take();
    }
    vetter.finish();
  } catch (error) {
    const problem = asProblem(error, vetter);
    if (!problem) throw error;
    throw new PgwardenError(problem.code, `the script was refused before psql read it: ${problem.message}`, {
      hint: problem.hint,
      details: { line: problem.line },
    });
  }
  if (out.length > 0) yield take();
  if (key) yield Buffer.from(`\n\\unrestrict ${key}\n`);
}

const restrictSupport = new Map<string, Promise<boolean>>();

/**
 * Whether this psql knows `\restrict` (PostgreSQL 13.22, 14.19, 15.14, 16.10, 17.6, 18 and later):
 * `psql --help=commands` lists it. No connection is made; the answer is kept per program.
 */
export function psqlSupportsRestrict(psql: string): Promise<boolean> {
  let known = restrictSupport.get(psql);
  if (!known) {
    known = run(psql, ['--help=commands'], {
      env: { ...libpqEnv(undefined), PAGER: 'cat', PSQL_PAGER: 'cat' },
    })
      .then((result) => result.code === 0 && result.stdout.includes('\\restrict'))
      .catch(() => false);
    restrictSupport.set(psql, known);
  }
  return known;
}
