/**
 * `pgwarden deploy`: the pipeline people write by hand, done safely (DESIGN §6).
 * 1. preflight: settings (every problem at once), connection, deploy window, schema fingerprint;
 * 2. status: nothing pending → the app may start at once (no backup, no lock wait);
 * 3. under the migration lock: status again, lint gate, pg_dump, a verified pre-deploy backup
 *    (pinned until the deploy is recorded as good), migrate;
 * 4. on failure: transactional migrations are already rolled back; when non-transactional steps
 *    were applied, restore the backup per `restoreOnFailure` (`if-no-writes`: only when no row was
 *    written since the backup) or print the exact restore command;
 * 5. prune; 6. health check; then the caller starts the app. A deploy record goes to
 *    `pgwarden.deploys`. The library never starts the app: the CLI does (and waits for it).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { WRITES_SQL } from '../backup/snapshot.js';
import type { Config } from '../config/schema.js';
import { connect } from '../db/connect.js';
import { PgwardenError } from '../errors/pgwarden-error.js';
import { currentActor } from '../migrate/ledger.js';
import type { MigrateEvent } from '../migrate/migrate.js';
import { displayPath } from '../migrate/source.js';
import { computeStatus, readStatusInputs } from '../migrate/status.js';
import { openTarget } from '../migrate/target.js';
import type { DEFAULT_TIMEOUTS } from '../migrate/timeouts.js';
import type { MigrationFormat } from '../migrate/types.js';
import type { HealthCheck } from './health.js';
import { type DeployRecord, type DeployResultKind, lastFingerprint, recordDeploy } from './record.js';
import { checkWindow, formatLocal, type WindowsConfig } from './window.js';

/** What only a deploy with pending migrations needs: loaded then, so a restart with nothing to do starts fast. */
async function heavy() {
  const [migrate, lintModule, sources, create, manifest, prune, restoreModule, tools, health] =
    await Promise.all([
      import('../migrate/migrate.js'),
      import('../lint/lint.js'),
      import('../migrate/lint-sources.js'),
      import('../backup/create.js'),
      import('../backup/manifest.js'),
      import('../backup/prune.js'),
      import('../backup/restore.js'),
      import('../db/client-tools.js'),
      import('./health.js'),
    ]);
  return {
    locked: migrate.locked,
    migrateLocked: migrate.migrateLocked,
    lint: lintModule.lint,
    lintSourcesOf: sources.lintSourcesOf,
    createBackup: create.createBackup,
    readManifest: manifest.readManifest,
    writeManifest: manifest.writeManifest,
    pruneBackups: prune.pruneBackups,
    restore: restoreModule.restore,
    safetyCommand: restoreModule.safetyCommand,
    findClientTools: tools.findClientTools,
    runHealthCheck: health.runHealthCheck,
  };
}

export const DEPLOY_STEPS = [
  'preflight',
  'status',
  'lint',
  'backup',
  'migrate',
  'recover',
  'prune',
  'health',
] as const;
export type DeployStep = (typeof DEPLOY_STEPS)[number];

export type DeployEvent =
  | { type: 'step'; step: DeployStep; status: 'ok' | 'skip' | 'warn' | 'fail'; message: string; ms: number }
  | { type: 'migrate'; event: MigrateEvent };

export type RestorePolicy = 'never' | 'if-no-writes' | 'always';

export interface DeployOptions {
  cwd: string;
  databaseUrl: string | undefined;
  config: Config;
  migrations: { dir?: string | undefined; format?: string | undefined; table?: string | undefined };
  backupDir: string;
  retentionDays: number;
  keep?: number | undefined;
  timeouts: typeof DEFAULT_TIMEOUTS;
  restoreOnFailure: RestorePolicy;
  healthCheck?: HealthCheck | undefined;
  windows?: WindowsConfig | undefined;
  /** deploy outside the windows; the reason is recorded */
  forceWindow?: string | undefined;
  /** deploy although the schema changed outside the migrations since the last deploy; recorded */
  acceptDrift?: string | undefined;
  allowUncommitted?: boolean;
  /** compute and compare the schema fingerprint (src/deploy/fingerprint.ts) */
  fingerprint?: (client: pg.Client, format: MigrationFormat) => Promise<string>;
  onEvent?: (event: DeployEvent) => void;
  signal?: AbortSignal;
  now?: Date;
}

export interface DeployOutcome {
  result: DeployResultKind;
  deployId: number | undefined;
  migrations: string[];
  backupId: string | undefined;
  steps: Array<{ step: DeployStep; status: string; ms: number; message: string }>;
}

