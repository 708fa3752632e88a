/**
 * Fault: hostile plain SQL files given to `pgwarden restore` (issue 10, point 6). A `\!` shell
 * command — at the start of a line, in the middle of one, in a gzip file — and top-level
 * transaction control (COMMIT, BEGIN, ROLLBACK, SAVEPOINT) are refused by the preview, before the
 * confirmation: nothing runs, the marker file is not created, the database keeps its fingerprint,
 * the exit code is 2. So are a `\connect` to another database and a psql variable. The same words
 * inside strings, dollar-quoted bodies, comments and COPY data restore correctly, as do real
 * pg_dump 15.18 plain dumps with their `\restrict` lines, with `--restrict-key`, and without the
 * lines. `restore --preview` exits as `restore` would (point 9).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { forLibpq, libpqEnv } from '../../src/db/libpq.js';
import { pgwarden } from '../support/cli.js';
import { tempDir } from '../support/files.js';
import { pgProgram } from '../support/pg-shims.js';
import { sql, tableFingerprint, useSharedServer } from './support.js';

const own = useSharedServer();
const dir = tempDir();
/** Created by `\! touch` if psql ever ran one. */
const marker = join(dir, 'pwned');

/** A database whose text holds every hostile word where psql and the server do not run it. */
const SOURCE = `
  CREATE TABLE public.accounts (id int PRIMARY KEY, name text NOT NULL, note text);
  INSERT INTO public.accounts
    SELECT g, 'a' || g,
           CASE g % 4 WHEN 0 THEN E'COMMIT;\\n\\\\! touch ${marker}'
                      WHEN 1 THEN 'BEGIN; ROLLBACK; SAVEPOINT s; :DBNAME'
                      WHEN 2 THEN E'\\\\.'
                      ELSE NULL END
      FROM generate_series(1, 400) g;
  CREATE FUNCTION public.audit() RETURNS trigger LANGUAGE plpgsql AS $fn$
  BEGIN
    -- COMMIT; \\! touch ${marker}
    PERFORM 'ROLLBACK; \\! touch ${marker}';
    RETURN NEW;
  END
  $fn$;
  CREATE TRIGGER audit BEFORE INSERT ON public.accounts FOR EACH ROW EXECUTE FUNCTION public.audit();
  COMMENT ON TABLE public.accounts IS E'BEGIN;\\nCOMMIT;\\n\\\\! touch ${marker}';
  CREATE VIEW public.slices AS SELECT id, (ARRAY[1, 2, 3])[1:2] AS s, (ARRAY[1, 2, 3])[id:3] AS t FROM public.accounts;
  CREATE TABLE public."COMMIT; \\! x" (":var" int);`;

/** The target's own data, which every refused restore must leave as it is. */
const TARGET = `
  CREATE TABLE public.accounts (id int PRIMARY KEY, name text NOT NULL, note text);
  INSERT INTO public.accounts SELECT g, 'live' || g, NULL FROM generate_series(1, 150) g;
  CREATE TABLE public.orders (id int PRIMARY KEY, account int);
  INSERT INTO public.orders SELECT g, g FROM generate_series(1, 90) g;`;

let source: { name: string; url: string };
let dump: string;

function pgDump(url: string, args: string[], file: string): void {
  const target = forLibpq(url);
  execFileSync(pgProgram('pg_dump'), [...args, '-f', file, '--dbname', target.url], {
    env: libpqEnv(target.password),
  });
}

/** The dump with `lines` put after the first line that starts with `after`. */
function inject(after: string, lines: string[], text = dump): string {
  const all = text.split('\n');
  const at = all.findIndex((line) => line.startsWith(after));
  expect(at, `a line starting with ${after}`).toBeGreaterThan(0);
  all.splice(at + 1, 0, ...lines);
  return all.join('\n');
}

/** The dump as a pg_dump older than 15.14 writes it: without the \restrict and \unrestrict lines. */
function withoutRestrictLines(): string {
  return dump
    .split('\n')
    .filter((line) => !/^\\(un)?restrict /.test(line))
    .join('\n');
}

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** Every table, view, sequence and index with its OID, and the rows of accounts and orders. */
async function fingerprint(url: string): Promise<unknown> {
  const [objects] = await sql<{ list: string }>(
    url,
    `SELECT string_agg(format('%s:%s.%s', c.oid, n.nspname, c.relname), ',' ORDER BY c.oid) AS list
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'`,
  );
  const tables = await sql<{ t: string }>(url, `SELECT relname AS t FROM pg_stat_user_tables ORDER BY 1`);
  const rows: Record<string, unknown> = {};
  for (const { t } of tables) rows[t] = await tableFingerprint(url, `public.${JSON.stringify(t)}`);
  return { objects: objects!.list, rows };
}

