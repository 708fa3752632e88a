/**
 * Hostile identifiers (fault matrix, point 7): names holding a newline followed by SQL, a carriage
 * return, quotes, backslashes, a comment end (`*` `/`), ANSI escapes, bidi controls and other Unicode, in tables,
 * columns, indexes, constraints, enum types and values, functions and views.
 *
 * - `pgwarden drift` on a live database drifted by hand: the SQL it prints (copied from the text
 *   output, or taken from --json), run with psql, fixes exactly the drift — the next drift finds
 *   none — and the table `victim` keeps every row; no output line holds a raw control character.
 * - `pgwarden doctor`: test-data findings and INVALID indexes name such tables, columns and
 *   indexes quoted, in text (no raw control character) and in JSON.
 * - `pgwarden lint --database-url`: a table named from the catalog in a message is quoted.
 * - src/sql/quote.ts on its own: every quoted name and literal, read back by the server, is the
 *   original (with standard_conforming_strings on and off, in a UTF8 and a LATIN1 database), and
 *   SQL the server printed (pg_get_*def) comes out of sanitizeSql meaning the same; what no
 *   quoting can hold is refused.
 *
 * The built CLI runs (`npm run build` first); psql runs the printed SQL as a person would.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadParser } from '../../src/sql/parser.js';
import {
  displayQualified,
  escapeControls,
  quoteIdent,
  quoteIdentIfNeeded,
  quoteLiteral,
  quoteQualified,
  regclassLiteral,
  sanitizeSql,
  sanitizeText,
  sqlComment,
} from '../../src/sql/quote.js';
import { pgwarden } from '../support/cli.js';
import { sqlOn, useFreshDatabases } from '../support/database.js';
import { tempDir } from '../support/files.js';
import { tableFingerprint } from './support.js';

const freshDatabase = useFreshDatabases();

/** Every control character, line separator or bidi control: none may reach the output raw. */
const RAW_CONTROL = /[\p{Cc}\p{Zl}\p{Zp}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

/** Lines of `text` holding a raw control character (line breaks and a tab of layout aside). */
function rawControlLines(text: string): string[] {
  return text.split('\n').filter((line) => RAW_CONTROL.test(line.replaceAll('\t', '')));
}

const INJECT = 'DROP TABLE victim; --';
const TABLE = `x\n${INJECT}`;
const EXTRA_TABLE = `y\r\n${INJECT}`;
const QUOTE_COL = 'a"b';
const BACKSLASH_COL = 'c\\d';
const COMMENT_COL = 'e*/f';
const ANSI_COL = 'g\x1b[31mred\x1b[0m';
const UNICODE_COL = 'h\u00e9\u2603';
const BIDI_COL = 'i\u202eevil';
const INDEX = `idx\n${INJECT}`;
const CHECK = `chk\n${INJECT}`;
const ENUM = `mood\n${INJECT}`;
const FUNCTION = `fn\n${INJECT}`;
const VIEW = `v\n${INJECT}`;

/** A name written into a migration as people write it: in double quotes, raw characters inside. */
function raw(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

const MIGRATION = `
CREATE TABLE victim (id int PRIMARY KEY, note text);
INSERT INTO victim SELECT g, 'row ' || g FROM generate_series(1, 50) g;
CREATE TYPE ${raw(ENUM)} AS ENUM ('ok', E'so\\n${INJECT}');
CREATE TABLE ${raw(TABLE)} (
  id int PRIMARY KEY,
  ${raw(QUOTE_COL)} text DEFAULT E'q''\\n${INJECT}',
  ${raw(BACKSLASH_COL)} text,
  ${raw(COMMENT_COL)} int,
  ${raw(UNICODE_COL)} text,
  ${raw(BIDI_COL)} int,
  mood ${raw(ENUM)},
  CONSTRAINT ${raw(CHECK)} CHECK (${raw(BACKSLASH_COL)} <> E'\\n${INJECT}')
);
CREATE INDEX ${raw(INDEX)} ON ${raw(TABLE)} (${raw(UNICODE_COL)});
CREATE VIEW ${raw(VIEW)} AS SELECT id, ${raw(QUOTE_COL)} FROM ${raw(TABLE)};
CREATE FUNCTION ${raw(FUNCTION)}() RETURNS text LANGUAGE sql AS $$
  SELECT '\x1b[2J\r${INJECT}'::text
$$;
`;

/** Drift made by hand on the live database, one of each kind of change. */
const DRIFT = `
ALTER TABLE ${raw(TABLE)} ADD COLUMN ${raw(ANSI_COL)} int;
CREATE TABLE ${raw(EXTRA_TABLE)} (id int);
DROP INDEX ${raw(INDEX)};
ALTER TABLE ${raw(TABLE)} DROP CONSTRAINT ${raw(CHECK)};
ALTER TABLE ${raw(TABLE)} ALTER COLUMN ${raw(QUOTE_COL)} SET DEFAULT 'changed';
ALTER TYPE ${raw(ENUM)} ADD VALUE E'extra\\x1b[2J';
CREATE OR REPLACE FUNCTION ${raw(FUNCTION)}() RETURNS text LANGUAGE sql AS $$ SELECT 'live'::text $$;
`;

const project = tempDir({ 'migrations/001_init.sql': MIGRATION });

function psql(url: string, file: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-f', file], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A live database built by the migrations, then drifted by hand. */
async function driftedDatabase(): Promise<string> {
  const db = await freshDatabase();
  const migrated = await pgwarden(['migrate'], { cwd: project, env: { DATABASE_URL: db.url } });
  expect(migrated.code, migrated.stderr).toBe(0);
  await sqlOn(db.url, DRIFT);
  return db.url;
}

/** The SQL lines of drift's text output: the lines indented under each difference. */
function sqlOfText(stdout: string): string {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('  '))
    .map((line) => line.slice(2))
    .join('\n');
}

/** The rows of table victim, to compare before and after the printed SQL ran. */
function victimRows(url: string) {
  return tableFingerprint(url, 'victim', 't.id');
}

async function expectNoDriftLeft(url: string): Promise<void> {
  const again = await pgwarden(['drift', '--quiet'], { cwd: project, env: { DATABASE_URL: url } });
  expect(again.stdout).toContain('No drift');
  expect(again.code).toBe(0);
}

describe('pgwarden drift with hostile names', () => {
  it('prints SQL that, copied from the text output and run with psql, fixes exactly the drift', async () => {
    const url = await driftedDatabase();
    const victim = await victimRows(url);
    const drift = await pgwarden(['drift', '--quiet'], { cwd: project, env: { DATABASE_URL: url } });
    expect(drift.stderr).toBe('');
    expect(drift.code).toBe(1);
    const file = join(tempDir(), 'fix.sql');
    writeFileSync(file, sqlOfText(drift.stdout));
    const run = await psql(url, file);
    expect(await victimRows(url)).toEqual(victim);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    await expectNoDriftLeft(url);
    expect(rawControlLines(drift.stdout)).toEqual([]);
    // the names as people read them: quoted, their control characters as escapes
    expect(drift.stdout).toContain(`table ${displayQualified('public', EXTRA_TABLE)}: in the live database`);
    expect(drift.stdout).toContain(`column ${displayQualified('public', TABLE, ANSI_COL)}:`);
  });

  it('prints SQL in --json that, run with psql, fixes exactly the drift', async () => {
    const url = await driftedDatabase();
    const victim = await victimRows(url);
    const drift = await pgwarden(['drift', '--json', '--quiet'], {
      cwd: project,
      env: { DATABASE_URL: url },
    });
    expect(drift.code).toBe(1);
    const result = JSON.parse(drift.stdout) as {
      differences: Array<{ object: string; sql: string; expected?: string; live?: string }>;
    };
    const kinds = new Set(result.differences.map((d: any) => `${d.kind} ${d.change}`));
    expect([...kinds].sort()).toEqual([
      'column different',
      'column extra',
      'constraint missing',
      'enum different',
      'function different',
      'index missing',
      'table extra',
    ]);
    const file = join(tempDir(), 'fix.sql');
    writeFileSync(file, result.differences.map((d) => d.sql).join('\n'));
    const run = await psql(url, file);
    expect(await victimRows(url)).toEqual(victim);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    await expectNoDriftLeft(url);
    for (const d of result.differences) {
      expect(d.object).not.toMatch(RAW_CONTROL);
      for (const text of [d.sql, d.expected ?? '', d.live ?? '']) expect(rawControlLines(text)).toEqual([]);
    }
  });
  it('names what a non-empty --shadow-url database holds quoted', async () => {
    const live = await freshDatabase();
    const shadow = await freshDatabase();
    await sqlOn(
      shadow.url,
      `CREATE TABLE ${raw(TABLE)} (id int); CREATE FUNCTION ${raw(FUNCTION)}() RETURNS int LANGUAGE sql AS 'SELECT 1';`,
    );
    const result = await pgwarden(['drift', '--quiet', '--shadow-url', shadow.url], {
      cwd: project,
      env: { DATABASE_URL: live.url },
    });
    expect(result.code, result.stderr).toBe(2);
    expect(rawControlLines(result.stderr)).toEqual([]);
    expect(result.stderr).toContain(`table ${displayQualified('public', TABLE)}`);
    expect(result.stderr).toContain(`function ${displayQualified('public', FUNCTION)}()`);
  });
});

describe('pgwarden doctor with hostile names', () => {
  /** A database with test data in hostile tables and columns, and an INVALID index of a hostile name. */
  async function doctorDatabase(): Promise<string> {
    const db = await freshDatabase();
    await sqlOn(
      db.url,
      `CREATE TABLE ${raw(TABLE)} (id int, ${raw(ANSI_COL)} text, ${raw(BIDI_COL)} text, ${raw(QUOTE_COL)} text);
       INSERT INTO ${raw(TABLE)} VALUES (1, 'jane@example.com', 'John Doe', 'x'), (2, 'jane@example.com', 'y', 'x');
       CREATE TABLE ${raw(EXTRA_TABLE)} (${raw(UNICODE_COL)} text);
       INSERT INTO ${raw(EXTRA_TABLE)} VALUES (E'\\x1b[2Jtest@example.com');`,
    );
    // a unique index over duplicate values fails to build concurrently and stays INVALID
    await sqlOn(
      db.url,
      `CREATE UNIQUE INDEX CONCURRENTLY ${raw(INDEX)} ON ${raw(TABLE)} (${raw(QUOTE_COL)})`,
    ).catch(() => undefined);
    return db.url;
  }

  const args = ['doctor', '--check', 'test-data', 'invalid-indexes'];

  it('prints test-data findings and INVALID indexes with the names quoted, no raw control character', async () => {
    const url = await doctorDatabase();
    const result = await pgwarden(args, { cwd: tempDir(), env: { DATABASE_URL: url } });
    expect(result.code, result.stderr).toBe(1);
    expect(rawControlLines(result.stdout)).toEqual([]);
    const table = displayQualified('public', TABLE);
    expect(result.stdout).toContain(
      `    ${table}.${displayQualified(ANSI_COL)}: e-mail at a test domain in 2 of 2`,
    );
    expect(result.stdout).toContain(`    ${table}.${displayQualified(BIDI_COL)}: placeholder name in 1 of 2`);
    // the example value's ESC is shown as an escape as well
    expect(result.stdout).toContain(
      `${displayQualified('public', EXTRA_TABLE, UNICODE_COL)}: e-mail at a test domain in 1 of 1 sampled rows, e.g. \\u001B***@example.com`,
    );
    expect(result.stdout).toContain(`fix: REINDEX INDEX CONCURRENTLY ${quoteQualified('public', INDEX)};`);
  });

  it('names the same quoted tables, columns and indexes in --json', async () => {
    const url = await doctorDatabase();
    const result = await pgwarden([...args, '--json'], { cwd: tempDir(), env: { DATABASE_URL: url } });
    expect(result.code, result.stderr).toBe(1);
    const doc = JSON.parse(result.stdout) as {
      checks: Array<{ id: string; summary: string; evidence: string[]; fix?: string; details?: any }>;
    };
    const texts = doc.checks.flatMap((c) => [c.summary, ...c.evidence, ...(c.fix ? c.fix.split('\n') : [])]);
    expect(texts.filter((t) => RAW_CONTROL.test(t))).toEqual([]);
    const testData = doc.checks.find((c) => c.id === 'test-data')!;
    expect(testData.summary).toContain(`${displayQualified('public', TABLE)}.${displayQualified(ANSI_COL)}`);
    const invalid = doc.checks.find((c) => c.id === 'invalid-indexes')!;
    expect(invalid.summary).toBe(`1 INVALID index(es): ${displayQualified('public', INDEX)}`);
    expect(invalid.fix).toContain(quoteQualified('public', INDEX));
  });
});

describe('pgwarden lint with hostile names from the catalog', () => {
  it('names a referencing table read from the live database quoted, no raw control character', async () => {
    const db = await freshDatabase();
    await sqlOn(
      db.url,
      `CREATE TABLE parent (id int PRIMARY KEY);
       CREATE TABLE ${raw(TABLE)} (id int REFERENCES parent);`,
    );
    const dir = tempDir({ 'migrations/002_empty.sql': 'TRUNCATE parent CASCADE;\n' });
    for (const format of ['text', 'json']) {
      const result = await pgwarden(['lint', 'migrations', '--format', format], {
        cwd: dir,
        env: { DATABASE_URL: db.url },
      });
      expect(result.code, result.stderr).toBe(1);
      expect(rawControlLines(result.stdout)).toEqual([]);
      const text =
        format === 'json'
          ? JSON.parse(result.stdout)
              .files.flatMap((f: any) => f.findings.map((x: any) => x.message))
              .join('\n')
          : result.stdout;
      expect(text).toContain(`directly or not: ${displayQualified(TABLE)}, each under`);
    }
  });
});

/** Names no quoting may get wrong: SQL after a line break, quotes, backslashes, escapes, Unicode. */
const HOSTILE = [
  TABLE,
  EXTRA_TABLE,
  'tab\there',
  'cr\ronly',
  QUOTE_COL,
  '"',
  '""',
  BACKSLASH_COL,
  '\\',
  'ends\\',
  'u\\0041',
  COMMENT_COL,
  '/* x',
  '-- x',
  ANSI_COL,
  UNICODE_COL,
  BIDI_COL,
  'nel\u0085c1',
  'ls\u2028ps\u2029',
  "it's",
  '$$',
  ':var',
  'Mixed Case',
  'select',
];

describe('src/sql/quote.ts against the server', () => {
  let client: pg.Client;
  beforeAll(async () => {
    await loadParser();
    const db = await freshDatabase();
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
  });

  it('quoteIdent: a table created and selected by its quoted name is that name, with no raw control character', async () => {
    for (const name of HOSTILE) {
      const quoted = quoteIdent(name);
      expect(quoted, name).not.toMatch(RAW_CONTROL);
      await client.query(`CREATE TABLE ${quoteQualified('public', name)} (${quoteIdent(name)} int)`);
      const { rows } = await client.query(
        `SELECT c.relname, a.attname, (SELECT count(*) FROM ${quoteQualified('public', name)})::int AS n,
                c.oid = ${regclassLiteral('public', name)}::regclass AS regclass
           FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = 1
          WHERE c.relnamespace = 'public'::regnamespace AND c.relname = $1`,
        [name],
      );
      expect(rows, name).toEqual([{ relname: name, attname: name, n: 0, regclass: true }]);
    }
  });

  it('quoteLiteral: reads back as the value with standard_conforming_strings on and off', async () => {
    const values = [...HOSTILE, '', "'", "\\'", "\\'; DROP TABLE victim; --", 'a\\nb'];
    for (const setting of ['on', 'off']) {
      await client.query(`SET standard_conforming_strings = ${setting}`);
      for (const value of values) {
        expect(quoteLiteral(value), value).not.toMatch(RAW_CONTROL);
        const { rows } = await client.query(`SELECT ${quoteLiteral(value)}::text AS v`);
        expect(rows[0].v, `${setting}: ${value}`).toBe(value);
      }
    }
    await client.query('RESET standard_conforming_strings');
  });

  it('quoteIdent: the Unicode-escape form is read the same in a LATIN1 database', async () => {
    const db = await freshDatabase();
    const latin1 = `${db.name}_latin1`;
    await sqlOn(
      db.url,
      `CREATE DATABASE ${latin1} ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`,
    );
    const url = new URL(db.url);
    url.pathname = `/${latin1}`;
    try {
      for (const name of [TABLE, 'nel\u0085c1', ANSI_COL, "it's\\"]) {
        await sqlOn(url.toString(), `CREATE TABLE ${quoteIdent(name)} (id int)`);
        const [row] = (await sqlOn(
          url.toString(),
          `SELECT relname = ${quoteLiteral(name)} AS ok FROM pg_class WHERE oid = ${regclassLiteral('public', name)}::regclass`,
        )) as any[];
        expect(row?.ok, name).toBe(true);
      }
    } finally {
      await sqlOn(db.url, `DROP DATABASE ${latin1}`);
    }
  });

  it('quoteIdentIfNeeded: bare only when the bare word reads as the name', () => {
    expect(quoteIdentIfNeeded('email')).toBe('email');
    expect(quoteIdentIfNeeded('name')).toBe('name');
    expect(quoteIdentIfNeeded('user')).toBe('"user"');
    expect(quoteIdentIfNeeded('order')).toBe('"order"');
    expect(quoteIdentIfNeeded('Email')).toBe('"Email"');
    expect(quoteIdentIfNeeded('a$b')).toBe('"a$b"');
    expect(quoteIdentIfNeeded(TABLE)).toBe(quoteIdent(TABLE));
  });

  it('sanitizeSql: what pg_get_*def printed means the same after, with no raw control character', async () => {
    const table = quoteQualified('public', `${TABLE}_s`);
    const index = quoteQualified('public', INDEX);
    const fn = quoteQualified('public', FUNCTION);
    // raw control characters in names, in a quoted string and in a function's dollar-quoted body
    await client.query(`
      CREATE TABLE ${table} (${quoteIdent(ANSI_COL)} text, ${quoteIdent(QUOTE_COL)} text,
        CONSTRAINT ${quoteIdent(CHECK)} CHECK (${quoteIdent(ANSI_COL)} <> E'\\n\\r${INJECT}\\\\'));
      CREATE INDEX ${quoteIdent(INDEX)} ON ${table} (${quoteIdent(QUOTE_COL)}) WHERE ${quoteIdent(ANSI_COL)} <> '\x1b';
      CREATE FUNCTION ${fn}() RETURNS text LANGUAGE sql AS $$
        SELECT '\x1b[2J' || '\r\n${INJECT}'
      $$;`);
    const printed: Record<string, string> = {
      constraint: `(SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = ${quoteLiteral(CHECK)})`,
      index: `pg_get_indexdef(${regclassLiteral('public', INDEX)}::regclass)`,
      function: `pg_get_functiondef(${regclassLiteral('public', FUNCTION)}::regproc)`,
    };
    const recreate: Record<string, (sql: string) => string> = {
      constraint: (sql) =>
        `ALTER TABLE ${table} DROP CONSTRAINT ${quoteIdent(CHECK)}, ADD CONSTRAINT ${quoteIdent(CHECK)} ${sql}`,
      index: (sql) => `DROP INDEX ${index}; ${sql}`,
      function: (sql) => sql,
    };
    for (const kind of Object.keys(printed)) {
      const [{ def }] = (await client.query(`SELECT ${printed[kind]} AS def`)).rows;
      expect(def, kind).toMatch(RAW_CONTROL);
      const safe = sanitizeSql(def);
      expect(rawControlLines(safe), kind).toEqual([]);
      // the same object: made again from the sanitized text, the server prints it as before
      await client.query(recreate[kind]!(safe));
      const [again] = (await client.query(`SELECT ${printed[kind]} AS def`)).rows;
      expect(again.def, kind).toBe(def);
    }
  });

  it('writes the documented forms', () => {
    expect(quoteIdent('users')).toBe('"users"');
    expect(quoteIdent('a"b\\')).toBe('"a""b\\"');
    expect(quoteIdent('a\nb')).toBe('U&"a\\000Ab"');
    expect(quoteIdent('q\\"\x1b')).toBe('U&"q\\\\""\\001B"');
    expect(quoteQualified('public', 'a\r')).toBe('"public".U&"a\\000D"');
    expect(regclassLiteral('public', 'a\nb"')).toBe(`E'"public"."a\\nb"""'`);
    expect(quoteLiteral("it's")).toBe("'it''s'");
    expect(quoteLiteral('a\\b')).toBe("E'a\\\\b'");
    expect(quoteLiteral('a\nb\u0085')).toBe("E'a\\nb\\u0085'");
    expect(displayQualified('public', 'users', 'Email')).toBe('public.users."Email"');
  });

  it('sanitizeSql refuses what no quoting can hold, sanitizeText makes it visible', () => {
    for (const text of ["SELECT 'a'\n'b\x1b'", "it's a\nb", "SELECT 'x\n"]) {
      expect(() => sanitizeSql(text), text).toThrow(/control character/);
      expect(sanitizeText(text), text).not.toMatch(RAW_CONTROL);
    }
    // a backslash before a raw line break in an E'' string reads as the line break
    expect(sanitizeSql("SELECT E'a\\\n'")).toBe("SELECT E'a\\n'");
    expect(sanitizeSql('SELECT "a\nb"\n  FROM t')).toBe('SELECT U&"a\\000Ab"\n  FROM t');
  });

  it('sqlComment and escapeControls: one line, every control character visible', () => {
    expect(sqlComment(`a\nDROP TABLE victim; --\r\u2028`)).toBe('-- a\\nDROP TABLE victim; --\\r\\u2028');
    expect(escapeControls('\x1b[31m\u202e')).toBe('\\u001B[31m\\u202E');
    for (const name of HOSTILE) expect(displayQualified('public', name), name).not.toMatch(RAW_CONTROL);
  });
});
