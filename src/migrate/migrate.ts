/**
 * `migrate()`: the library function behind `pgwarden migrate` (DESIGN §4). Takes the migration
 * lock, checks that the folder and the history agree (no edited, missing or failed migrations, no
 * uncommitted files), reports sessions in the way, then applies the pending migrations one by one
 * with bounded lock waits. Everything `pgwarden migrate` prints comes from the events it emits.
 *
 * The migration lock is watched for the whole run (lock.ts): when it is lost the run stops before
 * its next statement with LOCK_LOST, saying which migrations this run applied and which it did
 * not. Each migration is fenced by the apply lock besides (fence.ts), so a migration is never
 * applied twice even when a lost lock is noticed late.
 */
import { loadLiveFacts } from '../analysis/live-catalog.js';
import { SchemaModel } from '../analysis/schema-model.js';
import { connect } from '../db/connect.js';
import { PgwardenError } from '../errors/pgwarden-error.js';
import { loadParser } from '../sql/parser.js';
import { type ContractStop, contractStop } from './contract-gate.js';
import { type ExecuteContext, type ExecuteEvent, executeMigration, relationsOf } from './execute.js';
import { gitState } from './git.js';
import { type Actor, currentActor, ensureLedger, logEvent } from './ledger.js';
import { type LintGateOptions, type LintGateResult, runLintGate } from './lint-gate.js';
import type { GateFinding } from './lint-gate-finding.js';
import { overrideReasonProblem } from './lint-gate-reason.js';
import {
  acquireLocks,
  type LockHolder,
  type LockWatch,
  lockLostError,
  PGWARDEN_LOCK_KEY,
  prepareLongSession,
  watchLock,
} from './lock.js';
import { type SessionWarning, sessionWarnings } from './sessions.js';
import { findMigration } from './source.js';
import { computeStatus, type MigrationStatus, readStatusInputs } from './status.js';
import { type ScriptSteps, type Step, scriptSteps } from './steps.js';
import { openTarget, type Target, type TargetOptions } from './target.js';
import { DEFAULT_TIMEOUTS } from './timeouts.js';
import type { Migration, MigrationScript } from './types.js';

export { DEFAULT_TIMEOUTS };

export type MigrateEvent =
  | ExecuteEvent
  | { type: 'lock-wait'; holders: LockHolder[]; waitedMs: number }
  | { type: 'sessions'; sessions: SessionWarning[] }
  | {
      type: 'migration-start';
      id: string;
      path: string;
      statements: number;
      mode: 'transaction' | 'statements';
      /** The file's own BEGIN/COMMIT statements, dropped: the runner's transactions replace them. */
      droppedTransactionControl?: number;
    }
  | { type: 'migration-done'; id: string; durationMs: number; retries: number; resumedFrom: number }
  /** Not run: another run applied (or, for rollback, rolled back) it meanwhile. */
  | { type: 'migration-skipped'; id: string; reason: string }
  /** The lint gate let error-level findings through for `reason` (recorded in pgwarden.events). */
  | { type: 'lint-gate-overridden'; reason: string; findings: GateFinding[] }
  /** A contract step not run now (the run stops before it), or let run by --allow-contract. */
  | { type: 'contract-stop'; stop: ContractStop }
  | { type: 'contract-allowed'; stop: ContractStop; reason: string }
  /** A file the migration tool itself skips, skipped (the Supabase CLI's misnamed files). */
  | { type: 'source-warning'; message: string };

export interface MigrateOptions extends TargetOptions {
  /** Stop after this migration (id, file or directory name). */
  target?: string | undefined;
  timeouts?: Partial<typeof DEFAULT_TIMEOUTS>;
  /** Run even when migration files are untracked or modified in git. */
  allowUncommitted?: boolean;
  /** Apply pending migrations that sort before already applied ones. */
  allowOutOfOrder?: boolean;
  /**
   * Lint the migrations about to run first and refuse (LINT_GATE) on an error-level finding, as
   * deploy does (src/migrate/lint-gate.ts). Off unless given: `pgwarden migrate` turns it on
   * (config `migrate.lintGate: false` keeps it off); deploy gates in its own step, before its backup.
   */
  lintGate?: LintGateOptions | undefined;
  /** Run a contract step even in the run of its expand step, or before its minimum age (recorded). */
  allowContract?: string | undefined;
  /** A contract step waits until its expand step is this old (config `migrate.contractMinAge`). */
  contractMinAgeMs?: number | undefined;
  onEvent?: (event: MigrateEvent) => void;
  signal?: AbortSignal;
}

