/**
 * The streaming COPY row counter against dumps written by the real pg_dump and pg_restore: counts
 * equal `count(*)` for every table (empty, 10k rows, newlines and tabs in values, quoted names,
 * partitions, zero columns), whatever the chunking and line ends; truncated dumps are errors;
 * memory stays flat on 200 MB; the throughput on 500 MB is measured and printed.
 */
import { execFile, spawn } from 'node:child_process';
import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CopyCounts, countCopyRows, displayTable, tableKey } from '../../src/backup/copy-counter.js';
import { forLibpq, libpqEnv } from '../../src/db/libpq.js';
import { quoteIdent } from '../../src/sql/quote.js';
import { useTestDatabase } from '../support/database.js';
import { tempDir } from '../support/files.js';
import { pgProgram } from '../support/pg-shims.js';

const run = promisify(execFile);
const db = useTestDatabase();
const dir = tempDir();

const program = pgProgram;

async function pgDump(args: string[]): Promise<void> {
  const target = forLibpq(db.url);
  await run(program('pg_dump'), [...args, '--dbname', target.url], { env: libpqEnv(target.password) });
}

/** Every ordinary table of the test database with its exact row count, keyed by tableKey. */
async function databaseCounts(): Promise<Map<string, number>> {
  const tables = await db.query<{ schema: string; name: string }>(`
    SELECT n.nspname AS schema, c.relname AS name
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'`);
  const counts = new Map<string, number>();
  for (const { schema, name } of tables.rows) {
    const result = await db.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM ${quoteIdent(schema)}.${quoteIdent(name)}`,
    );
    counts.set(tableKey(schema, name), Number(result.rows[0]!.n));
  }
  return counts;
}

/** Where the data block of public.big starts (its table comment holds a look-alike line earlier). */
function bigData(): number {
  const comment = plain.indexOf('-- Data for Name: big; Type: TABLE DATA; Schema: public;');
  expect(comment).toBeGreaterThan(0);
  return plain.indexOf('COPY public.big (id, payload) FROM stdin;\n', comment);
}

function countsByTable(counts: CopyCounts): Map<string, number> {
  return new Map(counts.tables.map((t) => [tableKey(t.schema, t.name), t.rows]));
}

/** A Readable that hands out `bytes` in chunks of the given sizes (cycled). */
function chunked(bytes: Buffer, sizes: number[]): Readable {
  return Readable.from(
    (function* () {
      let position = 0;
      let i = 0;
      while (position < bytes.length) {
        const size = sizes[i++ % sizes.length]!;
        yield bytes.subarray(position, position + size);
        position += size;
      }
    })(),
  );
}

let expected: Map<string, number>;
let plain: Buffer;
const plainPath = join(dir, 'plain.sql');
const customPath = join(dir, 'custom.dump');

beforeAll(async () => {
  await db.query(`
    CREATE TABLE public.empty_table (id int);
    CREATE TABLE public.big (id int PRIMARY KEY, payload text);
    INSERT INTO public.big SELECT g, repeat(md5(g::text), 1 + g % 3) FROM generate_series(1, 10000) g;
    CREATE TABLE public.messy (id int, v text);
    INSERT INTO public.messy VALUES
      (1, E'line one\\nline two\\nline three'), (2, E'tab\\there'), (3, E'carriage\\rreturn\\r\\n'),
      (4, E'\\\\.'), (5, E'\\\\'), (6, ''), (7, NULL), (8, E'\\n\\\\.\\n'), (9, 'ünïcödé ✓');
    CREATE SCHEMA "My Schema";
    CREATE TABLE "My Schema"."Weird Name" (x text);
    INSERT INTO "My Schema"."Weird Name" VALUES ('a'), ('b'), ('c');
    CREATE TABLE public."dots.and""quotes" (x int);
    INSERT INTO public."dots.and""quotes" VALUES (1), (2);
    CREATE TABLE public.measure (at date NOT NULL, v int) PARTITION BY RANGE (at);
    CREATE TABLE public.measure_2024 PARTITION OF public.measure FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
    CREATE TABLE public.measure_2025 PARTITION OF public.measure FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
    INSERT INTO public.measure SELECT '2024-03-01'::date + g, g FROM generate_series(0, 29) g;
    INSERT INTO public.measure SELECT '2025-03-01'::date + g, g FROM generate_series(0, 11) g;
    CREATE TABLE public.no_columns ();
    INSERT INTO public.no_columns DEFAULT VALUES;
    INSERT INTO public.no_columns DEFAULT VALUES;
    CREATE TABLE public.one_text (t text);
    INSERT INTO public.one_text VALUES (''), (''), ('x');
    -- text that looks like a data block, inside a string literal and a function body
    COMMENT ON TABLE public.big IS E'Load it with:\\nCOPY public.big (id, payload) FROM stdin;\\n1\\tx\\n\\\\.\\nthen analyze';
    CREATE FUNCTION public.looks_like_copy() RETURNS text LANGUAGE sql AS $body$
SELECT 'x'
$body$;
    CREATE FUNCTION public.body_with_copy() RETURNS void LANGUAGE plpgsql AS $body$
BEGIN
-- PostgreSQL database dump complete
COPY public.one_text FROM stdin;
END
$body$;
    SELECT lo_from_bytea(0, 'large object data');
  `);
  expected = await databaseCounts();
  await pgDump(['-Fp', '-f', plainPath]);
  await pgDump(['-Fc', '-f', customPath]);
  plain = readFileSync(plainPath);
});

describe('counting rows in real pg_dump output', () => {
  it('a plain dump: every table with its exact count(*), in order, trailer and large objects seen', async () => {
    const counts = await countCopyRows(createReadStream(plainPath));
    expect(countsByTable(counts)).toEqual(expected);
    expect(counts.tables).toHaveLength(expected.size);
    expect(expected.get(tableKey('public', 'big'))).toBe(10_000);
    expect(expected.get(tableKey('public', 'messy'))).toBe(9);
    expect(expected.get(tableKey('My Schema', 'Weird Name'))).toBe(3);
    expect(expected.get(tableKey('public', 'dots.and"quotes'))).toBe(2);
    expect(expected.get(tableKey('public', 'measure_2024'))).toBe(30);
    expect(expected.get(tableKey('public', 'measure_2025'))).toBe(12);
    expect(expected.get(tableKey('public', 'no_columns'))).toBe(2);
    expect(expected.get(tableKey('public', 'empty_table'))).toBe(0);
    // in the order pg_dump wrote the data blocks
    const order = [
      ...plain.toString('utf8').matchAll(/^-- Data for Name: (.+?); Type: TABLE DATA; Schema: (.+?);/gm),
    ];
    expect(counts.tables.map((t) => `${t.schema}.${t.name}`)).toEqual(order.map((m) => `${m[2]}.${m[1]}`));
    expect(counts.complete).toBe(true);
    expect(counts.largeObjects).toBe(true);
    expect(counts.connects).toBe(false);
    expect(counts.bytes).toBe(plain.length);
  });

  it('the data of a custom archive through `pg_restore -f - --data-only`', async () => {
    const child = spawn(program('pg_restore'), ['--data-only', '--file', '-', customPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const counts = await countCopyRows(child.stdout);
    expect(await exited).toBe(0);
    expect(countsByTable(counts)).toEqual(expected);
    expect(counts.complete).toBe(true);
    expect(counts.largeObjects).toBe(true);
  });

  it('the same counts whatever the chunking: 1-byte chunks and odd sizes', async () => {
    const reference = await countCopyRows(chunked(plain, [65536]));
    expect(countsByTable(reference)).toEqual(expected);
    // 1-byte chunks over the whole dump with the 10k rows of public.big replaced by one row
    const start = bigData();
    const end = plain.indexOf('\n\\.\n', start) + 1;
    const small = Buffer.concat([
      plain.subarray(0, start),
      Buffer.from('COPY public.big (id, payload) FROM stdin;\n1\tx\n'),
      plain.subarray(end),
    ]);
    const wanted = new Map(expected);
    wanted.set(tableKey('public', 'big'), 1);
    expect(countsByTable(await countCopyRows(chunked(small, [1])))).toEqual(wanted);
    expect(countsByTable(await countCopyRows(chunked(plain, [1, 2, 3, 5, 7, 4093, 1, 1])))).toEqual(expected);
  });

  it('CRLF line ends count the same, and strings from a decoding stream work too', async () => {
    const crlf = Buffer.from(plain.toString('utf8').replace(/\n/g, '\r\n'));
    const counts = await countCopyRows(chunked(crlf, [3, 1, 1000]));
    expect(countsByTable(counts)).toEqual(expected);
    expect(counts.complete).toBe(true);
    const decoded = createReadStream(plainPath).setEncoding('utf8');
    expect(countsByTable(await countCopyRows(decoded))).toEqual(expected);
  });

  it('a --create dump switches databases with \\connect', async () => {
    const file = join(dir, 'create.sql');
    await pgDump(['-Fp', '--create', '-f', file]);
    const counts = await countCopyRows(createReadStream(file));
    expect(counts.connects).toBe(true);
    expect(countsByTable(counts)).toEqual(expected);
  });

  it('a dump without the trailer: counts, but complete is false', async () => {
    const text = plain.toString('utf8');
    const cut = text.lastIndexOf('--\n-- PostgreSQL database dump complete');
    expect(cut).toBeGreaterThan(0);
    const counts = await countCopyRows(Readable.from([Buffer.from(text.slice(0, cut))]));
    expect(countsByTable(counts)).toEqual(expected);
    expect(counts.complete).toBe(false);
  });
});

describe('truncated dumps are errors naming the table', () => {
  const header = 'COPY public.big (id, payload) FROM stdin;\n';

  async function errorFor(bytes: Buffer): Promise<any> {
    return countCopyRows(chunked(bytes, [777])).then(
      () => {
        throw new Error('countCopyRows accepted a truncated dump');
      },
      (error: unknown) => error,
    );
  }

  it('cut in the middle of the 10k rows of public.big', async () => {
    const start = bigData();
    const error = await errorFor(plain.subarray(0, start + header.length + 5000 * 40));
    expect(error.code).toBe('BACKUP_INVALID');
    expect(error.message).toMatch(
      /^the dump ends inside the data of public\.big \(truncated\) after \d+ complete rows/,
    );
    expect(error.hint).toMatch(/cut short/);
  });

  it('cut right after the COPY line, and right before the \\. line', async () => {
    const start = bigData();
    const afterHeader = await errorFor(plain.subarray(0, start + header.length));
    expect(afterHeader.message).toMatch(/data of public\.big \(truncated\) after 0 complete rows/);
    const end = plain.indexOf('\n\\.\n', start) + 1;
    const beforeEnd = await errorFor(plain.subarray(0, end));
    expect(beforeEnd.message).toMatch(/data of public\.big \(truncated\) after 10000 complete rows/);
    const halfEnd = await errorFor(plain.subarray(0, end + 1)); // only the backslash of "\."
    expect(halfEnd.message).toMatch(/after 10000 complete rows/);
  });

  it('a quoted name in the message', async () => {
    const start = plain.indexOf('COPY "My Schema"."Weird Name"');
    const error = await errorFor(plain.subarray(0, start + 50));
    expect(error.message).toMatch(
      /^the dump ends inside the data of "My Schema"\."Weird Name" \(truncated\)/,
    );
  });

  it('a terminator without its final newline is still an end', async () => {
    const text = 'COPY public.t (a) FROM stdin;\n1\n2\n\\.';
    const counts = await countCopyRows(chunked(Buffer.from(text), [1]));
    expect(counts.tables).toEqual([{ schema: 'public', name: 't', rows: 2 }]);
  });
});

describe('synthetic scripts', () => {
  const count = (text: string) => countCopyRows(Readable.from([Buffer.from(text)]));

  it('COPY TO, COPY from a file and COPY with a query are not data blocks', async () => {
    const counts = await count(
      [
        'COPY public.a TO stdout;',
        "COPY public.b FROM '/tmp/b.csv';",
        'COPY (SELECT 1) TO stdout;',
        'COPY public.c (x) FROM stdin;',
        '1',
        '\\.',
        '',
      ].join('\n'),
    );
    expect(counts.tables).toEqual([{ schema: 'public', name: 'c', rows: 1 }]);
  });

  it('a COPY line inside a dollar-quoted body or a string literal is not a data block', async () => {
    const counts = await count(
      [
        'CREATE FUNCTION f() RETURNS void LANGUAGE sql AS $$',
        'COPY public.x FROM stdin;',
        '$$;',
        "COMMENT ON TABLE t IS 'see',",
        "'COPY public.y FROM stdin;';",
        'COPY public.z (a) FROM stdin;',
        '1',
        '\\.',
        '',
      ].join('\n'),
    );
    expect(counts.tables).toEqual([{ schema: 'public', name: 'z', rows: 1 }]);
  });

  it("pg_dump's TOC entry comment resynchronises after SQL that never ends", async () => {
    const counts = await count(
      [
        "COMMENT ON TABLE t IS 'an unterminated literal",
        'COPY public.hidden (a) FROM stdin;',
        '',
        '--',
        '-- Data for Name: t; Type: TABLE DATA; Schema: public; Owner: postgres',
        '--',
        '',
        'COPY public.t (a) FROM stdin;',
        '1',
        '2',
        '\\.',
        '',
      ].join('\n'),
    );
    expect(counts.tables).toEqual([{ schema: 'public', name: 't', rows: 2 }]);
  });

  it('\\connect only counts at top level, and the same table in two databases is listed twice', async () => {
    const script = (connect: string) =>
      [
        'CREATE DATABASE a;',
        connect,
        'COPY public.t (a) FROM stdin;',
        '1',
        '\\.',
        '\\connect b',
        'COPY public.t (a) FROM stdin;',
        '1',
        '2',
        '\\.',
        '',
      ].join('\n');
    const counts = await count(script('\\connect a'));
    expect(counts.connects).toBe(true);
    expect(counts.tables).toEqual([
      { schema: 'public', name: 't', rows: 1 },
      { schema: 'public', name: 't', rows: 2 },
    ]);
    const literal = await count("SELECT 'x\n\\connect a\n';\nCOPY public.t (a) FROM stdin;\n\\.\n");
    expect(literal.connects).toBe(false);
    expect(literal.tables).toEqual([{ schema: 'public', name: 't', rows: 0 }]);
  });

  it('a COPY header whose quoted column name holds a newline', async () => {
    const counts = await count(['COPY public.t ("a', 'b") FROM stdin;', '1', '2', '\\.', ''].join('\n'));
    expect(counts.tables).toEqual([{ schema: 'public', name: 't', rows: 2 }]);
  });

  it('CSV data cannot be counted by lines: BACKUP_FOREIGN naming the table', async () => {
    await expect(
      count('COPY public.t (a) FROM stdin WITH (FORMAT csv);\n"a\nb"\n\\.\n'),
    ).rejects.toMatchObject({
      code: 'BACKUP_FOREIGN',
      message:
        'line 1: the data of public.t is in csv format; rows can only be counted in the text format pg_dump writes',
    });
  });

  it('lo_open at top level means large objects; in a literal it does not', async () => {
    expect((await count("SELECT pg_catalog.lo_open('16395', 131072);\n")).largeObjects).toBe(true);
    expect((await count("SELECT 'lo_open(1)';\nCOMMENT ON TABLE t IS $$lo_open(2)$$;\n")).largeObjects).toBe(
      false,
    );
  });

  it('an unqualified table has an empty schema', async () => {
    const counts = await count('COPY t FROM stdin;\n\\.\n');
    expect(counts.tables).toEqual([{ schema: '', name: 't', rows: 0 }]);
    expect(displayTable('', 't')).toBe('t');
  });

  it('reports progress and stops when aborted', async () => {
    const seen: number[] = [];
    await countCopyRows(chunked(plain, [10_000]), { onBytes: (n) => seen.push(n) });
    expect(seen.at(-1)).toBe(plain.length);
    expect(seen.length).toBe(Math.ceil(plain.length / 10_000));

    const controller = new AbortController();
    const endless = Readable.from(
      (function* () {
        yield Buffer.from('COPY public.t (a) FROM stdin;\n');
        for (;;) yield Buffer.from('1\n2\n3\n');
      })(),
    );
    const counting = countCopyRows(endless, {
      signal: controller.signal,
      onBytes: (n) => {
        if (n > 100_000) controller.abort();
      },
    });
    await expect(counting).rejects.toMatchObject({ code: 'INTERRUPTED' });
    expect(endless.destroyed).toBe(true);
  });
});

describe('names', () => {
  it('displayTable quotes what is not a plain lower-case identifier', () => {
    expect(displayTable('public', 'users')).toBe('public.users');
    expect(displayTable('public', 'Weird Name')).toBe('public."Weird Name"');
    expect(displayTable('My Schema', 'a"b')).toBe('"My Schema"."a""b"');
    expect(displayTable('public', 'dots.x')).toBe('public."dots.x"');
    expect(displayTable('s', '_x$1')).toBe('s._x$1');
  });

  it('tableKey is unambiguous where a dotted display is not', () => {
    expect(tableKey('a.b', 'c')).not.toBe(tableKey('a', 'b.c'));
    expect(tableKey('a', 'b')).toBe(tableKey('a', 'b'));
  });
});

describe('constant memory and throughput', () => {
  /** One chunk of whole rows, ~64 kB. */
  function rowsChunk(): { chunk: Buffer; rows: number } {
    const lines: string[] = [];
    let size = 0;
    for (let i = 0; size < 64 * 1024 - 200; i++) {
      const line = `${i}\tsome text value ${i}\t2024-01-01 12:00:00+00\t\\N\t${'x'.repeat(i % 40)}\n`;
      lines.push(line);
      size += line.length;
    }
    return { chunk: Buffer.from(lines.join('')), rows: lines.length };
  }

  function stream(totalBytes: number, fresh: boolean): { input: Readable; rows: number } {
    const { chunk, rows } = rowsChunk();
    const chunks = Math.ceil(totalBytes / chunk.length);
    const input = Readable.from(
      (function* () {
        yield Buffer.from('COPY public.huge (id, a, b, c, d) FROM stdin;\n');
        for (let i = 0; i < chunks; i++) yield fresh ? Buffer.from(chunk) : chunk;
        yield Buffer.from('\\.\n\n--\n-- PostgreSQL database dump complete\n--\n');
      })(),
    );
    return { input, rows: rows * chunks };
  }

  it('200 MB of rows in fresh chunks: RSS grows by less than 100 MB', async () => {
    const { input, rows } = stream(200 * 1024 * 1024, true);
    const before = process.memoryUsage().rss;
    let peak = before;
    const counts = await countCopyRows(input, {
      onBytes: () => {
        peak = Math.max(peak, process.memoryUsage.rss());
      },
    });
    expect(counts.tables).toEqual([{ schema: 'public', name: 'huge', rows }]);
    expect(counts.complete).toBe(true);
    expect(counts.bytes).toBeGreaterThan(200 * 1024 * 1024);
    console.log(
      `countCopyRows: RSS grew by ${((peak - before) / (1024 * 1024)).toFixed(1)} MB over 200 MB of input`,
    );
    expect(peak - before).toBeLessThan(100 * 1024 * 1024);
  });

  it('500 MB: throughput measured and printed (not asserted)', async () => {
    const { input, rows } = stream(500 * 1024 * 1024, false);
    const started = process.hrtime.bigint();
    const counts = await countCopyRows(input);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    expect(counts.tables[0]!.rows).toBe(rows);
    const mb = counts.bytes / (1024 * 1024);
    console.log(
      `countCopyRows: ${mb.toFixed(0)} MB, ${rows} rows in ${seconds.toFixed(2)} s = ${(mb / seconds).toFixed(0)} MB/s`,
    );
  });
});
