/**
 * The one place where pgwarden quotes names and values: for the SQL it generates (drift's fix-up
 * SQL, doctor's and lint's fixes, the runner's own statements), for `--` comments in that SQL, and
 * for names in what it prints to people. Nothing it produces holds a raw control character.
 *
 * - `quoteIdent`: always quoted. `"name"` with `"` doubled; a name holding a control character
 *   (newline, carriage return, ESC, C1, line separators, bidi controls) takes PostgreSQL's
 *   Unicode-escape form `U&"x\000Ay"` (`\` doubled), which the server reads the same whatever
 *   `standard_conforming_strings` and the database encoding are.
 * - `quoteIdentIfNeeded`: bare when PostgreSQL reads the bare word as the same name (lower case,
 *   not a keyword other than an unreserved one), as the server's own quote_ident does.
 * - `quoteLiteral`: `'value'` with `'` doubled; with a backslash or a control character,
 *   `E'…'` (backslashes doubled, `\n`, `\uXXXX`), read the same whatever
 *   `standard_conforming_strings` is (`U&'…'` is refused when it is off).
 * - `regclassLiteral`: a qualified name inside a string literal, as `::regclass`, `setval()` or
 *   `to_regclass()` read it: their name parser knows `"…"` but not `U&"…"`.
 * - `displayIdent`/`displayQualified`: names in human output, bare when plain, else as quoteIdent.
 * - `sqlComment`: a `--` comment that stays one line.
 * - `sanitizeSql`: SQL the server printed (pg_get_*def, format('%I'), quote_ident, format_type):
 *   those keep a raw newline inside `"…"` and `'…'` — valid SQL, but it forges lines in output and
 *   breaks out of a comment. Every quoted identifier or string holding a control character is
 *   written again in the escape forms above, with PostgreSQL's own scanner (libpg-query).
 *   `sanitizeText` does the same for text that may be prose (a difference's description).
 * - `escapeControls`: free text for people (messages, values): control characters made visible.
 *   Never for SQL: psql reads `\r` or `\t` outside quotes as its own commands.
 */
import { PgwardenError } from '../errors/pgwarden-error.js';
import { scanSql, type Token } from './parser.js';

/**
 * Characters never written raw: every control character (C0, DEL, C1), the Unicode line and
 * paragraph separators, and the bidirectional controls that reorder how a line is displayed.
 */
const UNSAFE = /[\p{Cc}\p{Zl}\p{Zp}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;
const UNSAFE_ALL = new RegExp(UNSAFE.source, 'gu');

/** Whether `text` holds a character that is never written raw. */
export function hasUnsafeChars(text: string): boolean {
  return UNSAFE.test(text);
}

function hex4(c: string): string {
  return c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
}

/** An identifier, always quoted; the Unicode-escape form when it holds a control character. */
export function quoteIdent(name: string): string {
  const doubled = name.replaceAll('"', '""');
  if (!hasUnsafeChars(name)) return `"${doubled}"`;
  return `U&"${doubled.replaceAll('\\', '\\\\').replace(UNSAFE_ALL, (c) => `\\${hex4(c)}`)}"`;
}

/** `"schema"."name"` (as many parts as given), each quoted by quoteIdent. */
export function quoteQualified(...parts: string[]): string {
  return parts.map(quoteIdent).join('.');
}

/**
 * A string literal holding `"schema"."name"` for the server's name parser (`'…'::regclass`,
 * `setval('…', n)`, `to_regclass('…')`), which reads `"…"` with any character inside but not the
 * `U&"…"` form; the literal's own escapes keep control characters out of the SQL text.
 */
export function regclassLiteral(...parts: string[]): string {
  return quoteLiteral(parts.map((part) => `"${part.replaceAll('"', '""')}"`).join('.'));
}

/** A plain lower-case word: bare, it reads as itself (unless it is a keyword). */
const PLAIN_WORD = /^[a-z_][a-z0-9_]*$/;

/** Keyword kinds a bare column or table name may be (PostgreSQL's quote_identifier leaves them bare). */
const BARE_KEYWORDS = new Set(['NO_KEYWORD', 'UNRESERVED_KEYWORD']);

/**
 * An identifier for SQL, bare when PostgreSQL reads the bare word as this very name: lower case
 * and not a keyword (an unreserved one is fine), as quote_ident decides. The keyword check uses
 * PostgreSQL's scanner; before `loadParser()` has resolved, every name is quoted.
 */
export function quoteIdentIfNeeded(name: string): string {
  if (!PLAIN_WORD.test(name)) return quoteIdent(name);
  const tokens = scanSql(name);
  const bare = tokens?.length === 1 && tokens[0]!.text === name && BARE_KEYWORDS.has(tokens[0]!.keyword);
  return bare ? name : quoteIdent(name);
}

/** A name for people: bare when it is a plain lower-case word, else exactly as quoteIdent writes it. */
export function displayIdent(name: string): string {
  return PLAIN_WORD.test(name) ? name : quoteIdent(name);
}

/** `schema.table` (as many parts as given) for people, each part by displayIdent. */
export function displayQualified(...parts: string[]): string {
  return parts.map(displayIdent).join('.');
}

const LITERAL_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeInLiteral(c: string): string {
  return LITERAL_ESCAPES[c] ?? `\\u${hex4(c)}`;
}

/** A string literal: `'…'`, or `E'…'` when it holds a backslash or a control character. */
export function quoteLiteral(value: string): string {
  const doubled = value.replaceAll("'", "''");
  if (!value.includes('\\') && !hasUnsafeChars(value)) return `'${doubled}'`;
  return `E'${doubled.replaceAll('\\', '\\\\').replace(UNSAFE_ALL, escapeInLiteral)}'`;
}

/** Free text for people with every unsafe character made visible (`\n`, `\u001B`). */
export function escapeControls(text: string): string {
  return text.replace(UNSAFE_ALL, escapeInLiteral);
}

/** A `--` comment line; whatever `text` holds, the comment ends at the end of this line. */
export function sqlComment(text: string): string {
  return `-- ${escapeControls(text)}`;
}

/** Line breaks and tabs a dollar-quoted body (a function's source) keeps: its lines are its text. */
const BODY_LAYOUT = /\r\n|\n|\t/g;

/**
 * One token of server-printed SQL written again without raw control characters, with the same
 * meaning; `undefined` for a kind of token PostgreSQL does not print (then the caller refuses or
 * escapes).
 */
function requote(token: string): string | undefined {
  // one quoted piece only: a string continued on the next line ('a'<newline>'b') is left to the caller
  const whole = (inner: string, quote: string) => !inner.replaceAll(quote + quote, '').includes(quote);
  if (token.startsWith('"')) {
    const inner = token.slice(1, -1);
    return whole(inner, '"') ? quoteIdent(inner.replaceAll('""', '"')) : undefined;
  }
  if (token.startsWith("'")) {
    const inner = token.slice(1, -1);
    return whole(inner, "'") ? quoteLiteral(inner.replaceAll("''", "'")) : undefined;
  }
  if (/^[eE]'/.test(token)) {
    if (!whole(token.slice(2, -1).replace(/\\[\s\S]/g, ''), "'")) return undefined;
    // `\` + a raw control character reads as that character: written as its escape instead
    let out = '';
    const inner = Array.from(token.slice(2, -1));
    for (let i = 0; i < inner.length; i++) {
      const c = inner[i]!;
      if (c === '\\' && i + 1 < inner.length) {
        const next = inner[++i]!;
        out += hasUnsafeChars(next) ? escapeInLiteral(next) : `\\${next}`;
      } else out += hasUnsafeChars(c) ? escapeInLiteral(c) : c;
    }
    return `${token.slice(0, 2)}${out}'`;
  }
  if (token.startsWith('$')) {
    const tag = token.slice(0, token.indexOf('$', 1) + 1);
    const body = token.slice(tag.length, token.length - tag.length);
    return hasUnsafeChars(body.replace(BODY_LAYOUT, '')) ? quoteLiteral(body) : token;
  }
  return undefined;
}

/**
 * libpg-query's scanner hands its tokens over as JSON and fails on C0 control characters other than
 * tab, line feed and carriage return: each is scanned as a space (one byte, like it), which splits
 * no quoted token and joins none; the token texts are then cut from the original.
 */
function scanTokens(text: string): Token[] | undefined {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters it fails on
  return scanSql(text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, ' '));
}

