/** Building fix SQL from a statement's text with PostgreSQL's scanner (never with regexes). */
import { scanSql } from '../sql/parser.js';

export interface TextToken {
  /** Char offsets in the text. */
  start: number;
  end: number;
  upper: string;
}

/** Tokens of SQL text (comments left out), with char offsets; undefined if it cannot be lexed. */
export function textTokens(text: string): TextToken[] | undefined {
  const scanned = scanSql(text);
  if (!scanned) return undefined;
  const ascii = Buffer.byteLength(text, 'utf8') === text.length;
  let toChar = (byte: number) => byte;
  if (!ascii) {
    const buffer = Buffer.from(text, 'utf8');
    toChar = (byte: number) => buffer.subarray(0, byte).toString('utf8').length;
  }
  return scanned
    .filter((t) => t.name !== 'SQL_COMMENT' && t.name !== 'C_COMMENT')
    .map((t) => ({ start: toChar(t.start), end: toChar(t.end), upper: t.text.toUpperCase() }));
}

/** How far into a statement keywords are first looked for: they are almost always near the start. */
const PREFIX = 160;

/**
 * The index of the first token of a keyword sequence starting at or after char offset `from`.
 * The scanner runs on a prefix of the text first (most fixes touch the first few words), and on
 * the whole text only when the prefix does not settle it.
 */
function findKeywords(
  text: string,
  keywords: string[],
  from: number,
): { list: TextToken[]; at: number } | undefined {
  const upper = keywords.map((k) => k.toUpperCase());
  const search = (list: TextToken[], safeEnd: number) => {
    for (let i = 0; i + upper.length <= list.length; i++) {
      const t = list[i]!;
      if (t.start < from) continue;
      if (list[i + upper.length - 1]!.end >= safeEnd) return undefined;
      if (upper.every((k, j) => list[i + j]!.upper === k)) return i;
    }
    return undefined;
  };
  if (text.length > PREFIX * 2) {
    const head = textTokens(text.slice(0, PREFIX));
    // the prefix may cut a token (or a quoted string): trust only matches well before the cut
    const at = head ? search(head, PREFIX - 1) : undefined;
    if (head && at !== undefined) return { list: head, at };
  }
  const list = textTokens(text) ?? [];
  const at = search(list, Number.POSITIVE_INFINITY);
  return at === undefined ? undefined : { list, at };
}

/**
 * Inserts `insertion` after the first occurrence of the keyword sequence (e.g. ['INDEX']) that
 * starts at or after char offset `from`, or undefined when the sequence is not found.
 */
export function insertAfter(
  text: string,
  keywords: string[],
  insertion: string,
  from = 0,
): string | undefined {
  const found = findKeywords(text, keywords, from);
  if (!found) return undefined;
  const end = found.list[found.at + keywords.length - 1]!.end;
  return `${text.slice(0, end)} ${insertion}${text.slice(end)}`;
}

/**
 * Appends ` suffix` right after the statement's last SQL token, so that a trailing comment
 * (statement texts keep comments that precede the `;`) stays a comment after the insertion.
 */
export function appendToStatement(text: string, suffix: string): string | undefined {
  const last = textTokens(text)?.at(-1);
  if (!last) return undefined;
  return `${text.slice(0, last.end)} ${suffix}${text.slice(last.end)}`;
}

/** Replaces the first occurrence of a keyword sequence with other text. */
export function replaceKeywords(text: string, keywords: string[], replacement: string): string | undefined {
  const found = findKeywords(text, keywords, 0);
  if (!found) return undefined;
  const first = found.list[found.at]!;
  const last = found.list[found.at + keywords.length - 1]!;
  return text.slice(0, first.start) + replacement + text.slice(last.end);
}