export async function deploy(options: DeployOptions): Promise<DeployOutcome> {
  const startedAt = new Date();
  const steps: DeployOutcome['steps'] = [];
  const step = (
    name: DeployStep,
    status: 'ok' | 'skip' | 'warn' | 'fail',
    message: string,
    since: number,
  ) => {
    const ms = Date.now() - since;
    steps.push({ step: name, status, ms, message });
    options.onEvent?.({ type: 'step', step: name, status, message, ms });
  };
  const source = { cwd: options.cwd, databaseUrl: options.databaseUrl, ...options.migrations };
  let t = Date.now();

  // 1-2. preflight and status on one connection, without the lock: the common case (nothing
  // pending) starts the app at once
  const target = await openTarget(source, 'pgwarden deploy');
  let pending: string[];
  let fingerprintBefore: string | undefined;
  let drifted = false;
  let format: MigrationFormat | undefined;
  let window: ReturnType<typeof checkWindow>;
  try {
    window = checkWindow(options.windows, options.now ?? new Date());
    const recorded = options.fingerprint ? await lastFingerprint(target.client) : undefined;
    fingerprintBefore = options.fingerprint
      ? await options.fingerprint(target.client, target.source.format)
      : undefined;
    format = target.source.format;
    drifted = recorded !== undefined && fingerprintBefore !== recorded;
    const facts = [
      `PostgreSQL ${target.pgMajor}`,
      `${target.source.format.id} migrations in ${displayPath(options.cwd, target.source.dir)}`,
      window.open ? 'deploy window open' : `deploy window closed: ${window.reason}`,
      drifted
        ? `schema changed outside the migrations since the last deploy${options.acceptDrift ? ' (accepted)' : ' (pgwarden drift shows what)'}`
        : undefined,
    ].filter(Boolean);
    step('preflight', window.open && !drifted ? 'ok' : 'warn', facts.join('; '), t);
    t = Date.now();
    const status = computeStatus(await readStatusInputs(target.client, target.source));
    pending = status.entries.filter((e) => e.state === 'pending' || e.state === 'partial').map((e) => e.id);
    if (pending.length === 0) {
      step('status', 'ok', 'nothing pending: the schema is up to date', t);
      const deployId = await recordDeploy(
        target.client,
        record(startedAt, 'up-to-date', steps, { fingerprint: drifted ? undefined : fingerprintBefore }),
        currentActor(undefined),
      ).catch(() => undefined);
      return { result: 'up-to-date', deployId, migrations: [], backupId: undefined, steps };
    }
    step('status', 'ok', `${pending.length} pending: ${pending.join(', ')}`, t);
    if (!window.open && !options.forceWindow) {
      throw new PgwardenError('DEPLOY_WINDOW_CLOSED', `deploy refused: ${window.reason}`, {
        hint: `${window.next ? `The next allowed time is ${formatLocal(window.next, window.timezone)}. ` : ''}To deploy anyway, pass --force-window "<reason>" (the reason is recorded).`,
        details: { next: window.next?.toISOString() },
      });
    }
    if (drifted && !options.acceptDrift) {
      throw new PgwardenError(
        'SCHEMA_DRIFT',
        'deploy refused: the schema changed outside the migrations since the last deploy (its fingerprint differs)',
        {
          hint: 'Run pgwarden drift to see what changed, and undo it or put it in a migration; to deploy with the change kept, pass --accept-drift "<reason>" (the reason is recorded).',
        },
      );
    }
  } finally {
    await target.close();
  }

  // 3. under the lock: another deploy may have applied them meanwhile
  const {
    locked,
    migrateLocked,
    lint,
    lintSourcesOf,
    createBackup,
    readManifest,
    writeManifest,
    pruneBackups,
    runHealthCheck,
    findClientTools,
  } = await heavy();
  let migrated: string[] = [];
  let backupId: string | undefined;
  const actorCommit = { value: undefined as string | undefined };
  const outcome = await locked(
    {
      ...source,
      timeouts: options.timeouts,
      allowUncommitted: options.allowUncommitted === true,
      onEvent: (event) => options.onEvent?.({ type: 'migrate', event }),
      ...(options.signal ? { signal: options.signal } : {}),
    },
    'pgwarden deploy',
    async (session): Promise<DeployOutcome> => {
      actorCommit.value = session.gitCommit;
      const { client, source: migrations } = session.target;
      t = Date.now();
      const status = computeStatus(await readStatusInputs(client, migrations));
      const todo = status.entries.filter((e) => e.state === 'pending' || e.state === 'partial');
      if (todo.length === 0) {
        step('status', 'ok', 'another deploy applied them meanwhile: nothing pending', t);
        return { result: 'up-to-date', deployId: undefined, migrations: [], backupId: undefined, steps };
      }

      t = Date.now();
      if (options.config.deploy?.lintGate === false)
        step('lint', 'skip', 'lint gate off (deploy.lintGate)', t);
      else {
        const ids = new Set(todo.map((e) => e.id));
        const result = await lint({
          paths: [],
          sources: lintSourcesOf(migrations.migrations.filter((m) => ids.has(m.id))),
          pgVersion: session.target.pgMajor,
          runner: 'pgwarden',
          ...(options.config.lint?.rules ? { rules: options.config.lint.rules } : {}),
          ...(options.config.lint?.presets ? { presets: options.config.lint.presets } : {}),
          jobs: 1,
        });
        const errors = result.files.flatMap((f) =>
          f.findings
            .filter((x) => x.level === 'error')
            .map((x) => `${displayPath(options.cwd, f.path)}:${x.line} ${x.rule}: ${x.message}`),
        );
        if (errors.length > 0) {
          step('lint', 'fail', `${errors.length} error(s) in pending migrations`, t);
          throw new PgwardenError(
            'LINT_GATE',
            `deploy stopped before any change: lint errors in pending migrations:\n  ${errors.join('\n  ')}`,
            {
              hint: 'Fix them, or ignore one with a reason (-- pgwarden-ignore <rule>: <why>) on the line before the statement.',
            },
          );
        }
        step(
          'lint',
          'ok',
          `${result.summary.files} file(s), no errors${result.summary.warnings ? `, ${result.summary.warnings} warning(s)` : ''}`,
          t,
        );
      }

      t = Date.now();
      const tools = await findClientTools(session.target.pgMajor, 'the pre-deploy backup needs it');
      const backup = await createBackup({
        databaseUrl: options.databaseUrl,
        dir: options.backupDir,
        reason: 'pre-deploy',
        pinned: true,
        cwd: options.cwd,
        tools,
        ...(options.signal ? { signal: options.signal } : {}),
      }).catch((error: unknown) => {
        step('backup', 'fail', error instanceof Error ? error.message : String(error), t);
        throw error;
      });
      backupId = backup.manifest.id;
      step(
        'backup',
        'ok',
        `${backupId} verified (${backup.manifest.tables.length} tables), pinned until this deploy is recorded good`,
        t,
      );

      t = Date.now();
      try {
        const result = await migrateLocked(session, {
          ...source,
          timeouts: options.timeouts,
          onEvent: (event) => options.onEvent?.({ type: 'migrate', event }),
          ...(options.signal ? { signal: options.signal } : {}),
        });
        migrated = result.applied.map((m) => m.id);
        step('migrate', 'ok', `applied ${migrated.length}: ${migrated.join(', ')}`, t);
      } catch (error) {
        step('migrate', 'fail', error instanceof Error ? error.message.split('\n')[0]! : String(error), t);
        const partial = computeStatus(await readStatusInputs(client, migrations)).entries.filter(
          (e) => e.state === 'partial',
        );
        throw Object.assign(error as object, {
          partialMigrations: partial.map((e) => e.id),
          backupManifest: backup.manifest,
        });
      }
      return { result: 'started', deployId: undefined, migrations: migrated, backupId, steps };
    },
  ).catch(async (error: unknown) => {
    await recover(error, options, steps, step, startedAt);
    throw error;
  });
  if (outcome.result === 'up-to-date') return outcome;

  t = Date.now();
  const pruned = await pruneBackups({
    dir: options.backupDir,
    retentionDays: options.retentionDays,
    ...(options.keep !== undefined ? { keep: options.keep } : {}),
  }).catch((error: unknown) => error as Error);
  if (pruned instanceof Error) step('prune', 'warn', `prune failed: ${pruned.message}`, t);
  else
    step(
      'prune',
      'ok',
      pruned.delete.length ? `deleted ${pruned.delete.length} old backup(s)` : 'nothing to prune',
      t,
    );

  if (options.healthCheck) {
    t = Date.now();
    try {
      step('health', 'ok', await runHealthCheck(options.healthCheck, options.signal), t);
    } catch (error) {
      step('health', 'fail', (error as Error).message, t);
      await finish(
        options,
        record(startedAt, 'failed', steps, {
          migrations: migrated,
          backupId,
          error: (error as Error).message,
        }),
        actorCommit.value,
      );
      throw error;
    }
  }

  const fingerprintOf = options.fingerprint;
  const fingerprint =
    fingerprintOf && format
      ? await withClient(options.databaseUrl, (client) => fingerprintOf(client, format))
      : undefined;
  const deployId = await finish(
    options,
    record(startedAt, 'started', steps, {
      migrations: migrated,
      backupId,
      fingerprint,
      forcedWindow: options.forceWindow,
      acceptedDrift: drifted ? options.acceptDrift : undefined,
    }),
    actorCommit.value,
  );
  // recorded good: the pre-deploy backup no longer needs its pin
  if (backupId) {
    const manifest = await readManifest(options.backupDir, backupId);
    await writeManifest(options.backupDir, { ...manifest, pinned: false });
  }
  return { result: 'started', deployId, migrations: migrated, backupId, steps };
}

