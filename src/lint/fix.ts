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

function tokens(text: string): TextToken[] {
  return textTokens(text) ?? [];
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
  const list = tokens(text);
  for (let i = 0; i + keywords.length <= list.length; i++) {
    if (list[i]!.start < from) continue;
    if (keywords.every((k, j) => list[i + j]!.upper === k.toUpperCase())) {
      const end = list[i + keywords.length - 1]!.end;
      return `${text.slice(0, end)} ${insertion}${text.slice(end)}`;
    }
  }
  return undefined;
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
  const list = tokens(text);
  for (let i = 0; i + keywords.length <= list.length; i++) {
    if (keywords.every((k, j) => list[i + j]!.upper === k.toUpperCase())) {
      return text.slice(0, list[i]!.start) + replacement + text.slice(list[i + keywords.length - 1]!.end);
    }
  }
  return undefined;
}
