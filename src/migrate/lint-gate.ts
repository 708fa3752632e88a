/**
 * The lint gate that `pgwarden migrate` and `pgwarden deploy` share (DESIGN §4, §6): the
 * migrations about to run are linted as the runner will run them (their up scripts, runner
 * `pgwarden`, the server's major version, the live schema as `plan` reads it, the configured
 * rules); an error-level finding stops the run before anything is applied (LINT_GATE). The run
 * is known: a table created by an earlier migration of it is new, and a live table counted small
 * (`lint.smallTable`) is no outage risk, so size-dependent errors there are warnings. Two ways
 * through: an ignore with a reason on the statement (`-- pgwarden-ignore <rule>: <why>`, honoured
 * by lint itself), or an override with a reason (`--no-lint-gate "<reason>"`), which is recorded
 * in `pgwarden.events` with the findings it let through before anything runs.
 */
import type pg from 'pg';
import {
  countSmallTables,
  DEFAULT_SMALL_TABLE,
  loadLiveFacts,
  type SmallTable,
} from '../analysis/live-catalog.js';
import type { SchemaModel } from '../analysis/schema-model.js';
import type { Config } from '../config/schema.js';
import { PgwardenError } from '../errors/pgwarden-error.js';
import { FIXABLE_RULES } from '../fix/fixable-rules.js';
import { summarize } from '../lint/finding.js';
import { Linter } from '../lint/linter.js';
import type { Preset, RuleLevel } from '../lint/rule.js';
import { ensureLedger, logEvent } from './ledger.js';
import { formatGateFinding, type GateFinding } from './lint-gate-finding.js';
import { overrideReasonProblem } from './lint-gate-reason.js';
import { lintSourcesOf } from './lint-sources.js';
import type { LockedSession } from './migrate.js';
import { displayPath } from './source.js';
import type { Migration } from './types.js';

export type { GateFinding } from './lint-gate-finding.js';

/** How the gate lints (the config's `lint` settings). */
export interface GateLintOptions {
  /** Per-rule levels (the config's `lint.rules`). */
  rules?: Record<string, RuleLevel> | undefined;
  /** Presets besides `recommended` (the config's `lint.presets`). */
  presets?: Preset[] | undefined;
  /**
   * Tables at most this big (rows counted in the live database, total bytes) are no outage risk:
   * size-dependent errors on them are warnings that say so (the config's `lint.smallTable`,
   * default 10,000 rows and 10 MB).
   */
  smallTable?: Partial<SmallTable> | undefined;
}

/** How the gate lints, and whether it lets errors through. */
export interface LintGateOptions extends GateLintOptions {
  /**
   * Let error-level findings through, for this reason (not empty). Recorded in `pgwarden.events`
   * (kind `lint-gate.overridden`) with the findings, before anything is applied.
   */
  override?: string | undefined;
}

/** Who runs the gate: named in the refusal and in the recorded override; paths are shown relative to `cwd`. */
export interface LintGateCaller {
  command: 'migrate' | 'deploy';
  cwd: string;
}

export interface LintGateResult {
  /** files linted */
  files: number;
  /** warning-level findings (they never stop a run) */
  warnings: number;
  /** error-level findings: none when the gate passed, else those `override` let through */
  errors: GateFinding[];
  /** the reason that let `errors` through (recorded in pgwarden.events); undefined when nothing was let through */
  overridden: string | undefined;
}

export const LINT_GATE_EVENT = 'lint-gate.overridden';

/**
 * Lints `migrations` (those about to run, in order) for a caller holding the migration lock.
 * Throws LINT_GATE listing the error-level findings, unless `options.override` lets them through;
 * then the override is recorded in pgwarden.events first (its transaction id joins the session's).
 */
export async function runLintGate(
  session: LockedSession,
  migrations: readonly Migration[],
  options: LintGateOptions,
  caller: LintGateCaller,
  live?: SchemaModel,
): Promise<LintGateResult> {
  const problem = overrideReasonProblem(options.override);
  if (problem) throw new PgwardenError('USAGE', problem);
  const gate: LintGateResult = {
    ...(await lintForGate(
      session.target,
      migrations,
      options,
      caller.cwd,
      session.timeouts.lockTimeoutMs,
      live,
    )),
    overridden: undefined,
  };
  const { errors } = gate;
  if (errors.length === 0) return gate;
  if (options.override === undefined) throw refusal(caller.command, errors);
  await recordOverride(session, caller.command, options.override, errors, migrations);
  return { ...gate, overridden: options.override };
}

