/**
 * The PostgreSQL grammar, via libpg-query (PostgreSQL's own parser compiled to WebAssembly).
 * `loadParser()` must have resolved before the synchronous functions are used.
 */
import type * as LibPgQuery from 'libpg-query';

let pg: typeof LibPgQuery;
let loaded: Promise<void> | undefined;

/** Loads the parser (the WebAssembly module); imported on first use, so commands that never parse SQL never pay for it. */
export function loadParser(): Promise<void> {
  loaded ??= import('libpg-query').then(async (module) => {
    await module.loadModule();
    pg = module;
  });
  return loaded;
}

export interface RawStatement {
  stmt: Record<string, any>;
  stmt_location?: number;
  stmt_len?: number;
}

export interface ParserError {
  message: string;
  /** Byte offset into the parsed text, when the parser reported one. */
  position: number | undefined;
}

export function parseSql(text: string): { stmts: RawStatement[] } | { error: ParserError } {
  try {
    const result = pg.parseSync(text) as unknown as { stmts?: RawStatement[] };
    return { stmts: result.stmts ?? [] };
  } catch (error) {
    return { error: toParserError(error) };
  }
}

export function parsePlpgsql(text: string): { functions: any[] } | { error: ParserError } {
  try {
    const result = pg.parsePlPgSQLSync(text) as unknown as { plpgsql_funcs?: any[] };
    return { functions: result.plpgsql_funcs ?? [] };
  } catch (error) {
    return { error: toParserError(error) };
  }
}

export interface Token {
  /** byte offsets into the scanned text */
  start: number;
  end: number;
  text: string;
  name: string;
  keyword: string;
}

/** Lexes SQL with PostgreSQL's scanner. Returns undefined when the text cannot be lexed. */
export function scanSql(text: string): Token[] | undefined {
  try {
    return pg.scanSync(text).tokens.map((t) => ({
      start: t.start,
      end: t.end,
      text: t.text,
      name: t.tokenName,
      keyword: t.keywordName,
    }));
  } catch {
    return undefined;
  }
}

function toParserError(error: unknown): ParserError {
  const e = error as { message?: string; sqlDetails?: { message?: string; cursorPosition?: number } };
  const message = e.sqlDetails?.message ?? e.message ?? String(error);
  const cursor = e.sqlDetails?.cursorPosition;
  return { message, position: typeof cursor === 'number' && cursor >= 0 ? cursor : undefined };
}