export interface AppliedMigration {
  id: string;
  name: string;
  path: string;
  durationMs: number;
  statements: number;
  retries: number;
  mode: 'transaction' | 'statements';
  resumedFrom: number;
}

export interface MigrateResult {
  format: string;
  dir: string;
  applied: AppliedMigration[];
  /** Migrations found applied by another run when their turn came (not run). */
  skipped: Array<{ id: string; reason: string }>;
  /** Pending migrations left (after --target). */
  remaining: string[];
  sessions: SessionWarning[];
  gitCommit: string | undefined;
  /** What the lint gate found, when it ran (`lintGate` given and migrations pending). */
  lintGate?: LintGateResult;
  /** The contract step the run stopped before (it and the migrations after it are in `remaining`). */
  stoppedBefore?: ContractStop;
  /**
   * Ids of the transactions this call committed on the work connection (see
   * `LockedSession.transactionIds`, which also holds them when the call fails).
   */
  transactionIds: string[];
}

export async function migrate(options: MigrateOptions): Promise<MigrateResult> {
  const problem = overrideReasonProblem(options.lintGate?.override);
  if (problem) throw new PgwardenError('USAGE', problem);
  return locked(options, 'pgwarden migrate', (session) => migrateLocked(session, options));
}

/** What a command holding the migration lock works with. */
export interface LockedSession {
  target: Target;
  timeouts: typeof DEFAULT_TIMEOUTS;
  actor: Actor;
  gitCommit: string | undefined;
  /** The lock connection's backend pid (pgwarden's own; never a blocker). */
  lockPid: number;
  /** The migration lock's watch: `lost` says why it is gone, `assertHeld()` throws LOCK_LOST. */
  lock: LockWatch;
  /**
   * The runner's own transaction ids, filled as its transactions commit, so the list is complete
   * even when the run then fails. Each is `txid_current_if_assigned()` as text (64-bit,
   * epoch-extended: compare with `txid_snapshot_*`/`pg_snapshot_*` values and `xmin` through
   * `txid_current()`-style ids), read just before COMMIT, for every transaction the runner commits
   * on its work connection that wrote anything: each migration's transaction (or its segments),
   * each statement of a script without transactions that PostgreSQL accepts in one (run as
   * `BEGIN; <stmt>; COMMIT`), the history and ledger writes, the progress row after a statement
   * run alone, pgwarden.events rows, and the creation of the history and ledger tables. An id whose
   * COMMIT then failed is listed too (that transaction wrote nothing visible, or its outcome is
   * unknown because the connection was lost during COMMIT). Statements PostgreSQL refuses in a
   * transaction (CREATE INDEX CONCURRENTLY, VACUUM…) write no user rows and have no id here.
   */
  transactionIds: string[];
}

/**
 * Opens the target, refuses uncommitted migration files, takes the migration lock (pgwarden's
 * key and the native tool's) on a dedicated connection, runs `work`, and releases everything.
 */
