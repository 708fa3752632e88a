/**
 * `doctor()`: the pre-deploy checklist (DESIGN §7). Opens one connection (statement_timeout 10 s,
 * read-only), runs the checks of the registry one after another, and reports each as pass / warn /
 * fail / skip with evidence and the fix. A check's level comes from config `doctor.checks[id]`,
 * else its default: a failure of a `warn` check is a warning, an `off` check is skipped. A check
 * that throws is a failure with the error's message; the doctor itself never stops on one.
 */
import type pg from 'pg';
import { resolveBackupDir } from '../backup/store.js';
import type { Config } from '../config/schema.js';
import { connect, scrub } from '../db/connect.js';
import { isPgwardenError, PgwardenError } from '../errors/pgwarden-error.js';
import { CONNECTION_CHECK_ID, type ConnectionAttempt } from './checks/connection.js';
import { DOCTOR_CHECKS } from './registry.js';
import type { CheckOutcome, CheckStatus, DoctorCheck, DoctorContext } from './types.js';

/** Bound of every query of every check. */
export const CHECK_STATEMENT_TIMEOUT_MS = 10_000;

export type CheckLevel = 'fail' | 'warn' | 'off';

export interface CheckResult {
  id: string;
  title: string;
  status: CheckStatus;
  /** the level that applied: the config's for this id, else the check's default */
  level: CheckLevel;
  summary: string;
  evidence: string[];
  fix: string | null;
}

export interface DoctorResult {
  checks: CheckResult[];
  counts: Record<CheckStatus, number>;
}

export interface DoctorOptions {
  /** the project directory */
  cwd: string;
  env: NodeJS.ProcessEnv;
  config: Config;
  /** postgres:// URL; libpq PG* variables apply when absent */
  databaseUrl: string | undefined;
  /** the moment the checks judge ages and windows at (default: now) */
  now?: Date;
  /** run only these check ids (the connection comes along when one of them needs the database) */
  only?: string[] | undefined;
  /** default: BACKUP_DIR, backup.dir in the config, else ./backups */
  backupDir?: string | undefined;
  /** default: the config's `migrations` section */
  migrations?: DoctorContext['migrations'];
  /** default: every check of the registry */
  checks?: readonly DoctorCheck[];
  /** called as each check finishes, in order */
  onCheck?: (result: CheckResult) => void;
}

export async function doctor(options: DoctorOptions): Promise<DoctorResult> {
  const all = options.checks ?? DOCTOR_CHECKS;
  const levels = levelsOf(all, options.config);
  const selected = select(all, options.only);
  const wantsDatabase = selected.some(
    (c) => levels.get(c.id) !== 'off' && (c.needsDatabase || c.id === CONNECTION_CHECK_ID),
  );
  const connection: Connection = wantsDatabase ? await open(options) : {};
  const ctx: DoctorContext & ConnectionAttempt = {
    cwd: options.cwd,
    env: options.env,
    config: options.config,
    databaseUrl: options.databaseUrl,
    client: connection.client,
    serverMajor: connection.serverMajor,
    backupDir:
      options.backupDir ??
      resolveBackupDir({ cwd: options.cwd, env: options.env, configured: options.config.backup?.dir }),
    migrations: options.migrations ?? {
      dir: options.config.migrations?.dir,
      format: options.config.migrations?.format,
      table: options.config.migrations?.table,
    },
    now: options.now ?? new Date(),
    connectionError: connection.error,
  };
  const checks: CheckResult[] = [];
  try {
    for (const check of selected) {
      const result = await runCheck(check, ctx, levels.get(check.id)!, options.databaseUrl);
      checks.push(result);
      options.onCheck?.(result);
    }
  } finally {
    await connection.client?.end().catch(() => undefined);
  }
  const counts: Record<CheckStatus, number> = { pass: 0, warn: 0, fail: 0, skip: 0 };
  for (const c of checks) counts[c.status]++;
  return { checks, counts };
}

/** Each check's level; CONFIG_INVALID for ids in doctor.checks that no check has (a typo). */
function levelsOf(all: readonly DoctorCheck[], config: Config): Map<string, CheckLevel> {
  const configured = config.doctor?.checks ?? {};
  const known = new Set(all.map((c) => c.id));
  const unknown = Object.keys(configured).filter((id) => !known.has(id));
  if (unknown.length > 0) {
    throw new PgwardenError(
      'CONFIG_INVALID',
      `doctor.checks: unknown check id${unknown.length > 1 ? 's' : ''} ${unknown.map((id) => `"${id}"`).join(', ')}`,
      { hint: `Known checks: ${[...known].join(', ')}.`, details: { unknown } },
    );
  }
  return new Map(all.map((c) => [c.id, configured[c.id] ?? c.level]));
}

