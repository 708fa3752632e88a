/**
 * Token streams of JavaScript / TypeScript and Python source, just enough to find environment
 * variable reads without being fooled by comments and strings. JavaScript and TypeScript go through
 * js-tokens (the tokenizer Babel's code frames use; JSX mode for .jsx/.tsx); Python, for which no
 * maintained tokenizer exists on npm, through the small scanner below. Both keep names,
 * punctuators and string literals (their text without the quotes, with their line); comments and
 * white space are dropped, numbers, regular expressions and template pieces are `other`.
 */
import jsTokenize from 'js-tokens';

export interface Token {
  kind: 'name' | 'punct' | 'string' | 'other';
  value: string;
  line: number;
}

/** JavaScript / TypeScript tokens (`jsx` for .jsx / .tsx, where `<` may open an element). */
export function jsTokens(text: string, options: { jsx?: boolean } = {}): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  const all = options.jsx ? jsTokenize(text, { jsx: true }) : jsTokenize(text);
  for (const t of all) {
    const at = line;
    line += t.type === 'LineTerminatorSequence' ? 1 : countLines(t.value, 0, t.value.length);
    switch (t.type) {
      case 'IdentifierName':
        tokens.push({ kind: 'name', value: t.value, line: at });
        break;
      case 'Punctuator':
        tokens.push({ kind: 'punct', value: t.value, line: at });
        break;
      case 'StringLiteral':
      case 'NoSubstitutionTemplate':
        tokens.push({ kind: 'string', value: t.value.slice(1, t.closed ? -1 : undefined), line: at });
        break;
      case 'WhiteSpace':
      case 'LineTerminatorSequence':
      case 'MultiLineComment':
      case 'SingleLineComment':
      case 'HashbangComment':
        break;
      default:
        tokens.push({ kind: 'other', value: t.value, line: at });
    }
  }
  return tokens;
}

const PY_NAME = /[\p{ID_Start}_][\p{ID_Continue}]*/uy;
const NUMBER = /\.?[0-9][0-9a-zA-Z_.]*/y;

function countLines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

const PY_STRING_PREFIX = /^(?:[rRbBuUfF]|[rR][bBfF]|[bBfF][rR])$/;

/** Python tokens; the expressions inside f-strings are scanned as code. */
export function pyTokens(text: string, firstLine = 1): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = firstLine;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\n') {
      line++;
      i++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\\' || c === '\uFEFF') {
      i++;
      continue;
    }
    if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    let prefix = '';
    PY_NAME.lastIndex = i;
    const name = PY_NAME.exec(text);
    if (name) {
      const after = text[i + name[0].length];
      if (!(PY_STRING_PREFIX.test(name[0]) && (after === "'" || after === '"'))) {
        tokens.push({ kind: 'name', value: name[0], line });
        i += name[0].length;
        continue;
      }
      prefix = name[0].toLowerCase();
      i += name[0].length;
    }
    const q = text[i]!;
    if (q === "'" || q === '"') {
      const quote = text.startsWith(q.repeat(3), i) ? q.repeat(3) : q;
      const start = i + quote.length;
      let j = start;
      while (j < text.length && !text.startsWith(quote, j) && (quote.length === 3 || text[j] !== '\n'))
        j += text[j] === '\\' ? 2 : 1;
      const body = text.slice(start, j);
      tokens.push({ kind: 'string', value: body, line });
      if (prefix.includes('f'))
        for (const expr of fStringExpressions(body))
          tokens.push(...pyTokens(expr.code, expr.line + line - 1));
      const end = text.startsWith(quote, j) ? j + quote.length : j;
      line += countLines(text, i, end);
      i = end;
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(text[i + 1] ?? ''))) {
      NUMBER.lastIndex = i;
      i += NUMBER.exec(text)![0].length;
      continue;
    }
    tokens.push({ kind: 'punct', value: c, line });
    i++;
  }
  return tokens;
}

/** The `{…}` expressions of an f-string body (`{{` is a literal brace), with their line in the body. */
function fStringExpressions(body: string): { code: string; line: number }[] {
  const out: { code: string; line: number }[] = [];
  let i = 0;
  while (i < body.length) {
    if (body.startsWith('{{', i)) {
      i += 2;
    } else if (body[i] === '{') {
      let depth = 1;
      let j = i + 1;
      let quote: string | undefined;
      while (j < body.length && depth > 0) {
        const d = body[j]!;
        if (quote) {
          if (d === quote) quote = undefined;
        } else if (d === "'" || d === '"') quote = d;
        else if (d === '{' || d === '[' || d === '(') depth++;
        else if (d === '}' || d === ']' || d === ')') depth--;
        j++;
      }
      out.push({ code: body.slice(i + 1, j - 1), line: 1 + countLines(body, 0, i) });
      i = j;
    } else {
      i++;
    }
  }
  return out;
}
