import { scanSql } from '../../sql/parser.js';
import { defineRule } from '../rule.js';

/** PostgreSQL's NAMEDATALEN - 1: the longest identifier it keeps, in bytes. */
const MAX_IDENTIFIER_BYTES = 63;

export const rule = defineRule({
  id: 'identifier-too-long',
  title: 'Identifiers longer than 63 bytes',
  defaultLevel: 'warning',
  preset: 'recommended',
  shapes: [],
  docs: {
    problem:
      'PostgreSQL keeps at most 63 bytes of an identifier (a table, column, index, constraint, sequence, schema, type or function name) and silently truncates longer ones, with only a NOTICE. The object then has a different name from the one in the migration: code, tools and later migrations that look it up by the full name in the catalog (information_schema, pg_indexes, an ORM comparing constraint names, a string such as \'…\'::regclass) do not find it, and two long names that differ only after byte 63 collide ("already exists") or silently refer to the same object. The limit is in bytes: a name in a non-Latin script reaches it at about 21 to 31 characters.',
    safeAlternative: `-- a shorter name that says the same thing
CREATE INDEX CONCURRENTLY subscriptions_org_provider_status_idx
  ON subscriptions (organization_id, billing_provider, status);`,
    whenFine:
      'Never needed: a name of 63 bytes or less always exists. Long text in string literals and comments is not an identifier and is not reported.',
  },
  examples: {
    bad: [
      'CREATE INDEX CONCURRENTLY index_subscriptions_on_organization_id_and_billing_provider_and_status ON subscriptions (organization_id, billing_provider, status);',
      'ALTER TABLE orders ADD CONSTRAINT orders_customer_reference_must_match_the_billing_account_reference_check CHECK (customer_ref = billing_ref) NOT VALID;',
      'CREATE TABLE 顧客 (id bigint PRIMARY KEY, 請求先住所の郵便番号と都道府県と市区町村と番地 text);',
    ],
    good: [
      'CREATE INDEX CONCURRENTLY subscriptions_org_provider_status_idx ON subscriptions (organization_id, billing_provider, status);',
      "COMMENT ON TABLE orders IS 'orders placed through the storefront, the partner API or the point-of-sale terminals in shops';",
      'CREATE TABLE 顧客 (id bigint PRIMARY KEY, 郵便番号 text);',
    ],
  },
  check(ctx) {
    const { stmt } = ctx;
    // The parser has already cut identifiers to 63 bytes, so the tokens are what tells; but a
    // statement whose AST holds no string near that length cannot have a long identifier.
    if (stmt.text.length * 3 < TRUNCATED_MIN_BYTES || !hasLongString(stmt.node)) return;
    const tokens = scanSql(stmt.text);
    if (!tokens) return;
    const bytes = Buffer.from(stmt.text, 'utf8');
    const seen = new Set<string>();
    for (const [i, token] of tokens.entries()) {
      const value = identifierValue(token.text, token.name, tokens[i + 1]?.text);
      if (value === undefined || seen.has(value)) continue;
      const length = Buffer.byteLength(value, 'utf8');
      if (length <= MAX_IDENTIFIER_BYTES) continue;
      seen.add(value);
      const charIndex = bytes.subarray(0, token.start).toString('utf8').length;
      ctx.report({
        message: `Identifier "${value}" is ${length} bytes long; PostgreSQL silently truncates it to 63 bytes ("${truncate(value)}"), so lookups by the full name fail and names that differ only after byte 63 collide`,
        ...(stmt.origin === 'file' ? { offset: stmt.span.start + charIndex } : {}),
        help: 'Choose a name of at most 63 bytes (non-ASCII characters take 2 to 4 bytes each in UTF-8).',
      });
    }
  },
});

/** A truncated identifier is 61 to 63 bytes long (cut at a character boundary). */
const TRUNCATED_MIN_BYTES = MAX_IDENTIFIER_BYTES - 2;

/** True when some string in the AST (an identifier, or a literal) could be a truncated identifier. */
function hasLongString(node: unknown): boolean {
  if (typeof node === 'string')
    return node.length >= 16 && Buffer.byteLength(node, 'utf8') >= TRUNCATED_MIN_BYTES;
  if (node === null || typeof node !== 'object') return false;
  if (Array.isArray(node)) return node.some(hasLongString);
  for (const key in node) if (hasLongString((node as Record<string, unknown>)[key])) return true;
  return false;
}

/** The identifier a token stands for (quotes removed, unquoted names lower-cased), or undefined. */
function identifierValue(text: string, name: string, next: string | undefined): string | undefined {
  if (name === 'IDENT') {
    if (text.startsWith('"')) return text.slice(1, -1).replace(/""/g, '"');
    return text.replace(/[A-Z]+/g, (s) => s.toLowerCase());
  }
  // U&"…" identifiers with the default escape character
  if (/^u&"/i.test(text) && text.endsWith('"') && next?.toUpperCase() !== 'UESCAPE') {
    return decodeUnicodeEscapes(text.slice(3, -1).replace(/""/g, '"'));
  }
  return undefined;
}

function decodeUnicodeEscapes(body: string): string | undefined {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    if (body[i + 1] === '\\') {
      out += '\\';
      i++;
    } else if (body[i + 1] === '+' && /^[0-9a-f]{6}$/i.test(body.slice(i + 2, i + 8))) {
      out += String.fromCodePoint(Number.parseInt(body.slice(i + 2, i + 8), 16));
      i += 7;
    } else if (/^[0-9a-f]{4}$/i.test(body.slice(i + 1, i + 5))) {
      out += String.fromCodePoint(Number.parseInt(body.slice(i + 1, i + 5), 16));
      i += 4;
    } else {
      return undefined;
    }
  }
  return out;
}

/** The first 63 bytes of a name, cut at a character boundary as PostgreSQL does. */
function truncate(value: string): string {
  let out = '';
  let used = 0;
  for (const ch of value) {
    const size = Buffer.byteLength(ch, 'utf8');
    if (used + size > MAX_IDENTIFIER_BYTES) break;
    out += ch;
    used += size;
  }
  return out;
}
