/**
 * The database URL reader (src/db/url.ts) and what is built on it: every credential form (userinfo,
 * `?password=`, key=value) is read and kept out of the URL libpq programs get; node-postgres reads
 * the URL pgwarden hands it as pgwarden does; what only a guess could read is refused with a clear
 * error (exit 2) that never shows the password; `scrub` removes the password in every form.
 */
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { describeTarget, scrub } from '../../src/db/connect.js';
import { forLibpq, libpqEnv, libpqTarget, withDatabase } from '../../src/db/libpq.js';
import {
  type DatabaseUrl,
  databaseUrlSetting,
  formatDatabaseUrl,
  parseDatabaseUrl,
  passwordForms,
} from '../../src/db/url.js';
import { PgwardenError } from '../../src/errors/pgwarden-error.js';

const SECRET = 'Ab1 p@ss#w/rd%&?=:x';
const ENCODED = encodeURIComponent(SECRET);

function refused(text: string, name?: string): PgwardenError {
  try {
    parseDatabaseUrl(text, name);
  } catch (error) {
    expect(error).toBeInstanceOf(PgwardenError);
    return error as PgwardenError;
  }
  throw new Error(`accepted: ${text}`);
}

/** What node-postgres makes of the URL pgwarden hands it (no connection is opened). */
function nodeReads(target: DatabaseUrl) {
  const client = new pg.Client({
    connectionString: formatDatabaseUrl(target, { flavour: 'node', password: true }),
  });
  const p = (client as any).connectionParameters;
  return { user: p.user, password: p.password, host: p.host, port: p.port, database: p.database };
}

describe('parseDatabaseUrl: the credential forms', () => {
  it('reads a percent-encoded password in the userinfo', () => {
    expect(parseDatabaseUrl(`postgres://app:${ENCODED}@db.example:6432/shop`)).toEqual({
      scheme: 'postgres',
      user: 'app',
      password: SECRET,
      host: 'db.example',
      port: '6432',
      database: 'shop',
      params: [],
    });
  });

  it('reads ?password= as the password, not as a parameter; it wins over the userinfo, as in libpq', () => {
    const target = parseDatabaseUrl(`postgresql://app@db/shop?sslmode=require&password=${ENCODED}`);
    expect(target.password).toBe(SECRET);
    expect(target.params).toEqual([['sslmode', 'require']]);
    expect(parseDatabaseUrl('postgres://app:old@db/shop?password=new').password).toBe('new');
  });

  it('reads libpq key=value strings: quoted values, backslash escapes, spaces around "="', () => {
    expect(
      parseDatabaseUrl(
        `host=/var/run/postgresql port = 5433 user=app password='it\\'s a p@ss#w/rd' dbname=shop sslmode=disable passfile=/home/app/.pgpass`,
      ),
    ).toEqual({
      scheme: 'postgresql',
      user: 'app',
      password: "it's a p@ss#w/rd",
      host: '/var/run/postgresql',
      port: '5433',
      database: 'shop',
      params: [
        ['sslmode', 'disable'],
        ['passfile', '/home/app/.pgpass'],
      ],
    });
  });

  it('works with what has one reading: raw spaces, a second "=" in a query value, a raw ":" in the password', () => {
    const target = parseDatabaseUrl(
      'postgres://app:my pass:word@db/shop?options=-c statement_timeout=5s&application_name=a+b',
    );
    expect(target.password).toBe('my pass:word');
    expect(target.params).toEqual([
      ['options', '-c statement_timeout=5s'],
      // as node-postgres and URLSearchParams read it; libpq gets %20
      ['application_name', 'a b'],
    ]);
    expect(forLibpq('postgres://db/shop?options=-c+search_path%3Dapp').url).toBe(
      'postgres://db/shop?options=-c%20search_path%3Dapp',
    );
  });

  it('reads host, port, user and dbname parameters, Unix sockets, IPv6, an upper-case scheme', () => {
    expect(parseDatabaseUrl('postgres:///shop?host=/tmp/sock&port=5433&user=app')).toMatchObject({
      host: '/tmp/sock',
      port: '5433',
      user: 'app',
      database: 'shop',
      params: [],
    });
    expect(parseDatabaseUrl('postgres://%2Ftmp%2Fsock/shop').host).toBe('/tmp/sock');
    expect(parseDatabaseUrl('postgresql://[::1]:5433/shop')).toMatchObject({ host: '::1', port: '5433' });
    expect(parseDatabaseUrl('POSTGRES://db').scheme).toBe('postgres');
    expect(parseDatabaseUrl('  postgres://db/shop\n').database).toBe('shop');
    expect(parseDatabaseUrl('postgres://:@db/shop')).toMatchObject({ user: undefined, password: undefined });
  });
});