/** The checks to run, in registry order; USAGE for an unknown id. */
function select(all: readonly DoctorCheck[], only: string[] | undefined): readonly DoctorCheck[] {
  if (!only || only.length === 0) return all;
  const known = new Set(all.map((c) => c.id));
  const unknown = only.filter((id) => !known.has(id));
  if (unknown.length > 0) {
    throw new PgwardenError(
      'USAGE',
      `unknown doctor check${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`,
      { hint: `Known checks: ${[...known].join(', ')}.` },
    );
  }
  const wanted = new Set(only);
  // a check that needs the database says nothing useful when the connection fails unseen
  if (all.some((c) => wanted.has(c.id) && c.needsDatabase)) wanted.add(CONNECTION_CHECK_ID);
  return all.filter((c) => wanted.has(c.id));
}

interface Connection {
  client?: pg.Client;
  serverMajor?: number;
  error?: string;
}

async function open(options: DoctorOptions): Promise<Connection> {
  const { env, databaseUrl } = options;
  if (!databaseUrl && !env.PGHOST && !env.PGDATABASE)
    return { error: 'no database given: set DATABASE_URL (or --database-url, or the PG* variables)' };
  let client: pg.Client | undefined;
  try {
    client = await connect({ url: databaseUrl, applicationName: 'pgwarden doctor' });
    // the doctor looks and never changes anything; no check may hang
    await client.query(
      `SET statement_timeout = ${CHECK_STATEMENT_TIMEOUT_MS}; SET default_transaction_read_only = on`,
    );
    const version = (await client.query('SHOW server_version_num')).rows[0].server_version_num;
    return { client, serverMajor: Math.floor(Number(version) / 10000) };
  } catch (error) {
    await client?.end().catch(() => undefined);
    return { error: scrub(error instanceof Error ? error.message : String(error), databaseUrl) };
  }
}

async function runCheck(
  check: DoctorCheck,
  ctx: DoctorContext,
  level: CheckLevel,
  databaseUrl: string | undefined,
): Promise<CheckResult> {
  const base = { id: check.id, title: check.title, level };
  if (level === 'off')
    return { ...base, status: 'skip', summary: 'turned off in the config', evidence: [], fix: null };
  if (check.needsDatabase && !ctx.client)
    return { ...base, status: 'skip', summary: 'no database connection', evidence: [], fix: null };
  let outcome: CheckOutcome;
  try {
    outcome = await check.run(ctx);
  } catch (error) {
    outcome = crashed(error);
    // a check that failed inside a transaction must not leave it aborted for the next one
    await ctx.client?.query('ROLLBACK').catch(() => undefined);
  }
  const status = outcome.status === 'fail' && level === 'warn' ? 'warn' : outcome.status;
  // defence in depth: no check should ever print the password, whatever an error echoes
  const clean = (text: string) => scrub(text, databaseUrl);
  return {
    ...base,
    status,
    summary: clean(outcome.summary),
    evidence: outcome.evidence.map(clean),
    fix: outcome.fix ? clean(outcome.fix) : null,
  };
}

/** A check that threw: a failure that says what went wrong. */
function crashed(error: unknown): CheckOutcome {
  const message = error instanceof Error ? error.message : String(error);
  const sqlstate = (error as { code?: unknown })?.code;
  if (sqlstate === '57014') {
    return {
      status: 'fail',
      summary: `the check took longer than ${CHECK_STATEMENT_TIMEOUT_MS / 1000} s and was cancelled: ${message}`,
      evidence: ['SQLSTATE 57014 (statement_timeout)'],
      fix: 'The database is overloaded, or a lock held by another session blocks the catalog query; run the doctor again, and look at the long-transactions check.',
    };
  }
  if (isPgwardenError(error)) {
    return {
      status: 'fail',
      summary: message,
      evidence: [`error ${error.code}`],
      ...(error.hint ? { fix: error.hint } : {}),
    };
  }
  return {
    status: 'fail',
    summary: `the check could not run: ${message}`,
    evidence: typeof sqlstate === 'string' ? [`SQLSTATE ${sqlstate}`] : [],
  };
}
