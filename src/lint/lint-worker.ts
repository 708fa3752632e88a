/**
 * A worker thread of the parallel linter (see parallel-lint.ts). It lints one contiguous chunk
 * of the files: it parses them all, hands on the schema model as it stands after its chunk (so
 * the next worker can start from it), then lints its files from the model it was given.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SchemaModel, type SchemaModelData } from '../analysis/schema-model.js';
import { isPgwardenError } from '../errors/pgwarden-error.js';
import { parseSqlFile } from '../sql/parse-file.js';
import { loadParser } from '../sql/parser.js';
import { readSqlFile } from '../sql/source.js';
import type { ParsedFile } from '../sql/statement.js';
import type { FileResult } from './finding.js';
import { Linter, type LinterOptions } from './linter.js';

export interface LintJob {
  paths: string[];
  options: Omit<LinterOptions, 'schema'>;
}

export interface WorkerError {
  code?: string;
  message: string;
  hint?: string;
  details?: Record<string, unknown>;
  stack?: string;
}

/** main → worker: the model to start from. worker → main: the model after the chunk; the results. */
export type ToWorker = { type: 'start'; model: SchemaModelData };
export type FromWorker =
  | { type: 'model'; model: SchemaModelData }
  | { type: 'done'; results: FileResult[] }
  | { type: 'error'; index: number; error: WorkerError };

const port = parentPort!;
const job = workerData as LintJob;

function toWorkerError(error: unknown): WorkerError {
  if (isPgwardenError(error)) return error.toJSON() as unknown as WorkerError;
  return { message: error instanceof Error ? error.message : String(error), stack: (error as Error)?.stack };
}

await loadParser();
const parsed: Array<ParsedFile | { failed: unknown }> = job.paths.map((path) => {
  try {
    return parseSqlFile(readSqlFile(path));
  } catch (failed) {
    return { failed };
  }
});

port.once('message', (message: ToWorker) => {
  // the model after this chunk, for the next worker: the same replay the linter does
  const after = SchemaModel.fromJSON(message.model);
  for (const file of parsed) {
    if ('failed' in file) break;
    for (const stmt of file.statements)
      if (stmt.origin !== 'function-body') after.apply(stmt.kind, stmt.node, file.path);
  }
  port.postMessage({ type: 'model', model: after.toJSON() } satisfies FromWorker);

  try {
    const linter = new Linter({ ...job.options, schema: SchemaModel.fromJSON(message.model) });
    const results: FileResult[] = [];
    for (const [index, file] of parsed.entries()) {
      if ('failed' in file) {
        port.postMessage({ type: 'error', index, error: toWorkerError(file.failed) } satisfies FromWorker);
        return;
      }
      results.push(linter.lintParsed(file));
    }
    port.postMessage({ type: 'done', results } satisfies FromWorker);
  } catch (error) {
    port.postMessage({ type: 'error', index: -1, error: toWorkerError(error) } satisfies FromWorker);
  }
});
