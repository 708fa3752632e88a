/**
 * Pieces of a statement's own text, found with PostgreSQL's scanner and the parse tree's
 * locations, so that a rewrite keeps what the author wrote (names, types, expressions) verbatim:
 * - `alterParts`: `ALTER TABLE [IF EXISTS] [ONLY] name` and the text of each of its commands;
 * - `between`: the text from one parse-tree location to the next;
 * - `keywordInCommand`: where a keyword of the command starts (USING of ALTER COLUMN … TYPE);
 * - `withKeywordAfter`: the statement with a word inserted after a keyword (CONCURRENTLY after
 *   INDEX).
 * Locations are byte offsets (libpg-query); the texts here are JavaScript strings.
 */
import { scanSql, type Token } from '../sql/parser.js';

export class StatementText {
  private readonly bytes: Buffer;
  readonly tokens: Token[];

  constructor(readonly text: string) {
    this.bytes = Buffer.from(text, 'utf8');
    const tokens = scanSql(text);
    if (!tokens) throw new Error('the statement cannot be scanned');
    this.tokens = tokens;
  }

  /** The text between two byte offsets, trimmed. */
  slice(start: number, end = this.bytes.length): string {
    return this.bytes.subarray(start, end).toString('utf8').trim();
  }

  /** `ALTER TABLE … name` and the commands' texts (split at commas outside parentheses). */
  alterParts(): { prefix: string; commands: string[] } {
    const t = this.tokens;
    let i = 2; // ALTER TABLE
    const word = (k: number) => t[k]?.text.toLowerCase();
    if (word(i) === 'if' && word(i + 1) === 'exists') i += 2;
    if (word(i) === 'only') i++;
    i++; // the name's first part
    while (t[i]?.text === '.' && t[i + 1]) i += 2;
    if (t[i]?.text === '*') i++;
    const prefixEnd = t[i - 1]!.end;
    const commands: string[] = [];
    let depth = 0;
    let start = t[i]?.start ?? this.bytes.length;
    for (; i < t.length; i++) {
      const text = t[i]!.text;
      if (text === '(' || text === '[') depth++;
      else if (text === ')' || text === ']') depth--;
      else if (depth === 0 && text === ',') {
        commands.push(this.slice(start, t[i]!.start));
        start = t[i]!.end;
      } else if (depth === 0 && text === ';') break;
    }
    const end = i < t.length ? t[i]!.start : this.bytes.length;
    commands.push(this.slice(start, end));
    return { prefix: this.slice(0, prefixEnd), commands };
  }

  /** The byte offset where the token starting at byte `location` ends. */
  tokenEnd(location: number): number {
    return this.tokens.find((t) => t.start === location)?.end ?? location;
  }

  /** The text from byte `location` up to the first of `stops` after it (or the end). */
  between(location: number, stops: Array<number | undefined>): string {
    const after = stops.filter((s): s is number => s !== undefined && s > location);
    return this.slice(location, after.length ? Math.min(...after) : this.endOfCommandAt(location));
  }

  /** The first `keyword` (as a keyword, outside parentheses) after byte `location` in its command. */
  keywordInCommand(location: number, keyword: string): Token | undefined {
    let depth = 0;
    for (const token of this.tokens) {
      if (token.start < location) continue;
      if (token.text === '(' || token.text === '[') depth++;
      else if (token.text === ')' || token.text === ']') {
        if (depth === 0) return undefined;
        depth--;
      } else if (depth === 0 && (token.text === ',' || token.text === ';')) return undefined;
      else if (depth === 0 && token.text.toLowerCase() === keyword && token.keyword !== 'NO_KEYWORD')
        return token;
    }
    return undefined;
  }

  /** Where the command holding byte `location` ends: the next comma outside parentheses, or the end. */
  private endOfCommandAt(location: number): number {
    let depth = 0;
    for (const token of this.tokens) {
      if (token.start < location) continue;
      if (token.text === '(' || token.text === '[') depth++;
      else if (token.text === ')' || token.text === ']') {
        if (depth === 0) return token.start;
        depth--;
      } else if (depth === 0 && (token.text === ',' || token.text === ';')) return token.start;
    }
    return this.bytes.length;
  }

  /** The statement with `word` inserted after the first keyword `keyword` (case-insensitive). */
  withKeywordAfter(keyword: string, word: string): string | undefined {
    const token = this.tokens.find((t) => t.text.toLowerCase() === keyword && t.keyword !== 'NO_KEYWORD');
    if (!token) return undefined;
    return `${this.slice(0, token.end)} ${word} ${this.slice(token.end)}`;
  }

  /** Whether a keyword appears (outside strings, as a keyword). */
  hasKeyword(keyword: string): boolean {
    return this.tokens.some((t) => t.text.toLowerCase() === keyword && t.keyword !== 'NO_KEYWORD');
  }
}