/** SQL text written again by token, or undefined when the scanner cannot read it. */
function requoteTokens(text: string): string | undefined {
  const tokens = scanTokens(text);
  if (!tokens) {
    if (!scanSql('SELECT')) throw new Error('src/sql/quote.ts: call loadParser() first');
    return undefined;
  }
  const bytes = Buffer.from(text, 'utf8');
  const piece = (start: number, end: number) => bytes.subarray(start, end).toString('utf8');
  // between tokens only whitespace: a line break stays, a form feed or a lone CR becomes a space
  const gap = (start: number, end: number) =>
    piece(start, end)
      .replaceAll('\r\n', '\n')
      .replace(UNSAFE_ALL, (c) => (c === '\n' || c === '\t' ? c : ' '));
  let out = '';
  let at = 0;
  for (const t of tokens) {
    out += gap(at, t.start);
    const token = piece(t.start, t.end);
    if (hasUnsafeChars(token)) {
      const again = requote(token);
      if (again === undefined) return undefined;
      out += again;
    } else out += token;
    at = t.end;
  }
  return out + gap(at, bytes.length);
}

/**
 * SQL text PostgreSQL printed, with every quoted identifier and string that holds a control
 * character written again in escape form (a dollar-quoted body keeps its line breaks and tabs),
 * and unusual whitespace between tokens made a space. The result means the same and holds no
 * raw control character except the line breaks and tabs of its layout. Needs `loadParser()` to
 * have resolved when the text holds a control character; INTERNAL when the scanner cannot read
 * text that holds one (never for what the server prints): nothing unsafe is ever passed on.
 */
export function sanitizeSql(text: string): string {
  if (!hasUnsafeChars(text)) return text;
  const safe = requoteTokens(text);
  if (safe === undefined) {
    throw new PgwardenError(
      'INTERNAL',
      'generated SQL holds a control character where no quoting can hold it',
      {
        details: { sql: escapeControls(text) },
      },
    );
  }
  return safe;
}

/**
 * Text for people that may be SQL (a definition) or prose (a description): as sanitizeSql when
 * the scanner reads it, so names look the same as in the SQL; else its control characters made
 * visible. Needs `loadParser()` as sanitizeSql does.
 */
export function sanitizeText(text: string): string {
  if (!hasUnsafeChars(text)) return text;
  return requoteTokens(text) ?? escapeControls(text);
}
