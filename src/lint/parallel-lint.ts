/**
 * Lints many files on several cores with the same result as linting them one by one.
 *
 * Linting is sequential by nature: each file sees the schema that the earlier files built. The
 * files are split into contiguous chunks, one per worker. Every worker parses its chunk at once;
 * the first worker, given the starting schema, replays its chunk's statements on it (a cheap
 * step) and hands the resulting schema to the second worker, and so on down the chain, while
 * each worker lints its own files from the schema it was given.
 */
import { availableParallelism } from 'node:os';
import type { SchemaModel } from '../analysis/schema-model.js';
import { ERROR_CODES, type ErrorCode } from '../errors/codes.js';
import { PgwardenError } from '../errors/pgwarden-error.js';
import type { FileResult } from './finding.js';
import type { FromWorker, LintJob, ToWorker, WorkerError } from './lint-worker.js';
import type { LinterOptions } from './linter.js';

/** Below this many files one thread is faster than starting workers. */
export const PARALLEL_THRESHOLD = 64;
const FILES_PER_WORKER = 32;
const MAX_WORKERS = 4;

/**
 * How many workers to use for `files` files: `jobs` when given. By default one thread below four
 * cores — V8's compiler and garbage collector already keep a second core busy, and measured on
 * two cores, two workers were slower than one thread — else half the cores, up to 4.
 */
export function workerCount(files: number, jobs?: number): number {
  if (files < PARALLEL_THRESHOLD) return 1;
  const cores = availableParallelism();
  const wanted = jobs ?? (cores < 4 ? 1 : Math.min(Math.floor(cores / 2), MAX_WORKERS));
  return Math.max(1, Math.min(wanted, Math.floor(files / FILES_PER_WORKER)));
}

export async function lintInParallel(
  files: string[],
  options: Omit<LinterOptions, 'schema'>,
  schema: SchemaModel,
  workers: number,
): Promise<FileResult[]> {
  const size = Math.ceil(files.length / workers);
  const chunks: string[][] = [];
  for (let i = 0; i < files.length; i += size) chunks.push(files.slice(i, i + size));

  // loaded here: most runs lint in the calling thread and never pay for the module
  const { Worker } = await import('node:worker_threads');
  const threads = chunks.map(
    (paths) =>
      new Worker(new URL('./lint-worker.js', import.meta.url), {
        workerData: { paths, options } satisfies LintJob,
      }),
  );
  try {
    const done = threads.map(
      (worker, k) =>
        new Promise<FileResult[]>((resolve, reject) => {
          worker.on('message', (message: FromWorker) => {
            if (message.type === 'model')
              threads[k + 1]?.postMessage({ type: 'start', model: message.model } satisfies ToWorker);
            else if (message.type === 'done') resolve(message.results);
            else reject(new ChunkError(k * size + Math.max(0, message.index), message.error));
          });
          worker.on('error', (error) =>
            reject(new ChunkError(k * size, { message: error.message, stack: error.stack })),
          );
          worker.on('exit', (code) => {
            if (code !== 0)
              reject(new ChunkError(k * size, { message: `lint worker exited with code ${code}` }));
          });
        }),
    );
    threads[0]!.postMessage({ type: 'start', model: schema.toJSON() } satisfies ToWorker);
    const settled = await Promise.allSettled(done);
    const failures = settled
      .filter((s): s is PromiseRejectedResult => s.status === 'rejected')
      .map((s) => s.reason as ChunkError)
      .sort((a, b) => a.index - b.index);
    // the error a one-by-one run would have hit first
    if (failures[0]) throw failures[0].toError();
    return settled.flatMap((s) => (s.status === 'fulfilled' ? s.value : []));
  } finally {
    await Promise.all(threads.map((t) => t.terminate()));
  }
}

class ChunkError {
  constructor(
    readonly index: number,
    readonly error: WorkerError,
  ) {}

  toError(): Error {
    const { code, message, hint, details } = this.error;
    if (code && code in ERROR_CODES) {
      return new PgwardenError(code as ErrorCode, message, {
        ...(hint ? { hint } : {}),
        ...(details ? { details } : {}),
      });
    }
    const error = new Error(message);
    if (this.error.stack) error.stack = this.error.stack;
    return error;
  }
}
