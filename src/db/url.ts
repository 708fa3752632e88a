/**
 * Database URLs: the one reader of every connection string pgwarden takes (--database-url,
 * DATABASE_URL, --shadow-url), and the one writer of the strings handed on to node-postgres and to
 * libpq programs. It reads libpq's URI grammar, `postgres[ql]://[user[:password]@][host][:port]
 * [/dbname][?name=value&…]`, and libpq's `key=value …` form (see conninfo.ts).
 *
 * node-postgres (WHATWG URL rules: the userinfo ends at the last "@", a "#" starts a fragment) and
 * libpq (the userinfo ends at the first "@", no fragments) read an unencoded URL differently; a
 * guess could send the password to the wrong host. So whatever only a guess could read is refused
 * with a message that names the part and the fix (percent-encoding) and never its text; what has one
 * reading (a space, a second "=" in a query value) is accepted. The strings written for both
 * libraries are fully percent-encoded, so they read them alike.
 */
import { isIPv6 } from 'node:net';
import { PgwardenError } from '../errors/pgwarden-error.js';
import { parseConninfo } from './conninfo.js';

/** A connection target, decoded. Parameters other than these five stay in `params`. */
export interface DatabaseUrl {
  scheme: 'postgres' | 'postgresql';
  user: string | undefined;
  /** From the userinfo or the `password` parameter (which wins, as in libpq). */
  password: string | undefined;
  /** A host name, an IP address (IPv6 without brackets) or a Unix-socket directory. */
  host: string | undefined;
  port: string | undefined;
  database: string | undefined;
  /** The other parameters (sslmode, options, application_name, passfile, …), in order. */
  params: Array<[string, string]>;
}

export const ENCODE_HINT =
  'Percent-encode special characters in the user name, password and database name: "@" is %40, ":" %3A, "/" %2F, "?" %3F, "#" %23, "%" %25, "&" %26, a space %20 (JavaScript: encodeURIComponent(password); Python: urllib.parse.quote(password, safe="")).';

const SEVERAL_HOSTS = 'it names several hosts (host1,host2): pgwarden connects to one host';
const ONE_HOST_HINT = 'Give the primary server alone: postgres://user@host:5432/db.';
const IPV6_HINT = 'Write an IPv6 address in brackets: postgres://user@[2001:db8::1]:5432/db.';

/** Fields that the URL's host part, userinfo and path hold; as parameters they override those. */
const FIELDS = {
  user: 'user',
  password: 'password',
  host: 'host',
  port: 'port',
  dbname: 'database',
} as const;

/**
 * Reads a postgres:// URL or a libpq `key=value` string; DATABASE_URL_INVALID (exit 2) naming the
 * problem otherwise. `name` says where it came from in messages (e.g. `--shadow-url`).
 */
export function parseDatabaseUrl(text: string, name = 'the database URL'): DatabaseUrl {
  const fail: Fail = (problem, hint = ENCODE_HINT, verb = 'cannot be read:') => {
    throw new PgwardenError('DATABASE_URL_INVALID', `${name} ${verb ? `${verb} ` : ''}${problem}`, { hint });
  };
  const trimmed = text.trim();
  if (trimmed === '') fail('it is empty', 'Give a URL such as postgres://user@host:5432/db.');
  // a line break or another control character: a pasted value that was cut or joined
  if (/\p{Cc}/u.test(trimmed)) fail('it contains a control character (a line break or a tab?)');
  const target = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(trimmed)
    ? readUrl(trimmed, fail)
    : readKeyValues(trimmed, fail);
  check(target, fail);
  return target;
}

/** Throws DATABASE_URL_INVALID when `text` cannot be read (see parseDatabaseUrl). */
export function checkDatabaseUrl(text: string, name?: string): void {
  parseDatabaseUrl(text, name);
}

/**
 * The database URL of a command: --database-url, else DATABASE_URL (libpq's PG* variables apply
 * when both are unset or empty). Read at once, so a URL that cannot be read is refused before any
 * work starts, naming where it came from.
 */
export function databaseUrlSetting(flag: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  const url = flag ?? env.DATABASE_URL;
  if (url) checkDatabaseUrl(url, flag !== undefined ? '--database-url' : 'DATABASE_URL');
  return url;
}

/** Throws DATABASE_URL_INVALID: "<name> <verb> <problem>"; the verb is "cannot be read:" unless given. */
type Fail = (problem: string, hint?: string, verb?: string) => never;

