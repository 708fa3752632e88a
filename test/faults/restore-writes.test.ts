/**
 * Faults around a restore: an application that writes every 50 ms throughout a restore with
 * --terminate-sessions (reconnecting each time it is thrown out) loses no acknowledged write — each
 * one is in the live database or in the safety backup —, and a restore killed with kill -9 while
 * new connections are blocked leaves the database unchanged and is reopened by the next run.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BLOCK_SETTING } from '../../src/db/connection-block.js';
import { pgwarden, pgwardenProcess } from '../support/cli.js';
import { tempDir } from '../support/files.js';
import { shimDir } from '../support/pg-shims.js';
import {
  idsInArchive,
  processesOf,
  sql,
  startWriter,
  tableFingerprint,
  useSharedServer,
  waitFor,
} from './support.js';

const own = useSharedServer();

function manifests(dir: string): Array<{ id: string; reason: string; archive: string }> {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.manifest.json'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')));
}

async function databaseWithEvents() {
  const db = await own.createDatabase();
  await sql(db.url, 'CREATE TABLE events (id bigint PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())');
  await sql(db.url, 'INSERT INTO events (id) SELECT g FROM generate_series(1, 5000) g');
  const dir = join(tempDir(), 'backups');
  const made = await pgwarden(['backup', 'create', '--backup-dir', dir, '--json'], {
    env: { DATABASE_URL: db.url },
  });
  expect(made.code, made.stderr).toBe(0);
  const id = JSON.parse(made.stdout).backup.id as string;
  return { ...db, dir, id };
}

/** `restore <the backup> --confirm <db> --countdown 0` */
const restoreArgs = (db: { id: string; dir: string; name: string }) => [
  'restore',
  db.id,
  '--backup-dir',
  db.dir,
  '--confirm',
  db.name,
  '--countdown',
  '0',
];

