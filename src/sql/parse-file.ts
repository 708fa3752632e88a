import { extractEmbedded } from './embedded.js';
import { parseSql, type RawStatement, scanSql, type Token } from './parser.js';
import type { SqlSource } from './source.js';
import {
  makeStatement,
  type ParsedFile,
  type SqlComment,
  type Statement,
  type SyntaxProblem,
} from './statement.js';
import { TextIndex } from './text-index.js';

/**
 * Splits and parses a SQL file with PostgreSQL's grammar into statements with exact spans,
 * including the SQL inside `DO` blocks and function bodies. A syntax error in one statement
 * does not hide the others: the file is then split with PostgreSQL's scanner and each piece is
 * parsed on its own. psql meta-commands (`\set`, `\connect`, …) are recognised and skipped.
 *
 * Call `loadParser()` once before using this function.
 */
export function parseSqlFile(source: SqlSource): ParsedFile {
  const original = source.text;
  const { text, metaCommands } = blankMetaCommands(original);
  const index = new TextIndex(text);
  const syntaxErrors: SyntaxProblem[] = [];
  const top: Statement[] = [];

  const whole = parseSql(text);
  if ('stmts' in whole) {
    for (const raw of whole.stmts) top.push(makeTopLevel(raw, text, index, 0));
  } else {
    for (const chunk of splitChunks(text, index)) {
      const chunkText = text.slice(chunk.start, chunk.end);
      const parsed = parseSql(chunkText);
      const chunkByte = index.byteOffset(chunk.start);
      if ('stmts' in parsed) {
        for (const raw of parsed.stmts) top.push(makeTopLevel(raw, text, index, chunkByte));
      } else {
        const at =
          parsed.error.position === undefined
            ? firstTokenOffset(chunkText, chunk.start)
            : index.charOffset(chunkByte + parsed.error.position);
        syntaxErrors.push({
          message: parsed.error.message,
          span: { start: at, end: Math.max(at + 1, trimEnd(text, chunk.end)) },
        });
      }
    }
  }

  const statements: Statement[] = [];
  for (const stmt of top) {
    stmt.index = statements.length;
    statements.push(stmt);
    const embedded = extractEmbedded(stmt, text, index);
    syntaxErrors.push(...embedded.syntaxErrors);
    for (const inner of embedded.statements) {
      inner.index = statements.length;
      statements.push(inner);
    }
  }
  syntaxErrors.sort((a, b) => a.span.start - b.span.start);

  return {
    path: source.path,
    text: original,
    ...(source.transaction ? { transaction: source.transaction } : {}),
    index,
    statements,
    syntaxErrors,
    comments:
      original.includes('-ignore') || original.includes('pgwarden:') || original.includes('eugene')
        ? collectComments(text, index)
        : [],
    metaCommands,
  };
}

function makeTopLevel(raw: RawStatement, text: string, index: TextIndex, byteBase: number): Statement {
  const startByte = byteBase + (raw.stmt_location ?? 0);
  const start = skipSpace(text, index.charOffset(startByte));
  const end = raw.stmt_len ? index.charOffset(startByte + raw.stmt_len) : text.length;
  const trimmedEnd = trimEnd(text, end);
  const kind = Object.keys(raw.stmt)[0] ?? 'Unknown';
  return makeStatement(
    {
      index: 0,
      kind,
      node: raw.stmt[kind],
      text: text.slice(start, trimmedEnd),
      span: { start, end: trimmedEnd },
      origin: 'file',
      container: undefined,
      byteBase,
    },
    index,
  );
}

function skipSpace(text: string, offset: number): number {
  let i = offset;
  while (i < text.length && /\s/.test(text[i]!)) i++;
  return i;
}

function trimEnd(text: string, end: number): number {
  let i = Math.min(end, text.length);
  while (i > 0 && /\s/.test(text[i - 1]!)) i--;
  return i;
}

function firstTokenOffset(chunkText: string, base: number): number {
  const tokens = scanSql(chunkText);
  const first = tokens?.find((t) => t.name !== 'SQL_COMMENT' && t.name !== 'C_COMMENT');
  return base + (first ? first.start : 0);
}

