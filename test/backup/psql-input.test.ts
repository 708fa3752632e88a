/**
 * The stream psql reads in a restore (psql-input.ts), fed to the real psql in one transaction as
 * restore does: a real dump restores through it; it is wrapped in `\restrict` when the local psql
 * knows it (and then psql itself refuses a meta-command that would get through); a hostile file —
 * also one swapped after it was vetted — ends the stream before psql reads the line, so nothing
 * runs and the database is unchanged; `pg_restore -f -` output goes through it too.
 */
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  openPlainDump,
  psqlInput,
  psqlSupportsRestrict,
  readPlainDump,
} from '../../src/backup/psql-input.js';
import { forLibpq, libpqEnv } from '../../src/db/libpq.js';
import { sqlOn, useFreshDatabases } from '../support/database.js';
import { tempDir } from '../support/files.js';
import { pgProgram, shimDir } from '../support/pg-shims.js';

const freshDatabase = useFreshDatabases();
const dir = tempDir();
const psql = pgProgram('psql');

/** Runs `BEGIN;`, the stream, `COMMIT;` through psql as restore does; psql is stopped when the stream fails. */
function runInTransaction(
  stream: Readable,
  url: string,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; streamError?: Error }> {
  const target = forLibpq(url);
  const child = spawn(
    psql,
    ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '--no-password', '--output=/dev/null', `--dbname=${target.url}`],
    {
      env: libpqEnv(target.password),
      stdio: ['pipe', 'ignore', 'pipe'],
    },
  );
  child.stdin.on('error', () => undefined);
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  let streamError: Error | undefined;
  child.stdin.write('BEGIN;\n');
  stream.on('error', (error) => {
    streamError = error;
    child.kill('SIGTERM');
  });
  stream.on('end', () => child.stdin.end('\nCOMMIT;\n'));
  stream.pipe(child.stdin, { end: false });
  return new Promise((resolve) =>
    child.on('close', (code, signal) =>
      resolve({ code, signal, stderr, ...(streamError ? { streamError } : {}) }),
    ),
  );
}

async function dump(url: string, args: string[], file: string): Promise<void> {
  const target = forLibpq(url);
  await new Promise<void>((resolve, reject) => {
    const child = spawn(pgProgram('pg_dump'), [...args, '-f', file, '--dbname', target.url], {
      env: libpqEnv(target.password),
      stdio: 'ignore',
    });
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`pg_dump exit ${code}`))));
  });
}

/** A new database holding SOURCE, dumped to `file` in the given format. */
async function dumpedSource(format: '-Fp' | '-Fc', file: string): Promise<{ name: string; url: string }> {
  const source = await freshDatabase();
  await sqlOn(source.url, SOURCE);
  await dump(source.url, [format], file);
  return source;
}

async function fingerprint(url: string): Promise<string> {
  const rows = await sqlOn<{ f: string }>(
    url,
    `SELECT coalesce(string_agg(format('%I.%I', schemaname, relname), ',' ORDER BY 1), '') || ':' ||
            (SELECT coalesce(md5(string_agg(t::text, ',' ORDER BY id)), '') FROM (SELECT * FROM public.items) t) AS f
       FROM pg_stat_user_tables`,
  );
  return rows[0]!.f;
}

const SOURCE = `
  CREATE TABLE public.items (id int PRIMARY KEY, v text);
  INSERT INTO public.items SELECT g, CASE WHEN g % 2 = 0 THEN E'COMMIT;\\n\\\\! touch /tmp/x' ELSE 'x' END FROM generate_series(1, 500) g;
  CREATE FUNCTION public.f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RAISE NOTICE 'COMMIT; \\! id'; RETURN 1; END $$;`;