export async function locked<T>(
  options: MigrateOptions,
  applicationName: string,
  work: (session: LockedSession) => Promise<T>,
): Promise<T> {
  const timeouts = { ...DEFAULT_TIMEOUTS, ...definedOnly(options.timeouts ?? {}) };
  await loadParser();
  const target = await openTarget(options, applicationName);
  const lockClient = await connect({
    url: options.databaseUrl,
    applicationName: `${applicationName} (lock)`,
  }).catch(async (error) => {
    await target.close();
    throw error;
  });
  try {
    // neither connection may be ended as idle: the lock lives on one, the work waits on the other
    await prepareLongSession(lockClient, target.pgMajor);
    await prepareLongSession(target.client, target.pgMajor);
    const { source } = target;
    const files = source.migrations.flatMap((m) => [m.up.path, ...(m.down ? [m.down.path] : [])]);
    const git = await gitState(source.dir, [...new Set(files)]);
    if (git.inRepo && !options.allowUncommitted && (git.untracked.length || git.modified.length)) {
      const list = [
        ...git.untracked.map((f) => `untracked: ${f}`),
        ...git.modified.map((f) => `modified:  ${f}`),
      ];
      throw new PgwardenError(
        'MIGRATIONS_UNCOMMITTED',
        `migration files are not committed in git, so what runs here is not what the repository holds:\n  ${list.join('\n  ')}`,
        {
          hint: 'Commit them (or remove them), or pass --allow-uncommitted to run anyway.',
          details: { ...git },
        },
      );
    }
    const keys = [PGWARDEN_LOCK_KEY, ...((await source.format.history.lockKeys?.(target.history)) ?? [])];
    const held = await acquireLocks({
      client: lockClient,
      keys,
      waitMs: timeouts.lockWaitMs,
      onWait: (holders, waitedMs) => options.onEvent?.({ type: 'lock-wait', holders, waitedMs }),
      signal: options.signal,
    });
    const lockPid = (await lockClient.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
    const lock = watchLock({ client: lockClient, pid: lockPid, keys });
    try {
      // Ctrl-C cancels the running statement at once (from the idle lock connection); the
      // migration's transaction is then rolled back and the command ends as interrupted
      const workPid = (await target.client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
      const cancel = () =>
        void lockClient.query('SELECT pg_cancel_backend($1)', [workPid]).catch(() => undefined);
      options.signal?.addEventListener('abort', cancel, { once: true });
      try {
        return await work({
          target,
          timeouts,
          actor: currentActor(git.commit),
          gitCommit: git.commit,
          lockPid,
          lock,
          transactionIds: [],
        });
      } finally {
        options.signal?.removeEventListener('abort', cancel);
      }
    } finally {
      lock.stop();
      await held.release().catch(() => undefined);
    }
  } finally {
    await lockClient.end().catch(() => undefined);
    await target.close();
  }
}

/** What running one migration needs from the locked session. */
export function executeContext(session: LockedSession, options: MigrateOptions): ExecuteContext {
  return {
    client: session.target.client,
    history: session.target.history,
    format: session.target.source.format,
    source: session.target.source,
    actor: session.actor,
    timeouts: session.timeouts,
    ownPids: [session.lockPid],
    transactionIds: session.transactionIds,
    assertLockHeld: () => session.lock.assertHeld(),
    onEvent: options.onEvent,
    signal: options.signal,
  };
}

/**
 * Prepares the connection for running migrations: ledger and history tables (created in one
 * transaction whose id is collected), connection checks.
 */
export async function prepareRun(session: LockedSession): Promise<void> {
  const { client, source, history, pgMajor } = session.target;
  session.lock.assertHeld();
  await client.query(`SET lock_timeout = ${session.timeouts.lockTimeoutMs}`);
  try {
    await client.query('BEGIN');
    await ensureLedger(client);
    await source.format.history.ensure(history);
    const { rows } = await client.query('SELECT txid_current_if_assigned()::text AS id');
    if (rows[0].id) session.transactionIds.push(rows[0].id);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    if (error instanceof PgwardenError) throw error;
    const e = error as { message?: string; code?: string };
    throw new PgwardenError(
      'DB_QUERY',
      `cannot create pgwarden's tables (schema pgwarden) or the history table: ${e.message}`,
      {
        hint:
          e.code === '42501'
            ? 'The migration role needs CREATE on the database (for schema pgwarden), or create the schema pgwarden owned by that role first.'
            : 'Check the connection and the role, then run again.',
        details: { sqlstate: e.code },
        cause: error,
      },
    );
  }
  await client.query('RESET lock_timeout');
  // a statement still running when pgwarden dies is cancelled instead of finishing unrecorded
  if (pgMajor >= 14) await client.query(`SET client_connection_check_interval = '1s'`);
}

/** `migrate` for a caller that already holds the migration lock (deploy). */
export async function migrateLocked(session: LockedSession, options: MigrateOptions): Promise<MigrateResult> {
  const { target, actor, gitCommit, lockPid } = session;
  const { client, source } = target;
  const firstTransaction = session.transactionIds.length;
  // nothing starts without the lock (deploy may have spent minutes on its backup meanwhile)
  session.lock.assertHeld();
  for (const message of source.warnings ?? []) options.onEvent?.({ type: 'source-warning', message });
  // read the history only now: another deploy may have just finished
  const status = computeStatus(await readStatusInputs(client, source));
  assertConsistent(status, options.allowOutOfOrder === true);
  let pending = status.entries.filter((e) => e.state === 'pending' || e.state === 'partial');
  if (options.target) {
    const stop = findMigration(source.migrations, options.target);
    const index = pending.findIndex((e) => e.id === stop.id);
    const state = status.entries.find((e) => e.id === stop.id)?.state;
    if (index < 0) {
      if (state === 'applied') pending = [];
      else
        throw new PgwardenError('USAGE', `--target ${options.target}: ${stop.id} is ${state}, not pending`);
    } else pending = pending.slice(0, index + 1);
  }
  const byId = new Map(source.migrations.map((m) => [m.id, m]));
  let todo = pending.map((e) => byId.get(e.id)!);
  const stop = contractStop(todo, source.migrations, status, options.contractMinAgeMs, new Date());
  if (stop && options.allowContract !== undefined) {
    await ensureLedger(client);
    const xid = await logEvent(
      client,
      {
        kind: 'contract.allowed',
        format: source.format.id,
        migrationId: stop.id,
        detail: { after: stop.after, reason: options.allowContract, held: stop.reason },
      },
      actor,
    );
    session.transactionIds.push(xid);
    options.onEvent?.({ type: 'contract-allowed', stop, reason: options.allowContract });
  } else if (stop) {
    todo = todo.slice(
      0,
      todo.findIndex((m) => m.id === stop.id),
    );
    options.onEvent?.({ type: 'contract-stop', stop });
  }
  const remaining = status.entries
    .filter((e) => (e.state === 'pending' || e.state === 'partial') && !todo.some((m) => m.id === e.id))
    .map((e) => e.id);
  const result: MigrateResult = {
    format: source.format.id,
    dir: source.dir,
    applied: [],
    skipped: [],
    remaining,
    sessions: [],
    gitCommit,
    transactionIds: [],
    ...(stop && options.allowContract === undefined ? { stoppedBefore: stop } : {}),
  };
  if (todo.length === 0) return result;

  // every pending migration is parsed and classified before the first one runs: a file pgwarden
  // cannot run as written (syntax, a psql command, a bad marker) is refused as such, before the gate
  const live = await loadLiveFacts(client);
  // the gate lints against the schema as read, before the steps below add the migrations to it
  const gateModel = options.lintGate ? SchemaModel.fromJSON(live.model.toJSON()) : undefined;
  const planned = new Map<string, ScriptSteps>();
  for (const m of todo) planned.set(m.id, scriptSteps(m.up, live.model, target.pgMajor));

  if (options.lintGate) {
    const gate = await runLintGate(
      session,
      todo,
      options.lintGate,
      { command: 'migrate', cwd: options.cwd },
      gateModel,
    );
    result.lintGate = gate;
    if (gate.overridden !== undefined)
      options.onEvent?.({ type: 'lint-gate-overridden', reason: gate.overridden, findings: gate.errors });
  }

  const sessions = await sessionWarnings(client, relationsOf([...planned.values()].flatMap((p) => p.steps)), {
    excludePids: [lockPid],
  });
  result.sessions = sessions;
  if (sessions.length) options.onEvent?.({ type: 'sessions', sessions });

  let current: { id: string; mode: 'transaction' | 'statements' } | undefined;
  try {
    await prepareRun(session);
    for (const m of todo) {
      const { steps, droppedTransactionControl } = planned.get(m.id)!;
      session.lock.assertHeld();
      current = { id: m.id, mode: modeOf(m.up, steps) };
      const done = await runOne(session, options, m, steps, 'up', undefined, droppedTransactionControl);
      current = undefined;
      if ('skipped' in done) result.skipped.push({ id: done.id, reason: done.reason });
      else result.applied.push(done);
    }
  } catch (error) {
    if ((error as PgwardenError)?.code !== 'LOCK_LOST' || !session.lock.lost) throw error;
    const done = new Set([...result.applied, ...result.skipped].map((a) => a.id));
    throw lockLostError(
      session.lock.lost,
      lockLostReport(
        result,
        current,
        todo.filter((m) => !done.has(m.id)),
      ),
    );
  }
  const xid = await logEvent(
    client,
    {
      kind: 'migrate.done',
      format: source.format.id,
      detail: { applied: result.applied.map((a) => a.id), skipped: result.skipped.map((a) => a.id) },
    },
    actor,
  ).catch(() => undefined);
  if (xid) session.transactionIds.push(xid);
  result.transactionIds = session.transactionIds.slice(firstTransaction);
  return result;
}

/** How a script runs: in one transaction, or statement by statement (as `executeMigration` decides). */
export function modeOf(script: MigrationScript, steps: readonly Step[]): 'transaction' | 'statements' {
  return script.transaction !== false && steps.every((s) => s.transactional) ? 'transaction' : 'statements';
}

/**
 * Runs one migration's up or down script with its events: `migration-start`, then
 * `migration-done` or, when another run did it meanwhile, `migration-skipped`.
 */
export async function runOne(
  session: LockedSession,
  options: MigrateOptions,
  m: Migration,
  steps: Step[],
  direction: 'up' | 'down',
  previous: Migration | undefined,
  droppedTransactionControl = 0,
): Promise<AppliedMigration | { id: string; reason: string; skipped: true }> {
  const script = direction === 'up' ? m.up : m.down!;
  const mode = modeOf(script, steps);
  // the up event names the migration as the folder does (as it always has), the down one its down file
  const path = direction === 'up' ? m.path : script.path;
  options.onEvent?.({
    type: 'migration-start',
    id: m.id,
    path,
    statements: steps.length,
    mode,
    ...(droppedTransactionControl ? { droppedTransactionControl } : {}),
  });
  const done = await executeMigration(executeContext(session, options), m, steps, direction, previous);
  if (done.skipped !== undefined) {
    options.onEvent?.({ type: 'migration-skipped', id: m.id, reason: done.skipped });
    return { id: m.id, reason: done.skipped, skipped: true };
  }
  const { durationMs, retries, resumedFrom } = done;
  options.onEvent?.({ type: 'migration-done', id: m.id, durationMs, retries, resumedFrom });
  return { id: m.id, name: m.name, path: m.path, statements: steps.length, ...done };
}

/** What a run that lost its lock did and did not do, for the LOCK_LOST message. */
function lockLostReport(
  result: MigrateResult,
  current: { id: string; mode: 'transaction' | 'statements' } | undefined,
  notDone: Array<{ id: string }>,
): { text: string; details: Record<string, unknown> } {
  const applied = result.applied.map((a) => a.id);
  const notApplied = notDone.map((m) =>
    m.id !== current?.id
      ? m.id
      : current.mode === 'transaction'
        ? `${m.id} (rolled back)`
        : `${m.id} (stopped between statements: those that ran are recorded, the next run resumes it)`,
  );
  const skipped = result.skipped.map((a) => a.id);
  const text = `.\n  applied by this run: ${applied.length ? applied.join(', ') : 'none'}${skipped.length ? `\n  found applied by another run: ${skipped.join(', ')}` : ''}\n  not applied: ${notApplied.length ? notApplied.join(', ') : 'none'}`;
  return {
    text,
    details: { applied, skipped, notApplied: notDone.map((m) => m.id), stoppedIn: current?.id },
  };
}

/** Refuses to run on a history that does not match the folder. */
export function assertConsistent(status: MigrationStatus, allowOutOfOrder: boolean): void {
  const problems: string[] = [];
  for (const e of status.entries) {
    if (e.state === 'modified') problems.push(`${e.path}: ${e.detail}`);
    if (e.state === 'missing') problems.push(`${e.id}: ${e.detail}`);
    if (e.state === 'failed') problems.push(`${e.path ?? e.id}: failed (${e.detail})`);
    if (e.state === 'pending' && e.outOfOrder && !allowOutOfOrder)
      problems.push(`${e.path}: pending but older than migrations already applied (out of order)`);
  }
  if (problems.length === 0) return;
  const failed = status.entries.some((e) => e.state === 'failed');
  const missing = status.entries.some((e) => e.state === 'missing');
  throw new PgwardenError(
    'MIGRATIONS_INCONSISTENT',
    `the database history does not match the migrations in ${status.dir}:\n  ${problems.join('\n  ')}`,
    {
      hint: failed
        ? 'Inspect the database, then record the outcome with `pgwarden resolve <id> --applied` or `--rolled-back`.'
        : missing
          ? 'The database is ahead of these files (deploying older code?). Nothing was changed.'
          : 'Edited migrations: restore the applied version from git and put the change in a new migration. Out-of-order: --allow-out-of-order.',
      details: { entries: status.entries.filter((e) => e.state !== 'applied' && e.state !== 'pending') },
    },
  );
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
