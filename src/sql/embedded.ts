import { parsePlpgsql, parseSql, scanSql } from './parser.js';
import { makeStatement, type Statement, type StatementOrigin, type SyntaxProblem } from './statement.js';
import type { TextIndex } from './text-index.js';

interface Body {
  /** The body text as PostgreSQL sees it. */
  text: string;
  /** Char offset of the body's first character in the file, when the body appears verbatim. */
  offset: number | undefined;
  language: string;
  origin: StatementOrigin;
}

/**
 * The SQL statements inside a `DO` block or a function/procedure body (PL/pgSQL or SQL
 * language), parsed with PostgreSQL's grammars and placed at their exact position in the file
 * when the body is dollar-quoted. Dynamic `EXECUTE '…'` with a literal string is included.
 */
export function extractEmbedded(
  container: Statement,
  fileText: string,
  index: TextIndex,
): { statements: Statement[]; syntaxErrors: SyntaxProblem[] } {
  const body = findBody(container, fileText);
  if (!body) return { statements: [], syntaxErrors: [] };
  const statements: Statement[] = [];
  const syntaxErrors: SyntaxProblem[] = [];

  if (body.language === 'sql') {
    addParsed(body.text, body.offset, container, body.origin, index, statements, syntaxErrors);
    return { statements, syntaxErrors };
  }
  if (body.language !== 'plpgsql') return { statements, syntaxErrors };

  const parsed = parsePlpgsql(container.text);
  if ('error' in parsed) {
    syntaxErrors.push({ message: `PL/pgSQL: ${parsed.error.message}`, span: container.span });
    return { statements, syntaxErrors };
  }
  const lineStarts = bodyLineStarts(body.text);
  for (const item of plpgsqlQueries(parsed.functions)) {
    const lineStart = lineStarts[Math.max(0, item.lineno - 1)] ?? 0;
    let sql = item.query;
    let at: number | undefined;
    if (item.dynamic) {
      const literal = stringLiteralValue(item.query);
      if (literal === undefined) continue; // EXECUTE of a computed string: cannot be known statically
      const rawAt = body.text.indexOf(item.query, lineStart);
      sql = literal;
      // the literal's content starts one character after its opening quote
      if (rawAt !== -1 && item.query.slice(1, 1 + literal.length) === literal) at = rawAt + 1;
    } else {
      const found = body.text.indexOf(item.query, lineStart);
      at = found === -1 ? undefined : found;
    }
    const offset = body.offset !== undefined && at !== undefined ? body.offset + at : undefined;
    addParsed(sql, offset, container, body.origin, index, statements, syntaxErrors, true);
  }
  return { statements, syntaxErrors };
}

function addParsed(
  sql: string,
  offset: number | undefined,
  container: Statement,
  origin: StatementOrigin,
  index: TextIndex,
  out: Statement[],
  syntaxErrors: SyntaxProblem[],
  quiet = false,
): void {
  const parsed = parseSql(sql);
  if ('error' in parsed) {
    // PL/pgSQL already accepted the statement; a failure here is a limitation of ours (e.g. INTO
    // targets), not the user's mistake. SQL-language bodies are validated by PostgreSQL at CREATE.
    if (!quiet)
      syntaxErrors.push({ message: `function body: ${parsed.error.message}`, span: container.span });
    return;
  }
  const exact = offset !== undefined;
  const baseByte = exact ? index.byteOffset(offset) : 0;
  for (const raw of parsed.stmts) {
    const kind = Object.keys(raw.stmt)[0] ?? 'Unknown';
    const localStart = byteToCharIn(sql, raw.stmt_location ?? 0);
    const localEnd = raw.stmt_len ? byteToCharIn(sql, (raw.stmt_location ?? 0) + raw.stmt_len) : sql.length;
    const text = sql.slice(localStart, localEnd).trim();
    const span = exact
      ? { start: offset + localStart, end: offset + localStart + text.length }
      : { ...container.span };
    out.push(
      makeStatement(
        {
          index: 0,
          kind,
          node: raw.stmt[kind],
          text,
          span,
          origin,
          container,
          byteBase: exact ? baseByte : undefined,
        },
        index,
      ),
    );
  }
}

function byteToCharIn(text: string, byteOffset: number): number {
  return Buffer.from(text, 'utf8').subarray(0, byteOffset).toString('utf8').length;
}

function bodyLineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function findBody(stmt: Statement, fileText: string): Body | undefined {
  let bodyText: string | undefined;
  let language: string | undefined;
  let asLocation: number | undefined;
  let origin: StatementOrigin;
  if (stmt.kind === 'DoStmt') {
    origin = 'do-block';
    for (const arg of stmt.node.args ?? []) {
      const def = arg.DefElem;
      if (def?.defname === 'as') {
        bodyText = def.arg?.String?.sval;
        asLocation = def.location;
      } else if (def?.defname === 'language') language = def.arg?.String?.sval;
    }
    language ??= 'plpgsql';
  } else if (stmt.kind === 'CreateFunctionStmt') {
    origin = 'function-body';
    for (const opt of stmt.node.options ?? []) {
      const def = opt.DefElem;
      if (def?.defname === 'as') {
        const items = def.arg?.List?.items ?? [];
        if (items.length === 1) bodyText = items[0]?.String?.sval;
        asLocation = def.location;
      } else if (def?.defname === 'language') language = def.arg?.String?.sval;
    }
  } else {
    return undefined;
  }
  if (bodyText === undefined || language === undefined) return undefined;
  language = language.toLowerCase();
  return {
    text: bodyText,
    offset: literalOffset(stmt, fileText, asLocation, bodyText),
    language,
    origin,
  };
}

/** Char offset of the first character of the body inside its string literal, if it appears verbatim. */
function literalOffset(
  stmt: Statement,
  fileText: string,
  asLocation: number | undefined,
  body: string,
): number | undefined {
  const from = stmt.offsetOf(asLocation);
  // fast path: a dollar-quoted body appears verbatim right after its opening delimiter
  const at = fileText.indexOf(body, from);
  if (at > from && at < stmt.span.end && fileText[at - 1] === '$') {
    const open = fileText.lastIndexOf('$', at - 2);
    if (open >= from && /^\$[A-Za-z_0-9]*\$$/.test(fileText.slice(open, at))) return at;
  }
  const tokens = scanSql(fileText.slice(from, stmt.span.end));
  const literal = tokens?.find((t) => t.name === 'SCONST');
  if (!literal) return undefined;
  const literalStart = from + byteToCharIn(fileText.slice(from, stmt.span.end), literal.start);
  const literalText = literal.text;
  let contentStart: number;
  if (literalText.startsWith('$')) contentStart = literalText.indexOf('$', 1) + 1;
  else if (literalText.startsWith("'")) contentStart = 1;
  else return undefined;
  const offset = literalStart + contentStart;
  return fileText.slice(offset, offset + body.length) === body ? offset : undefined;
}

interface EmbeddedQuery {
  query: string;
  lineno: number;
  dynamic: boolean;
}

/** Every SQL statement a PL/pgSQL function executes, in source order. */
function plpgsqlQueries(functions: any[]): EmbeddedQuery[] {
  const out: EmbeddedQuery[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) walk(item);
      return;
    }
    if (!value || typeof value !== 'object') return;
    for (const [key, child] of Object.entries(value)) {
      if (key === 'PLpgSQL_stmt_execsql') {
        const c = child as any;
        const query = c?.sqlstmt?.PLpgSQL_expr?.query;
        if (typeof query === 'string') out.push({ query, lineno: c.lineno ?? 1, dynamic: false });
      } else if (key === 'PLpgSQL_stmt_dynexecute') {
        const c = child as any;
        const query = c?.query?.PLpgSQL_expr?.query;
        if (typeof query === 'string') out.push({ query, lineno: c.lineno ?? 1, dynamic: true });
      }
      walk(child);
    }
  };
  walk(functions);
  return out;
}

/** The value of a SQL string literal expression such as `'CREATE INDEX …'`, or undefined. */
function stringLiteralValue(expr: string): string | undefined {
  const parsed = parseSql(`SELECT ${expr}`);
  if ('error' in parsed || parsed.stmts.length !== 1) return undefined;
  const target = parsed.stmts[0]?.stmt.SelectStmt?.targetList;
  if (!Array.isArray(target) || target.length !== 1) return undefined;
  const value = target[0]?.ResTarget?.val?.A_Const?.sval?.sval;
  return typeof value === 'string' ? value : undefined;
}