describe('the stream psql reads', () => {
  it('knows whether the local psql has \\restrict (psql --help=commands, no connection)', async () => {
    expect(await psqlSupportsRestrict(psql)).toBe(true); // 15.18 here
    const old = shimDir({ psql: "printf 'General\\n  \\\\copyright\\n'" });
    expect(await psqlSupportsRestrict(join(old, 'psql'))).toBe(false);
    expect(await psqlSupportsRestrict(join(dir, 'no-such-psql'))).toBe(false);
  });

  it("restores a real plain dump in one transaction, wrapped in pgwarden's own \\restrict", async () => {
    const file = join(dir, 'source.sql');
    const source = await dumpedSource('-Fp', file);
    const target = await freshDatabase();
    const stream = await psqlInput(openPlainDump(file, 'plain'), { database: target.name, psql });
    let head = '';
    let tail = '';
    stream.on('data', (chunk: Buffer) => {
      if (head.length < 200) head += chunk.toString();
      tail = (tail + chunk.toString()).slice(-200);
    });
    const result = await runInTransaction(stream, target.url);
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.code).toBe(0);
    expect(head).toMatch(/^\\set ON_ERROR_STOP on\n\\restrict [0-9a-f]{48}\n/);
    const key = head.match(/\\restrict ([0-9a-f]+)/)![1];
    expect(tail).toContain(`\n\\unrestrict ${key}\n`);
    // the dump's own \restrict lines were not handed on
    expect(head).not.toMatch(/\\restrict [A-Za-z0-9]{60,}/);
    expect(await fingerprint(target.url)).toBe(await fingerprint(source.url));
  });

  it('within the wrapper, psql itself refuses a meta-command that would get through', async () => {
    const target = await freshDatabase();
    const marker = join(dir, 'reached-psql');
    const { Readable } = await import('node:stream');
    const forged = Readable.from([
      Buffer.from(`\\restrict k0\nCREATE TABLE t (x int);\n\\! touch ${marker}\nINSERT INTO t VALUES (1);\n`),
    ]);
    const result = await runInTransaction(forged, target.url);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('backslash commands are restricted');
    expect(existsSync(marker)).toBe(false);
    expect(await sqlOn(target.url, `SELECT count(*)::int AS n FROM pg_class WHERE relname = 't'`)).toEqual([
      { n: 0 },
    ]);
  });

  it('a hostile file ends the stream before psql reads the line: nothing runs, nothing changes', async () => {
    const target = await freshDatabase();
    await sqlOn(target.url, SOURCE);
    const before = await fingerprint(target.url);
    const marker = join(dir, 'hostile-ran');
    const file = join(dir, 'hostile.sql');
    writeFileSync(
      file,
      `DROP TABLE public.items;\nCREATE TABLE public.items (id int);\nSELECT 1; \\! touch ${marker}\n`,
    );
    const stream = await psqlInput(openPlainDump(file, 'plain'), { database: target.name, psql });
    const result = await runInTransaction(stream, target.url);
    expect(result.streamError).toMatchObject({
      code: 'PLAIN_DUMP_REFUSED',
      message:
        'the script was refused before psql read it: line 3: psql meta-command \\!: pgwarden runs SQL only',
    });
    expect(result.signal).toBe('SIGTERM');
    expect(existsSync(marker)).toBe(false);
    expect(await fingerprint(target.url)).toBe(before);
  });

  it('a file swapped after it was vetted is vetted again as it is read', async () => {
    const target = await freshDatabase();
    await sqlOn(target.url, SOURCE);
    const before = await fingerprint(target.url);
    const file = join(dir, 'swapped.sql');
    writeFileSync(file, 'CREATE TABLE public.extra (x int);\n');
    expect((await readPlainDump(file, 'plain', { database: target.name })).problems).toEqual([]);
    writeFileSync(file, 'DROP TABLE public.items;\nCOMMIT;\nCREATE TABLE public.extra (x int);\n');
    const stream = await psqlInput(openPlainDump(file, 'plain'), { database: target.name, psql });
    const result = await runInTransaction(stream, target.url);
    expect(result.streamError).toMatchObject({ code: 'PLAIN_DUMP_REFUSED' });
    expect(result.streamError!.message).toContain('line 2: transaction control at top level (COMMIT;)');
    expect(await fingerprint(target.url)).toBe(before);
  });

  it("pg_restore --single-transaction -f - output goes through it, in pgwarden's transaction", async () => {
    const archive = join(dir, 'source.dump');
    const source = await dumpedSource('-Fc', archive);
    const target = await freshDatabase();
    const pgRestore = spawn(pgProgram('pg_restore'), ['--single-transaction', '--file=-', archive], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const stream = await psqlInput(pgRestore.stdout, { database: target.name, psql, outerTransaction: true });
    // pg_restore's BEGIN and COMMIT are dropped: pgwarden's BEGIN … COMMIT spans it all (no nested BEGIN)
    const result = await runInTransaction(stream, target.url);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(await fingerprint(target.url)).toBe(await fingerprint(source.url));
  });

  it('large objects: without --single-transaction pg_restore commits their data on its own (refused)', async () => {
    const source = await freshDatabase();
    await sqlOn(source.url, `${SOURCE}; SELECT lo_from_bytea(0, 'large object data')`);
    const archive = join(dir, 'blobs.dump');
    await dump(source.url, ['-Fc'], archive);
    const target = await freshDatabase();
    await sqlOn(target.url, SOURCE);
    const before = await fingerprint(target.url);
    const plain = spawn(pgProgram('pg_restore'), ['--file=-', archive], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const refused = await runInTransaction(
      await psqlInput(plain.stdout, { database: target.name, psql, outerTransaction: true }),
      target.url,
    );
    expect(refused.streamError?.message).toMatch(/line \d+: transaction control at top level \(BEGIN;\)/);
    expect(await fingerprint(target.url)).toBe(before);

    await sqlOn(target.url, 'DROP TABLE public.items; DROP FUNCTION public.f()');
    const single = spawn(pgProgram('pg_restore'), ['--single-transaction', '--file=-', archive], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const restored = await runInTransaction(
      await psqlInput(single.stdout, { database: target.name, psql, outerTransaction: true }),
      target.url,
    );
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);
    expect(
      await sqlOn(
        target.url,
        `SELECT convert_from(lo_get(oid), 'UTF8') AS data FROM pg_largeobject_metadata`,
      ),
    ).toEqual([{ data: 'large object data' }]);
  });
});