describe('parseDatabaseUrl: clear errors, never the password', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['a raw "#"', 'postgres://app:p@ss#w/rd@db/shop', /contains a "#".*%23/],
    ['a "%" without hex digits', 'postgres://app:Ab1%zzAb1@db/shop', /password contains a "%".*%25/],
    ['a raw "%" at the end', 'postgres://app:Ab1Ab1%@db/shop', /password contains a "%"/],
    ['two "@" before the host', 'postgres://app:Ab1@Ab1@db/shop', /more than one "@".*%40/],
    ['a raw "/" in the password', 'postgres://app:Ab1/Ab1@db/shop', /an "@" follows the host part/],
    ['a raw "?" in the password', 'postgres://app:Ab1?Ab1@db/shop', /port is not a number|no "="/],
    ['a port out of range', 'postgres://app@db:99999/shop', /port is not a number from 1 to 65535/],
    ['a port that is not a number', 'postgres://app@db:Ab1Ab1/shop', /port is not a number/],
    ['several hosts', 'postgres://app@db1:5432,db2:5432/shop', /several hosts/],
    ['an IPv6 address without brackets', 'postgres://app@::1/shop', /more than one ":"/],
    ['a bad IPv6 address', 'postgres://app@[::zz]/shop', /not an IPv6 address/],
    ['invalid UTF-8', 'postgres://app:%FF%FE@db/shop', /password is not valid UTF-8/],
    ['a query parameter without "="', 'postgres://app@db/shop?sslmode', /query parameter has no "="/],
    ['a raw "+" in ?password=', 'postgres://app@db/shop?password=Ab1+Ab1', /"password" contains a "\+".*%2B/],
    ['sslpassword', 'postgres://app@db/shop?sslpassword=Ab1Ab1', /sslpassword/],
    ['sslpassword in key=value', 'host=db sslpassword=Ab1Ab1', /sslpassword/],
    ['another scheme', 'mysql://app@db/shop', /scheme is mysql:\/\//],
    ['not a URL', 'db.example/shop', /is not a postgres:\/\/ URL \(nor a libpq key=value string\)/],
    ['a key=value word without "="', "host=db password=Ab1 Ab1 dbname='shop'", /word without "="/],
    ['an unterminated quote', "host=db password='Ab1Ab1", /no closing quote/],
    ['an empty string', '   ', /is empty/],
    ['a line break inside', 'postgres://app@db/sh\nop', /control character/],
    ['a "/" in the database name', 'postgres://app@db/a%2Fb', /database whose name contains "\/"/],
  ];
  it.each(cases)('%s', (_what, text, message) => {
    const error = refused(text, 'DATABASE_URL');
    expect(error.code).toBe('DATABASE_URL_INVALID');
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(message);
    expect(error.message).toMatch(/^DATABASE_URL /);
    expect(error.hint).toBeTruthy();
    // the password fragment in each case is Ab1 (or p)
    expect(`${error.message} ${error.hint}`).not.toContain('Ab1');
  });

  it('databaseUrlSetting: --database-url, else DATABASE_URL, refused naming which', () => {
    expect(databaseUrlSetting(undefined, { DATABASE_URL: 'postgres://db/shop' })).toBe('postgres://db/shop');
    expect(databaseUrlSetting('postgres://db/a', { DATABASE_URL: 'postgres://db/b' })).toBe(
      'postgres://db/a',
    );
    expect(databaseUrlSetting(undefined, { DATABASE_URL: '' })).toBe('');
    expect(databaseUrlSetting(undefined, {})).toBeUndefined();
    expect(() => databaseUrlSetting(undefined, { DATABASE_URL: 'postgres://a:b#c@db/x' })).toThrow(
      /^DATABASE_URL cannot be read: it contains a "#"/,
    );
    expect(() => databaseUrlSetting('postgres://a:b%zz@db/x', {})).toThrow(/^--database-url cannot be read/);
  });

  it('names where the URL came from', () => {
    expect(refused('shadow-db', '--shadow-url').message).toBe(
      '--shadow-url is not a postgres:// URL (nor a libpq key=value string)',
    );
    expect(refused('postgres://a@b/c?x').message).toMatch(/^the database URL cannot be read/);
  });
});

