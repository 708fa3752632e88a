/**
 * What a backup file is, from its first bytes only, without spawning pg_restore: a pg_dump archive
 * (custom, directory, tar) with its header, a plain or gzip-compressed plain script, a pg_dumpall
 * script, or something else (SQLite, empty, unknown). The archive header layout follows pg_dump's
 * `WriteHead`/`ReadHead` (src/bin/pg_dump/pg_backup_archiver.c).
 */
import type { Stats } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync, constants as zlibConstants } from 'node:zlib';
import { PgwardenError } from '../errors/pgwarden-error.js';

export type ArchiveKind =
  | 'custom'
  | 'directory'
  | 'tar' // pg_dump archives (pg_restore reads them)
  | 'plain'
  | 'plain-gzip' // pg_dump plain SQL script, raw or whole-file gzip
  | 'cluster-dump' // pg_dumpall script ("PostgreSQL database cluster dump")
  | 'sqlite'
  | 'empty'
  | 'unknown';

export interface ArchiveHeader {
  /** Archive format version, e.g. [1, 14, 0] (pg_dump 12–15). */
  version: [number, number, number];
  intSize: number;
  offSize: number;
  format: 'custom' | 'tar' | 'directory';
  /** 'none' | 'gzip' | 'lz4' | 'zstd' (before 1.15 an int level: 0 → 'none', else 'gzip'). */
  compression: string;
  /** When pg_dump started, read as local time like pg_restore does; undefined when the fields are invalid. */
  createdAt: Date | undefined;
  database: string | null;
  /** The dumped server's version string, e.g. "15.18 (Debian 15.18-0+deb12u1)". */
  serverVersion: string | null;
  /** The pg_dump version string. */
  dumpVersion: string | null;
}

export interface FileIdentity {
  kind: ArchiveKind;
  header?: ArchiveHeader;
  /** A human reason, e.g. "SQLite database", "0 bytes", "truncated header: …". */
  detail?: string;
}

/** How much of a file is read to identify it: headers are far smaller. */
const HEAD_BYTES = 8192;
/** Longest string accepted in an archive header (database name, version strings). */
const MAX_HEADER_STRING = 1024;

const PGDMP = Buffer.from('PGDMP', 'latin1');
const SQLITE = Buffer.from('SQLite format 3\0', 'latin1');
const DIRECTORY_TOCS = ['toc.dat', 'toc.dat.gz', 'toc.dat.lz4', 'toc.dat.zst'] as const;

// K_VERS_* numbering of pg_backup_archiver.h: ((major * 256 + minor) * 256 + rev) * 256.
const versionNumber = (major: number, minor: number, rev: number) =>
  ((major * 256 + minor) * 256 + rev) * 256;
const K_VERS_1_2 = versionNumber(1, 2, 0);
const K_VERS_1_4 = versionNumber(1, 4, 0);
const K_VERS_1_7 = versionNumber(1, 7, 0);
const K_VERS_1_10 = versionNumber(1, 10, 0);
const K_VERS_1_15 = versionNumber(1, 15, 0);

/** pg_compress_algorithm (src/include/common/compression.h), stored as one byte from archive 1.15 on. */
const COMPRESSION_ALGORITHMS = ['none', 'gzip', 'lz4', 'zstd'] as const;

/** Reads pg_dump's header primitives, throwing a "truncated" error past the end. */
class HeaderReader {
  offset = 0;
  intSize = 4;
  constructor(private readonly bytes: Buffer) {}

  byte(what: string): number {
    if (this.offset >= this.bytes.length) throw truncated(this.bytes.length, what);
    return this.bytes[this.offset++]!;
  }

  /** ReadInt: a sign byte, then `intSize` bytes little-endian. */
  int(what: string): number {
    const sign = this.byte(what);
    if (sign > 1) throw garbled(`the sign byte of ${what} is ${sign} (expected 0 or 1)`);
    if (this.offset + this.intSize > this.bytes.length) throw truncated(this.bytes.length, what);
    let value = 0;
    for (let i = 0; i < this.intSize; i++) value += this.bytes[this.offset + i]! * 2 ** (8 * i);
    this.offset += this.intSize;
    return sign ? -value : value;
  }

  /** ReadStr: an int length (−1 for NULL), then the bytes. */
  str(what: string): string | null {
    const length = this.int(`the length of ${what}`);
    if (length < 0) return null;
    if (length > MAX_HEADER_STRING) throw garbled(`${what} claims to be ${length} bytes long`);
    if (this.offset + length > this.bytes.length) throw truncated(this.bytes.length, what);
    const text = this.bytes.toString('utf8', this.offset, this.offset + length);
    this.offset += length;
    return text;
  }
}

