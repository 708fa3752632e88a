/**
 * The part of `restore` that changes things, in the order that never discards a committed write:
 * the restore's own session blocks writes (every table locked EXCLUSIVE: reads go on), the verified
 * safety backup is taken (every write committed before the block is in it), new connections are
 * blocked and the other sessions ended, nothing may have escaped the block, then the database is
 * replaced in that session's one transaction, checked while still alone, and reopened. With
 * `onlyIfNoWritesSince` it first proves, twice, that nothing but the caller wrote since a backup.
 */
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { ClientTools } from '../db/client-tools.js';
import { BLOCK_OWNER_PREFIX, blockConnections, connectMaintenance } from '../db/connection-block.js';
import { libpqEnv } from '../db/libpq.js';
import { PgwardenError } from '../errors/pgwarden-error.js';
import { displayQualified } from '../sql/quote.js';
import { type GuardedChild, spawnGuarded } from '../util/spawn-guarded.js';
import { type BackupResult, createBackup } from './create.js';
import { checkState, describeStateCheck, readLiveState } from './live-state.js';
import { openPlainDump, psqlInput } from './psql-input.js';
import { lastLines } from './read-archive.js';
import type { RestoreEvent, RestoreOptions, RestoreResult } from './restore.js';
import { postChecks } from './restore-checks.js';
import { otherSessions, type RestorePreview, type Session } from './restore-preview.js';
import { openRestoreSession, type RestoreSession } from './restore-session.js';
import type { RestoreSource, SourceRows } from './restore-source.js';
import type { DatabaseIdentity } from './snapshot.js';
import { type WritesSinceOptions, writesSince } from './writes-since.js';

export interface GuardedRestore {
  options: RestoreOptions;
  emit: (event: RestoreEvent) => void;
  started: number;
  source: RestoreSource;
  /** pgwarden's control session on the target, opened before anything changes */
  client: pg.Client;
  tools: ClientTools;
  rows: SourceRows;
  identity: DatabaseIdentity;
  preview: RestorePreview;
}

/**
 * The order that loses no committed write: block writes (the restore's own session locks every
 * table), take the verified safety backup (so every write committed before the lock is in it),
 * block new connections and end the remaining sessions, check that nothing escaped the lock,
 * replace the database in the locked session's transaction, check it, reopen.
 */