describe('forLibpq and libpqTarget: no password in any form in what libpq programs get', () => {
  const forms = [
    `postgres://app:${ENCODED}@db:5432/shop?sslmode=require`,
    `postgres://app@db:5432/shop?password=${ENCODED}&sslmode=require`,
    `postgres://app:decoy@db:5432/shop?sslmode=require&password=${ENCODED}`,
    `host=db port=5432 user=app password='${SECRET}' dbname=shop sslmode=require`,
  ];
  it.each(forms)('%s', (url) => {
    const libpq = forLibpq(url);
    expect(libpq.password).toBe(SECRET);
    expect(libpq.url).toMatch(/^postgres(ql)?:\/\/app@db:5432\/shop\?sslmode=require$/);
    for (const form of passwordForms(url)) expect(libpq.url).not.toContain(form);
    expect(libpq.url).not.toContain('decoy');
    const target = libpqTarget(url);
    expect(target.args).toEqual([`--dbname=${libpq.url}`]);
    expect(target.env.PGPASSWORD).toBe(SECRET);
  });

  it('keeps passfile (a path), translates ssl=true, encodes what libpq would misread', () => {
    expect(
      forLibpq(
        'postgres://app:pw@db/shop?ssl=true&passfile=/home/app/my pgpass&options=-c statement_timeout=5s',
      ).url,
    ).toBe(
      'postgres://app@db/shop?passfile=%2Fhome%2Fapp%2Fmy%20pgpass&options=-c%20statement_timeout%3D5s&sslmode=require',
    );
    expect(forLibpq('postgres://app:pw@db/shop?ssl=false').url).toBe('postgres://app@db/shop');
    expect(forLibpq('postgres://:pw@/shop?host=/tmp/sock')).toEqual({
      url: 'postgres://%2Ftmp%2Fsock/shop',
      password: 'pw',
    });
    expect(forLibpq('postgres://app:pw@/shop')).toEqual({ url: 'postgres:///shop?user=app', password: 'pw' });
  });

  it('refuses what it cannot read (never a crash)', () => {
    expect(() => forLibpq('postgres://app:Ab1%zz@db/shop')).toThrow(/password contains a "%"/);
    expect(() => withDatabase('postgres://app@db:99999/shop', 'x')).toThrow(PgwardenError);
  });

  it('withDatabase changes only the database name', () => {
    expect(withDatabase(`postgres://app:${ENCODED}@db/shop?password=x&sslmode=require`, 'scratch_1')).toBe(
      'postgres://app:x@db/scratch_1?sslmode=require',
    );
  });
});