function truncated(length: number, what: string): PgwardenError {
  return new PgwardenError(
    'BACKUP_INVALID',
    `the archive header is truncated: it ends after ${length} bytes, before ${what}`,
    { hint: 'The file was cut short (an interrupted pg_dump or copy); take the backup again.' },
  );
}

function garbled(reason: string): PgwardenError {
  return new PgwardenError('BACKUP_INVALID', `the archive header is corrupt: ${reason}`, {
    hint: 'The file is damaged or is not a pg_dump archive; use another backup.',
  });
}

/**
 * Parses the header at the start of a custom archive (or of a directory/tar archive's toc.dat):
 * "PGDMP", version, int and offset sizes, format, compression, creation time, database name,
 * server and pg_dump versions. Throws BACKUP_INVALID when the bytes are short or garbled.
 */
export function parseArchiveHeader(bytes: Buffer): ArchiveHeader {
  if (bytes.length < PGDMP.length) throw truncated(bytes.length, 'the "PGDMP" signature');
  if (!bytes.subarray(0, PGDMP.length).equals(PGDMP)) {
    throw garbled('it does not start with "PGDMP"');
  }
  const reader = new HeaderReader(bytes);
  reader.offset = PGDMP.length;

  const vmaj = reader.byte('the format version');
  const vmin = reader.byte('the format version');
  const vrev = vmaj > 1 || (vmaj === 1 && vmin > 0) ? reader.byte('the format version') : 0;
  if (vmaj !== 1) throw garbled(`unsupported format version ${vmaj}.${vmin} (pg_dump writes 1.x)`);
  const version = versionNumber(vmaj, vmin, vrev);

  const intSize = reader.byte('the integer size');
  if (intSize < 1 || intSize > 32) throw garbled(`the integer size is ${intSize} bytes`);
  reader.intSize = intSize;
  const offSize = version >= K_VERS_1_7 ? reader.byte('the offset size') : intSize;
  if (offSize < 1 || offSize > 16) throw garbled(`the offset size is ${offSize} bytes`);

  const formatByte = reader.byte('the format byte');
  const format =
    formatByte === 1 ? 'custom' : formatByte === 3 ? 'tar' : formatByte === 5 ? 'directory' : null;
  if (format === null)
    throw garbled(`the format byte is ${formatByte} (expected 1 custom or 3 tar/directory)`);

  let compression: string;
  if (version >= K_VERS_1_15) {
    const algorithm = reader.byte('the compression algorithm');
    compression = COMPRESSION_ALGORITHMS[algorithm] ?? `unknown (${algorithm})`;
  } else if (version >= K_VERS_1_2) {
    const level =
      version < K_VERS_1_4 ? reader.byte('the compression level') : reader.int('the compression level');
    compression = level === 0 ? 'none' : 'gzip';
  } else {
    compression = 'gzip';
  }

  let createdAt: Date | undefined;
  let database: string | null = null;
  if (version >= K_VERS_1_4) {
    // struct tm, in pg_dump's order: sec, min, hour, mday, mon, year, isdst
    createdAt = localTime(Array.from({ length: 7 }, () => reader.int('the creation time')));
    database = reader.str('the database name');
  }
  let serverVersion: string | null = null;
  let dumpVersion: string | null = null;
  if (version >= K_VERS_1_10) {
    serverVersion = reader.str('the server version');
    dumpVersion = reader.str('the pg_dump version');
  }
  return {
    version: [vmaj, vmin, vrev],
    intSize,
    offSize,
    format,
    compression,
    createdAt,
    database,
    serverVersion,
    dumpVersion,
  };
}

/** pg_dump's creation time (local time, like pg_restore shows it); undefined when the fields are invalid. */
function localTime(tm: number[]): Date | undefined {
  const [sec = -1, min = -1, hour = -1, mday = -1, mon = -1, year = -1] = tm;
  const valid =
    sec >= 0 && sec <= 61 && min >= 0 && min <= 59 && hour >= 0 && hour <= 23 && mday >= 1 && mday <= 31;
  if (!valid || mon < 0 || mon > 11 || year < 0 || year >= 10_000) return undefined;
  return new Date(year + 1900, mon, mday, hour, min, sec);
}

/**
 * The oldest pg_restore major that reads this archive version: 1.16→17, 1.15→16, 1.14→12,
 * 1.13→11, older→9. Anything newer than 1.16 (no released pg_dump up to 18 writes it) → 19.
 */
