/**
 * libpq's `key=value` connection strings (`host=db port=5432 dbname=shop user=app`), read as
 * libpq reads them: pairs separated by whitespace, spaces allowed around "=", a value either bare
 * (up to the next whitespace) or in single quotes, a backslash escaping the next character.
 */

/** The pairs in order; `fail` (which throws) on a pair without "=" or an unterminated quote. */
export function parseConninfo(
  text: string,
  fail: (problem: string, hint?: string) => never,
): Array<[string, string]> {
  const hint = "Write key=value pairs separated by spaces; quote a value with spaces: password='a b'.";
  const pairs: Array<[string, string]> = [];
  let i = 0;
  const skipSpace = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  for (;;) {
    skipSpace();
    if (i >= text.length) return pairs;
    const keyStart = i;
    while (i < text.length && !/[\s=]/.test(text[i]!)) i++;
    const key = text.slice(keyStart, i);
    skipSpace();
    // the key is not printed: a value with a space ends up here (password=a b)
    if (text[i] !== '=') fail('a word without "=" (a value with spaces must be in single quotes)', hint);
    i++;
    skipSpace();
    let value = '';
    if (text[i] === "'") {
      i++;
      for (;;) {
        if (i >= text.length) fail('a quoted value has no closing quote', hint);
        const c = text[i++]!;
        if (c === "'") break;
        value += c === '\\' && i < text.length ? text[i++]! : c;
      }
    } else {
      while (i < text.length && !/\s/.test(text[i]!)) {
        const c = text[i++]!;
        value += c === '\\' && i < text.length ? text[i++]! : c;
      }
    }
    pairs.push([key, value]);
  }
}
