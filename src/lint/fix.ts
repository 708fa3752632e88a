/** Building fix SQL from a statement's text with PostgreSQL's scanner (never with regexes). */
import { scanSql } from '../sql/parser.js';

interface TextToken {
  start: number;
  end: number;
  upper: string;
}

function tokens(text: string): TextToken[] {
  const buffer = Buffer.from(text, 'utf8');
  const toChar = (byte: number) => buffer.subarray(0, byte).toString('utf8').length;
  return (scanSql(text) ?? [])
    .filter((t) => t.name !== 'SQL_COMMENT' && t.name !== 'C_COMMENT')
    .map((t) => ({ start: toChar(t.start), end: toChar(t.end), upper: t.text.toUpperCase() }));
}

/**
 * Inserts `insertion` after the first occurrence of the keyword sequence (e.g. ['INDEX']),
 * or undefined when the sequence is not found.
 */
export function insertAfter(text: string, keywords: string[], insertion: string): string | undefined {
  const list = tokens(text);
  for (let i = 0; i + keywords.length <= list.length; i++) {
    if (keywords.every((k, j) => list[i + j]!.upper === k.toUpperCase())) {
      const end = list[i + keywords.length - 1]!.end;
      return `${text.slice(0, end)} ${insertion}${text.slice(end)}`;
    }
  }
  return undefined;
}

/** Appends ` ${suffix}` at the end of a statement's text (statement texts never hold the `;`). */
export function appendClause(text: string, suffix: string): string {
  return `${text.trimEnd()} ${suffix}`;
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