export function minPgRestoreMajor(version: [number, number, number]): number {
  const [major, minor] = version;
  if (major > 1 || minor > 16) return 19;
  if (minor === 16) return 17;
  if (minor === 15) return 16;
  if (minor === 14) return 12;
  if (minor === 13) return 11;
  return 9;
}

/** Major of a version string such as "15.18 (Debian …)", "16beta1" or "9.6.24" → 15 / 16 / 9. */
export function majorOf(version: string | null | undefined): number | undefined {
  if (!version) return undefined;
  const digits = /^\s*(\d+)/.exec(version);
  return digits ? Number(digits[1]) : undefined;
}

/** Identifies a file or directory from its first few kB. Throws BACKUP_NOT_FOUND when the path does not exist. */
export async function identifyFile(path: string): Promise<FileIdentity> {
  const info = await statPath(path);
  if (info.isDirectory()) return identifyDirectory(path);
  if (!info.isFile()) return { kind: 'unknown', detail: 'not a regular file or directory' };
  if (info.size === 0) return { kind: 'empty', detail: '0 bytes' };
  const head = await readHead(path, HEAD_BYTES);
  return sniff(head, info.size);
}

async function statPath(path: string): Promise<Stats> {
  try {
    return await stat(path);
  } catch (error) {
    throw fileError(path, error);
  }
}

function fileError(path: string, error: unknown): PgwardenError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new PgwardenError('BACKUP_NOT_FOUND', `${path}: no such file or directory`, {
      hint: 'Check the path; `pgwarden backup list` shows the backups pgwarden knows.',
    });
  }
  return new PgwardenError('PATH_UNREADABLE', `${path}: cannot be read (${code ?? String(error)})`, {
    hint: 'Check the file permissions.',
    cause: error,
  });
}