function record(
  startedAt: Date,
  result: DeployResultKind,
  steps: DeployOutcome['steps'],
  extra: Partial<Omit<DeployRecord, 'startedAt' | 'result' | 'steps'>>,
): DeployRecord {
  return {
    startedAt,
    result,
    error: extra.error,
    migrations: extra.migrations ?? [],
    backupId: extra.backupId,
    steps: steps.map(({ step, status, ms }) => ({ step, status, ms })),
    forcedWindow: extra.forcedWindow,
    acceptedDrift: extra.acceptedDrift,
    fingerprint: extra.fingerprint,
  };
}

async function withClient<T>(url: string | undefined, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = await connect({ url, applicationName: 'pgwarden deploy' });
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Writes the deploy record; a failure to record never hides the deploy's own outcome. */
async function finish(
  options: DeployOptions,
  rec: DeployRecord,
  gitCommit: string | undefined,
): Promise<number | undefined> {
  return withClient(options.databaseUrl, (client) =>
    recordDeploy(client, rec, currentActor(gitCommit)),
  ).catch(() => undefined);
}

/**
 * After a failed migration: transactional migrations rolled back, nothing to do. Partially applied
 * non-transactional steps: restore the pre-deploy backup per policy, or say exactly how.
 */
async function recover(
  error: unknown,
  options: DeployOptions,
  steps: DeployOutcome['steps'],
  step: (name: DeployStep, status: 'ok' | 'skip' | 'warn' | 'fail', message: string, since: number) => void,
  startedAt: Date,
): Promise<void> {
  const failure = error as {
    partialMigrations?: string[];
    backupManifest?: { id: string; snapshot: { writes: number; statsReset: string | null } };
    message?: string;
  };
  const message = failure.message ?? String(error);
  const backup = failure.backupManifest;
  const partial = failure.partialMigrations ?? [];
  if (!backup) {
    // stopped before the backup (window, lint, pg_dump, the backup itself, git): nothing changed
    await finish(options, record(startedAt, 'failed', steps, { error: message }), undefined);
    return;
  }
  const t = Date.now();
  if (partial.length === 0) {
    step('recover', 'ok', 'the failed migration was rolled back: nothing to restore', t);
    await finish(
      options,
      record(startedAt, 'failed', steps, { backupId: backup.id, error: message }),
      undefined,
    );
    return;
  }
  const { restore, safetyCommand } = await heavy();
  const database = await withClient(
    options.databaseUrl,
    async (c) => (await c.query('SELECT current_database() AS d')).rows[0].d as string,
  );
  const command = safetyCommand(backup.id, options.backupDir, database);
  let restoreIt = options.restoreOnFailure === 'always';
  let why = options.restoreOnFailure === 'never' ? 'restoreOnFailure is never' : '';
  if (options.restoreOnFailure === 'if-no-writes') {
    // statistics reach pg_stat_user_tables within about a second of a commit
    await sleep(1200);
    const now = await withClient(
      options.databaseUrl,
      async (c) => (await c.query<{ writes: number; stats_reset: string | null }>(WRITES_SQL)).rows[0]!,
    );
    const written = Number(now.writes) - backup.snapshot.writes;
    if (now.stats_reset !== backup.snapshot.statsReset)
      why = 'the statistics were reset since the backup, so writes cannot be ruled out';
    else if (written > 0)
      why = `${written} row(s) were written since the backup; a restore would discard them`;
    else restoreIt = true;
  }
  if (!restoreIt) {
    step(
      'recover',
      'fail',
      `${partial.join(', ')} partly applied; not restored (${why}). To restore: ${command}`,
      t,
    );
    await finish(
      options,
      record(startedAt, 'failed', steps, { backupId: backup.id, error: message }),
      undefined,
    );
    Object.assign(error as object, { restoreCommand: command });
    return;
  }
  try {
    await restore({
      ref: backup.id,
      cwd: options.cwd,
      backupDir: options.backupDir,
      databaseUrl: options.databaseUrl,
      confirm: async () => ({ database }),
      countdownSeconds: 0,
      terminateSessions: true,
    });
    step(
      'recover',
      'ok',
      `${partial.join(', ')} partly applied: restored the pre-deploy backup ${backup.id}`,
      t,
    );
    await finish(
      options,
      record(startedAt, 'restored', steps, { backupId: backup.id, error: message }),
      undefined,
    );
  } catch (restoreError) {
    step(
      'recover',
      'fail',
      `restoring ${backup.id} failed: ${(restoreError as Error).message}. To restore: ${command}`,
      t,
    );
    await finish(
      options,
      record(startedAt, 'failed', steps, { backupId: backup.id, error: message }),
      undefined,
    );
    Object.assign(error as object, { restoreCommand: command });
  }
}
