/**
 * Settings that come from three places — a command-line option, an environment variable, the
 * config file — resolved in that order, with every problem collected so a command can report them
 * all at once (deploy does; the other commands stop at the end of resolving).
 */
import { PgwardenError } from '../errors/pgwarden-error.js';
import { DEFAULT_TIMEOUTS } from '../migrate/timeouts.js';
import { parseDuration } from '../util/duration.js';
import type { Config } from './schema.js';

export class Problems {
  readonly list: string[] = [];

  /** Runs `resolve`; a PgwardenError becomes a collected problem and the result undefined. */
  collect<T>(resolve: () => T): T | undefined {
    try {
      return resolve();
    } catch (error) {
      if (!(error instanceof PgwardenError)) throw error;
      this.list.push(error.message);
      return undefined;
    }
  }

  /** CONFIG_INVALID (exit 2) listing every problem, when there is one. */
  throwIfAny(what: string): void {
    if (this.list.length === 0) return;
    if (this.list.length === 1) throw new PgwardenError('USAGE', this.list[0]!);
    throw new PgwardenError('CONFIG_INVALID', `${what}:\n${this.list.map((p) => `  - ${p}`).join('\n')}`, {
      details: { problems: this.list },
    });
  }
}

export interface TimeoutFlags {
  lockTimeout?: string | undefined;
  statementTimeout?: string | undefined;
  retryBudget?: string | undefined;
  lockWait?: string | undefined;
}

/** A duration from the option, else the environment variable, else the config value, else the default. */
function duration(
  problems: Problems,
  flag: [string | undefined, string],
  env: [string | undefined, string],
  configured: number | undefined,
  fallback: number,
): number {
  if (flag[0] !== undefined) return problems.collect(() => parseDuration(flag[0]!, flag[1])) ?? fallback;
  if (env[0] !== undefined && env[0] !== '')
    return problems.collect(() => parseDuration(env[0]!, env[1])) ?? fallback;
  return configured ?? fallback;
}

/** The runner's timeouts: options, then PGWARDEN_* variables, then the config's `migrate` section. */
export function migrateTimeouts(
  flags: TimeoutFlags,
  env: NodeJS.ProcessEnv,
  config: Config,
  problems: Problems,
): typeof DEFAULT_TIMEOUTS {
  const m = config.migrate ?? {};
  return {
    lockTimeoutMs: duration(
      problems,
      [flags.lockTimeout, '--lock-timeout'],
      [env.PGWARDEN_LOCK_TIMEOUT, 'PGWARDEN_LOCK_TIMEOUT'],
      m.lockTimeout,
      DEFAULT_TIMEOUTS.lockTimeoutMs,
    ),
    statementTimeoutMs: duration(
      problems,
      [flags.statementTimeout, '--statement-timeout'],
      [env.PGWARDEN_STATEMENT_TIMEOUT, 'PGWARDEN_STATEMENT_TIMEOUT'],
      m.statementTimeout,
      DEFAULT_TIMEOUTS.statementTimeoutMs,
    ),
    retryBudgetMs: duration(
      problems,
      [flags.retryBudget, '--retry-budget'],
      [env.PGWARDEN_RETRY_BUDGET, 'PGWARDEN_RETRY_BUDGET'],
      m.retryBudget,
      DEFAULT_TIMEOUTS.retryBudgetMs,
    ),
    lockWaitMs: duration(
      problems,
      [flags.lockWait, '--lock-wait'],
      [env.PGWARDEN_LOCK_WAIT, 'PGWARDEN_LOCK_WAIT'],
      m.lockWait,
      DEFAULT_TIMEOUTS.lockWaitMs,
    ),
  };
}

/** A whole number from a flag or variable; a problem naming it otherwise. */
export function wholeNumber(text: string, what: string, min: number): number {
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || n < min) {
    throw new PgwardenError(
      'USAGE',
      `${what} must be a whole number${min > 0 ? ` of ${min} or more` : ''}, not "${text}"`,
    );
  }
  return n;
}

export const DEFAULT_RETENTION_DAYS = 30;

/** prune's age limit: --retention-days, then BACKUP_RETENTION_DAYS, then backup.retentionDays, else 30. */
export function retentionDays(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  config: Config,
  problems: Problems,
): number {
  if (flag !== undefined)
    return problems.collect(() => wholeNumber(flag, '--retention-days', 0)) ?? DEFAULT_RETENTION_DAYS;
  const fromEnv = env.BACKUP_RETENTION_DAYS;
  if (fromEnv !== undefined && fromEnv !== '') {
    return problems.collect(() => wholeNumber(fromEnv, 'BACKUP_RETENTION_DAYS', 0)) ?? DEFAULT_RETENTION_DAYS;
  }
  return config.backup?.retentionDays ?? DEFAULT_RETENTION_DAYS;
}

/** How backups are taken: `backup create`'s options, else the config's `backup` section. */
export interface BackupSettings {
  format?: 'custom' | 'directory' | undefined;
  jobs?: number | undefined;
  compression?: string | undefined;
  globals?: boolean | undefined;
  lockWaitTimeoutMs?: number | undefined;
}

export interface BackupFlags {
  format?: string | undefined;
  jobs?: string | undefined;
  compress?: string | undefined;
  globals?: boolean | undefined;
  lockWaitTimeout?: string | undefined;
}

/** The backup settings from flags, then `backup.*` in the config (deploy's pre-deploy backup passes no flags). */
export function backupSettings(flags: BackupFlags, config: Config, problems: Problems): BackupSettings {
  const b = config.backup ?? {};
  const format = flags.format ?? b.format;
  if (format !== undefined && format !== 'custom' && format !== 'directory') {
    problems.list.push(`--format must be custom or directory, not "${format}"`);
  }
  const jobs =
    flags.jobs === undefined ? b.jobs : problems.collect(() => wholeNumber(flags.jobs!, '--jobs', 1));
  const lockWait =
    flags.lockWaitTimeout !== undefined
      ? problems.collect(() => parseDuration(flags.lockWaitTimeout!, '--lock-wait-timeout'))
      : b.lockWaitTimeout;
  return {
    format: format === 'custom' || format === 'directory' ? format : undefined,
    jobs,
    compression: flags.compress ?? b.compression,
    globals: flags.globals ?? b.globals,
    lockWaitTimeoutMs: lockWait,
  };
}
