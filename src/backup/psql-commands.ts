/**
 * How psql reads the SQL of a script, on PostgreSQL's tokens (libpg-query's scanner): where it
 * cuts the commands it sends (fe_utils/psqlscan.l: a `;` outside parentheses, and outside
 * BEGIN … END in CREATE [OR REPLACE] FUNCTION|PROCEDURE), which `:name` it could replace with a
 * variable's value, which strings it or the server could read two ways, and which commands the
 * server would run as transaction control or could not run inside the restore's transaction.
 */
import type { Token } from '../sql/parser.js';

/** Statements that end or open a transaction, by their first word. */
const TRANSACTION_WORDS = new Set([
  'BEGIN',
  'START',
  'COMMIT',
  'END',
  'ROLLBACK',
  'ABORT',
  'SAVEPOINT',
  'RELEASE',
]);
/** Settings of the current transaction. */
const TRANSACTION_SETTINGS = new Set([
  'TRANSACTION_ISOLATION',
  'TRANSACTION_READ_ONLY',
  'TRANSACTION_DEFERRABLE',
]);

export function isComment(token: Token): boolean {
  return token.name === 'SQL_COMMENT' || token.name === 'C_COMMENT';
}

/** An unquoted identifier or a keyword: what psql's lexer counts as `{identifier}`. */
export function isIdentifier(token: Token): boolean {
  return (token.name === 'IDENT' && token.text[0] !== '"') || token.keyword !== 'NO_KEYWORD';
}

/** A quoted string constant ('…', E'…', N'…', B'…', X'…', U&'…'): it may continue on a later line. */
export function isQuotedString(token: Token): boolean {
  const t = token.text;
  if (t[0] === "'") return true;
  return /^(?:[eEnNbBxX]|[uU]&)'/.test(t);
}

/** A word of a command for classification: upper-cased, a quoted name without its quotes. */
export function commandWord(token: Token): string {
  const t = token.text;
  if (token.name === 'IDENT' && t[0] === '"') return t.slice(1, -1).replace(/""/g, '"').toUpperCase();
  return t.toUpperCase();
}

/** psqlscan.l's state for cutting commands, fed the tokens outside comments one by one. */
export class PsqlCommandSplitter {
  private parenDepth = 0;
  private beginDepth = 0;
  private identifierCount = 0;
  private identifiers = ['', '', '', ''];
  private bracketDepth = 0;

  /** Inside `[ … ]` (array subscripts and slices, `a[1:n]`). */
  get insideBrackets(): boolean {
    return this.bracketDepth > 0;
  }

  /** `end` when this `;` makes psql send the command; `inner` for a `;` that does not. */
  token(token: Token): 'end' | 'inner' | undefined {
    const text = token.text;
    if (text === '(') this.parenDepth++;
    else if (text === ')') this.parenDepth = Math.max(0, this.parenDepth - 1);
    else if (text === '[') this.bracketDepth++;
    else if (text === ']') this.bracketDepth = Math.max(0, this.bracketDepth - 1);
    else if (isIdentifier(token)) this.identifier(text);
    else if (text === ';') {
      if (this.parenDepth > 0 || this.beginDepth > 0) return 'inner';
      this.identifierCount = 0;
      this.bracketDepth = 0;
      return 'end';
    }
    return undefined;
  }

  /**
   * psqlscan.l's `{identifier}` rule: in CREATE [OR REPLACE] FUNCTION|PROCEDURE, outside
   * parentheses, BEGIN … END (and CASE … END inside it) keep a `;` from ending the command.
   */
  private identifier(text: string): void {
    const lower = text.toLowerCase();
    if (this.identifierCount === 0) this.identifiers = ['', '', '', ''];
    if (['create', 'function', 'procedure', 'or', 'replace'].includes(lower) && this.identifierCount < 4) {
      this.identifiers[this.identifierCount] = lower[0]!;
    }
    this.identifierCount++;
    const [a, b, c, d] = this.identifiers;
    const routine =
      a === 'c' && (b === 'f' || b === 'p' || (b === 'o' && c === 'r' && (d === 'f' || d === 'p')));
    if (!routine || this.parenDepth !== 0) return;
    if (lower === 'begin') this.beginDepth++;
    else if (lower === 'case') {
      if (this.beginDepth >= 1) this.beginDepth++;
    } else if (lower === 'end' && this.beginDepth > 0) this.beginDepth--;
  }
}

/** psql's `variable_char`: what may follow `:` in a variable reference. */
function isVariableChar(code: number): boolean {
  return (
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x61 && code <= 0x7a) ||
    (code >= 0x30 && code <= 0x39) ||
    code === 0x5f ||
    code >= 0x80
  );
}