function readUrl(text: string, fail: Fail): DatabaseUrl {
  const schemeEnd = text.indexOf('://');
  const scheme = text.slice(0, schemeEnd).toLowerCase();
  if (scheme !== 'postgres' && scheme !== 'postgresql') {
    fail(
      `the scheme is ${scheme}://, not postgres:// or postgresql://`,
      'Give a URL such as postgres://user@host:5432/db.',
    );
  }
  const rest = text.slice(schemeEnd + 3);
  if (rest.includes('#')) {
    fail(
      'it contains a "#", which node-postgres reads as the end of the URL and libpq does not: percent-encode a "#" as %23',
    );
  }
  const authorityEnd = rest.search(/[/?]/);
  const authority = authorityEnd === -1 ? rest : rest.slice(0, authorityEnd);
  const after = authorityEnd === -1 ? '' : rest.slice(authorityEnd);
  const queryStart = after.indexOf('?');
  const path = queryStart === -1 ? after : after.slice(0, queryStart);
  const query = queryStart === -1 ? '' : after.slice(queryStart + 1);

  const at = authority.split('@');
  if (at.length > 2) {
    fail(
      'the part before the host holds more than one "@": percent-encode an "@" in the user name or password as %40',
    );
  }
  if (path.includes('@')) {
    fail(
      'an "@" follows the host part: a "/", "?" or "@" in the password must be percent-encoded (%2F, %3F, %40)',
    );
  }
  const userinfo = at.length === 2 ? at[0]! : undefined;
  const hostport = at.at(-1)!;
  const target = emptyTarget(scheme);
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(':');
    const user = decode(colon === -1 ? userinfo : userinfo.slice(0, colon), 'the user name', fail);
    const password = colon === -1 ? '' : decode(userinfo.slice(colon + 1), 'the password', fail);
    if (user !== '') target.user = user;
    if (password !== '') target.password = password;
  }
  readHostPort(hostport, target, fail);
  if (path.length > 1) target.database = decode(path.slice(1), 'the database name', fail);
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    if (eq === -1) {
      fail(
        'a query parameter has no "=" (the query is ?name=value&name=value); if the password contains "?" or "&", percent-encode them as %3F and %26',
      );
    }
    // the value runs to the next "&": a second "=" in it (options=-c statement_timeout=5s) is part of it
    const key = decode(plusAsSpace(pair.slice(0, eq)), 'a query parameter name', fail);
    const raw = pair.slice(eq + 1);
    if (key === 'password' && raw.includes('+')) {
      // a literal "+" is likely in a password, but node-postgres reads it as a space and libpq not
      fail(
        'the value of "password" contains a "+", which node-postgres reads as a space: write a "+" as %2B',
      );
    }
    setParam(target, key, decode(plusAsSpace(raw), `the value of ${safeName(key)}`, fail), fail);
  }
  return target;
}

function emptyTarget(scheme: DatabaseUrl['scheme']): DatabaseUrl {
  return {
    scheme,
    user: undefined,
    password: undefined,
    host: undefined,
    port: undefined,
    database: undefined,
    params: [],
  };
}

function readHostPort(hostport: string, target: DatabaseUrl, fail: Fail): void {
  let host = hostport;
  let port: string | undefined;
  if (hostport.startsWith('[')) {
    const close = hostport.indexOf(']');
    const literal = close === -1 ? '' : hostport.slice(1, close);
    if (!isIPv6(literal)) fail('the host in brackets is not an IPv6 address', IPV6_HINT);
    const tail = hostport.slice(close + 1);
    if (tail !== '' && !tail.startsWith(':'))
      fail('something other than ":port" follows the IPv6 address', IPV6_HINT);
    target.host = literal;
    if (tail.length > 1) port = tail.slice(1);
  } else {
    if (hostport.includes(',')) fail(SEVERAL_HOSTS, ONE_HOST_HINT);
    const parts = hostport.split(':');
    if (parts.length > 2) {
      fail(
        'the host part holds more than one ":" (an IPv6 address goes in brackets; a ":" in the password needs an "@" after it)',
      );
    }
    host = parts[0]!;
    if (parts.length === 2 && parts[1] !== '') port = parts[1];
    if (host !== '') target.host = decode(host, 'the host', fail);
  }
  if (port !== undefined) target.port = port;
}

function readKeyValues(text: string, fail: Fail): DatabaseUrl {
  if (!/^[^\s=]+\s*=/.test(text)) {
    fail(
      'a postgres:// URL (nor a libpq key=value string)',
      'Give a URL such as postgres://user@host:5432/db, or host=… port=… dbname=… user=….',
      'is not',
    );
  }
  const target = emptyTarget('postgresql');
  for (const [key, value] of parseConninfo(text, fail)) setParam(target, key, value, fail);
  return target;
}

function setParam(target: DatabaseUrl, key: string, value: string, fail: Fail): void {
  if (key === 'sslpassword') {
    fail(
      'sets sslpassword (the passphrase of the client key): libpq has no environment variable for it, so pg_dump and psql would get it on their command line, which every user of the machine can read; and node-postgres does not use it',
      'Use a client key without a passphrase, readable only by you: openssl pkey -in client.key -out client-plain.key; chmod 600 client-plain.key; then sslkey=client-plain.key.',
      '',
    );
  }
  const field = FIELDS[key as keyof typeof FIELDS];
  if (field) target[field] = value === '' ? undefined : value;
  else target.params.push([key, value]);
}

