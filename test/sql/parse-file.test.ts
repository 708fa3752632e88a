import { describe, expect, it } from 'vitest';
import { PgwardenError } from '../../src/errors/pgwarden-error.js';
import { parseSqlFile } from '../../src/sql/parse-file.js';
import { loadParser } from '../../src/sql/parser.js';
import { decodeSql } from '../../src/sql/source.js';

await loadParser();

function parse(text: string) {
  const file = parseSqlFile({ path: 'test.sql', text });
  return {
    file,
    statements: file.statements.map((s) => ({
      kind: s.kind,
      origin: s.origin,
      text: s.text,
      at: file.index.position(s.span.start),
      exact: text.slice(s.span.start, s.span.end) === s.text,
    })),
  };
}

describe('parseSqlFile', () => {
  it('splits statements with exact spans, lines and columns', () => {
    const { statements } = parse(
      'CREATE TABLE a (id int);\n\n  ALTER TABLE a ADD COLUMN b text; ALTER TABLE a DROP COLUMN b;\n',
    );
    expect(statements).toEqual([
      {
        kind: 'CreateStmt',
        origin: 'file',
        text: 'CREATE TABLE a (id int)',
        at: { line: 1, column: 1 },
        exact: true,
      },
      {
        kind: 'AlterTableStmt',
        origin: 'file',
        text: 'ALTER TABLE a ADD COLUMN b text',
        at: { line: 3, column: 3 },
        exact: true,
      },
      {
        kind: 'AlterTableStmt',
        origin: 'file',
        text: 'ALTER TABLE a DROP COLUMN b',
        at: { line: 3, column: 36 },
        exact: true,
      },
    ]);
  });

  it('counts columns in characters when the file has multi-byte text', () => {
    const { file, statements } = parse("-- créé été\nSELECT 'ünïcödé';\nALTER TABLE a ADD COLUMN x int;");
    expect(statements[1]).toMatchObject({ at: { line: 3, column: 1 }, exact: true });
    const alter = file.statements[1]!;
    // an AST location inside the statement maps back to the right character
    const columnDef = alter.node.cmds[0].AlterTableCmd.def.ColumnDef;
    expect(file.text.slice(alter.offsetOf(columnDef.location)).startsWith('x int')).toBe(true);
  });

  it('keeps semicolons inside dollar quotes, strings and comments', () => {
    const { statements } = parse(
      "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $body$ SELECT 1; $body$;\nSELECT 'a;b' /* ; */ -- ;\n;",
    );
    expect(statements.filter((s) => s.origin === 'file').map((s) => s.kind)).toEqual([
      'CreateFunctionStmt',
      'SelectStmt',
    ]);
  });

  it('skips psql meta-commands', () => {
    const { file, statements } = parse(
      "\\set ON_ERROR_STOP on\nCREATE TABLE a (id int);\n\\connect other\nSELECT '\\not a command';\n",
    );
    expect(statements.map((s) => s.kind)).toEqual(['CreateStmt', 'SelectStmt']);
    expect(file.metaCommands.map((m) => m.text)).toEqual(['\\set ON_ERROR_STOP on', '\\connect other']);
    expect(file.syntaxErrors).toEqual([]);
  });

  it('parses the SQL inside DO blocks, at its exact position', () => {
    const { statements } = parse(
      "DO $$\nBEGIN\n  ALTER TABLE a ADD COLUMN b text;\n  EXECUTE 'CREATE INDEX a_b ON a (b)';\n  EXECUTE format('DROP TABLE %I', 'x');\nEND $$;",
    );
    expect(statements).toEqual([
      expect.objectContaining({ kind: 'DoStmt', origin: 'file' }),
      {
        kind: 'AlterTableStmt',
        origin: 'do-block',
        text: 'ALTER TABLE a ADD COLUMN b text',
        at: { line: 3, column: 3 },
        exact: true,
      },
      {
        kind: 'IndexStmt',
        origin: 'do-block',
        text: 'CREATE INDEX a_b ON a (b)',
        at: { line: 4, column: 12 },
        exact: true,
      },
    ]);
  });

  it('parses PL/pgSQL and SQL function bodies as deferred SQL', () => {
    const { statements } = parse(
      'CREATE FUNCTION g() RETURNS trigger LANGUAGE plpgsql AS $f$\nBEGIN\n  UPDATE a SET b = 1;\n  RETURN NEW;\nEND $f$;\nCREATE FUNCTION h() RETURNS void LANGUAGE sql AS $$ DELETE FROM a; $$;',
    );
    expect(statements.map((s) => [s.kind, s.origin, s.at.line])).toEqual([
      ['CreateFunctionStmt', 'file', 1],
      ['UpdateStmt', 'function-body', 3],
      ['CreateFunctionStmt', 'file', 6],
      ['DeleteStmt', 'function-body', 6],
    ]);
  });

  it('reports a syntax error with its position and still parses the other statements', () => {
    const { file, statements } = parse(
      'CREATE TABLE a (id int);\nALTER TABEL a ADD COLUMN b int;\nALTER TABLE a ADD COLUMN c int;',
    );
    expect(statements.map((s) => s.text)).toEqual([
      'CREATE TABLE a (id int)',
      'ALTER TABLE a ADD COLUMN c int',
    ]);
    expect(file.syntaxErrors).toHaveLength(1);
    expect(file.syntaxErrors[0]!.message).toBe('syntax error at or near "TABEL"');
    expect(file.index.position(file.syntaxErrors[0]!.span.start)).toEqual({ line: 2, column: 7 });
  });

  it('reports an unterminated string and keeps the statements before it', () => {
    const { file, statements } = parse("CREATE TABLE a (id int);\nSELECT 'oops;\nSELECT 1;");
    expect(statements.map((s) => s.kind)).toEqual(['CreateStmt']);
    expect(file.syntaxErrors[0]!.message).toMatch(/unterminated quoted string/);
    expect(file.index.position(file.syntaxErrors[0]!.span.start).line).toBe(2);
  });

  it('reports a syntax error inside a PL/pgSQL body', () => {
    const { file } = parse('DO $$ BEGIN ALTER TABLE; END $$;');
    expect(file.syntaxErrors).toHaveLength(1);
    expect(file.syntaxErrors[0]!.message).toMatch(/^PL\/pgSQL: /);
  });

  it('treats an empty or comment-only file as having no statements', () => {
    expect(parse('').statements).toEqual([]);
    expect(parse('-- nothing\n/* at all */\n').statements).toEqual([]);
  });

  it('collects ignore comments only', () => {
    const { file } = parse(
      "-- pgwarden-ignore x\nSELECT '-- pgwarden-ignore y';\n/* squawk-ignore z */ SELECT 1;",
    );
    expect(file.comments.map((c) => c.text)).toEqual(['-- pgwarden-ignore x', '/* squawk-ignore z */']);
  });

  it('handles a 10 MB file', () => {
    const line = "INSERT INTO t (id, note) VALUES (1, 'some text to fill the file up');\n";
    const text = line.repeat(Math.ceil((10 * 1024 * 1024) / line.length));
    const { file } = parse(text);
    expect(file.statements.length).toBe(Math.ceil((10 * 1024 * 1024) / line.length));
    expect(file.syntaxErrors).toEqual([]);
  });
});

describe('decodeSql', () => {
  it('strips a byte-order mark', () => {
    expect(decodeSql(Buffer.from('\uFEFFSELECT 1;', 'utf8'), 'x.sql')).toBe('SELECT 1;');
  });

  it('rejects bytes that are not UTF-8 with the file, byte and line', () => {
    const bytes = Buffer.concat([
      Buffer.from("SELECT 1;\nSELECT '"),
      Buffer.from([0xe9]),
      Buffer.from("t\xe9';"),
    ]);
    let error: unknown;
    try {
      decodeSql(bytes, 'latin1.sql');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PgwardenError);
    expect((error as PgwardenError).code).toBe('FILE_NOT_UTF8');
    expect((error as PgwardenError).message).toBe(
      'latin1.sql: not valid UTF-8 (invalid byte 0xe9 at byte 18, line 2)',
    );
    expect((error as PgwardenError).exitCode).toBe(2);
  });
});