export async function guardedRestore(g: GuardedRestore): Promise<RestoreResult> {
  const { options, emit, client, tools, identity } = g;
  const lockTimeoutMs = options.lockTimeoutMs ?? 10_000;
  const serverMajor = Math.floor(identity.serverVersionNum / 10000);
  const nothingChanged = (error: unknown, what: string): never => {
    if (options.signal?.aborted)
      throw new PgwardenError('INTERRUPTED', `restore interrupted ${what}: nothing was changed`);
    throw error;
  };

  const session = await blockWrites(g, serverMajor, lockTimeoutMs).catch((error: unknown) =>
    nothingChanged(error, 'while blocking writes'),
  );
  try {
    emit({ type: 'writes-blocked' });
    const proof = options.onlyIfNoWritesSince;
    if (proof) await requireNoWrites(client, proof, 'while writes are blocked');

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
      if (options.signal?.aborted || (error instanceof PgwardenError && error.code === 'INTERRUPTED')) {
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

    let sequencesChecked = 0;
    const admin = await connectMaintenance(options.databaseUrl, `${BLOCK_OWNER_PREFIX} (admin)`);
    try {
      const block = await blockConnections(
        admin,
        identity.name,
        `restore of ${g.preview.source.id ?? g.source.path}`,
      );
      emit({ type: 'connections-blocked' });
      try {
        await endOtherSessions(g, session.pid);
        await requireNothingEscaped(client, session.pid, safety.manifest.snapshot.txid ?? null);
        if (proof) await requireNoWrites(client, proof, 'with new connections blocked');

        emit({ type: 'restoring' });
        // what is there now, to say truthfully afterwards whether a failure left it as it was
        const before = await readLiveState(client);
        const restoreStarted = Date.now();
        const script = scriptOf(g.source, tools, identity.name, options.databaseUrl, options.signal);
        await session.replace(Readable.from(script), lockTimeoutMs).catch(async (error: unknown) => {
          await session.close();
          const state = await checkState(client, before, options.databaseUrl);
          const checked = describeStateCheck(state, identity.name);
          const then = state.state === 'unchanged' ? 'to put it back if ever needed' : 'put it back now';
          const details = { safetyBackup: safety.manifest.id, restoreCommand: putBack, state };
          if (options.signal?.aborted) {
            throw new PgwardenError('INTERRUPTED', 'restore interrupted', {
              hint: `${checked} Safety backup ${safety.manifest.id} holds the state before; ${then}: ${putBack}`,
              details,
            });
          }
          const e =
            error instanceof PgwardenError ? error : new PgwardenError('RESTORE_FAILED', String(error));
          throw new PgwardenError(e.code, `restore failed: ${e.message}`, {
            hint: `${checked} Safety backup ${safety.manifest.id} holds the state before; ${then}: ${putBack}`,
            details,
          });
        });
        emit({ type: 'restored', ms: Date.now() - restoreStarted });

        // still alone on the database: no write after the restore can disturb the counts
        const checked = await postChecks(client, g.rows.tables);
        if (checked.problems.length > 0) {
          throw new PgwardenError(
            'RESTORE_CHECK_FAILED',
            `the restore finished, but the checks found problems: ${checked.problems.join('; ')}`,
            {
              hint: `To go back to the state before the restore: ${putBack}`,
              details: {
                problems: checked.problems,
                safetyBackup: safety.manifest.id,
                restoreCommand: putBack,
              },
            },
          );
        }
        emit({ type: 'checked', tables: g.rows.tables.length, sequences: checked.sequences });
        sequencesChecked = checked.sequences;
      } finally {
        await block.unblock();
        emit({ type: 'connections-reopened' });
      }
    } finally {
      await admin.end().catch(() => undefined);
    }
    return {
      source: g.preview.source,
      database: identity.name,
      safetyBackup: { id: safety.manifest.id, path: safety.path },
      tables: g.rows.tables.length,
      rows: g.rows.tables.reduce((n, t) => n + t.rows, 0),
      sequencesChecked,
      ms: Date.now() - g.started,
    };
  } finally {
    await session.close();
  }
}

/**
 * Opens the restore's session and blocks writes. Sessions in the way (an open transaction that
 * wrote) make the lock wait time out: with --terminate-sessions they are ended and it is tried
 * again, a few times.
 */
async function blockWrites(
  g: GuardedRestore,
  serverMajor: number,
  lockTimeoutMs: number,
): Promise<RestoreSession> {
  for (let attempt = 1; ; attempt++) {
    if (g.options.terminateSessions) await terminateOthers(g, []);
    const session = await openRestoreSession({
      tools: g.tools,
      url: g.options.databaseUrl,
      serverMajor,
      signal: g.options.signal,
    });
    try {
      await session.blockWrites(lockTimeoutMs);
      return session;
    } catch (error) {
      await session.close();
      const busy =
        error instanceof PgwardenError && (error.details as { lockTimeout?: boolean })?.lockTimeout;
      if (!busy || !g.options.terminateSessions || attempt >= 3) {
        throw new PgwardenError(
          'RESTORE_FAILED',
          `restore stopped before any change: writes to "${g.identity.name}" could not be blocked: ${(error as Error).message}`,
          {
            hint: busy
              ? 'Sessions hold locks on its tables (long transactions?): stop them, or add --terminate-sessions.'
              : 'Nothing was changed.',
          },
        );
      }
    }
  }
}

/** Ends every other client session of the database (not `keep`); emits their pids. */
async function terminateOthers(g: GuardedRestore, keep: number[]): Promise<number[]> {
  // the pids first, then the terminations: in one WHERE clause PostgreSQL may evaluate
  // pg_terminate_backend before the test that excludes this very session
  const pids = (await otherSessions(g.client)).map((s) => s.pid).filter((pid) => !keep.includes(pid));
  if (pids.length === 0) return [];
  await g.client.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [pids]);
  g.emit({ type: 'sessions-terminated', pids });
  return pids;
}

/**
 * With new connections blocked: ends the sessions that connected since (with --terminate-sessions;
 * without it, their presence stops the restore) and waits until they are gone, so the restore is
 * alone on the database.
 */
async function endOtherSessions(g: GuardedRestore, sessionPid: number): Promise<void> {
  const keep = [sessionPid];
  const others = (await otherSessions(g.client)).filter((s) => !keep.includes(s.pid));
  if (others.length === 0) return;
  if (!g.options.terminateSessions) throw sessionsConnected(others, g.identity.name, 'during the restore');
  await terminateOthers(g, keep);
  const deadline = Date.now() + 15_000;
  for (;;) {
    const left = (await otherSessions(g.client)).filter((s) => !keep.includes(s.pid));
    if (left.length === 0) return;
    if (Date.now() > deadline) {
      throw new PgwardenError(
        'SESSIONS_CONNECTED',
        `restore stopped before any change: ${left.length} session(s) did not end after pg_terminate_backend (pids ${left.map((s) => s.pid).join(', ')})`,
      );
    }
    await sleep(50);
  }
}