/**
 * Whether psql could have a variable of this name: psql sets only upper-case names (DBNAME, USER,
 * ON_ERROR_STOP…), and nothing else can set one once meta-commands are refused.
 */
function couldBeVariable(name: string): boolean {
  return !/[a-z]/.test(name) && !/^[0-9]+$/.test(name);
}

/**
 * The psql variable reference a `:` right before `next` makes (`:name`, `:'name'`, `:"name"`,
 * `:{?name}`), when psql could replace it: always outside `[ … ]`; inside (an array slice such as
 * `a[1:n]`) only for a name psql could have set.
 */
export function variableReference(
  colon: Token,
  next: Token | undefined,
  insideBrackets: boolean,
): string | undefined {
  if (!next || next.start !== colon.end) return undefined;
  const text = next.text;
  if (text[0] === "'" || text[0] === '"' || text[0] === '{') return text.slice(0, 30);
  if (!isVariableChar(text.charCodeAt(0))) return undefined;
  let n = 0;
  while (n < text.length && isVariableChar(text.charCodeAt(n))) n++;
  const name = text.slice(0, n);
  return !insideBrackets || couldBeVariable(name) ? name : undefined;
}

/**
 * Why a string constant (its token text, one character per byte) could be read differently by
 * psql or the server than the scanner read it, if it could: a plain '…' string turns into an
 * escape string when standard_conforming_strings is off, so it must not hold a quote after a
 * backslash; and in client encodings such as SJIS, BIG5 or GBK a backslash right after a
 * non-ASCII byte is part of a character, so it must not appear in an E'…' string.
 */
export function ambiguousString(text: string): string | undefined {
  const lead = text[0]!;
  if ((lead === 'e' || lead === 'E') && text[1] === "'") {
    for (let i = text.indexOf('\\'); i !== -1; i = text.indexOf('\\', i + 1)) {
      if (i > 0 && text.charCodeAt(i - 1) > 0x7f) {
        return "a backslash right after a non-ASCII byte in an E'…' string: in some client encodings (SJIS, BIG5, GBK) it is part of a character";
      }
    }
    return undefined;
  }
  if (lead !== "'" && !((lead === 'n' || lead === 'N') && text[1] === "'")) return undefined;
  for (let i = text.indexOf("'", 1); i !== -1; i = text.indexOf("'", i + 1)) {
    let k = 0;
    while (text[i - 1 - k] === '\\') k++;
    if (k > 0 && (k % 2 === 1 || text.charCodeAt(i - 1 - k) > 0x7f)) {
      return 'a string with a backslash before a quote: psql and the server read it differently when standard_conforming_strings is off';
    }
  }
  return undefined;
}

/** What the server would run for a command psql sends, judged by its first words. */
export type CommandKind = 'transaction' | 'database' | 'copy' | undefined;

export function commandKind(words: readonly string[]): CommandKind {
  const [w0, w1, w2] = words;
  if (w0 === undefined) return undefined;
  if (TRANSACTION_WORDS.has(w0) || (w0 === 'PREPARE' && w1 === 'TRANSACTION')) return 'transaction';
  if (w0 === 'SET') {
    // SET TRANSACTION …, SET SESSION CHARACTERISTICS AS TRANSACTION …, SET [LOCAL] transaction_read_only …
    if (w1 === 'TRANSACTION' || (w1 === 'SESSION' && w2 === 'CHARACTERISTICS')) return 'transaction';
    const name = w1 === 'LOCAL' || w1 === 'SESSION' ? w2 : w1;
    return name !== undefined && TRANSACTION_SETTINGS.has(name) ? 'transaction' : undefined;
  }
  if ((w0 === 'CREATE' || w0 === 'DROP') && w1 === 'DATABASE') return 'database';
  return w0 === 'COPY' ? 'copy' : undefined;
}

/** The same for one statement of a parse tree (a command with several statements). */
export function statementKind(stmt: Record<string, any>): CommandKind {
  const kind = Object.keys(stmt)[0];
  const node = stmt[kind!];
  if (kind === 'TransactionStmt') return 'transaction';
  if (kind === 'VariableSetStmt') {
    const name = String(node?.name ?? '').toUpperCase();
    return name === 'TRANSACTION' || name === 'SESSION CHARACTERISTICS' || TRANSACTION_SETTINGS.has(name)
      ? 'transaction'
      : undefined;
  }
  if (kind === 'CreatedbStmt' || kind === 'DropdbStmt') return 'database';
  return kind === 'CopyStmt' ? 'copy' : undefined;
}
