/**
 * The environment variables a source file reads, found on the token stream of
 * project/source-tokens.ts (so comments and strings that merely mention `process.env.X` do not
 * count). Matched, with NAME a name token or a string literal holding an identifier-like name:
 *
 * JavaScript / TypeScript
 * - `process.env.NAME`, `process.env['NAME']`, `process.env["NAME"]`, `` process.env[`NAME`] ``,
 *   also with `?.` and after `globalThis.` / `global.`
 * - `import.meta.env.NAME`, `import.meta.env['NAME']`
 * - `Deno.env.get('NAME')`
 * - destructuring: `const { NAME, OTHER: alias, THIRD = 'x' } = process.env` (and import.meta.env)
 * Python
 * - `os.environ['NAME']`, `os.environ.get('NAME')`, `os.getenv('NAME')`
 *
 * Not matched: computed keys (`process.env[key]`), aliases (`const env = process.env; env.X`),
 * bare `environ` / `getenv` after `from os import …`.
 */
import type { Token } from './source-tokens.js';

export interface EnvRead {
  name: string;
  line: number;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function is(token: Token | undefined, kind: Token['kind'], ...values: string[]): boolean {
  return token !== undefined && token.kind === kind && (values.length === 0 || values.includes(token.value));
}

const isDot = (t: Token | undefined) => is(t, 'punct', '.', '?.');

/** The key read after `<object>` ending at index `at` (exclusive): `.NAME` or `[ 'NAME' ]`. */
function keyAfter(tokens: Token[], at: number): Token | undefined {
  const a = tokens[at];
  const b = tokens[at + 1];
  if (isDot(a) && is(b, 'name')) return b;
  const open = is(a, 'punct', '[') ? at : is(a, 'punct', '?.') && is(b, 'punct', '[') ? at + 1 : -1;
  if (open < 0) return undefined;
  const key = tokens[open + 1];
  return is(key, 'string') && is(tokens[open + 2], 'punct', ']') ? key : undefined;
}

/** `{ A, B: b, C = 1, 'D': d, ...rest } =` ending at index `equals`: the keys A, B, C, D. */
function destructured(tokens: Token[], equals: number): Token[] {
  if (!is(tokens[equals], 'punct', '=') || !is(tokens[equals - 1], 'punct', '}')) return [];
  let depth = 0;
  let open = -1;
  for (let i = equals - 1; i >= 0; i--) {
    if (is(tokens[i], 'punct', '}')) depth++;
    else if (is(tokens[i], 'punct', '{') && --depth === 0) {
      open = i;
      break;
    }
  }
  if (open < 0) return [];
  const keys: Token[] = [];
  depth = 0;
  let entryStart = true;
  for (let i = open + 1; i < equals - 1; i++) {
    const t = tokens[i]!;
    if (is(t, 'punct', '{', '[', '(')) depth++;
    else if (is(t, 'punct', '}', ']', ')')) depth--;
    else if (depth === 0 && is(t, 'punct', ',')) {
      entryStart = true;
      continue;
    } else if (depth === 0 && entryStart && (t.kind === 'name' || t.kind === 'string')) {
      const next = tokens[i + 1];
      if (is(next, 'punct', ',', ':', '=', '}')) keys.push(t);
    }
    entryStart = false;
  }
  return keys;
}

/** Reads in JavaScript / TypeScript tokens. */
export function jsEnvReads(tokens: Token[]): EnvRead[] {
  const found: Token[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind !== 'name') continue;
    let envEnd = -1;
    if (t.value === 'process' && isDot(tokens[i + 1]) && is(tokens[i + 2], 'name', 'env')) {
      // `foo.process.env` is someone's property, `globalThis.process.env` is the real one
      const ownerOk = !isDot(tokens[i - 1]) || is(tokens[i - 2], 'name', 'globalThis', 'global');
      if (ownerOk) envEnd = i + 3;
    } else if (
      t.value === 'import' &&
      is(tokens[i + 1], 'punct', '.') &&
      is(tokens[i + 2], 'name', 'meta') &&
      isDot(tokens[i + 3]) &&
      is(tokens[i + 4], 'name', 'env')
    ) {
      envEnd = i + 5;
    } else if (
      t.value === 'Deno' &&
      isDot(tokens[i + 1]) &&
      is(tokens[i + 2], 'name', 'env') &&
      isDot(tokens[i + 3]) &&
      is(tokens[i + 4], 'name', 'get') &&
      is(tokens[i + 5], 'punct', '(') &&
      is(tokens[i + 6], 'string') &&
      is(tokens[i + 7], 'punct', ')', ',')
    ) {
      found.push(tokens[i + 6]!);
      continue;
    }
    if (envEnd < 0) continue;
    const key = keyAfter(tokens, envEnd);
    if (key) found.push(key);
    else {
      const start = is(tokens[i - 2], 'name', 'globalThis', 'global') && isDot(tokens[i - 1]) ? i - 2 : i;
      found.push(...destructured(tokens, start - 1));
    }
  }
  return named(found);
}

/** Reads in Python tokens. */
export function pyEnvReads(tokens: Token[]): EnvRead[] {
  const found: Token[] = [];
  for (let i = 0; i < tokens.length; i++) {
    if (!is(tokens[i], 'name', 'os') || !is(tokens[i + 1], 'punct', '.') || isDot(tokens[i - 1])) continue;
    const member = tokens[i + 2];
    if (is(member, 'name', 'getenv') && is(tokens[i + 3], 'punct', '(') && is(tokens[i + 4], 'string')) {
      found.push(tokens[i + 4]!);
    } else if (is(member, 'name', 'environ')) {
      if (is(tokens[i + 3], 'punct', '[') && is(tokens[i + 4], 'string') && is(tokens[i + 5], 'punct', ']'))
        found.push(tokens[i + 4]!);
      else if (
        is(tokens[i + 3], 'punct', '.') &&
        is(tokens[i + 4], 'name', 'get') &&
        is(tokens[i + 5], 'punct', '(') &&
        is(tokens[i + 6], 'string')
      )
        found.push(tokens[i + 6]!);
    }
  }
  return named(found);
}

function named(tokens: Token[]): EnvRead[] {
  return tokens.filter((t) => ENV_NAME.test(t.value)).map((t) => ({ name: t.value, line: t.line }));
}
