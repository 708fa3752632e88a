/**
 * Parsed files for the linter, in order. With many files a worker thread reads and parses ahead
 * while the main thread lints, so both cores work; with few, parsing inline is cheaper than
 * starting a worker.
 */
import { Worker } from 'node:worker_threads';
import { ERROR_CODES, type ErrorCode } from '../errors/codes.js';
import { PgwardenError } from '../errors/pgwarden-error.js';
import { parseSqlFile } from '../sql/parse-file.js';
import { readSqlFile } from '../sql/source.js';
import { deserializeParsedFile, type ParsedFile } from '../sql/statement.js';
import type { ParseReply } from './parse-worker.js';

/** Below this many files, parse on the main thread. */
export const WORKER_THRESHOLD = 64;

export interface ParsedFiles {
  get(i: number): Promise<ParsedFile>;
  close(): Promise<void>;
}

export function parseAhead(paths: string[]): ParsedFiles {
  if (paths.length < WORKER_THRESHOLD) return inline(paths);
  let worker: Worker;
  try {
    worker = new Worker(new URL('./parse-worker.js', import.meta.url));
  } catch {
    return inline(paths);
  }
  const settled = new Map<number, ParseReply>();
  const waiting = new Map<number, { resolve: (f: ParsedFile) => void; reject: (e: unknown) => void }>();
  let failure: unknown;
  const deliver = (reply: ParseReply): void => {
    const waiter = waiting.get(reply.i);
    if (!waiter) {
      settled.set(reply.i, reply);
      return;
    }
    waiting.delete(reply.i);
    try {
      waiter.resolve(toFile(reply));
    } catch (error) {
      waiter.reject(error);
    }
  };
  worker.on('message', deliver);
  worker.on('error', (error) => {
    failure = error;
    for (const waiter of waiting.values()) waiter.reject(error);
    waiting.clear();
  });
  worker.postMessage({ paths });
  return {
    get(i) {
      const reply = settled.get(i);
      if (reply) {
        settled.delete(i);
        return Promise.resolve().then(() => toFile(reply));
      }
      if (failure) return Promise.reject(failure);
      return new Promise((resolve, reject) => waiting.set(i, { resolve, reject }));
    },
    async close() {
      await worker.terminate();
    },
  };
}

function toFile(reply: ParseReply): ParsedFile {
  if ('data' in reply) return deserializeParsedFile(reply.data);
  const { code, message, hint, details } = reply.error;
  if (code && code in ERROR_CODES) {
    throw new PgwardenError(code as ErrorCode, message, {
      ...(hint ? { hint } : {}),
      ...(details ? { details } : {}),
    });
  }
  throw new Error(message);
}

function inline(paths: string[]): ParsedFiles {
  return {
    get: async (i) => parseSqlFile(readSqlFile(paths[i]!)),
    close: async () => undefined,
  };
}
