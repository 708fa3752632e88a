/**
 * Reading an archive back in full: `pg_restore --data-only -f -` decompresses every data block and
 * prints it as COPY text, which the streaming counter turns into rows per table. This is the check
 * `pg_restore --list` is not: a truncated or corrupted archive lists fine but fails here. A plain
 * SQL dump is counted straight from the file (gunzipped on the fly when compressed).
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import type { ClientTools } from '../db/client-tools.js';
import { scrub } from '../db/connect.js';
import { libpqEnv } from '../db/libpq.js';
import { PgwardenError } from '../errors/pgwarden-error.js';
import { loadParser } from '../sql/parser.js';
import { spawnGuarded } from '../util/spawn-guarded.js';
import type { ArchiveKind } from './archive.js';
import { type CopyCounts, countCopyRows, displayTable, type TableRows, tableKey } from './copy-counter.js';

export interface ReadOptions {
  onBytes?: (bytes: number) => void;
  signal?: AbortSignal;
}

/** Rows per table of a pg_dump archive (custom, directory or tar), reading every data block. */
export async function readArchiveRows(
  tools: Pick<ClientTools, 'pgRestore'>,
  path: string,
  options: ReadOptions = {},
): Promise<CopyCounts> {
  // the counter must be reading before pg_restore can exit: Node discards the output of a child
  // that exited while nobody listened to it, so the parser it needs is loaded first
  await loadParser();
  const child = spawnGuarded(tools.pgRestore, ['--data-only', '--file', '-', path], {
    env: libpqEnv(undefined),
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.signal ? { signal: options.signal } : {}),
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    if (stderr.length < 64_000) stderr += chunk;
  });
  const exited = child.exited.catch((error: NodeJS.ErrnoException) => {
    throw error.code === 'ENOENT'
      ? new PgwardenError('TOOL_MISSING', `${tools.pgRestore} was not found`, {
          hint: 'Install the PostgreSQL client programs or point PG_BIN at their directory.',
        })
      : error;
  });
  const counting = countCopyRows(child.stdout!, options).catch((error: unknown) => {
    child.kill('SIGTERM'); // nobody reads its output any more: it must not block on a full pipe
    return error as Error;
  });
  const [exit, counts] = await Promise.all([exited, counting]);
  if (options.signal?.aborted)
    throw new PgwardenError('INTERRUPTED', 'interrupted while reading the archive');
  if (exit.code !== 0) {
    throw new PgwardenError(
      'BACKUP_INVALID',
      `${path}: pg_restore could not read the archive to the end (${exit.signal ? `killed by ${exit.signal}` : `exit ${exit.code}`}): ${lastLines(stderr)}`,
      {
        hint: stderr.includes('unsupported version')
          ? 'A newer pg_dump wrote it: install the client programs of that PostgreSQL version or point PG_BIN at them.'
          : 'The archive is truncated or corrupted; it cannot be restored. Take a new backup.',
      },
    );
  }
  if (counts instanceof Error) throw counts;
  return counts;
}

/** Rows per table of a plain SQL dump, streamed from the file (constant memory whatever its size). */
export function readPlainRows(
  path: string,
  kind: Extract<ArchiveKind, 'plain' | 'plain-gzip'>,
  options: ReadOptions = {},
): Promise<CopyCounts> {
  if (kind === 'plain') return countCopyRows(chunksOf(path), options);
  const file = createReadStream(path, { highWaterMark: CHUNK });
  const gunzip = createGunzip();
  file.on('error', (error) => gunzip.destroy(error));
  return countCopyRows(file.pipe(gunzip), options);
}

const CHUNK = 1 << 16;

/**
 * The file in chunks read into one reused buffer: no garbage per chunk, so memory stays flat on a
 * dump of any size (the counter copies the few bytes it keeps).
 */
async function* chunksOf(path: string): AsyncGenerator<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, CHUNK, null);
      if (bytesRead === 0) return;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

/**
 * What differs between the counts recorded at dump time and the counts read from the archive:
 * a missing table, or a different number of rows. Tables the archive has beyond the expected
 * ones (data of extension configuration tables) are not a problem.
 */
export function compareRows(
  expected: readonly TableRows[],
  actual: readonly TableRows[],
  where = 'in the archive',
): string[] {
  const found = new Map(actual.map((t) => [tableKey(t.schema, t.name), t.rows]));
  const problems: string[] = [];
  for (const table of expected) {
    const rows = found.get(tableKey(table.schema, table.name));
    const name = displayTable(table.schema, table.name);
    if (rows === undefined) problems.push(`${name}: missing ${where} (expected ${table.rows} rows)`);
    else if (rows !== table.rows) problems.push(`${name}: ${rows} rows ${where}, ${table.rows} expected`);
  }
  return problems;
}

/** The last lines of a program's messages, scrubbed of the password. */
export function lastLines(text: string, url?: string): string {
  const lines = scrub(text, url).trim().split('\n').filter(Boolean);
  return lines.slice(-6).join(' | ') || '(no message)';
}
