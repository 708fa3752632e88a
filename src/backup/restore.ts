/**
 * `restore <id|path>`: the preview (no side effects), the typed confirmation of the database name
 * (and the admin password when one is configured), a cancellable countdown, a verified safety
 * backup of the current state, then the restore in ONE transaction (pgwarden's preamble drops what
 * exists, the archive recreates everything; any error rolls all of it back), then post-checks:
 * rows per table equal the backup's, no sequence behind its column, ANALYZE. When something fails
 * after the safety backup, the error carries the exact command that puts it back.
 */
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { createGunzip } from 'node:zlib';
import type pg from 'pg';
import type { ClientTools } from '../db/client-tools.js';
import { connect } from '../db/connect.js';
import { emptyDatabaseSql } from '../db/empty-database.js';
import { forLibpq, libpqEnv } from '../db/libpq.js';
import { PgwardenError } from '../errors/pgwarden-error.js';
import type { TableRows } from './copy-counter.js';
import { type BackupResult, type CreateEvent, createBackup } from './create.js';
import { checkPassword } from './password.js';
import { compareRows, lastLines } from './read-archive.js';
import { otherSessions, previewRestore, type RestorePreview } from './restore-preview.js';
import { type RestoreSource, resolveSource } from './restore-source.js';
import { NESTED_BEGIN_WARNING, SEQUENCES_SQL } from './restore-sql.js';

export type RestoreEvent =
  | { type: 'preview'; preview: RestorePreview }
  | { type: 'countdown'; seconds: number }
  | { type: 'safety-backup' }
  | { type: 'safety-backup-progress'; event: CreateEvent }
  | { type: 'safety-backup-done'; id: string; size: number }
  | { type: 'sessions-terminated'; pids: number[] }
  | { type: 'restoring' }
  | { type: 'restored'; ms: number }
  | { type: 'checked'; tables: number; sequences: number };

export interface Confirmation {
  /** the database name as typed */
  database: string | undefined;
  password?: string | undefined;
}

export interface RestoreOptions extends PreviewOnlyOptions {
  /** asked once the preview is known: the typed database name (and password) */
  confirm: (preview: RestorePreview) => Promise<Confirmation>;
  /** scrypt hash of the admin password (config restore.passwordHash) */
  passwordHash?: string | undefined;
  countdownSeconds?: number;
  terminateSessions?: boolean;
  /** lock_timeout of the drops at the start of the restore transaction (default 10 s) */
  lockTimeoutMs?: number;
  onEvent?: (event: RestoreEvent) => void;
}

export interface RestoreResult {
  source: RestorePreview['source'];
  database: string;
  safetyBackup: { id: string; path: string };
  tables: number;
  rows: number;
  sequencesChecked: number;
  ms: number;
}

export interface PreviewOnlyOptions {
  /** a backup id in backupDir, or the path of an archive or dump */
  ref: string;
  cwd: string;
  backupDir: string;
  databaseUrl?: string | undefined;
  allowOtherDatabase?: boolean;
  signal?: AbortSignal;
}

/** The preview alone (`restore --preview`): nothing is changed. */
export async function restorePreview(options: PreviewOnlyOptions): Promise<RestorePreview> {
  const { client, checked } = await preflight(options, 'pgwarden restore (preview)');
  await client.end().catch(() => undefined);
  return checked.preview;
}

