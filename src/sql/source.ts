import { readFileSync } from 'node:fs';
import { PgwardenError } from '../errors/pgwarden-error.js';

/** A SQL text with the path it came from (a file path, or a label such as `<stdin>`). */
export interface SqlSource {
  path: string;
  text: string;
  /**
   * The migration tool runs this file without its own transaction (dbmate `transaction:false`,
   * sql-migrate `notransaction`, diesel `run_in_transaction = false`, a Flyway script's
   * `executeInTransaction=false`): `statements` sends its statements one by one, `one-query` sends
   * the file as one query, which PostgreSQL runs as one implicit transaction when it holds several.
   */
  transaction?: 'statements' | 'one-query';
}

/**
 * Decodes SQL bytes as UTF-8 (PostgreSQL's usual client encoding). Invalid bytes are an error
 * that names the file and the line, never a crash or silent replacement characters.
 */
const utf8 = new TextDecoder('utf-8', { fatal: true });

export function decodeSql(bytes: Uint8Array, path: string): string {
  try {
    const text = utf8.decode(bytes);
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  } catch {
    const bad = firstInvalidUtf8Byte(bytes);
    let line = 1;
    for (let i = 0; i < bad; i++) if (bytes[i] === 0x0a) line++;
    throw new PgwardenError(
      'FILE_NOT_UTF8',
      `${path}: not valid UTF-8 (invalid byte 0x${(bytes[bad] ?? 0).toString(16).padStart(2, '0')} at byte ${bad}, line ${line})`,
      {
        hint: 'Convert the file to UTF-8, for example with `iconv -f LATIN1 -t UTF-8`.',
        details: { path, byte: bad, line },
      },
    );
  }
}

function firstInvalidUtf8Byte(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    let need = 0;
    if (b < 0x80) need = 0;
    else if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) need = 2;
    else if (b >= 0xf0 && b <= 0xf4) need = 3;
    else return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
    }
    i += need + 1;
  }
  return Math.max(0, bytes.length - 1);
}

/**
 * Reads a SQL file. Synchronous on purpose: linting reads thousands of small files one after the
 * other, and an awaited read per file costs more in event-loop round trips than the read itself.
 */
export function readSqlFile(path: string): SqlSource {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EISDIR') {
      throw new PgwardenError('PATH_UNREADABLE', `${path}: is a directory, expected a SQL file`);
    }
    if (code === 'ENOENT') {
      throw new PgwardenError('PATH_NOT_FOUND', `${path}: no such file or directory`, { cause: error });
    }
    throw new PgwardenError('PATH_UNREADABLE', `${path}: cannot read (${code ?? String(error)})`, {
      cause: error,
    });
  }
  return { path, text: decodeSql(bytes, path) };
}