/**
 * Chunks of text, each ending after a top-level `;`, found with PostgreSQL's scanner.
 * `BEGIN ATOMIC … END` bodies of SQL functions are kept whole. When the text cannot be lexed
 * (an unterminated quote or comment), the longest lexable prefix is split and the rest is one chunk.
 */
function splitChunks(text: string, index: TextIndex): { start: number; end: number }[] {
  const { tokens, length: limit } = lexablePrefix(text);
  const chunks: { start: number; end: number }[] = [];
  let chunkStart = 0;
  let depth = 0;
  let atomic = 0;
  let prev: Token | undefined;
  for (const token of tokens) {
    const upper = token.text.toUpperCase();
    if (token.text === '(') depth++;
    else if (token.text === ')') depth = Math.max(0, depth - 1);
    else if (upper === 'ATOMIC' && prev?.text.toUpperCase() === 'BEGIN') atomic++;
    else if (atomic > 0 && upper === 'CASE') atomic++;
    else if (atomic > 0 && upper === 'END') atomic--;
    else if (token.text === ';' && depth === 0 && atomic === 0) {
      const end = index.charOffset(token.end);
      chunks.push({ start: chunkStart, end });
      chunkStart = end;
    }
    if (token.name !== 'SQL_COMMENT' && token.name !== 'C_COMMENT') prev = token;
  }
  if (limit < text.length) {
    const lastEnd = chunks.at(-1)?.end ?? 0;
    chunks.push({ start: lastEnd, end: text.length });
  } else if (text.slice(chunkStart).trim() !== '') {
    chunks.push({ start: chunkStart, end: text.length });
  }
  return chunks;
}

/**
 * psql meta-commands start with a backslash as the first token of a line and run to the end of
 * the line. They are replaced by spaces (keeping every offset) so the grammar never sees them.
 */
function blankMetaCommands(text: string): { text: string; metaCommands: SqlComment[] } {
  if (!text.includes('\\')) return { text, metaCommands: [] };
  const tokens = scanSql(text);
  if (!tokens) return { text, metaCommands: [] };
  const index = new TextIndex(text);
  const metaCommands: SqlComment[] = [];
  let out = '';
  let copied = 0;
  let lastTokenLine = 0;
  for (const token of tokens) {
    const start = index.charOffset(token.start);
    const line = index.position(start).line;
    const firstOnLine = line !== lastTokenLine;
    lastTokenLine = index.position(index.charOffset(token.end)).line;
    if (token.text !== '\\' || !firstOnLine || start < copied) continue;
    const lineEnd = text.indexOf('\n', start);
    const end = lineEnd === -1 ? text.length : lineEnd;
    metaCommands.push({ text: text.slice(start, end), span: { start, end } });
    out += text.slice(copied, start) + ' '.repeat(end - start);
    copied = end;
  }
  if (metaCommands.length === 0) return { text, metaCommands };
  return { text: out + text.slice(copied), metaCommands };
}

/**
 * Tokens of the longest prefix of the text (cut at a line start) that PostgreSQL's scanner can
 * lex. Only an unterminated quote or comment makes lexing fail, and it runs to the end of the
 * text, so "prefix is lexable" is monotonic and a binary search over line starts finds the cut.
 */
function lexablePrefix(text: string): { tokens: Token[]; length: number } {
  const all = scanSql(text);
  if (all) return { tokens: all, length: text.length };
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  let lo = 0; // starts[lo] is lexable (the empty prefix always is)
  let hi = starts.length - 1;
  let best: Token[] = [];
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    const tokens = scanSql(text.slice(0, starts[mid]));
    if (tokens) {
      lo = mid;
      best = tokens;
    } else hi = mid - 1;
  }
  return { tokens: best, length: starts[lo] ?? 0 };
}

function collectComments(text: string, index: TextIndex): SqlComment[] {
  const { tokens } = lexablePrefix(text);
  const comments: SqlComment[] = [];
  for (const token of tokens) {
    if (token.name !== 'SQL_COMMENT' && token.name !== 'C_COMMENT') continue;
    const start = index.charOffset(token.start);
    const end = index.charOffset(token.end);
    comments.push({ text: text.slice(start, end), span: { start, end } });
  }
  return comments;
}
