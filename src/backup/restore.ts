/**
 * `restore <id|path>`: the preview (no side effects; `restorePreview` alone for `--preview`), the
 * typed confirmation of the database name (and the admin password when one is configured), a
 * cancellable countdown; then `guardedRestore` (restore-guarded.ts) changes things in the order
 * that never discards a committed write. When something fails after the safety backup, the error
 * says what a check found the database to be, and carries the command that puts the safety
 * backup back.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { connect } from '../db/connect.js';
import { BLOCK_OWNER_PREFIX, connectMaintenance } from '../db/connection-block.js';
import { PgwardenError } from '../errors/pgwarden-error.js';
import type { CreateEvent } from './create.js';
import { checkPassword } from './password.js';
import { guardedRestore, sessionsConnected } from './restore-guarded.js';
import { otherSessions, type Problem, previewRestore, type RestorePreview } from './restore-preview.js';
import { resolveSource } from './restore-source.js';
import type { WritesSinceOptions } from './writes-since.js';

export { safetyCommand } from './restore-guarded.js';

export type RestoreEvent =
  | { type: 'preview'; preview: RestorePreview }
  | { type: 'countdown'; seconds: number }
  | { type: 'safety-backup' }
  | { type: 'safety-backup-progress'; event: CreateEvent }
  | { type: 'safety-backup-done'; id: string; size: number }
  | { type: 'writes-blocked' }
  | { type: 'connections-blocked' }
  | { type: 'sessions-terminated'; pids: number[] }
  | { type: 'restoring' }
  | { type: 'connections-reopened' }
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
  /** lock_timeout of the write block and of the drops at the start of the restore (default 10 s) */
  lockTimeoutMs?: number;
  /**
   * Restore only when it is proven, with writes and then new connections blocked, that nothing but
   * `ownTransactionIds` wrote since this backup snapshot (deploy's `if-no-writes`); otherwise
   * RESTORE_NOT_PROVEN and nothing is changed.
   */
  onlyIfNoWritesSince?: WritesSinceOptions;
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
  const { client, checked } = await preflight(options, 'pgwarden preview');
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
    checked.preview.problems.push(...(await blockingProblems(client, options.databaseUrl)));
    return { source, client, checked };
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
}

/**
 * What would keep the restore from blocking new connections while it runs: the role must own the
 * database (or be a superuser), and reach the cluster's maintenance database. Found here, in the
 * preview, rather than after the safety backup.
 */
async function blockingProblems(client: pg.Client, url: string | undefined): Promise<Problem[]> {
  const problems: Problem[] = [];
  const { rows } = await client.query<{ owner: boolean; database: string }>(
    `SELECT pg_has_role(datdba, 'USAGE') AS owner, datname AS database FROM pg_database WHERE datname = current_database()`,
  );
  if (!rows[0]?.owner) {
    problems.push({
      code: 'DB_QUERY',
      message: `the restore must block new connections to "${rows[0]?.database}" while it runs (ALTER DATABASE … ALLOW_CONNECTIONS), which only its owner or a superuser may do`,
      hint: 'Run the restore as the owner of the database (or a member of its owner role).',
    });
  }
  const admin = await connectMaintenance(url, 'pgwarden preview').catch((error: unknown) => error as Error);
  if (admin instanceof Error) problems.push({ code: 'DB_CONNECT', message: admin.message });
  else await admin.end().catch(() => undefined);
  return problems;
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
  const { source, client, checked: pre } = await preflight(options, BLOCK_OWNER_PREFIX);
  try {
    const { preview, tools, rows, identity } = pre;
    emit({ type: 'preview', preview });
    const refused = refusal(preview);
    if (refused) throw refused;

    const answer = await options.confirm(preview);
    checkConfirmation(answer, identity.name, options.passwordHash);

    const sessions = await otherSessions(client);
    if (sessions.length > 0 && !options.terminateSessions) throw sessionsConnected(sessions, identity.name);

    for (let s = options.countdownSeconds ?? 5; s > 0; s--) {
      emit({ type: 'countdown', seconds: s });
      await sleep(1000, undefined, options.signal ? { signal: options.signal } : {}).catch(() => undefined);
      if (options.signal?.aborted)
        throw new PgwardenError('INTERRUPTED', 'restore cancelled during the countdown: nothing was changed');
    }
    return await guardedRestore({ options, emit, started, source, client, tools, rows, identity, preview });
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