/** Finds the source, connects to the target and runs the side-effect-free checks. */
async function preflight(options: PreviewOnlyOptions, applicationName: string) {
  const source = await resolveSource(options.ref, { cwd: options.cwd, dir: options.backupDir });
  const client = await connect({ url: options.databaseUrl, applicationName });
  try {
    const checked = await previewRestore({
      source,
      client,
      url: options.databaseUrl,
      backupDir: options.backupDir,
      allowOtherDatabase: options.allowOtherDatabase === true,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return { source, client, checked };
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
}

/** Turns the first preflight problem into the error that refuses the restore (all of them in details). */
export function refusal(preview: RestorePreview): PgwardenError | undefined {
  const first = preview.problems[0];
  if (!first) return undefined;
  const more = preview.problems.length > 1 ? ` (and ${preview.problems.length - 1} more problem(s))` : '';
  return new PgwardenError(first.code, `restore refused, nothing was changed: ${first.message}${more}`, {
    ...(first.hint ? { hint: first.hint } : {}),
    details: { problems: preview.problems },
  });
}

export async function restore(options: RestoreOptions): Promise<RestoreResult> {
  const emit = options.onEvent ?? (() => undefined);
  const started = Date.now();
  const { source, client, checked: pre } = await preflight(options, 'pgwarden restore');
  try {
    const { preview, tools, rows, identity } = pre;
    emit({ type: 'preview', preview });
    const refused = refusal(preview);
    if (refused) throw refused;

    const answer = await options.confirm(preview);
    checkConfirmation(answer, identity.name, options.passwordHash);

    const sessions = await otherSessions(client);
    if (sessions.length > 0 && !options.terminateSessions) {
      throw new PgwardenError(
        'SESSIONS_CONNECTED',
        `restore refused, nothing was changed: ${sessions.length} other session(s) are connected to "${identity.name}" (${sessions
          .slice(0, 5)
          .map((s) => `pid ${s.pid} ${s.user ?? '?'}${s.application ? ` ${s.application}` : ''}`)
          .join(', ')})`,
        {
          hint: 'Stop the application first, or add --terminate-sessions to disconnect them just before the restore.',
        },
      );
    }

    for (let s = options.countdownSeconds ?? 5; s > 0; s--) {
      emit({ type: 'countdown', seconds: s });
      await sleep(1000, undefined, options.signal ? { signal: options.signal } : {}).catch(() => undefined);
      if (options.signal?.aborted)
        throw new PgwardenError('INTERRUPTED', 'restore cancelled during the countdown: nothing was changed');
    }

    emit({ type: 'safety-backup' });
    let safety: BackupResult;
    try {
      safety = await createBackup({
        databaseUrl: options.databaseUrl,
        dir: options.backupDir,
        reason: 'pre-restore',
        verify: true,
        cwd: options.cwd,
        tools,
        onEvent: (event) => emit({ type: 'safety-backup-progress', event }),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (error) {
      if (error instanceof PgwardenError && error.code === 'INTERRUPTED') {
        throw new PgwardenError(
          'INTERRUPTED',
          'restore interrupted during the safety backup: nothing was changed',
        );
      }
      const reason = error instanceof Error ? error.message : String(error);
      throw new PgwardenError(
        error instanceof PgwardenError ? error.code : 'BACKUP_FAILED',
        `the safety backup of the current database failed, so nothing was restored: ${reason}`,
        error instanceof PgwardenError && error.hint ? { hint: error.hint } : {},
      );
    }
    emit({ type: 'safety-backup-done', id: safety.manifest.id, size: safety.manifest.size });
    const putBack = safetyCommand(safety.manifest.id, options.backupDir, identity.name);

    if (options.terminateSessions) {
      // the pids first, then the terminations: in one WHERE clause PostgreSQL may evaluate
      // pg_terminate_backend before the test that excludes this very session
      const pids = (await otherSessions(client)).map((session) => session.pid);
      if (pids.length > 0) {
        await client.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [pids]);
        emit({ type: 'sessions-terminated', pids });
      }
    }

    emit({ type: 'restoring' });
    const restoreStarted = Date.now();
    await runRestoreTransaction(
      tools,
      options.databaseUrl,
      source,
      options.lockTimeoutMs ?? 10_000,
      options.signal,
    ).catch((error: unknown) => {
      const e = error instanceof PgwardenError ? error : new PgwardenError('RESTORE_FAILED', String(error));
      throw new PgwardenError(e.code, `${e.message}`, {
        hint: `The restore ran in one transaction and was rolled back: "${identity.name}" is as it was. Safety backup ${safety.manifest.id} holds the state before; to put it back if ever needed: ${putBack}`,
        details: { safetyBackup: safety.manifest.id, restoreCommand: putBack },
      });
    });
    emit({ type: 'restored', ms: Date.now() - restoreStarted });

    const checked = await postChecks(options.databaseUrl, rows.tables);
    if (checked.problems.length > 0) {
      throw new PgwardenError(
        'RESTORE_CHECK_FAILED',
        `the restore finished, but the checks found problems: ${checked.problems.join('; ')}`,
        {
          hint: `To go back to the state before the restore: ${putBack}`,
          details: { problems: checked.problems, safetyBackup: safety.manifest.id, restoreCommand: putBack },
        },
      );
    }
    emit({ type: 'checked', tables: rows.tables.length, sequences: checked.sequences });
    return {
      source: preview.source,
      database: identity.name,
      safetyBackup: { id: safety.manifest.id, path: safety.path },
      tables: rows.tables.length,
      rows: rows.tables.reduce((n, t) => n + t.rows, 0),
      sequencesChecked: checked.sequences,
      ms: Date.now() - started,
    };
  } finally {
    await client.end().catch(() => undefined);
  }
}

function checkConfirmation(answer: Confirmation, database: string, passwordHash: string | undefined): void {
  if (answer.database === undefined || answer.database === '') {
    throw new PgwardenError(
      'CONFIRMATION_REQUIRED',
      `restore replaces the whole database "${database}": confirm by typing its name`,
      {
        hint: `Run it in a terminal, or pass --confirm ${database} when no one can type.`,
      },
    );
  }
  if (answer.database !== database) {
    throw new PgwardenError(
      'CONFIRMATION_MISMATCH',
      `"${answer.database}" is not the target database "${database}": nothing was changed`,
    );
  }
  if (passwordHash !== undefined) {
    if (answer.password === undefined) {
      throw new PgwardenError(
        'CONFIRMATION_REQUIRED',
        'restore needs the admin password (restore.passwordHash is configured)',
        {
          hint: 'Type it when asked, or set PGWARDEN_ADMIN_PASSWORD when no one can type.',
        },
      );
    }
    if (!checkPassword(answer.password, passwordHash)) {
      throw new PgwardenError('CONFIRMATION_MISMATCH', 'the admin password is wrong: nothing was changed');
    }
  }
}

/** The command that restores the safety backup, ready to paste. */
export function safetyCommand(id: string, dir: string, database: string): string {
  const quote = (s: string) => (/^[A-Za-z0-9_./:=-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  return `pgwarden restore ${quote(id)} --backup-dir ${quote(dir)} --confirm ${quote(database)} --database-url "$DATABASE_URL"`;
}

/**
 * psql reads pgwarden's preamble, then the archive's script (`pg_restore --single-transaction
 * -f -`, which ends with COMMIT) or the plain dump followed by COMMIT — all in one transaction.
 * If pg_restore or the file stops early, no COMMIT arrives and the server rolls everything back.
 */
async function runRestoreTransaction(
  tools: ClientTools,
  url: string | undefined,
  source: RestoreSource,
  lockTimeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  const target = url ? forLibpq(url) : { url: undefined, password: undefined };
  const psqlArgs = ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '--no-password', '--output=/dev/null'];
  if (target.url) psqlArgs.push(`--dbname=${target.url}`);
  const psql = spawn(tools.psql, psqlArgs, {
    env: libpqEnv(target.password),
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  psql.stdin.on('error', () => undefined);
  let psqlErr = '';
  psql.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    if (psqlErr.length < 64_000) psqlErr += chunk;
  });
  const psqlDone = exitOf(psql, tools.psql);
  const abort = () => psql.kill('SIGTERM');
  signal?.addEventListener('abort', abort, { once: true });
  try {
    // first everything the archive recreates is dropped, in the same transaction as the archive's
    // script: objects created after the backup do not survive next to the restored ones
    psql.stdin.write(emptyDatabaseSql(lockTimeoutMs));
    let feeder: { ok: Promise<boolean>; describe(): string };
    if (source.kind === 'plain' || source.kind === 'plain-gzip') {
      const file = createReadStream(source.path, { highWaterMark: 1 << 20 });
      const stream = source.kind === 'plain-gzip' ? file.pipe(createGunzip()) : file;
      let failure = '';
      const ok = new Promise<boolean>((resolve) => {
        const fail = (error: Error) => {
          failure = error.message;
          psql.kill('SIGTERM');
          resolve(false);
        };
        file.on('error', fail);
        stream.on('error', fail);
        stream.on('end', () => {
          psql.stdin.end('\nCOMMIT;\n');
          resolve(true);
        });
        stream.pipe(psql.stdin, { end: false });
      });
      feeder = { ok, describe: () => `reading ${source.path} failed: ${failure}` };
    } else {
      const pgRestore = spawn(tools.pgRestore, ['--single-transaction', '--file=-', source.path], {
        env: libpqEnv(undefined),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let restoreErr = '';
      pgRestore.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        if (restoreErr.length < 64_000) restoreErr += chunk;
      });
      signal?.addEventListener('abort', () => pgRestore.kill('SIGTERM'), { once: true });
      pgRestore.stdout.pipe(psql.stdin, { end: false });
      const ok = exitOf(pgRestore, tools.pgRestore).then((exit) => {
        if (exit.code === 0 && exit.signal === null) {
          psql.stdin.end();
          return true;
        }
        psql.kill('SIGTERM');
        return false;
      });
      feeder = { ok, describe: () => `pg_restore could not read the archive: ${lastLines(restoreErr, url)}` };
    }
    const [fed, exit] = await Promise.all([feeder.ok, psqlDone]);
    if (signal?.aborted) {
      throw new PgwardenError(
        'INTERRUPTED',
        'restore interrupted: the transaction was rolled back, nothing was changed',
      );
    }
    if (!fed)
      throw new PgwardenError('RESTORE_FAILED', `restore failed and was rolled back: ${feeder.describe()}`);
    if (exit.code !== 0 || exit.signal !== null) {
      const messages = psqlErr
        .split('\n')
        .filter((line) => !line.includes(NESTED_BEGIN_WARNING))
        .join('\n');
      throw new PgwardenError(
        'RESTORE_FAILED',
        `restore failed and was rolled back: psql: ${lastLines(messages, url)}`,
      );
    }
  } finally {
    signal?.removeEventListener('abort', abort);
  }
}

function exitOf(child: ReturnType<typeof spawn>, program: string) {
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'ENOENT' ? new PgwardenError('TOOL_MISSING', `${program} was not found`) : error),
    );
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
}

/** Rows per table equal the backup's; no sequence behind its column; ANALYZE. */
async function postChecks(
  url: string | undefined,
  expected: readonly TableRows[],
): Promise<{ problems: string[]; sequences: number }> {
  const client: pg.Client = await connect({ url, applicationName: 'pgwarden restore (checks)' });
  try {
    const counted: TableRows[] = [];
    for (const t of expected) {
      const q = `${client.escapeIdentifier(t.schema)}.${client.escapeIdentifier(t.name)}`;
      const r = await client
        .query<{ n: string }>(`SELECT count(*)::text AS n FROM ${q}`)
        .catch(() => undefined);
      if (r) counted.push({ ...t, rows: Number(r.rows[0]!.n) });
    }
    const problems = compareRows(expected, counted, 'after the restore');
    const sequences = (await client.query<{ sequence: string; table: string; column: string }>(SEQUENCES_SQL))
      .rows;
    for (const s of sequences) {
      const { rows } = await client.query<{ behind: boolean; max: string | null; last: string }>(
        `SELECT (SELECT max(${s.column}) FROM ${s.table})::text AS max, last_value::text AS last,
                coalesce((SELECT max(${s.column}) FROM ${s.table}) >= CASE WHEN is_called THEN last_value + 1 ELSE last_value END, false) AS behind
           FROM ${s.sequence}`,
      );
      const row = rows[0];
      if (row?.behind) {
        problems.push(
          `sequence ${s.sequence} (last value ${row.last}) is behind ${s.table}.${s.column} (max ${row.max}); fix: SELECT setval('${s.sequence}', ${row.max});`,
        );
      }
    }
    await client.query('ANALYZE');
    return { problems, sequences: sequences.length };
  } finally {
    await client.end().catch(() => undefined);
  }
}
