/**
 * Worker thread: reads and parses SQL files ahead of the linter, which runs on the main thread
 * (linting is sequential: each file sees the schema the earlier ones built). Results are sent
 * in order, as JSON text.
 */
import { parentPort } from 'node:worker_threads';
import { isPgwardenError } from '../errors/pgwarden-error.js';
import { parseSqlFile } from '../sql/parse-file.js';
import { loadParser } from '../sql/parser.js';
import { readSqlFile } from '../sql/source.js';
import { serializeParsedFile } from '../sql/statement.js';

export interface ParseRequest {
  paths: string[];
}

export type ParseReply =
  | { i: number; data: string }
  | {
      i: number;
      error: { code?: string; message: string; hint?: string; details?: Record<string, unknown> };
    };

await loadParser();
parentPort?.on('message', (request: ParseRequest) => {
  for (const [i, path] of request.paths.entries()) {
    let reply: ParseReply;
    try {
      reply = { i, data: serializeParsedFile(parseSqlFile(readSqlFile(path))) };
    } catch (error) {
      reply = isPgwardenError(error)
        ? {
            i,
            error: {
              code: error.code,
              message: error.message,
              ...(error.hint ? { hint: error.hint } : {}),
              ...(error.details ? { details: error.details } : {}),
            },
          }
        : { i, error: { message: error instanceof Error ? error.message : String(error) } };
    }
    parentPort?.postMessage(reply);
  }
});
