/** The work behind `pgwarden deploy`: settings (every problem at once), the pipeline, then the app. */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { resolveBackupDir } from '../../backup/store.js';
import { loadConfig } from '../../config/load.js';
import { backupSettings, migrateTimeouts, Problems, retentionDays } from '../../config/settings.js';
import { checkDatabaseUrl } from '../../db/url.js';
import type { DeployEvent, Recovery, RestorePolicy } from '../../deploy/deploy.js';
import { EXIT } from '../../errors/codes.js';
import { PgwardenError } from '../../errors/pgwarden-error.js';
import { backfillReporter } from '../backfill-progress.js';
import { allowContractReason } from '../contract-option.js';
import type { CliIo, GlobalOptions } from '../io.js';
import { lintGateReason } from '../lint-gate-option.js';
import { renderEvent } from './migrate-events.js';

export interface DeployCliOptions {
  allowContract?: string;
  dir?: string | string[];
  format?: string;
  backupDir?: string;
  restoreOnFailure?: string;
  forceWindow?: string;
  acceptDrift?: string;
  /** true (the default), or the reason given with --no-lint-gate */
  lintGate?: boolean | string;
  allowUncommitted?: boolean;
  lockTimeout?: string;
  statementTimeout?: string;
  retryBudget?: string;
  lockWait?: string;
}

const POLICIES: readonly RestorePolicy[] = ['never', 'if-no-writes', 'always'];
const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGQUIT'];

export async function runDeploy(
  command: string[],
  options: GlobalOptions & DeployCliOptions,
  io: CliIo,
): Promise<number> {
  const { config } = await loadConfig({ cwd: io.cwd, file: options.config });
  const env = io.env;
  const problems = new Problems();
  const databaseUrl = options.databaseUrl ?? env.DATABASE_URL;
  if (!databaseUrl && !env.PGHOST && !env.PGDATABASE)
    problems.list.push('no database: set DATABASE_URL (or --database-url, or the PG* variables)');
  if (databaseUrl)
    problems.collect(() =>
      checkDatabaseUrl(databaseUrl, options.databaseUrl !== undefined ? '--database-url' : 'DATABASE_URL'),
    );
  const timeouts = migrateTimeouts(options, env, config, problems);
  const days = retentionDays(undefined, env, config, problems);
  const backup = backupSettings({}, config, problems);
  const policy =
    options.restoreOnFailure ??
    env.PGWARDEN_RESTORE_ON_FAILURE ??
    config.deploy?.restoreOnFailure ??
    'if-no-writes';
  if (!POLICIES.includes(policy as RestorePolicy)) {
    problems.list.push(
      `${options.restoreOnFailure !== undefined ? '--restore-on-failure' : env.PGWARDEN_RESTORE_ON_FAILURE !== undefined ? 'PGWARDEN_RESTORE_ON_FAILURE' : 'deploy.restoreOnFailure'} must be never, if-no-writes or always, not "${policy}"`,
    );
  }
  const healthUrl = env.PGWARDEN_HEALTH_URL;
  if (healthUrl) problems.collect(() => checkUrl(healthUrl, 'PGWARDEN_HEALTH_URL'));
  if (options.forceWindow !== undefined && options.forceWindow.trim() === '') {
    problems.list.push(
      '--force-window needs a reason (it is recorded), e.g. --force-window "hotfix for incident 42"',
    );
  }
  if (options.acceptDrift !== undefined && options.acceptDrift.trim() === '') {
    problems.list.push(
      '--accept-drift needs a reason (it is recorded), e.g. --accept-drift "index added by hand during incident 42"',
    );
  }
  const lintGateOverride = problems.collect(() => lintGateReason(options.lintGate));
  const allowContract = problems.collect(() => allowContractReason(options.allowContract));
  problems.throwIfAny('deploy cannot start: invalid settings');

  const json = options.json === true;
  const line = (text: string) => {
    if (!options.quiet) io.stderr.write(`${text}\n`);
  };
  // stdout is a stream of JSON lines with --json: a backfill's progress lines join it
  const backfills = backfillReporter({
    stream: options.quiet ? { write: () => undefined } : json ? io.stdout : io.stderr,
    bar: io.stderr.isTTY === true && !options.quiet && !json,
    json,
    indent: '      ',
  });
  const onEvent = (event: DeployEvent) => {
    if (event.type === 'migrate') {
      if (event.event.type === 'backfill') backfills.event(event.event.event);
      else if (!json) line(`    ${renderEvent(event.event).replace(/\n/g, '\n    ')}`);
      return;
    }
    if (json)
      io.stdout.write(
        `${JSON.stringify({ step: event.step, status: event.status, message: event.message, ms: event.ms })}\n`,
      );
    else line(`${MARK[event.status]} ${event.step.padEnd(9)} ${event.message} (${event.ms} ms)`);
  };

  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const { deploy } = await import('../../deploy/deploy.js');
    const { deployFingerprint } = await import('../../deploy/fingerprint.js');
    const health = config.deploy?.healthCheck ?? (healthUrl ? { url: healthUrl } : undefined);
    const outcome = await deploy({
      cwd: io.cwd,
      databaseUrl,
      config,
      migrations: {
        dir: options.dir ?? config.migrations?.dir,
        format: options.format ?? config.migrations?.format,
        table: config.migrations?.table,
      },
      backupDir: resolveBackupDir({
        cwd: io.cwd,
        option: options.backupDir,
        env,
        configured: config.backup?.dir,
      }),
      backup,
      retentionDays: days,
      keep: config.backup?.keep,
      timeouts,
      restoreOnFailure: policy as RestorePolicy,
      healthCheck: health,
      windows: config.deploy?.windows,
      forceWindow: options.forceWindow,
      acceptDrift: options.acceptDrift,
      lintGateOverride,
      allowContract,
      contractMinAgeMs: config.migrate?.contractMinAge,
      allowUncommitted: options.allowUncommitted === true,
      fingerprint: deployFingerprint,
      onEvent,
      signal: controller.signal,
    });
    if (json)
      io.stdout.write(
        `${JSON.stringify({ result: outcome.result, deployId: outcome.deployId, migrations: outcome.migrations, backupId: outcome.backupId })}\n`,
      );
  } catch (error) {
    const recovery = (error as { recovery?: Recovery }).recovery;
    if (recovery && error instanceof PgwardenError) {
      throw new PgwardenError(error.code, error.message, {
        hint: `Two ways out. To restore the pre-deploy backup (a safety backup of the current state is taken first): ${recovery.restoreCommand}\n  Or, ${recovery.resume}.`,
        details: { ...recovery },
      });
    }
    throw error;
  } finally {
    backfills.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (command.length === 0) {
    line('database ready; no app command given (pgwarden deploy -- <command> starts one)');
    return EXIT.ok;
  }
  if (json) io.stdout.write(`${JSON.stringify({ step: 'start', command })}\n`);
  else line(`▶ start     ${command.join(' ')}`);
  return startApp(command, env);
}

