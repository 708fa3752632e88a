import type { TextIndex } from './text-index.js';

/** A half-open range of character offsets into a file's text. */
export interface Span {
  start: number;
  end: number;
}

/**
 * Where a statement runs:
 * - `file`: a top-level statement of the migration file;
 * - `do-block`: SQL inside a `DO` block, which runs now, inside the `DO` statement;
 * - `function-body`: SQL inside a function or procedure body, which runs later, when called.
 */
export type StatementOrigin = 'file' | 'do-block' | 'function-body';

export interface Statement {
  /** Position in execution order among all statements of the file (embedded ones included). */
  index: number;
  /** The parse node's type, e.g. `AlterTableStmt`. */
  kind: string;
  /** The parse node's fields (libpg-query's JSON AST). */
  node: any;
  /** The statement's source text (without the terminating semicolon). */
  text: string;
  span: Span;
  origin: StatementOrigin;
  /** For embedded statements: the `DO` or `CREATE FUNCTION` statement that holds them. */
  container: Statement | undefined;
  /**
   * The byte offset in the file that AST locations of this statement are relative to, or
   * undefined when they cannot be mapped back (an embedded statement whose text is not verbatim
   * in the file); locations then resolve to the statement's start.
   */
  byteBase: number | undefined;
  /** Converts an AST `location` (a byte offset into the parsed text) to a character offset in the file. */
  offsetOf(location: number | undefined): number;
}

/** Builds a statement from its data; `index` maps byte offsets to characters. */
export function makeStatement(data: Omit<Statement, 'offsetOf'>, index: TextIndex): Statement {
  const statement = data as Statement;
  statement.offsetOf = (location) => {
    if (location === undefined || location < 0 || statement.byteBase === undefined)
      return statement.span.start;
    return index.charOffset(statement.byteBase + location);
  };
  return statement;
}

export interface SyntaxProblem {
  message: string;
  span: Span;
}

export interface SqlComment {
  text: string;
  span: Span;
}

export interface ParsedFile {
  path: string;
  text: string;
  /** How the tool runs the file when it runs it without a transaction (SqlSource.transaction). */
  transaction?: 'statements' | 'one-query';
  index: TextIndex;
  statements: Statement[];
  syntaxErrors: SyntaxProblem[];
  /** Comments that may hold directives (only collected when the file mentions `-ignore`, `pgwarden:` or `eugene`). */
  comments: SqlComment[];
  /** psql meta-commands (`\set`, `\connect`, …) that were skipped. */
  metaCommands: SqlComment[];
}