describe('libpqEnv', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  });

  it('holds the password only as PGPASSWORD: no DATABASE_URL, no PGWARDEN_* variable', () => {
    process.env.DATABASE_URL = `postgres://app:${ENCODED}@db/shop`;
    process.env.PGWARDEN_ADMIN_PASSWORD = 'admin secret';
    process.env.PGWARDEN_HEALTH_URL = 'http://user:secret@localhost/health';
    const env = libpqEnv(SECRET);
    expect(env.PGPASSWORD).toBe(SECRET);
    expect(Object.keys(env).filter((k) => k === 'DATABASE_URL' || k.startsWith('PGWARDEN_'))).toEqual([]);
    expect(Object.values(env).filter((v) => v?.includes('admin secret') || v?.includes(':secret@'))).toEqual(
      [],
    );
  });

  it('keeps the caller’s PGPASSWORD when the URL has none (node-postgres uses it too)', () => {
    process.env.PGPASSWORD = 'from the environment';
    expect(libpqEnv(undefined).PGPASSWORD).toBe('from the environment');
    expect(libpqTarget(undefined)).toMatchObject({ args: [], env: { PGPASSWORD: 'from the environment' } });
    expect(libpqTarget('postgres://app@db/shop').env.PGPASSWORD).toBe('from the environment');
    expect(libpqTarget('postgres://app:pw@db/shop').env.PGPASSWORD).toBe('pw');
  });
});

describe('formatDatabaseUrl: node-postgres and libpq read the same target', () => {
  const targets = [
    `postgres://app:${ENCODED}@db.example:6432/shop`,
    `postgres://ap%40p:${ENCODED}@db.example/sh%20op%3A%40%2B%C3%A9?application_name=a%2Bb`,
    `postgres://app@db/shop?password=${ENCODED}`,
    `host=/tmp/sock user=app password='${SECRET}' dbname=shop`,
    'postgres://app:pw@[::1]:5433/shop',
    'postgres://app:pw@/shop',
  ];
  it.each(targets)('%s', (url) => {
    const target = parseDatabaseUrl(url);
    expect(nodeReads(target)).toMatchObject({
      user: target.user,
      password: target.password,
      database: target.database,
      port: Number(target.port ?? 5432),
      ...(target.host ? { host: target.host } : {}),
    });
    // what pgwarden writes for libpq it reads back the same
    expect(parseDatabaseUrl(formatDatabaseUrl(target, { flavour: 'libpq', password: true }))).toEqual(target);
  });
});

describe('scrub and describeTarget', () => {
  it('removes the password decoded, percent-encoded and as written, in every credential form', () => {
    for (const url of [
      `postgres://app:${ENCODED}@db/shop`,
      `postgres://app@db/shop?password=${ENCODED}`,
      `postgres://app:${ENCODED.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())}@db/shop`,
      `host=db password='${SECRET}'`,
    ]) {
      const message = `failed: ${SECRET} / ${ENCODED} / ${encodeURIComponent(ENCODED)}`;
      const clean = scrub(message, url);
      expect(clean).not.toContain(SECRET);
      expect(clean).not.toContain(ENCODED);
      expect(clean).not.toContain('Ab1');
    }
  });

  it('removes what looks like the password from a URL the reader refuses', () => {
    expect(scrub('echo: Secret99%zz', 'postgres://app:Secret99%zz@db/shop')).toBe('echo: ***');
    expect(scrub('echo: hunter22#x', 'postgres://app:hunter22#x@db/shop')).not.toContain('hunter22');
  });

  it('describes the target without the password', () => {
    expect(describeTarget(`postgres://app:${ENCODED}@db.example:6432/shop`)).toBe('db.example:6432/shop');
    expect(describeTarget(`host=/tmp/sock user=app password='${SECRET}' dbname=shop`)).toBe(
      '/tmp/sock:5432/shop',
    );
    expect(describeTarget('postgres://app:Ab1#x@db/shop')).toBe('<unparsable database URL>');
  });
});