/**
 * Lints `migrations` (those about to run, in order) as the gate does, without deciding anything:
 * against the live schema as `plan` and the runner see it (tables made outside the migrations,
 * their constraints: a CHECK validated by an earlier pending migration lets SET NOT NULL skip its
 * scan); a table created by an earlier migration of the run is new (empty then); small live
 * tables (rows counted, within `lockTimeoutMs`) are no outage risk. `doctor` asks the same.
 * `live`: the live schema when the caller has just read it (the linter adds to it), else read here.
 */
export async function lintForGate(
  target: { client: pg.Client; pgMajor: number },
  migrations: readonly Migration[],
  options: GateLintOptions,
  cwd: string,
  lockTimeoutMs: number,
  live?: SchemaModel,
): Promise<Omit<LintGateResult, 'overridden'>> {
  const model = live ?? (await loadLiveFacts(target.client)).model;
  const linter = await gateLinter(target, model, options, lockTimeoutMs);
  const files = lintSourcesOf(migrations).map((source) => linter.lintSource(source));
  const summary = summarize(files);
  const errors = files.flatMap((f) =>
    f.findings
      .filter((x) => x.level === 'error')
      .map((x) => ({
        path: displayPath(cwd, f.path),
        line: x.line,
        rule: x.rule,
        message: x.message,
      })),
  );
  return { files: summary.files, warnings: summary.warnings, errors };
}

/**
 * A linter that lints the pending migrations of a run as the gate does, on `model` (the live
 * schema; the linter adds to it): small tables counted first, tables of the run new.
 */
export async function gateLinter(
  target: { client: pg.Client; pgMajor: number },
  model: SchemaModel,
  options: GateLintOptions,
  lockTimeoutMs: number,
): Promise<Linter> {
  const smallTable = { ...DEFAULT_SMALL_TABLE, ...options.smallTable };
  await countSmallTables(target.client, model, smallTable, lockTimeoutMs);
  return new Linter({
    schema: model,
    pgVersion: target.pgMajor,
    runner: 'pgwarden',
    newAcrossFiles: true,
    smallTable,
    ...(options.rules ? { rules: options.rules } : {}),
    ...(options.presets ? { presets: options.presets } : {}),
  });
}

/** The gate's settings from the config (`lint.rules`, `lint.presets`, `lint.smallTable`). */
export function gateLintOptions(config: Config): GateLintOptions {
  return { rules: config.lint?.rules, presets: config.lint?.presets, smallTable: config.lint?.smallTable };
}

function refusal(command: LintGateCaller['command'], errors: GateFinding[]): PgwardenError {
  return new PgwardenError(
    'LINT_GATE',
    `${command} stopped before any change: lint errors in pending migrations:\n  ${errors.map(formatGateFinding).join('\n  ')}`,
    {
      hint: `${errors.some((e) => FIXABLE_RULES.has(e.rule)) ? 'pgwarden fix <migration> rewrites the newest pending migration into the safe sequence. ' : ''}Fix them; or, where the statement is safe here, ignore the rule with a reason on the line before it (-- pgwarden-ignore <rule>: <why>); or let them all through with pgwarden ${command} --no-lint-gate "<reason>" (recorded in pgwarden.events).`,
      details: { findings: errors },
    },
  );
}

/** Writes the override to pgwarden.events in a transaction of its own; a failure stops the run. */
async function recordOverride(
  session: LockedSession,
  command: LintGateCaller['command'],
  reason: string,
  errors: GateFinding[],
  migrations: readonly Migration[],
): Promise<void> {
  const { client, source } = session.target;
  session.lock.assertHeld();
  try {
    await client.query('BEGIN');
    await client.query(`SET LOCAL lock_timeout = ${session.timeouts.lockTimeoutMs}`);
    await ensureLedger(client);
    const xid = await logEvent(
      client,
      {
        kind: LINT_GATE_EVENT,
        format: source.format.id,
        detail: { command, reason, findings: errors, migrations: migrations.map((m) => m.id) },
      },
      session.actor,
    );
    await client.query('COMMIT');
    session.transactionIds.push(xid);
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw new PgwardenError(
      'DB_QUERY',
      `cannot record the lint gate override in pgwarden.events, so nothing was applied: ${(error as Error).message}`,
      {
        hint: 'The role needs CREATE on the database (for schema pgwarden) or write access to pgwarden.events; check the connection, then run again.',
        cause: error,
      },
    );
  }
}