/** The same without OIDs, to compare a restored database with its source. */
async function contents(url: string): Promise<unknown> {
  const [objects] = await sql<{ list: string }>(
    url,
    `SELECT string_agg(format('%s.%s', n.nspname, c.relname), ',' ORDER BY n.nspname, c.relname) AS list
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'`,
  );
  const [comment] = await sql<{ c: string }>(url, `SELECT obj_description('public.accounts'::regclass) AS c`);
  return {
    objects: objects!.list,
    accounts: await tableFingerprint(url, 'public.accounts', 'id'),
    comment: comment!.c,
  };
}

async function restore(path: string, target: { name: string; url: string }, extra: string[] = []) {
  const backups = join(dir, `backups-${target.name}`);
  const result = await pgwarden(
    ['restore', path, '--countdown', '0', '--confirm', target.name, '--backup-dir', backups, ...extra],
    { env: { DATABASE_URL: target.url } },
  );
  return { ...result, safetyBackups: existsSync(backups) ? readdirSync(backups) : [] };
}

async function freshTarget(): Promise<{ name: string; url: string }> {
  const target = await own.createDatabase();
  await sql(target.url, TARGET);
  return target;
}

beforeAll(async () => {
  mkdirSync(dir, { recursive: true });
  source = await own.createDatabase();
  await sql(source.url, SOURCE);
  const path = join(dir, 'source.sql');
  pgDump(source.url, ['-Fp'], path);
  dump = readFileSync(path, 'utf8');
}, 120_000);

describe('a plain dump with a shell command is refused before anything runs', () => {
  // a hostile file carries no \restrict lines (nor does a dump of pg_dump before 15.14); in a
  // 15.14+ dump, what follows its \unrestrict line is not covered by them either
  const cases: Array<[string, (touch: string) => string | Buffer]> = [
    ['at the start of a line', (touch) => inject('SET row_security', ['', touch], withoutRestrictLines())],
    [
      'in the middle of a line',
      (touch) => inject('SET row_security', ['', `SELECT 1; ${touch}`], withoutRestrictLines()),
    ],
    ["after the dump's own \\unrestrict line", (touch) => inject('\\unrestrict ', [touch])],
    ['in a gzip file', (touch) => gzipSync(inject('SET row_security', ['', touch], withoutRestrictLines()))],
    ["inside the dump's own \\restrict region", (touch) => inject('SET row_security', ['', touch])],
  ];

  cases.forEach(([where, make], i) => {
    it(`\\! touch ${where}: exit 2, the file is not created, the database is unchanged`, async () => {
      const created = join(dir, `created-by-psql-${i}`);
      const path = file(`bang-${i}.sql${where.includes('gzip') ? '.gz' : ''}`, make(`\\! touch ${created}`));
      const target = await freshTarget();
      const before = await fingerprint(target.url);
      const result = await restore(path, target);
      expect(existsSync(created)).toBe(false);
      expect(await fingerprint(target.url)).toEqual(before);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(
        /restore refused, nothing was changed: .*line \d+: psql meta-command \\!: pgwarden runs SQL only/,
      );
      expect(result.safetyBackups).toEqual([]);
    });
  });
});

describe('top-level transaction control is refused before anything runs', () => {
  for (const statement of ['COMMIT;', 'BEGIN;', 'ROLLBACK;', 'SAVEPOINT before_damage;']) {
    it(`${statement} in the middle of the dump: exit 2, the database is unchanged`, async () => {
      // after it, a statement that fails: today the restore reports "rolled back … as it was"
      // while the statement above committed the emptied database
      const hostile = inject('SET row_security', ['', statement, 'SELECT 1 / 0;']);
      const path = file(`tx-${statement.split(/\W/)[0]}.sql`, hostile);
      const target = await freshTarget();
      const before = await fingerprint(target.url);
      const result = await restore(path, target);
      expect(await fingerprint(target.url)).toEqual(before);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(
        /restore refused, nothing was changed: .*line \d+: transaction control at top level/,
      );
      expect(result.stderr).not.toContain('is as it was');
      expect(result.safetyBackups).toEqual([]);
    });
  }
});

