/**
 * Identifying backup files from their first bytes, against files written by the real pg_dump,
 * pg_dumpall and pg_restore: every header field is checked against what `pg_restore --list`
 * prints for the same archive, and every kind of bad input (SQLite, empty, random, truncated,
 * corrupt, foreign tar, misplaced toc.dat) gets a clear answer.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type ArchiveHeader,
  identifyFile,
  majorOf,
  minPgRestoreMajor,
  parseArchiveHeader,
} from '../../src/backup/archive.js';
import { forLibpq, libpqEnv } from '../../src/db/libpq.js';
import { PgwardenError } from '../../src/errors/pgwarden-error.js';
import { useTestDatabase } from '../support/database.js';
import { tempDir } from '../support/files.js';
import { pgProgram } from '../support/pg-shims.js';

const run = promisify(execFile);
const db = useTestDatabase();
const dir = tempDir();

const program = pgProgram;

/** Runs a PostgreSQL client program against the test database (password only in the environment). */
async function pgTool(name: string, args: string[], url = db.url): Promise<string> {
  const target = forLibpq(url);
  const { stdout } = await run(program(name), [...args, '--dbname', target.url], {
    env: libpqEnv(target.password),
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

/** What `pg_restore --list` says about an archive's header: the oracle for the parser. */
async function restoreListHeader(path: string): Promise<Record<string, string>> {
  const { stdout } = await run(program('pg_restore'), ['--list', path]);
  const fields: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const created = /^; Archive created at (.+)$/.exec(line);
    if (created) fields.created = created[1]!;
    const field = /^;\s+([^:]+):\s*(.*)$/.exec(line);
    if (field) fields[field[1]!] = field[2]!;
  }
  return fields;
}

function expectHeaderMatchesListing(header: ArchiveHeader, listing: Record<string, string>): void {
  const [major, minor, rev] = header.version;
  expect(listing['Dump Version']).toBe(`${major}.${minor}-${rev}`);
  expect(listing.Format).toBe(header.format.toUpperCase());
  expect(listing.Integer).toBe(`${header.intSize} bytes`);
  expect(listing.Offset).toBe(`${header.offSize} bytes`);
  expect(listing.dbname).toBe(header.database);
  expect(listing['Dumped from database version']).toBe(header.serverVersion);
  expect(listing['Dumped by pg_dump version']).toBe(header.dumpVersion);
  // pg_restore prints the creation time in local time, as "YYYY-MM-DD HH:MM:SS <zone>"
  const at = header.createdAt!;
  const pad = (n: number) => String(n).padStart(2, '0');
  const local = `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}`;
  expect(listing.created?.startsWith(local)).toBe(true);
}

let serverVersion: string;
let dumpVersion: string;
let dumpStarted: Date;
let dumpEnded: Date;
const path = (name: string) => join(dir, name);

beforeAll(async () => {
  await db.query(`
    CREATE TABLE public.users (id int PRIMARY KEY, name text);
    INSERT INTO public.users SELECT g, 'user ' || g FROM generate_series(1, 50) g;
  `);
  serverVersion = (await db.query<{ v: string }>('SELECT current_setting($1) AS v', ['server_version']))
    .rows[0]!.v;
  dumpVersion = /\(PostgreSQL\)\s+(.+)/
    .exec((await run(program('pg_dump'), ['--version'])).stdout)![1]!
    .trim();
  dumpStarted = new Date(Math.floor(Date.now() / 1000) * 1000);
  await pgTool('pg_dump', ['-Fc', '-f', path('custom.dump')]);
  await pgTool('pg_dump', ['-Fc', '-Z', '0', '-f', path('custom-z0.dump')]);
  await pgTool('pg_dump', ['-Fd', '-f', path('directory.dir')]);
  await pgTool('pg_dump', ['-Ft', '-f', path('tar.tar')]);
  await pgTool('pg_dump', ['-Fp', '-f', path('plain.sql')]);
  dumpEnded = new Date();
  writeFileSync(path('plain.sql.gz'), gzipSync(readFileSync(path('plain.sql'))));
  await pgTool('pg_dumpall', ['--globals-only', '-f', path('globals.sql')], db.serverUrl);
});

describe('identifyFile on real pg_dump output', () => {
  it('custom format: every header field as pg_restore --list reads it', async () => {
    const identity = await identifyFile(path('custom.dump'));
    expect(identity.kind).toBe('custom');
    const header = identity.header!;
    expect(header.format).toBe('custom');
    expect(header.database).toBe(db.name);
    expect(header.serverVersion).toBe(serverVersion);
    expect(header.dumpVersion).toBe(dumpVersion);
    expect(header.compression).toBe('gzip'); // -Fc compresses by default
    expect(header.createdAt!.getTime()).toBeGreaterThanOrEqual(dumpStarted.getTime());
    expect(header.createdAt!.getTime()).toBeLessThanOrEqual(dumpEnded.getTime());
    expectHeaderMatchesListing(header, await restoreListHeader(path('custom.dump')));
    // pg_dump 15 writes archive version 1.14 (a pg_restore of 12 or newer reads it)
    if (majorOf(dumpVersion) === 15) {
      expect(header.version).toEqual([1, 14, 0]);
      expect(minPgRestoreMajor(header.version)).toBe(12);
    }
  });

  it('custom format without compression (-Z 0)', async () => {
    const identity = await identifyFile(path('custom-z0.dump'));
    expect(identity.kind).toBe('custom');
    expect(identity.header!.compression).toBe('none');
    expect((await restoreListHeader(path('custom-z0.dump'))).Compression).toMatch(/^(0|none)$/);
  });

  it('directory format: toc.dat says tar, the path is reported as a directory', async () => {
    // the raw byte in toc.dat is the tar format's (3), like pg_dump writes it
    expect(readFileSync(path('directory.dir/toc.dat'))[10]).toBe(3);
    const identity = await identifyFile(path('directory.dir'));
    expect(identity.kind).toBe('directory');
    expect(identity.header!.format).toBe('directory');
    expect(identity.header!.database).toBe(db.name);
    expectHeaderMatchesListing(identity.header!, await restoreListHeader(path('directory.dir')));
  });

  it('directory format whose toc.dat is gzip-compressed (pg_restore accepts toc.dat.gz)', async () => {
    const copy = path('directory-gz.dir');
    mkdirSync(copy);
    writeFileSync(join(copy, 'toc.dat.gz'), gzipSync(readFileSync(path('directory.dir/toc.dat'))));
    const identity = await identifyFile(copy);
    expect(identity.kind).toBe('directory');
    expect(identity.header!.database).toBe(db.name);
  });

  it('tar format: toc.dat is the first member', async () => {
    const identity = await identifyFile(path('tar.tar'));
    expect(identity.kind).toBe('tar');
    expect(identity.header!.format).toBe('tar');
    expect(identity.header!.compression).toBe('none');
    expectHeaderMatchesListing(identity.header!, await restoreListHeader(path('tar.tar')));
  });

  it('plain script, raw and gzip-compressed', async () => {
    expect(await identifyFile(path('plain.sql'))).toEqual({ kind: 'plain' });
    expect(await identifyFile(path('plain.sql.gz'))).toEqual({ kind: 'plain-gzip' });
  });

  it('plain script with CRLF line ends', async () => {
    const crlf = path('crlf.sql');
    writeFileSync(crlf, readFileSync(path('plain.sql'), 'utf8').replace(/\n/g, '\r\n'));
    expect((await identifyFile(crlf)).kind).toBe('plain');
  });

  it('pg_dumpall --globals-only script is a cluster dump, not a database dump', async () => {
    const identity = await identifyFile(path('globals.sql'));
    expect(identity.kind).toBe('cluster-dump');
    expect(identity.detail).toMatch(/whole cluster/);
  });
});

describe('identifyFile on things that are not usable dumps', () => {
  it('a SQLite database', async () => {
    const file = path('app.db');
    writeFileSync(file, Buffer.concat([Buffer.from('SQLite format 3\0', 'latin1'), Buffer.alloc(4080, 1)]));
    expect(await identifyFile(file)).toEqual({ kind: 'sqlite', detail: 'SQLite database' });
  });

  it('an empty file', async () => {
    const file = path('empty.dump');
    writeFileSync(file, '');
    expect(await identifyFile(file)).toEqual({ kind: 'empty', detail: '0 bytes' });
  });

  it('random bytes', async () => {
    const file = path('random.bin');
    const bytes = Buffer.alloc(10_000);
    let seed = 12345;
    for (let i = 0; i < bytes.length; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      bytes[i] = seed >> 16;
    }
    bytes[0] = 0x00; // never a known signature
    writeFileSync(file, bytes);
    expect(await identifyFile(file)).toEqual({ kind: 'unknown', detail: 'binary data of an unknown format' });
  });

  it('a text file that is not a dump', async () => {
    const file = path('notes.sql');
    writeFileSync(file, 'CREATE TABLE t (id int);\n');
    expect(await identifyFile(file)).toEqual({
      kind: 'unknown',
      detail: 'text that is not a pg_dump script',
    });
  });

  it('a custom dump cut to 20 bytes: a custom file whose header is truncated, with a clear reason', async () => {
    const file = path('cut.dump');
    writeFileSync(file, readFileSync(path('custom.dump')).subarray(0, 20));
    const identity = await identifyFile(file);
    expect(identity.kind).toBe('custom');
    expect(identity.header).toBeUndefined();
    expect(identity.detail).toBe(
      'the archive header is truncated: it ends after 20 bytes, before the creation time',
    );
  });

  it('a custom dump cut inside the database name', async () => {
    const bytes = readFileSync(path('custom.dump'));
    const cut = bytes.indexOf(Buffer.from(db.name)) + 3;
    const file = path('cut-name.dump');
    writeFileSync(file, bytes.subarray(0, cut));
    expect((await identifyFile(file)).detail).toMatch(
      /truncated: it ends after \d+ bytes, before the database name/,
    );
  });

  it('a file of 3 bytes "PGD" is a truncated custom archive', async () => {
    const file = path('tiny.dump');
    writeFileSync(file, 'PGD');
    const identity = await identifyFile(file);
    expect(identity.kind).toBe('custom');
    expect(identity.detail).toMatch(/truncated: it ends after 3 bytes/);
  });

  it('a gzip-compressed custom archive: pg_restore cannot read it, so it is not custom', async () => {
    const file = path('custom.dump.gz');
    writeFileSync(file, gzipSync(readFileSync(path('custom.dump'))));
    const identity = await identifyFile(file);
    expect(identity.kind).toBe('unknown');
    expect(identity.detail).toMatch(/gzip-compressed pg_dump custom archive.*gunzip it first/);
    expect(identity.header?.database).toBe(db.name);
  });

  it('a gzip file of something else, and corrupt gzip data', async () => {
    const other = path('other.gz');
    writeFileSync(other, gzipSync(Buffer.from('hello world\n')));
    expect(await identifyFile(other)).toEqual({
      kind: 'unknown',
      detail: 'gzip-compressed text that is not a pg_dump script',
    });
    const corrupt = path('corrupt.gz');
    writeFileSync(corrupt, Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xde, 0xad, 0xbe, 0xef, 0xff, 0xff, 0xff]));
    const identity = await identifyFile(corrupt);
    expect(identity.kind).toBe('unknown');
    expect(identity.detail).toMatch(/^gzip data that cannot be decompressed/);
  });

  it('the 20-byte gzip of nothing (`pg_dump | gzip` when pg_dump failed)', async () => {
    const file = path('failed.sql.gz');
    writeFileSync(file, gzipSync(Buffer.alloc(0)));
    expect(readFileSync(file).length).toBe(20);
    expect(await identifyFile(file)).toEqual({ kind: 'unknown', detail: 'a gzip file that holds nothing' });
  });

  it('a toc.dat taken out of its directory', async () => {
    const file = path('toc.dat');
    writeFileSync(file, readFileSync(path('directory.dir/toc.dat')));
    const identity = await identifyFile(file);
    expect(identity.kind).toBe('unknown');
    expect(identity.detail).toMatch(/toc\.dat on its own/);
  });

  it('a tar file that is not a pg_dump archive', async () => {
    const header = Buffer.alloc(1024);
    header.write('hello.txt', 0, 'latin1');
    header.write('ustar\x0000', 257, 'latin1');
    const file = path('other.tar');
    writeFileSync(file, header);
    expect(await identifyFile(file)).toEqual({
      kind: 'unknown',
      detail: 'a tar file that is not a pg_dump archive (first member: hello.txt)',
    });
  });

  it('a directory without toc.dat, and a directory whose toc.dat is empty', async () => {
    const plainDir = path('just-a-dir');
    mkdirSync(plainDir);
    writeFileSync(join(plainDir, 'readme.txt'), 'hi');
    expect(await identifyFile(plainDir)).toEqual({
      kind: 'unknown',
      detail: 'a directory without toc.dat (not a pg_dump directory archive)',
    });
    const broken = path('broken.dir');
    mkdirSync(broken);
    writeFileSync(join(broken, 'toc.dat'), '');
    const identity = await identifyFile(broken);
    expect(identity.kind).toBe('directory');
    expect(identity.header).toBeUndefined();
    expect(identity.detail).toMatch(/^toc\.dat: the archive header is truncated/);
  });

  it('a path that does not exist: BACKUP_NOT_FOUND naming it', async () => {
    const missing = path('nope.dump');
    await expect(identifyFile(missing)).rejects.toMatchObject({
      code: 'BACKUP_NOT_FOUND',
      message: `${missing}: no such file or directory`,
    });
  });
});

