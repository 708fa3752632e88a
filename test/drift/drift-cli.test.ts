/**
 * `pgwarden drift` on the command line: in-process with a fake CliIo (text and JSON output,
 * progress on stderr, exit 0 for no drift and 1 for drift), and the built CLI as users run it
 * (registration, --json, exit 2 for bad input and a non-empty --shadow-url, exit 3 when the
 * server cannot be reached; the password never printed). Run `npm run build` first.
 */
import { Command } from 'commander';
import type pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerDrift } from '../../src/cli/commands/drift.js';
import { runDrift } from '../../src/cli/commands/drift-run.js';
import type { CliIo, GlobalOptions } from '../../src/cli/io.js';
import type { DriftResult } from '../../src/drift/drift.js';
import { migrate } from '../../src/migrate/migrate.js';
import { pgwarden } from '../support/cli.js';
import { useTestDatabase } from '../support/database.js';
import { tempDir } from '../support/files.js';
import { resetSchema, useExtraDatabase } from './support.js';

const db = useTestDatabase();
const shadow = useExtraDatabase();
const password = decodeURIComponent(new URL(db.url).password);

const project = tempDir({
  'migrations/001_init.sql':
    'CREATE TABLE accounts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL);\n',
  'migrations/002_index.sql': 'CREATE INDEX CONCURRENTLY accounts_email_idx ON accounts (email);\n',
});

let live: pg.Client;

beforeAll(async () => {
  live = await db.connect();
});

async function freshLive(): Promise<void> {
  await resetSchema(live);
  await migrate({ databaseUrl: db.url, cwd: project, allowUncommitted: true });
}

function fakeIo(env: NodeJS.ProcessEnv = {}) {
  const out = { stdout: '', stderr: '' };
  const io: CliIo = {
    stdout: { write: (text: string) => (out.stdout += text) },
    stderr: { write: (text: string) => (out.stderr += text) },
    env,
    cwd: project,
  };
  return { io, out };
}

function globals(extra: Partial<GlobalOptions> = {}): GlobalOptions {
  return { color: false, databaseUrl: db.url, ...extra };
}

describe('runDrift (in-process)', () => {
  it('says there is no drift and exits 0, with progress on stderr', async () => {
    await freshLive();
    const { io, out } = fakeIo();
    expect(await runDrift(globals(), io)).toBe(0);
    expect(out.stdout).toBe('No drift: the live schema matches the 2 plain migrations in migrations.\n');
    expect(out.stderr).toMatch(/created the scratch database pgwarden_scratch_[0-9a-f]{12}/);
    expect(out.stderr).toContain('replaying 2 migrations');
    expect(out.stderr).toMatch(/dropped the scratch database pgwarden_scratch_/);
    expect(out.stderr).not.toContain(password);
  });

  it('prints each difference with its SQL and a summary, and exits 1', async () => {
    await freshLive();
    await live.query('DROP INDEX accounts_email_idx; ALTER TABLE accounts ALTER COLUMN email DROP NOT NULL');
    const { io, out } = fakeIo();
    expect(await runDrift(globals({ quiet: true }), io)).toBe(1);
    expect(out.stderr).toBe('');
    expect(out.stdout).toBe(
      [
        'column public.accounts.email: nullability differs: expected NOT NULL, live NULL',
        '  ALTER TABLE "public"."accounts" ALTER COLUMN "email" SET NOT NULL;',
        '',
        'index public.accounts_email_idx: missing in the live database',
        '  CREATE INDEX CONCURRENTLY accounts_email_idx ON public.accounts USING btree (email);',
        '',
        '2 differences between the live schema and the plain migrations in migrations (1 missing, 1 different).',
        'The SQL above makes the live schema match the migrations, run in this order and outside a transaction',
        '(CONCURRENTLY cannot run in one). Review it first: lines marked "drops" lose data. Or write a migration.',
        '',
      ].join('\n'),
    );
  });

  it('prints the result as JSON with --json', async () => {
    await freshLive();
    await live.query('CREATE TABLE stray (id int)');
    const { io, out } = fakeIo({ DATABASE_URL: db.url });
    expect(await runDrift({ color: false, json: true, quiet: true }, io)).toBe(1);
    const result = JSON.parse(out.stdout) as DriftResult;
    expect(result).toMatchObject({ format: 'plain', scratch: 'created', migrations: 2 });
    expect(result.differences).toEqual([
      {
        kind: 'table',
        object: 'public.stray',
        change: 'extra',
        detail: 'in the live database but not in the migrations',
        live: 'id integer',
        sql: '-- drops the data it holds\nDROP TABLE "public"."stray";',
      },
    ]);
    expect(result.fingerprint.live).not.toBe(result.fingerprint.expected);
  });

  it('registers `drift` with --dir, --format and --shadow-url', () => {
    const program = new Command('pgwarden');
    registerDrift(program, fakeIo().io, () => undefined);
    const command = program.commands.find((c) => c.name() === 'drift')!;
    expect(command.options.map((o) => o.long)).toEqual(['--dir', '--format', '--shadow-url']);
  });
});

describe('pgwarden drift (built CLI)', () => {
  const env = () => ({ DATABASE_URL: db.url });

  it('exits 1 with the differences as JSON on stdout', async () => {
    await freshLive();
    await live.query('ALTER TABLE accounts ADD COLUMN note text');
    const r = await pgwarden(['drift', '--json'], { cwd: project, env: env() });
    expect(r.code).toBe(1);
    const result = JSON.parse(r.stdout) as DriftResult;
    expect(result.differences.map((d) => `${d.kind} ${d.object} ${d.change}`)).toEqual([
      'column public.accounts.note extra',
    ]);
    expect(r.stdout + r.stderr).not.toContain(password);
  });

  it('exits 0 when there is no drift', async () => {
    await freshLive();
    const r = await pgwarden(['drift', '--dir', 'migrations', '--format', 'plain'], {
      cwd: project,
      env: env(),
    });
    expect(r.stdout).toContain('No drift');
    expect(r.code).toBe(0);
  });

  it('exits 2 for an unknown format, naming it', async () => {
    const r = await pgwarden(['drift', '--format', 'liquibase'], { cwd: project, env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown migration format "liquibase"');
  });

  it('exits 2 for a --shadow-url that is not a URL', async () => {
    const r = await pgwarden(['drift', '--shadow-url', 'shadow-db'], { cwd: project, env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--shadow-url is not a postgres:// URL');
  });

  it('exits 2 for a --shadow-url database that is not empty, and leaves it alone', async () => {
    const client = await shadow.connect();
    await resetSchema(client);
    await client.query('CREATE TABLE keep_me (id int)');
    const r = await pgwarden(['drift', '--shadow-url', shadow.url], { cwd: project, env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is not empty: table public.keep_me');
    expect(r.stderr).toContain('hint: pgwarden only ever empties a shadow database it found empty');
    expect((await client.query(`SELECT to_regclass('public.keep_me') IS NOT NULL AS kept`)).rows).toEqual([
      { kept: true },
    ]);
    expect(r.stderr).not.toContain(password);
  });

  it('exits 3 when the live server cannot be reached, without the password', async () => {
    const url = new URL(db.url);
    url.pathname = '/pgwarden_test_does_not_exist';
    const r = await pgwarden(['drift'], { cwd: project, env: { DATABASE_URL: url.toString() } });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('cannot connect');
    expect(r.stderr).not.toContain(password);
  });
});