describe('the same words where psql and the server do not run them restore correctly', () => {
  it('in strings, dollar-quoted bodies, comments, quoted names and COPY data', async () => {
    expect(dump).toContain('COMMIT;\\n\\\\! touch'); // in the COPY data
    const withComments = inject('SET row_security', [
      `-- \\! touch ${marker}`,
      `/* COMMIT;`,
      `\\! touch ${marker}`,
      `ROLLBACK; */`,
    ]);
    const target = await freshTarget();
    const result = await restore(file('words.sql', withComments), target);
    expect(result.stderr).not.toContain('pgwarden:');
    expect(result.code).toBe(0);
    expect(existsSync(marker)).toBe(false);
    expect(await contents(target.url)).toEqual(await contents(source.url));
  });

  it('a real pg_dump 15.18 plain dump with its \\restrict lines, one with --restrict-key, one without the lines', async () => {
    expect(dump).toMatch(/^\\restrict [A-Za-z0-9]+$/m);
    expect(dump).toMatch(/^\\unrestrict [A-Za-z0-9]+$/m);
    const keyed = join(dir, 'keyed.sql');
    pgDump(source.url, ['-Fp', '--restrict-key', 'pgwardenFaultKey'], keyed);
    expect(readFileSync(keyed, 'utf8')).toContain('\\restrict pgwardenFaultKey');
    const bare = file('bare.sql', withoutRestrictLines());
    for (const path of [join(dir, 'source.sql'), keyed, bare]) {
      const target = await freshTarget();
      const result = await restore(path, target);
      expect(result.stderr, path).not.toContain('pgwarden:');
      expect(result.code, path).toBe(0);
      expect(await contents(target.url)).toEqual(await contents(source.url));
    }
    expect(existsSync(marker)).toBe(false);
  });
});

describe('other psql-only text is refused', () => {
  it('\\connect to another database: exit 2, unchanged', async () => {
    const path = file(
      'connect.sql',
      // outside pg_dump's \restrict region (inside it, psql itself would refuse any \connect)
      inject(
        'SET row_security',
        ['', '\\connect postgres', '', 'DROP TABLE public.orders;'],
        withoutRestrictLines(),
      ),
    );
    const target = await freshTarget();
    const before = await fingerprint(target.url);
    const result = await restore(path, target);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `\\connect postgres: the dump switches to database "postgres", the target is "${target.name}"`,
    );
    expect(await fingerprint(target.url)).toEqual(before);
  });

  it("a psql variable (:DBNAME, :'USER'): exit 2, unchanged", async () => {
    for (const line of ['CREATE TABLE :DBNAME (x int);', "COMMENT ON TABLE public.accounts IS :'USER';"]) {
      const path = file('variable.sql', inject('SET row_security', ['', line]));
      const target = await freshTarget();
      const before = await fingerprint(target.url);
      const result = await restore(path, target);
      expect(result.code, line).toBe(2);
      expect(result.stderr).toMatch(/line \d+: psql variable :/);
      expect(await fingerprint(target.url)).toEqual(before);
    }
  });
});

describe('restore --preview exits as restore would', () => {
  it('2 with the reasons listed when it would refuse, 0 when it would not; the JSON is the preview', async () => {
    const target = await freshTarget();
    const hostile = file('preview.sql', inject('SET row_security', ['', `\\! touch ${marker}`, 'COMMIT;']));
    const refused = await pgwarden(
      ['restore', hostile, '--preview', '--json', '--backup-dir', join(dir, 'p')],
      {
        env: { DATABASE_URL: target.url },
      },
    );
    expect(refused.code).toBe(2);
    const problems = JSON.parse(refused.stdout).preview.problems;
    expect(problems.map((p: { code: string }) => p.code)).toEqual([
      'PLAIN_DUMP_REFUSED',
      'PLAIN_DUMP_REFUSED',
    ]);
    expect(problems[0].message).toMatch(/line \d+: psql meta-command \\!/);
    expect(problems[1].message).toMatch(/line \d+: transaction control at top level \(COMMIT;\)/);

    const text = await pgwarden(['restore', hostile, '--preview', '--backup-dir', join(dir, 'p')], {
      env: { DATABASE_URL: target.url },
    });
    expect(text.code).toBe(2);
    expect(text.stdout).toContain('psql meta-command \\!');

    const clean = await pgwarden(
      ['restore', join(dir, 'source.sql'), '--preview', '--json', '--backup-dir', join(dir, 'p')],
      {
        env: { DATABASE_URL: target.url },
      },
    );
    expect(clean.code).toBe(0);
    expect(JSON.parse(clean.stdout).preview.problems).toEqual([]);
    expect(existsSync(marker)).toBe(false);
  });
});