describe('parseArchiveHeader', () => {
  let real: Buffer;
  beforeAll(() => {
    real = readFileSync(path('custom.dump')).subarray(0, 4096);
  });

  function errorOf(bytes: Buffer): PgwardenError {
    try {
      parseArchiveHeader(bytes);
    } catch (error) {
      if (error instanceof PgwardenError) return error;
      throw error;
    }
    throw new Error('parseArchiveHeader accepted the bytes');
  }

  it('rejects short input with BACKUP_INVALID and a clear message', () => {
    const error = errorOf(real.subarray(0, 20));
    expect(error.code).toBe('BACKUP_INVALID');
    expect(error.message).toBe(
      'the archive header is truncated: it ends after 20 bytes, before the creation time',
    );
    expect(error.hint).toMatch(/take the backup again/);
    expect(errorOf(Buffer.alloc(0)).message).toMatch(/ends after 0 bytes, before the "PGDMP" signature/);
  });

  it('rejects garbled headers', () => {
    expect(errorOf(Buffer.from(`PGDMX${'x'.repeat(100)}`)).message).toMatch(/does not start with "PGDMP"/);
    const badFormat = Buffer.from(real);
    badFormat[10] = 9;
    expect(errorOf(badFormat).message).toBe(
      'the archive header is corrupt: the format byte is 9 (expected 1 custom or 3 tar/directory)',
    );
    const badSign = Buffer.from(real);
    badSign[11] = 7; // the sign byte of the compression level
    expect(errorOf(badSign).message).toMatch(/sign byte of the compression level is 7/);
    const badVersion = Buffer.from(real);
    badVersion[5] = 2;
    expect(errorOf(badVersion).message).toMatch(/unsupported format version 2\.14/);
    const badIntSize = Buffer.from(real);
    badIntSize[8] = 0;
    expect(errorOf(badIntSize).code).toBe('BACKUP_INVALID');
  });

  /** The real 1.14 header rewritten as 1.15+: one compression byte instead of the int level. */
  function asVersion(minor: number, algorithm: number): Buffer {
    expect(real[6]).toBe(14);
    const head = Buffer.from(real.subarray(0, 11));
    head[6] = minor;
    return Buffer.concat([head, Buffer.from([algorithm]), real.subarray(16)]);
  }

  it('reads the 1.15 / 1.16 layout (PostgreSQL 16+: the compression algorithm as one byte)', () => {
    const base = parseArchiveHeader(real);
    const v15 = parseArchiveHeader(asVersion(15, 2));
    expect(v15.version).toEqual([1, 15, 0]);
    expect(v15.compression).toBe('lz4');
    expect(v15.database).toBe(base.database);
    expect(v15.serverVersion).toBe(base.serverVersion);
    expect(v15.createdAt).toEqual(base.createdAt);
    expect(parseArchiveHeader(asVersion(16, 3)).compression).toBe('zstd');
    expect(parseArchiveHeader(asVersion(16, 0)).compression).toBe('none');
    expect(parseArchiveHeader(asVersion(16, 1)).compression).toBe('gzip');
  });

  it('a NULL database name (length −1)', () => {
    // 5 + 3 + 1 + 1 + 1 + 5 (compression) + 7 × 5 (time) = 51: the database name's length
    const bytes = Buffer.from(real);
    const nameLength = bytes.readInt32LE(52);
    const withNull = Buffer.concat([
      bytes.subarray(0, 51),
      Buffer.from([1, 1, 0, 0, 0]),
      bytes.subarray(56 + nameLength),
    ]);
    const header = parseArchiveHeader(withNull);
    expect(header.database).toBeNull();
    expect(header.serverVersion).toBe(parseArchiveHeader(real).serverVersion);
  });
});

describe('version helpers', () => {
  it('minPgRestoreMajor', () => {
    expect(minPgRestoreMajor([1, 16, 0])).toBe(17);
    expect(minPgRestoreMajor([1, 15, 0])).toBe(16);
    expect(minPgRestoreMajor([1, 14, 0])).toBe(12);
    expect(minPgRestoreMajor([1, 13, 0])).toBe(11);
    expect(minPgRestoreMajor([1, 12, 0])).toBe(9);
    expect(minPgRestoreMajor([1, 17, 0])).toBe(19);
  });

  it('majorOf', () => {
    expect(majorOf('15.18 (Debian 15.18-0+deb12u1)')).toBe(15);
    expect(majorOf('9.6.24')).toBe(9);
    expect(majorOf('16beta1')).toBe(16);
    expect(majorOf('18.0')).toBe(18);
    expect(majorOf(null)).toBeUndefined();
    expect(majorOf(undefined)).toBeUndefined();
    expect(majorOf('devel')).toBeUndefined();
  });
});
