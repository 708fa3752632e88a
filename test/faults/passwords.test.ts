/**
 * Passwords never reach an argv, an output, a manifest or a history row. A role with a password full
 * of URL delimiters runs the real CLI through every command that spawns libpq programs — deploy
 * (pre-deploy backup, migrations), backup create (with pg_dumpall), verify --restore-test, restore
 * (with its safety backup) and --preview, drift, trace --scratch, doctor, lint, migrate — with the
 * password in the userinfo and as `?password=`, while every /proc/<pid>/cmdline on the machine is
 * scanned for it. (URLs only a guess could read: database-urls.test.ts.)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pgwarden } from '../support/cli.js';
import { tempDir } from '../support/files.js';
import { ACCOUNTS_MIGRATION, useHostileRole } from './hostile-password.js';
import { sql, useOwnCluster, watchArgv, withDatabase } from './support.js';

const own = useOwnCluster();
const { role: ROLE, password: PASSWORD, core: CORE } = useHostileRole(own);

const FORMS = {
  userinfo: (db: string) =>
    `postgres://${ROLE}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${own.cluster.port}/${db}`,
  query: (db: string) =>
    `postgres://${ROLE}@127.0.0.1:${own.cluster.port}/${db}?sslmode=disable&password=${encodeURIComponent(PASSWORD)}`,
};

/** Every row of every table in the pgwarden schema (history, events, deploys), as text. */
async function historyText(url: string): Promise<string> {
  const tables = await sql<{ name: string }>(
    url,
    `SELECT quote_ident(relname) AS name FROM pg_class
      WHERE relnamespace = 'pgwarden'::regnamespace AND relkind IN ('r', 'p') ORDER BY 1`,
  );
  const texts: string[] = [];
  for (const { name } of tables) {
    const [row] = await sql<{ text: string | null }>(
      url,
      `SELECT string_agg(t::text, E'\\n') AS text FROM pgwarden.${name} t`,
    );
    texts.push(`${name}: ${row?.text ?? ''}`);
  }
  return texts.join('\n');
}

describe('passwords never reach an argv, an output, a file or a row', () => {
  it.each(Object.keys(FORMS) as Array<keyof typeof FORMS>)(
    'the password as %s: deploy, backup, verify, restore, drift, trace, doctor, lint, migrate',
    async (form) => {
      const { name } = await own.createDatabase();
      const url = FORMS[form](name);
      const project = tempDir({
        'migrations/001_accounts.sql': ACCOUNTS_MIGRATION,
        'trace.sql': 'ALTER TABLE accounts ADD COLUMN flag boolean;\n',
      });
      const backups = join(project, 'backups');
      const env = { DATABASE_URL: url, BACKUP_DIR: backups };
      const outputs: string[] = [];
      const cli = async (args: string[]) => {
        const result = await pgwarden(args, { cwd: project, env });
        outputs.push(`$ pgwarden ${args.join(' ')}\n${result.stdout}\n${result.stderr}`);
        return result;
      };
      const expectCode = (result: { code: number | null; stderr: string }, code: number) =>
        expect(result.code, result.stderr).toBe(code);

      const watch = watchArgv(CORE);
      let scan: { scans: number; hits: string[] };
      try {
        expectCode(
          await cli(['deploy', '--format', 'plain', '--', process.execPath, '-e', 'process.exit(0)']),
          0,
        );
        expectCode(await cli(['drift']), 0);
        expectCode(await cli(['trace', '--scratch', 'trace.sql']), 0);
        // every check (a failing one, e.g. no git repository, exits 1); the connection passes
        const doctor = await cli(['doctor', '--json']);
        expect([0, 1], doctor.stderr).toContain(doctor.code);
        const checks = JSON.parse(doctor.stdout).checks as Array<{ id: string; status: string }>;
        expect(checks.find((c) => c.id === 'connection')).toMatchObject({ status: 'pass' });
        expectCode(await cli(['backup', 'create', '--globals']), 0);
        const list = JSON.parse((await cli(['backup', 'list', '--json'])).stdout).backups as Array<{
          id: string;
          reason: string;
        }>;
        const manual = list.find((b) => b.reason === 'manual')!;
        expectCode(await cli(['backup', 'verify', manual.id, '--restore-test']), 0);
        expectCode(await cli(['restore', manual.id, '--preview']), 0);
        expectCode(
          await cli(['restore', manual.id, '--countdown', '0', '--confirm', name, '--terminate-sessions']),
          0,
        );
        expectCode(await cli(['lint', 'migrations']), 0);
        expectCode(await cli(['migrate']), 0);
      } finally {
        scan = watch.stop();
      }
      console.info(
        `argv scan (${form}): ${scan.scans} scans of every /proc/*/cmdline, ${scan.hits.length} hits`,
      );
      expect(scan.scans).toBeGreaterThan(50);
      expect(scan.hits).toEqual([]);

      // the commands did what they say (the restore included its safety backup)
      const manifests = readdirSync(backups).filter((f) => f.endsWith('.manifest.json'));
      const reasons = manifests.map((f) => JSON.parse(readFileSync(join(backups, f), 'utf8')).reason).sort();
      expect(reasons).toEqual(['manual', 'pre-deploy', 'pre-restore']);
      expect(readdirSync(backups).some((f) => f.endsWith('.globals.sql'))).toBe(true);

      for (const text of outputs) expect(text).not.toContain(CORE);
      for (const file of readdirSync(backups)) {
        expect(readFileSync(join(backups, file)).includes(CORE), file).toBe(false);
      }
      const history = await historyText(withDatabase(own.url, name));
      expect(history).toContain('001_accounts');
      expect(history).not.toContain(CORE);
    },
    240_000,
  );
});

describe('the password in PGPASSWORD (a URL without one, or the PG* variables)', () => {
  it('reaches pg_dump, pg_dumpall, psql as it reaches pgwarden’s own connections; never an argv', async () => {
    const { name } = await own.createDatabase();
    await sql(withDatabase(own.url, name), ACCOUNTS_MIGRATION);
    const project = tempDir({ 'trace.sql': 'ALTER TABLE accounts ADD COLUMN flag boolean;\n' });
    const envs: NodeJS.ProcessEnv[] = [
      { DATABASE_URL: `postgres://${ROLE}@127.0.0.1:${own.cluster.port}/${name}`, PGPASSWORD: PASSWORD },
      {
        DATABASE_URL: undefined,
        PGHOST: '127.0.0.1',
        PGPORT: String(own.cluster.port),
        PGUSER: ROLE,
        PGDATABASE: name,
        PGPASSWORD: PASSWORD,
      },
    ];
    const watch = watchArgv(CORE);
    const results = [];
    for (const env of envs) {
      const backups = tempDir();
      results.push(
        await pgwarden(['backup', 'create', '--globals', '--backup-dir', backups], { cwd: project, env }),
      );
      if (env.DATABASE_URL)
        results.push(await pgwarden(['trace', '--scratch', 'trace.sql'], { cwd: project, env }));
    }
    const scan = watch.stop();
    for (const result of results) {
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout + result.stderr).not.toContain(CORE);
    }
    expect(scan.hits).toEqual([]);
  }, 240_000);
});
