/**
 * Vetting of plain SQL scripts before psql runs them (plain-script.ts): psql meta-commands
 * anywhere in a line, psql variables, top-level transaction control and text psql or the server
 * could read two ways are refused, naming the line; the same words inside strings, dollar quotes,
 * comments, quoted names and COPY data are not; real pg_dump output (with and without its
 * `\restrict` lines, plain and through `pg_restore -f -`) passes with exact row counts, whatever
 * the chunking; what is handed on to psql is the script with pg_dump's meta-command lines blanked,
 * and never a line that was not vetted. The cost of vetting is measured and printed.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { tableKey } from '../../src/backup/copy-counter.js';
import { type ScriptFacts, ScriptVetter, type VetOptions } from '../../src/backup/plain-script.js';
import { readPlainDump, vetScript } from '../../src/backup/psql-input.js';
import { forLibpq, libpqEnv } from '../../src/db/libpq.js';
import { loadParser } from '../../src/sql/parser.js';
import { sqlOn, useTestDatabase } from '../support/database.js';
import { tempDir } from '../support/files.js';
import { pgProgram } from '../support/pg-shims.js';

const run = promisify(execFile);
const db = useTestDatabase();
const dir = tempDir();

function vet(
  text: string | Buffer,
  options: Omit<VetOptions, 'output' | 'stopAtFirst'> = {},
): Promise<ScriptFacts> {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  return vetScript(Readable.from([bytes]), { database: 'shop', ...options });
}

/** The messages of the problems, without the hints. */
async function problems(text: string | Buffer, options: Omit<VetOptions, 'output' | 'stopAtFirst'> = {}) {
  return (await vet(text, options)).problems.map((p) => `${p.code} ${p.message}`);
}

/** What the vetter hands on to psql for `text` (stopping at the first problem), and the error. */
async function handedOn(text: string, options: Omit<VetOptions, 'output' | 'stopAtFirst'> = {}) {
  await loadParser();
  const parts: Buffer[] = [];
  const vetter = new ScriptVetter({
    database: 'shop',
    ...options,
    stopAtFirst: true,
    output: (b) => parts.push(b),
  });
  let error: Error | undefined;
  try {
    vetter.push(Buffer.from(text, 'utf8'));
    vetter.finish();
  } catch (e) {
    error = e as Error;
  }
  return { text: Buffer.concat(parts).toString('utf8'), error };
}

async function pgDump(args: string[], dbUrl = db.url): Promise<void> {
  const target = forLibpq(dbUrl);
  await run(pgProgram('pg_dump'), [...args, '--dbname', target.url], { env: libpqEnv(target.password) });
}