export function sessionsConnected(sessions: Session[], database: string, when = ''): PgwardenError {
  return new PgwardenError(
    'SESSIONS_CONNECTED',
    `restore refused, nothing was changed: ${sessions.length} other session(s) are connected to "${database}"${when ? ` ${when}` : ''} (${sessions
      .slice(0, 5)
      .map((s) => `pid ${s.pid} ${s.user ?? '?'}${s.application ? ` ${s.application}` : ''}`)
      .join(', ')})`,
    {
      hint: 'Stop the application first, or add --terminate-sessions to disconnect them just before the restore.',
    },
  );
}

/**
 * Nothing may have escaped the write block: every table holding rows is locked by the restore's
 * session (a table created after the lock was taken could hold writes the safety backup lacks),
 * and no large object was written after the safety backup's snapshot.
 */
async function requireNothingEscaped(
  client: pg.Client,
  sessionPid: number,
  snapshot: string | null,
): Promise<void> {
  const { rows } = await client.query<{ schema: string; name: string }>(
    `SELECT n.nspname AS schema, c.relname AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND c.relpersistence <> 't'
        AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'
        AND NOT EXISTS (SELECT 1 FROM pg_locks l
                         WHERE l.pid = $1 AND l.locktype = 'relation' AND l.relation = c.oid
                           AND l.mode = 'ExclusiveLock' AND l.granted)`,
    [sessionPid],
  );
  const findings = rows.map(
    (r) => `${displayQualified(r.schema, r.name)}: created while the restore held the write block`,
  );
  if (snapshot) {
    const objects = await writesSince(client, { snapshot, tables: [] }).catch(() => undefined);
    findings.push(...(objects?.findings.filter((f) => f.includes('large object')) ?? []));
  }
  if (findings.length > 0) {
    throw new PgwardenError(
      'RESTORE_FAILED',
      `restore stopped before any change: writes may have escaped the block, so the safety backup may lack them: ${findings.join('; ')}`,
      { hint: 'Nothing was changed; run the restore again (with the application stopped).' },
    );
  }
}

/** Refuses (RESTORE_NOT_PROVEN) unless it is proven that only `proof.ownTransactionIds` wrote since the backup. */
async function requireNoWrites(client: pg.Client, proof: WritesSinceOptions, when: string): Promise<void> {
  const found = await writesSince(client, proof);
  if (found.proven) return;
  throw new PgwardenError(
    'RESTORE_NOT_PROVEN',
    `not restored: it cannot be proven that nothing but the migrations wrote since the backup (checked ${when}): ${found.findings.join('; ')}`,
    { details: { findings: found.findings } },
  );
}

/**
 * What psql runs after the database is emptied: the plain dump (gunzipped), or the script
 * `pg_restore -f -` prints for an archive — read through pgwarden, so pg_restore dies with it, and
 * ending in an error (no COMMIT is sent) when pg_restore does not finish cleanly.
 */
async function* scriptOf(
  source: RestoreSource,
  tools: ClientTools,
  database: string,
  url: string | undefined,
  signal: AbortSignal | undefined,
): AsyncGenerator<Buffer> {
  if (source.kind === 'plain' || source.kind === 'plain-gzip') {
    yield* await psqlInput(openPlainDump(source.path, source.kind), { database, psql: tools.psql });
    return;
  }
  // --single-transaction: no BEGIN/COMMIT pair around large-object data; the vetting drops the
  // script's own opening BEGIN and closing COMMIT, so the restore session's transaction spans it
  const pgRestore = spawnGuarded(tools.pgRestore, ['--single-transaction', '--file=-', source.path], {
    env: libpqEnv(undefined),
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(signal ? { signal } : {}),
  });
  let stderr = '';
  pgRestore.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    if (stderr.length < 64_000) stderr += chunk;
  });
  const exit = exitOf(pgRestore, tools.pgRestore);
  exit.catch(() => undefined); // awaited below; a start failure must not go unhandled meanwhile
  let done = false;
  try {
    yield* await psqlInput(pgRestore.stdout!, { database, psql: tools.psql, outerTransaction: true });
    done = true;
  } finally {
    if (!done) pgRestore.kill('SIGTERM');
  }
  const { code, signal: killed } = await exit;
  if (code !== 0 || killed !== null)
    throw new PgwardenError(
      'RESTORE_FAILED',
      `pg_restore could not read the archive: ${lastLines(stderr, url)}`,
    );
}

/**
 * The command that restores a backup, ready to paste. It names no database URL: the URL (with its
 * password) would land in the argv of the pasted command; DATABASE_URL from the environment is used.
 */
export function safetyCommand(id: string, dir: string, database: string): string {
  const quote = (s: string) => (/^[A-Za-z0-9_./:=-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  return `pgwarden restore ${quote(id)} --backup-dir ${quote(dir)} --confirm ${quote(database)}`;
}

function exitOf(child: GuardedChild, program: string) {
  return child.exited.catch((error: NodeJS.ErrnoException) => {
    throw error.code === 'ENOENT' ? new PgwardenError('TOOL_MISSING', `${program} was not found`) : error;
  });
}