describe('restore under faults', () => {
  it('an app writing every 50 ms throughout a restore: every acknowledged insert is live or in the safety backup', async () => {
    const db = await databaseWithEvents();
    const writer = startWriter(db.url, 'events', 50);
    const stopWriter = async () => writer.stop();
    try {
      await waitFor(
        'the app to write',
        async () => (await sql(db.url, 'SELECT 1 FROM events WHERE id >= 1000000')).length > 3,
      );
      const result = await pgwarden([...restoreArgs(db), '--terminate-sessions'], {
        env: { DATABASE_URL: db.url },
      });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toContain('writes blocked');
      expect(result.stderr).toContain('new connections blocked');
      // the app reconnects and goes on writing after the restore: those writes are simply live
      await waitFor(
        'writes after the restore',
        async () =>
          (await sql(db.url, 'SELECT count(*)::int AS n FROM events WHERE id >= 1000000'))[0].n >= 3,
      );
    } finally {
      const { acked } = await stopWriter();
      const live = new Set(
        (await sql<{ id: string }>(db.url, 'SELECT id::text FROM events')).map((r) => Number(r.id)),
      );
      const safety = manifests(db.dir).find((m) => m.reason === 'pre-restore');
      expect(safety).toBeDefined();
      const saved = idsInArchive(join(db.dir, safety!.archive), 'events');
      const lost = acked.filter((id) => !live.has(id) && !saved.has(id));
      expect(acked.length).toBeGreaterThan(10);
      expect(lost).toEqual([]);
      // the restore did happen: the backup's rows are there, writes made before it are in the safety backup
      for (const id of [1, 2500, 5000]) expect(live.has(id)).toBe(true);
      expect(acked.some((id) => saved.has(id) && !live.has(id))).toBe(true);
    }
  });

  it('kill -9 while new connections are blocked: nothing changed, no psql left, and the next command reopens the database', async () => {
    const db = await databaseWithEvents();
    await sql(db.url, 'INSERT INTO events (id) SELECT g FROM generate_series(5001, 5100) g');
    const before = await tableFingerprint(db.url, 'events');
    // pg_restore waits before writing the script, so the kill lands while the database is closed
    const bin = shimDir({
      pg_restore: `case " $* " in *" --file=- "*) sleep 30;; esac\nexec "$REAL/pg_restore" "$@"`,
    });
    const run = pgwardenProcess([...restoreArgs(db), '--terminate-sessions'], {
      env: { DATABASE_URL: db.url, PG_BIN: bin },
    });
    let stderr = '';
    run.child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    await waitFor(
      'the restore to block connections',
      () => stderr.includes('new connections blocked'),
      60_000,
    );
    run.child.kill('SIGKILL');
    await run.done;
    const [state] = await sql<{ allow: boolean; settings: string[] | null }>(
      own.url,
      `SELECT d.datallowconn AS allow, s.setconfig AS settings FROM pg_database d
         LEFT JOIN pg_db_role_setting s ON s.setdatabase = d.oid AND s.setrole = 0 WHERE d.datname = $1`,
      [db.name],
    );
    expect(state!.allow).toBe(false);
    expect(state!.settings?.some((s) => s.startsWith(`${BLOCK_SETTING}=`))).toBe(true);
    // psql reads the end of its input, rolls back and exits; the shimmed pg_restore dies with pgwarden
    await waitFor(
      'psql and pg_restore to end',
      () =>
        processesOf(['psql', 'pg_restore', 'sleep']).filter(
          (p) => p.cmdline.includes(db.name) || p.cmdline.includes(db.dir),
        ).length === 0,
    );

    // any later command that connects notices the abandoned block and repairs it
    const status = await pgwarden(['doctor', '--check', 'connection'], { env: { DATABASE_URL: db.url } });
    expect(status.stderr).toMatch(/reopened/);
    const [after] = await sql<{ allow: boolean; settings: string[] | null }>(
      own.url,
      `SELECT d.datallowconn AS allow, s.setconfig AS settings FROM pg_database d
         LEFT JOIN pg_db_role_setting s ON s.setdatabase = d.oid AND s.setrole = 0 WHERE d.datname = $1`,
      [db.name],
    );
    expect(after).toEqual({ allow: true, settings: null });
    expect(await tableFingerprint(db.url, 'events')).toEqual(before);
  });

  it('a role that does not own the database: refused before any change, the preview says why (exit 3)', async () => {
    const db = await databaseWithEvents();
    const role = `fault_reader_${db.name.slice(-6)}`;
    await sql(own.url, `CREATE ROLE ${role} LOGIN PASSWORD 'reader-secret'`);
    try {
      await sql(db.url, `GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role}`);
      const before = await tableFingerprint(db.url, 'events');
      const url = new URL(db.url);
      url.username = role;
      url.password = 'reader-secret';
      const args = restoreArgs(db);
      const preview = await pgwarden([...args, '--preview'], { env: { DATABASE_URL: url.toString() } });
      expect(preview.code).toBe(3);
      expect(preview.stdout).toMatch(
        /refused: the restore must block new connections .* only its owner or a superuser may do/,
      );
      const refused = await pgwarden(args, { env: { DATABASE_URL: url.toString() } });
      expect(refused.code).toBe(3);
      expect(refused.stderr).toContain('restore refused, nothing was changed');
      expect(await tableFingerprint(db.url, 'events')).toEqual(before);
      expect(readdirSync(db.dir).filter((f) => f.endsWith('.manifest.json'))).toHaveLength(1);
    } finally {
      await sql(db.url, `DROP OWNED BY ${role}`);
      await sql(own.url, `DROP ROLE ${role}`);
    }
  });

  it('a database closed by someone else (no pgwarden marker) is never reopened', async () => {
    const db = await own.createDatabase();
    await sql(own.url, `ALTER DATABASE ${db.name} WITH ALLOW_CONNECTIONS false`);
    try {
      const result = await pgwarden(['doctor', '--check', 'connection'], { env: { DATABASE_URL: db.url } });
      expect(result.code).toBe(1);
      expect(result.stdout + result.stderr).toMatch(/not currently accepting connections/);
      const [row] = await sql<{ allow: boolean }>(
        own.url,
        'SELECT datallowconn AS allow FROM pg_database WHERE datname = $1',
        [db.name],
      );
      expect(row!.allow).toBe(false);
    } finally {
      await sql(own.url, `ALTER DATABASE ${db.name} WITH ALLOW_CONNECTIONS true`);
    }
  });
});