describe('psql meta-commands are refused, naming the line', () => {
  it('at the start of a line, in the middle of one, and after leading blanks', async () => {
    expect(await problems('SELECT 1;\n\\! touch /tmp/x\n')).toEqual([
      'PLAIN_DUMP_REFUSED line 2: psql meta-command \\!: pgwarden runs SQL only',
    ]);
    expect(await problems('SELECT 1; \\! touch /tmp/x\nSELECT 2;\n')).toEqual([
      'PLAIN_DUMP_REFUSED line 1: psql meta-command \\!: pgwarden runs SQL only',
    ]);
    expect(await problems('SELECT 1;\n   \\i /etc/passwd\n')).toEqual([
      'PLAIN_DUMP_REFUSED line 2: psql meta-command \\i: pgwarden runs SQL only',
    ]);
    // the arguments are psql's, not SQL: text the scanner cannot read there does not hide the command
    expect(await problems('SELECT 1;\nSELECT 2; \\! touch /tmp/x-5e3abc/ran\n')).toEqual([
      'PLAIN_DUMP_REFUSED line 2: psql meta-command \\!: pgwarden runs SQL only',
    ]);
    expect((await handedOn('SELECT 1;\n\\! touch /tmp/0xZZ\n')).error?.message).toBe(
      'line 2: psql meta-command \\!: pgwarden runs SQL only',
    );
    expect(await problems('SELECT (1 \\gexec\n);\n')).toEqual([
      'PLAIN_DUMP_REFUSED line 1: psql meta-command \\gexec: pgwarden runs SQL only',
    ]);
  });

  it('every other command, psql escapes (\\; \\:) and a \\. outside COPY data', async () => {
    for (const line of [
      '\\set x 1',
      '\\copy t from /etc/passwd',
      '\\o /tmp/out',
      '\\c other',
      '\\.',
      '\\?',
    ]) {
      expect(await problems(`${line}\n`)).toHaveLength(1);
    }
    expect((await problems('SELECT 1 \\; COMMIT;\n'))[0]).toBe(
      'PLAIN_DUMP_REFUSED line 1: psql meta-command \\;: pgwarden runs SQL only',
    );
  });

  it('in the middle of a statement, even the commands pg_dump writes', async () => {
    expect(await problems('SELECT\n\\restrict abc\n1;\n')).toEqual([
      'PLAIN_DUMP_REFUSED line 2: psql meta-command \\restrict in the middle of a statement',
    ]);
  });

  it("pg_dump's own: \\restrict and \\unrestrict with the same key, \\connect to the target", async () => {
    const ok = [
      '\\restrict k1\nSELECT 1;\n\\unrestrict k1\n',
      '\\connect shop\nSELECT 1;\n',
      '\\connect "shop"\n',
      `\\encoding SQL_ASCII\n\\connect -reuse-previous=on "dbname='shop'"\n`,
      `\\connect -reuse-previous=on "dbname='shop'"\n`,
      // pg_dump --create 15.14+: out of restricted mode around the \connect
      '\\restrict k1\nSELECT 1;\n\\unrestrict k1\n\\connect shop\n\\restrict k1\nSELECT 2;\n\\unrestrict k1\n',
    ];
    for (const text of ok) expect(await problems(text)).toEqual([]);
    // pg_dump's appendConnStrVal escapes ' and \\ with a backslash, fmtId doubles "
    const odd = `it's "odd" \\ db`;
    const line = `\\connect -reuse-previous=on "dbname='it\\'s ""odd"" \\\\ db'"\n`;
    expect((await vet(line, { database: odd })).problems).toEqual([]);
    expect((await vet('\\connect shop\n')).connects).toBe(1);
    expect((await vet('\\restrict k1\n\\unrestrict k1\n')).restrictKeys).toEqual(['k1']);
  });

  it('\\restrict misuse, \\connect to another database or with other arguments', async () => {
    expect(await problems('\\restrict a\n\\unrestrict b\n')).toEqual([
      'PLAIN_DUMP_REFUSED line 2: \\unrestrict with a key no \\restrict before it set',
    ]);
    expect(await problems('\\restrict a\n\\restrict b\n')).toEqual([
      'PLAIN_DUMP_REFUSED line 2: \\restrict while already restricted',
    ]);
    expect(await problems('\\restrict a\n\\connect shop\n')).toEqual([
      'PLAIN_DUMP_REFUSED line 2: \\connect in restricted mode (psql would refuse it)',
    ]);
    expect(await problems('\\connect other\n')).toEqual([
      'BACKUP_FOREIGN line 1: \\connect other: the dump switches to database "other", the target is "shop"',
    ]);
    for (const line of [
      '\\connect `id`',
      '\\connect :DBNAME',
      '\\connect shop other',
      '\\connect "host=evil dbname=shop"',
      `\\connect -reuse-previous=on "dbname='shop' host=evil"`,
      '\\restrict a b',
      '\\encoding SJIS',
      '\\restrict `id`',
    ]) {
      expect((await vet(`${line}\n`)).problems).toHaveLength(1);
    }
  });
});

describe('psql variables are refused', () => {
  it(':name, :\'name\', :"name" and :{?name}', async () => {
    expect(await problems('SELECT :foo;\n')).toEqual([
      'PLAIN_DUMP_REFUSED line 1: psql variable :foo: psql would put a value in its place that pgwarden did not vet',
    ]);
    for (const text of [
      "SELECT :'DBNAME';\n",
      'SELECT :"USER";\n',
      'SELECT :{?HOST};\n',
      'SELECT x:::VERSION;\n',
    ]) {
      expect(await problems(text)).toHaveLength(1);
    }
  });

  it('array slices stay allowed unless the bound could be a variable psql sets', async () => {
    expect(await problems('SELECT a[1:2], a[lo:hi], (b)[t.id:2], x::int, f(a := 1), a [1 : 2];\n')).toEqual(
      [],
    );
    expect(await problems('SELECT a[1:USER];\n')).toEqual([
      'PLAIN_DUMP_REFUSED line 1: psql variable :USER: psql would put a value in its place that pgwarden did not vet',
    ]);
  });
});