async function readHead(path: string, length: number): Promise<Buffer> {
  try {
    const handle = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(length);
      let filled = 0;
      while (filled < length) {
        const { bytesRead } = await handle.read(buffer, filled, length - filled, filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return buffer.subarray(0, filled);
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw fileError(path, error);
  }
}

async function identifyDirectory(path: string): Promise<FileIdentity> {
  let entries: string[];
  try {
    entries = await readdir(path);
  } catch (error) {
    throw fileError(path, error);
  }
  const toc = DIRECTORY_TOCS.find((name) => entries.includes(name));
  if (toc === undefined) {
    return { kind: 'unknown', detail: 'a directory without toc.dat (not a pg_dump directory archive)' };
  }
  let bytes = await readHead(join(path, toc), HEAD_BYTES);
  if (toc === 'toc.dat.gz') {
    const inflated = gunzipHead(bytes);
    if (typeof inflated === 'string') return { kind: 'directory', detail: `toc.dat.gz: ${inflated}` };
    bytes = inflated;
  } else if (toc !== 'toc.dat') {
    return { kind: 'directory', detail: `${toc} is compressed; its header was not read` };
  }
  const parsed = tryHeader(bytes);
  if ('detail' in parsed) return { kind: 'directory', detail: `${toc}: ${parsed.detail}` };
  return { kind: 'directory', header: { ...parsed.header, format: 'directory' } };
}

function tryHeader(bytes: Buffer): { header: ArchiveHeader } | { detail: string } {
  try {
    return { header: parseArchiveHeader(bytes) };
  } catch (error) {
    if (error instanceof PgwardenError) return { detail: error.message };
    throw error;
  }
}

/** Identifies file contents from their first bytes; `size` is the whole file's size. */
function sniff(head: Buffer, size: number, inGzip = false): FileIdentity {
  if (startsWith(head, PGDMP)) {
    const parsed = tryHeader(head);
    if ('detail' in parsed) {
      return inGzip
        ? { kind: 'unknown', detail: `a gzip-compressed pg_dump archive (${parsed.detail})` }
        : { kind: 'custom', detail: parsed.detail };
    }
    if (inGzip) {
      return {
        kind: 'unknown',
        header: parsed.header,
        detail:
          'a gzip-compressed pg_dump custom archive: pg_restore cannot read it compressed; gunzip it first',
      };
    }
    if (parsed.header.format !== 'custom') {
      return {
        kind: 'unknown',
        header: parsed.header,
        detail:
          'a toc.dat on its own (the table of contents of a directory archive); use the whole directory',
      };
    }
    return { kind: 'custom', header: parsed.header };
  }
  if (isTar(head))
    return inGzip ? { kind: 'unknown', detail: 'a gzip-compressed tar file' } : identifyTar(head);
  if (head[0] === 0x1f && head[1] === 0x8b) {
    if (inGzip) return { kind: 'unknown', detail: 'gzip inside gzip' };
    const inflated = gunzipHead(head);
    if (typeof inflated === 'string') return { kind: 'unknown', detail: inflated };
    if (inflated.length === 0) return { kind: 'unknown', detail: 'a gzip file that holds nothing' };
    const inner = sniff(inflated, size, true);
    return inner.kind === 'plain' ? { kind: 'plain-gzip' } : inner;
  }
  if (startsWith(head, SQLITE)) return { kind: 'sqlite', detail: 'SQLite database' };
  const script = scriptKind(head);
  if (script === 'plain') return { kind: 'plain' };
  if (script === 'cluster-dump') {
    return inGzip
      ? { kind: 'unknown', detail: 'a gzip-compressed pg_dumpall script (a whole cluster, not one database)' }
      : { kind: 'cluster-dump', detail: 'pg_dumpall script (a whole cluster, not one database)' };
  }
  if (size < PGDMP.length && PGDMP.subarray(0, size).equals(head.subarray(0, size)) && !inGzip) {
    return { kind: 'custom', detail: truncated(size, 'the format version').message };
  }
  return { kind: 'unknown', detail: describeUnknown(head, inGzip) };
}

function startsWith(bytes: Buffer, prefix: Buffer): boolean {
  return bytes.length >= prefix.length && bytes.subarray(0, prefix.length).equals(prefix);
}

/** A ustar header ("ustar" at offset 257). */
function isTar(head: Buffer): boolean {
  return head.length >= 262 && head.toString('latin1', 257, 262) === 'ustar';
}

/** pg_dump's tar archive: the first member is toc.dat, whose contents start at offset 512. */
function identifyTar(head: Buffer): FileIdentity {
  const nameEnd = head.indexOf(0, 0);
  const firstMember = head.toString('utf8', 0, nameEnd >= 0 && nameEnd < 100 ? nameEnd : 100);
  if (firstMember !== 'toc.dat') {
    return {
      kind: 'unknown',
      detail: `a tar file that is not a pg_dump archive (first member: ${firstMember})`,
    };
  }
  const parsed = tryHeader(head.subarray(512));
  if ('detail' in parsed) return { kind: 'tar', detail: `toc.dat: ${parsed.detail}` };
  return { kind: 'tar', header: { ...parsed.header, format: 'tar' } };
}

/** Decompresses the start of a gzip stream (a prefix is enough), or says why it cannot. */
function gunzipHead(bytes: Buffer): Buffer | string {
  try {
    return gunzipSync(bytes, { finishFlush: zlibConstants.Z_SYNC_FLUSH, maxOutputLength: 16 * 1024 * 1024 });
  } catch (error) {
    if (error instanceof RangeError) return 'gzip data that expands too much to inspect';
    return `gzip data that cannot be decompressed (${(error as Error).message})`;
  }
}

/** pg_dump and pg_dumpall scripts open with "--", "-- PostgreSQL database [cluster] dump", "--". */
function scriptKind(head: Buffer): 'plain' | 'cluster-dump' | undefined {
  let text = head.toString('utf8', 0, Math.min(head.length, 256));
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  const lines = text.split('\n', 4).map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
  if (lines.length < 4 || lines[0] !== '--' || lines[2] !== '--') return undefined;
  if (lines[1] === '-- PostgreSQL database dump') return 'plain';
  if (lines[1] === '-- PostgreSQL database cluster dump') return 'cluster-dump';
  return undefined;
}

const MAGICS: ReadonlyArray<[Buffer, string]> = [
  [Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), 'zstd-compressed data'],
  [Buffer.from([0x04, 0x22, 0x4d, 0x18]), 'lz4-compressed data'],
  [Buffer.from('BZh', 'latin1'), 'bzip2-compressed data'],
  [Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), 'xz-compressed data'],
  [Buffer.from([0x50, 0x4b, 0x03, 0x04]), 'a zip file'],
];

function describeUnknown(head: Buffer, inGzip: boolean): string {
  const prefix = inGzip ? 'gzip-compressed ' : '';
  for (const [magic, what] of MAGICS) if (startsWith(head, magic)) return `${prefix}${what}`;
  const sample = head.subarray(0, 512);
  // the sample may end inside a multi-byte character: ignore its last decoded character
  const looksText = !sample.includes(0) && !sample.toString('utf8').slice(0, -1).includes('\uFFFD');
  return looksText
    ? `${prefix}text that is not a pg_dump script`
    : `${prefix}binary data of an unknown format`;
}