const MARK = { ok: '✓', skip: '-', warn: '!', fail: '✗' } as const;

function checkUrl(url: string, what = 'DATABASE_URL'): void {
  try {
    new URL(url);
  } catch {
    throw new PgwardenError('USAGE', `${what} is not a URL (postgres://user@host:5432/db)`);
  }
}

/**
 * Runs the app in pgwarden's place: its stdio, signals forwarded, its exit code returned
 * (128 + n when a signal ended it). Node cannot exec(2); this is the same for a supervisor.
 */
function startApp(command: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [program, ...args] = command;
  return new Promise((resolve, reject) => {
    const child = spawn(program!, args, { stdio: 'inherit', env });
    const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
    const handlers = FORWARDED.map((signal) => [signal, forward(signal)] as const);
    for (const [signal, handler] of handlers) process.on(signal, handler);
    const cleanup = () => {
      for (const [signal, handler] of handlers) process.off(signal, handler);
    };
    child.on('error', (error: NodeJS.ErrnoException) => {
      cleanup();
      reject(
        new PgwardenError(
          'APP_NOT_STARTED',
          `the app could not be started: ${program}: ${error.code === 'ENOENT' ? 'command not found' : error.code === 'EACCES' ? 'permission denied' : error.message}`,
          {
            hint: 'The database is migrated and ready; fix the command after -- and run deploy again (it starts at once).',
          },
        ),
      );
    });
    child.on('exit', (code, signal) => {
      cleanup();
      resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0));
    });
  });
}