/** What both libraries can connect to. */
function check(target: DatabaseUrl, fail: Fail): void {
  if (target.host?.includes(',') || target.port?.includes(',')) fail(SEVERAL_HOSTS, ONE_HOST_HINT);
  if (target.port !== undefined) {
    const n = Number(target.port);
    if (!/^\d{1,5}$/.test(target.port) || n < 1 || n > 65535) {
      // never printed: a cut password ends up here (postgres://user:pa/ss@host reads "pa" as the port)
      fail(
        'the port is not a number from 1 to 65535 (if the password contains "/", "?" or "#", percent-encode them)',
      );
    }
  }
  const db = target.database;
  if (db !== undefined && (/[/?#]/.test(db) || db === '.' || db === '..')) {
    fail('node-postgres cannot connect to a database whose name contains "/", "?" or "#", or is "." or ".."');
  }
}

/**
 * A "+" in a query is a space to node-postgres (and to URLSearchParams, Python's urlencode…, which
 * write URLs that way: options=-c+search_path%3Dapp), a "+" to libpq; pgwarden reads the first and
 * writes a space as %20, which both read alike.
 */
function plusAsSpace(raw: string): string {
  return raw.replace(/\+/g, ' ');
}

/** Percent-decoding as libpq does it, with a clear error instead of a malformed result. */
function decode(raw: string, part: string, fail: Fail): string {
  if (/%(?![0-9A-Fa-f]{2})/.test(raw)) {
    fail(`${part} contains a "%" that is not followed by two hex digits: write a "%" as %25`);
  }
  try {
    return decodeURIComponent(raw);
  } catch {
    return fail(`${part} is not valid UTF-8 once percent-decoded`);
  }
}

/** A parameter name for a message: only when it is a plain word. */
function safeName(key: string): string {
  return /^[a-z_]{1,40}$/.test(key) ? `the query parameter "${key}"` : 'a query parameter';
}

/**
 * A fully percent-encoded URL. `libpq`: what pg_dump, pg_restore and psql read; `node`: what
 * node-postgres reads (it decodes the database name with decodeURI, which leaves %3A, %40, %2B…
 * encoded, so those characters stay literal there). `password: false` leaves the password out.
 */
export function formatDatabaseUrl(
  target: DatabaseUrl,
  options: { flavour: 'libpq' | 'node'; password: boolean },
): string {
  const enc = encodeURIComponent;
  const params: Array<[string, string]> = [];
  const password = options.password ? target.password : undefined;
  let userinfo = '';
  if (target.host === undefined) {
    // "postgres://user@/db" is not a URL for node-postgres; a parameter says the same in both
    if (target.user !== undefined) params.push(['user', target.user]);
    if (password !== undefined) params.push(['password', password]);
  } else if (target.user !== undefined || password !== undefined) {
    userinfo = `${enc(target.user ?? '')}${password !== undefined ? `:${enc(password)}` : ''}@`;
  }
  const host =
    target.host === undefined ? '' : target.host.includes(':') ? `[${target.host}]` : enc(target.host);
  const port = target.port === undefined ? '' : `:${target.port}`;
  const path =
    target.database === undefined
      ? ''
      : `/${options.flavour === 'node' ? target.database.replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@]/gu, enc) : enc(target.database)}`;
  params.push(...target.params);
  const query = params.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&');
  return `${target.scheme}://${userinfo}${host}${port}${path}${query ? `?${query}` : ''}`;
}

/**
 * Every form in which the password of `text` could show up in a message: decoded, percent-encoded
 * (once or twice), and as written, also when the strict reader refuses `text`. Longest first, for
 * replacing.
 */
export function passwordForms(text: string): string[] {
  const found = new Set<string>();
  try {
    const password = parseDatabaseUrl(text).password;
    if (password) found.add(password);
  } catch {
    // refused: the raw guesses below still apply
  }
  const guesses: string[] = [];
  const start = text.indexOf('://');
  if (start !== -1) {
    const rest = text.slice(start + 3);
    // libpq ends the userinfo at the first "@", node-postgres at the last
    for (const at of [rest.indexOf('@'), rest.lastIndexOf('@')]) {
      const colon = at === -1 ? -1 : rest.slice(0, at).indexOf(':');
      if (colon !== -1) guesses.push(rest.slice(colon + 1, at));
    }
  }
  for (const match of text.matchAll(/(?:^|[?&\s])password\s*=\s*('(?:[^'\\]|\\.)*'?|[^&]*)/g)) {
    const value = match[1]!;
    if (value.startsWith("'")) guesses.push(value.slice(1).replace(/'$/, '').replace(/\\(.)/g, '$1'));
    else guesses.push(value, value.split(/\s/)[0]!);
  }
  // a very short guess would blank out letters all over a message
  for (const guess of guesses) if (guess.length >= 4) found.add(guess);
  const forms = new Set<string>();
  for (const value of found) {
    forms.add(value);
    forms.add(encodeURIComponent(value));
    forms.add(encodeURIComponent(encodeURIComponent(value)));
    try {
      forms.add(decodeURIComponent(value));
    } catch {
      // not percent-encoded
    }
  }
  return [...forms].filter((f) => f !== '').sort((a, b) => b.length - a.length);
}