describe('top-level transaction control is refused', () => {
  it('every statement that opens, ends or shapes a transaction', async () => {
    const statements = [
      'BEGIN;',
      'begin work;',
      'START TRANSACTION;',
      'COMMIT;',
      'commit and chain;',
      'END;',
      'ROLLBACK;',
      'ABORT;',
      'SAVEPOINT s;',
      'RELEASE SAVEPOINT s;',
      'ROLLBACK TO SAVEPOINT s;',
      "PREPARE TRANSACTION 'x';",
      "COMMIT PREPARED 'x';",
      "ROLLBACK PREPARED 'x';",
      'SET TRANSACTION READ ONLY;',
      'SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY;',
      'SET LOCAL transaction_read_only = on;',
      '/* a comment */ COMMIT;',
      'COMMIT\n;',
    ];
    for (const statement of statements) {
      const found = await problems(`CREATE TABLE t (x int);\n${statement}\nINSERT INTO t VALUES (1);\n`);
      expect(found, statement).toHaveLength(1);
      expect(found[0]).toMatch(/^PLAIN_DUMP_REFUSED line 2: transaction control at top level \(/);
    }
  });

  it('PREPARE of a query and ordinary SET statements are fine', async () => {
    expect(
      await problems("PREPARE p AS SELECT 1;\nSET search_path = '';\nSET SESSION AUTHORIZATION DEFAULT;\n"),
    ).toEqual([]);
  });

  it('inside a command psql sends whole (a rule with several actions, BEGIN ATOMIC) the grammar decides', async () => {
    expect(
      await problems(
        'CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2));\n' +
          'CREATE FUNCTION f() RETURNS int LANGUAGE sql\n  BEGIN ATOMIC\n SELECT 1;\n SELECT CASE WHEN true THEN 2 END;\nEND;\n',
      ),
    ).toEqual([]);
    // psql keeps this together until an END: the server would run the COMMIT inside it
    expect(
      await problems(
        'CREATE FUNCTION begin() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql;\nCOMMIT;\nSELECT 1 AS "end"; end;\n',
      ),
    ).toEqual([
      "PLAIN_DUMP_REFUSED line 1: transaction control at top level (COMMIT): it would end pgwarden's transaction, so a failure could no longer roll the restore back",
      "PLAIN_DUMP_REFUSED line 1: transaction control at top level (end): it would end pgwarden's transaction, so a failure could no longer roll the restore back",
    ]);
  });

  it('CREATE/DROP DATABASE (pg_dump --create, pg_dumpall): BACKUP_FOREIGN', async () => {
    expect(await problems('CREATE DATABASE shop WITH TEMPLATE = template0;\n')).toEqual([
      "BACKUP_FOREIGN line 1: CREATE DATABASE: the dump was made with pg_dump --create or by pg_dumpall, and a database cannot be created or dropped inside the restore's transaction",
    ]);
  });
});

describe('the same words where psql and the server do not run them', () => {
  it('strings, dollar quotes, comments, quoted names and COPY data', async () => {
    const script = [
      "SELECT 'COMMIT; \\! touch /tmp/x', E'\\\\! id\\nROLLBACK;', 'it''s :foo';",
      'CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $body$',
      'BEGIN',
      '  COMMIT;',
      '  \\! touch /tmp/x',
      '  RETURN 1;',
      'END',
      '$body$;',
      '-- COMMIT; \\! touch /tmp/x',
      '/* BEGIN; /* nested */ \\! id',
      '   ROLLBACK; */ SELECT 1;',
      'CREATE TABLE "COMMIT; \\! x" (":foo" int);',
      'COPY public.t (a) FROM stdin;',
      'COMMIT;',
      '\\! touch /tmp/x',
      ':foo',
      '\\.',
      'SELECT 2;',
      '',
    ].join('\n');
    const facts = await vet(script);
    expect(facts.problems).toEqual([]);
    expect(facts.tables).toEqual([{ schema: 'public', name: 't', rows: 3 }]);
  });

  it("a string that continues on the next line is read as psql reads it (E'…' then '\\'')", async () => {
    // psql: the continuation is an escape string, so the string ends before `;` and COMMIT runs
    expect(await problems("SELECT E'a'\n'\\'';\nCOMMIT;\nSELECT 1;\n")).toEqual([
      "PLAIN_DUMP_REFUSED line 3: transaction control at top level (COMMIT;): it would end pgwarden's transaction, so a failure could no longer roll the restore back",
    ]);
    expect(await problems("SELECT 'a'\n\n-- between\n  'b';\nSELECT 1;\n")).toEqual([]);
  });

  it('a multi-line string or dollar quote ends where the scanner says, and COPY data follows it', async () => {
    const facts = await vet(
      "COMMENT ON TABLE t IS 'line one\nCOMMIT;\nline '' three';\nSELECT $a$ x\n $b$ y\n$a$, 'q'; COPY t FROM stdin;\n1\n2\n\\.\nSELECT 3;\n",
    );
    expect(facts.problems).toEqual([]);
    expect(facts.tables).toEqual([{ schema: '', name: 't', rows: 2 }]);
  });
});

describe('text psql or the server could read two ways is refused', () => {
  it('a backslash before a quote in a plain string (standard_conforming_strings off)', async () => {
    expect(await problems("SELECT 'a\\', ' ; COMMIT; --';\n")).toEqual([
      'PLAIN_DUMP_REFUSED line 1: a string with a backslash before a quote: psql and the server read it differently when standard_conforming_strings is off',
    ]);
    expect(await problems("SELECT 'a\\\\', '\\d+', E'x\\'y';\n")).toEqual([]);
  });

  it('a backslash or ; right after a non-ASCII byte (SJIS, BIG5, GBK, JOHAB client encodings)', async () => {
    expect(await problems(Buffer.from("SELECT E'\x81\\' ; \\! id ; --';\n", 'latin1'))).toHaveLength(1);
    expect(await problems(Buffer.from('SELECT 1 AS a\x81; SELECT 2;\n', 'latin1'))).toHaveLength(1);
    expect(await problems("SELECT 'café', \"ünïcödé\", E'\\n';\n")).toEqual([]);
  });

  it('a NUL byte (psql cuts the line there)', async () => {
    expect(await problems(Buffer.from('SELECT 1;\nSELECT 2;\0\\! id\n'))).toEqual([
      'PLAIN_DUMP_REFUSED near line 2: a NUL byte: psql would cut the line there',
    ]);
  });

  it('text the scanner cannot read', async () => {
    expect(await problems('SELECT 1;\nSELECT 1e;\n')).toEqual([
      "PLAIN_DUMP_REFUSED line 2: PostgreSQL's scanner cannot read the text from here (an invalid string, escape, quoted name, comment or number)",
    ]);
  });
});

describe('COPY and the end of the script', () => {
  it('text after COPY … FROM stdin; on its line, COPY … PROGRAM, CSV data', async () => {
    expect(await problems('COPY t FROM stdin; SELECT 1;\n1\n\\.\n')).toEqual([
      'PLAIN_DUMP_REFUSED line 1: text after COPY … FROM stdin; (line 1): psql reads the data from the next line',
    ]);
    expect(await problems('COPY t FROM stdin; -- rows follow\n1\n\\.\n')).toEqual([]);
    expect(await problems("COPY t FROM PROGRAM 'id';\n")).toEqual([
      'PLAIN_DUMP_REFUSED line 1: COPY … PROGRAM runs a program on the database server',
    ]);
    expect((await problems('COPY t FROM stdin WITH (FORMAT csv);\n1\n\\.\n'))[0]).toMatch(
      /^BACKUP_FOREIGN .*csv format/,
    );
  });

  it('a script that ends inside a statement, a string or COPY data', async () => {
    expect(await problems('SELECT 1;\nSELECT 2\n')).toEqual([
      'BACKUP_INVALID the script ends inside the statement that starts at line 2',
    ]);
    expect(await problems("SELECT 'abc\n")).toEqual([
      'BACKUP_INVALID the script ends inside a string, quoted name or comment that starts at line 1',
    ]);
    expect((await problems('COPY t FROM stdin;\n1\n'))[0]).toMatch(
      /^BACKUP_INVALID the dump ends inside the data of t/,
    );
  });

  it('pg_restore --single-transaction output: its first BEGIN and last COMMIT, nothing after', async () => {
    const script = 'BEGIN;\nCREATE TABLE t (x int);\nCOMMIT;\n';
    expect(await problems(script, { outerTransaction: true })).toEqual([]);
    expect(await problems(`${script}DROP TABLE t;\n`, { outerTransaction: true })).toEqual([
      "PLAIN_DUMP_REFUSED line 4: a statement after the script's closing COMMIT would run outside the restore's transaction",
    ]);
    expect(await problems('SELECT 1;\nBEGIN;\nCOMMIT;\n', { outerTransaction: true })).toHaveLength(1);
    expect(await problems('BEGIN; SELECT 1;\nCOMMIT;\n', { outerTransaction: true })).toEqual([
      "PLAIN_DUMP_REFUSED line 1: pg_restore's BEGIN; is not alone on its line",
    ]);
  });
});

describe('what psql is handed', () => {
  it("the script, with pg_dump's meta-command lines as empty lines", async () => {
    const script = '\\restrict k1\nSELECT 1;\r\nCOPY t FROM stdin;\n1\r\n\\.\n\\unrestrict k1\n';
    const { text, error } = await handedOn(script);
    expect(error).toBeUndefined();
    expect(text).toBe('\nSELECT 1;\r\nCOPY t FROM stdin;\n1\r\n\\.\n\n');
  });

  it("pg_restore's own BEGIN and COMMIT as empty lines: the caller's transaction spans the script", async () => {
    const { text, error } = await handedOn('BEGIN;\nCREATE TABLE t (x int);\nCOMMIT;\n\n--\n', {
      outerTransaction: true,
    });
    expect(error).toBeUndefined();
    expect(text).toBe('\nCREATE TABLE t (x int);\n\n\n--\n');
  });

  it('never a line that was not vetted: the stream stops before the line with the problem', async () => {
    const { text, error } = await handedOn("SELECT 'a\nb';\nSELECT 1; \\! touch /tmp/x\nSELECT 2;\n");
    expect(error?.message).toBe('line 3: psql meta-command \\!: pgwarden runs SQL only');
    expect(text).toBe("SELECT 'a\nb';\n");
    const commit = await handedOn('SELECT 1;\nCOMMIT\n;\n');
    expect(commit.text).toBe('SELECT 1;\nCOMMIT\n');
  });
});

describe('real pg_dump output passes, with exact counts', () => {
  let counts: Map<string, number>;
  const plainPath = join(dir, 'plain.sql');

  beforeAll(async () => {
    await db.query(`
      CREATE TABLE public.messy (id int, v text);
      INSERT INTO public.messy VALUES (1, E'COMMIT;\\n\\\\! touch /tmp/x\\nBEGIN;'), (2, E'\\\\.x'), (3, ':foo'), (4, 'ünïcödé ✓');
      CREATE TABLE public."COMMIT; \\! x" (":var" text);
      INSERT INTO public."COMMIT; \\! x" VALUES ('a');
      CREATE TABLE public.arr (id int, a int[]);
      INSERT INTO public.arr VALUES (1, '{1,2,3}');
      CREATE VIEW public.slices AS SELECT a[1:2] AS s, a[id:2] AS t, CASE WHEN id > 1 THEN 'x' END AS c FROM public.arr;
      CREATE FUNCTION public.atomic(i int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT i; SELECT CASE WHEN i > 0 THEN i END; END;
      CREATE FUNCTION public.body() RETURNS void LANGUAGE plpgsql AS $f$ BEGIN COMMIT; RAISE NOTICE '\\! %', 1; END $f$;
      CREATE RULE keep AS ON INSERT TO public.arr DO ALSO (SELECT 1; SELECT 2);
      COMMENT ON TABLE public.messy IS E'multi\\nline; COMMIT;\\n\\\\! touch /tmp/x';
    `);
    const tables = await db.query<{ schema: string; name: string }>(`
      SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'`);
    counts = new Map();
    for (const { schema, name } of tables.rows) {
      const r = await db.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM ${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(name)}`,
      );
      counts.set(tableKey(schema, name), Number(r.rows[0]!.n));
    }
    await pgDump(['-Fp', '-f', plainPath]);
  });

  const dbName = () => new URL(db.url).pathname.slice(1);
  const asMap = (facts: ScriptFacts) =>
    new Map(facts.tables.map((t) => [tableKey(t.schema, t.name), t.rows]));

  it('a plain dump with its \\restrict lines; gzipped; in 1-byte and odd chunks', async () => {
    const text = readFileSync(plainPath);
    expect(text.toString()).toMatch(/^\\restrict [A-Za-z0-9]+$/m);
    const facts = await readPlainDump(plainPath, 'plain', { database: dbName() });
    expect(facts.problems).toEqual([]);
    expect(facts.complete).toBe(true);
    expect(facts.restrictKeys).toHaveLength(1);
    expect(asMap(facts)).toEqual(counts);

    const gz = join(dir, 'plain.sql.gz');
    (await import('node:fs')).writeFileSync(gz, gzipSync(text));
    expect((await readPlainDump(gz, 'plain-gzip', { database: dbName() })).problems).toEqual([]);

    for (const sizes of [[1], [7, 3, 4096]]) {
      const chunks: Buffer[] = [];
      for (let at = 0, i = 0; at < text.length; i++) {
        const size = sizes[i % sizes.length]!;
        chunks.push(text.subarray(at, at + size));
        at += size;
      }
      const chunked = await vetScript(Readable.from(chunks), { database: dbName() });
      expect(chunked.problems).toEqual([]);
      expect(asMap(chunked)).toEqual(counts);
    }
  });

  it('made with --restrict-key, and without restrict lines (an older pg_dump)', async () => {
    const keyed = join(dir, 'keyed.sql');
    await pgDump(['-Fp', '--restrict-key', 'pgwardenTestKey1', '-f', keyed]);
    const facts = await readPlainDump(keyed, 'plain', { database: dbName() });
    expect(facts.problems).toEqual([]);
    expect(facts.restrictKeys).toEqual(['pgwardenTestKey1']);
    const bare = join(dir, 'bare.sql');
    const lines = readFileSync(plainPath, 'utf8').split('\n');
    (await import('node:fs')).writeFileSync(
      bare,
      lines.filter((l) => !/^\\(un)?restrict /.test(l)).join('\n'),
    );
    const old = await readPlainDump(bare, 'plain', { database: dbName() });
    expect(old.problems).toEqual([]);
    expect(asMap(old)).toEqual(counts);
  });

  it('pg_dump --create: its \\connect to a database with an odd name is read as psql reads it', async () => {
    const name = `pgwarden_test_it's "odd" \\ ${Date.now()}`;
    const admin = new pg.Client({ connectionString: db.serverUrl });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
      const url = new URL(db.serverUrl);
      url.pathname = `/${encodeURIComponent(name)}`;
      await sqlOn(url.toString(), 'CREATE TABLE t (x int); INSERT INTO t VALUES (1)');
      const created = join(dir, 'created.sql');
      await pgDump(['-Fp', '--create', '-f', created], url.toString());
      expect(readFileSync(created, 'utf8')).toContain('\\connect -reuse-previous=on "dbname=');
      const same = await readPlainDump(created, 'plain', { database: name });
      expect(same.connects).toBe(1);
      // the \connect is accepted; the CREATE DATABASE before it cannot run in the restore's transaction
      expect(same.problems.map((p) => p.code)).toEqual(['BACKUP_FOREIGN']);
      expect(same.problems[0]!.message).toMatch(/^line \d+: CREATE DATABASE:/);
      const other = await readPlainDump(created, 'plain', { database: 'shop' });
      expect(other.problems.map((p) => p.message)).toContainEqual(
        expect.stringMatching(/\\connect pgwarden_test_it's "odd" \\ \d+: the dump switches to database/),
      );
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
      await admin.end();
    }
  });

  it('pg_restore --single-transaction -f - of a custom archive', async () => {
    const custom = join(dir, 'custom.dump');
    await pgDump(['-Fc', '-f', custom]);
    const child = (await import('node:child_process')).spawn(
      pgProgram('pg_restore'),
      ['--single-transaction', '--file=-', custom],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const facts = await vetScript(child.stdout, { database: dbName(), outerTransaction: true });
    expect(facts.problems).toEqual([]);
    expect(asMap(facts)).toEqual(counts);
  });

  it('the cost of vetting SQL, measured and printed (not asserted)', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 400; i++) {
      lines.push(
        `CREATE TABLE public.t${i} (id integer NOT NULL, name text DEFAULT 'x'::text, v numeric(10,2), CONSTRAINT c${i} CHECK ((v > (0)::numeric)));`,
        `CREATE FUNCTION public.f${i}(a integer) RETURNS integer LANGUAGE plpgsql AS $$ BEGIN IF a > 1 THEN RETURN a * 2; END IF; RETURN 0; END $$;`,
        `INSERT INTO public.t${i} VALUES (1, 'some text, with a '';'' inside', 42.50), (2, NULL, 1.00);`,
        `COMMENT ON TABLE public.t${i} IS 'a comment';`,
      );
    }
    const sql = Buffer.from(`${lines.join('\n')}\n`);
    await vet(sql); // warm up (the WebAssembly scanner and the JIT)
    const started = process.hrtime.bigint();
    const facts = await vet(sql);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    expect(facts.problems).toEqual([]);
    console.log(
      `plain-script vetting: ${(sql.length / 1024).toFixed(0)} kB of SQL in ${seconds.toFixed(2)} s = ${(sql.length / 1024 / 1024 / seconds).toFixed(2)} MB/s (COPY data is not scanned)`,
    );
  });
});
