/** The work behind the runner commands, loaded only when one runs: settings, calls, rendering. */
import pc from 'picocolors';
import { loadConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { migrateTimeouts, Problems } from '../../config/settings.js';
import { ERROR_CODES, EXIT, exitCodeForClass } from '../../errors/codes.js';
import { PgwardenError } from '../../errors/pgwarden-error.js';
import { sizeNote } from '../../lint/describe.js';
import { gateLintOptions } from '../../migrate/lint-gate.js';
import { type MigrateEvent, migrate } from '../../migrate/migrate.js';
import { type PlanResult, plan } from '../../migrate/plan.js';
import { displayPath } from '../../migrate/source.js';
import { type MigrationStatus, status as readStatus } from '../../migrate/status.js';
import { backfillReporter } from '../backfill-progress.js';
import { allowContractReason } from '../contract-option.js';
import { type CliIo, type GlobalOptions, useColor } from '../io.js';
import { lintGateReason } from '../lint-gate-option.js';
import { droppedTransactionNote, renderEvent } from './migrate-events.js';

export interface RunnerCliOptions {
  /** One directory, or several when --dir is repeated (Flyway locations). */
  dir?: string | string[];
  format?: string;
  check?: boolean;
  target?: string;
  dryRun?: boolean;
  allowOutOfOrder?: boolean;
  allowUncommitted?: boolean;
  allowContract?: string;
  /** migrate: true (the default), or the reason given with --no-lint-gate */
  lintGate?: boolean | string;
  lockTimeout?: string;
  statementTimeout?: string;
  retryBudget?: string;
  lockWait?: string;
  steps?: string;
  to?: string;
  applied?: boolean;
  rolledBack?: boolean;
}

type Name = 'status' | 'plan' | 'migrate' | 'rollback' | 'resolve';

export async function runMigrationCommand(
  name: Name,
  positional: string[],
  options: GlobalOptions & RunnerCliOptions,
  io: CliIo,
): Promise<number> {
  const { config } = await loadConfig({ cwd: io.cwd, file: options.config });
  const databaseUrl = options.databaseUrl ?? io.env.DATABASE_URL;
  const source = {
    cwd: io.cwd,
    databaseUrl,
    dir: options.dir ?? config.migrations?.dir,
    format: options.format ?? config.migrations?.format,
    table: config.migrations?.table,
  };
  const color = useColor(io, options);
  const out = (text: string) => io.stdout.write(`${text}\n`);
  const progress = (text: string) => {
    if (!options.quiet) io.stderr.write(`${text}\n`);
  };

  // before anything connects: an empty reason is bad input
  const lintGateOverride = name === 'migrate' ? lintGateReason(options.lintGate) : undefined;

  if (name === 'status') {
    const status = await readStatus(source);
    if (options.json) out(JSON.stringify(status, null, 2));
    else out(renderStatus(status, io.cwd, color));
    // a file migrate refuses is the refusal's exit code (bad input), so CI notices without --check
    const broken = status.broken?.[0];
    if (broken) return exitCodeForClass(ERROR_CODES[broken.code].class);
    const { pending, modified, missing, failed, partial } = status.counts;
    return options.check && pending + modified + missing + failed + partial > 0 ? EXIT.failure : EXIT.ok;
  }

  if (name === 'plan' || (name === 'migrate' && options.dryRun)) {
    const result = await plan({
      ...source,
      lint: gateLintOptions(config),
      lockTimeoutMs: timeouts(options, io.env, config).lockTimeoutMs,
    });
    out(options.json ? JSON.stringify(result, null, 2) : renderPlan(result, io.cwd));
    return EXIT.ok;
  }

  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // stdout holds the result (--json too): a backfill's progress goes to stderr
  const backfills = backfillReporter({
    stream: options.quiet ? { write: () => undefined } : io.stderr,
    bar: io.stderr.isTTY === true && !options.quiet && !options.json,
    json: options.json === true,
    indent: '  ',
  });
  const common = {
    ...source,
    timeouts: timeouts(options, io.env, config),
    allowUncommitted: options.allowUncommitted === true,
    onEvent: (event: MigrateEvent) => {
      if (event.type === 'backfill') backfills.event(event.event);
      else progress(renderEvent(event));
    },
    signal: controller.signal,
  };
  try {
    if (name === 'migrate') {
      const result = await migrate({
        ...common,
        target: options.target,
        allowOutOfOrder: options.allowOutOfOrder === true,
        allowContract: allowContractReason(options.allowContract),
        contractMinAgeMs: config.migrate?.contractMinAge,
        lintGate:
          config.migrate?.lintGate === false
            ? undefined
            : { ...gateLintOptions(config), override: lintGateOverride },
      });
      if (options.json) out(JSON.stringify(result, null, 2));
      else if (result.stoppedBefore) {
        out(
          `Applied ${result.applied.length} migration${result.applied.length === 1 ? '' : 's'}; stopped before the contract step ${result.stoppedBefore.id} (${result.remaining.length} still pending): run migrate again once the app no longer needs what it removes.`,
        );
      } else if (result.applied.length === 0) out('Nothing to migrate: the database is up to date.');
      else {
        out(
          `Applied ${result.applied.length} migration${result.applied.length === 1 ? '' : 's'}${result.remaining.length ? ` (${result.remaining.length} still pending after --target)` : ''}.`,
        );
      }
      return EXIT.ok;
    }
    if (name === 'rollback') {
      const { rollback } = await import('../../migrate/rollback.js');
      const steps = options.steps === undefined ? undefined : Number(options.steps);
      if (steps !== undefined && (!Number.isInteger(steps) || steps < 1)) {
        throw new PgwardenError(
          'USAGE',
          `--steps must be a whole number of 1 or more, not "${options.steps}"`,
        );
      }
      if (steps !== undefined && options.to !== undefined)
        throw new PgwardenError('USAGE', 'use either --steps or --to, not both');
      const result = await rollback({ ...common, steps, to: options.to });
      if (options.json) out(JSON.stringify(result, null, 2));
      else out(`Rolled back ${result.rolledBack.map((r) => r.id).join(', ')}.`);
      return EXIT.ok;
    }
    const { resolve } = await import('../../migrate/resolve.js');
    if (options.applied === options.rolledBack) {
      throw new PgwardenError('USAGE', 'say what happened: --applied or --rolled-back (one of them)');
    }
    const result = await resolve({
      ...common,
      migration: positional[0]!,
      as: options.applied ? 'applied' : 'rolled-back',
    });
    if (options.json) out(JSON.stringify(result, null, 2));
    else out(`Resolved ${result.id} as ${result.as}: ${result.changed}. Logged in pgwarden.events.`);
    return EXIT.ok;
  } finally {
    backfills.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function timeouts(options: RunnerCliOptions, env: NodeJS.ProcessEnv, config: Config) {
  const problems = new Problems();
  const resolved = migrateTimeouts(options, env, config, problems);
  problems.throwIfAny('invalid settings');
  return resolved;
}

const PLAN_MODE = {
  transaction: '',
  alone: '   [alone, outside any transaction]',
  backfill: '   [backfill: batches over the key, each its own short transaction]',
} as const;

const STATE_COLOR = {
  applied: pc.green,
  pending: pc.yellow,
  partial: pc.yellow,
  modified: pc.red,
  missing: pc.red,
  failed: pc.red,
} as const;

export function renderStatus(status: MigrationStatus, cwd: string, color: boolean): string {
  const dirs = (status.dirs ?? [status.dir]).map((dir) => displayPath(cwd, dir)).join(', ');
  const lines = [
    `${status.format} migrations in ${dirs}, history ${status.historyTable}${status.historyExists ? '' : ' (not created yet)'}`,
  ];
  // the id and, where the id is only a version (dbmate, Flyway, golang-migrate…), the name
  const label = (e: (typeof status.entries)[number]) =>
    e.name && !e.id.includes(e.name) ? `${e.id} ${e.name}` : e.id;
  const width = Math.max(8, ...status.entries.map((e) => label(e).length));
  for (const e of status.entries) {
    const state = e.state + (e.outOfOrder ? ' (out of order)' : '');
    const painted = color ? STATE_COLOR[e.state](state.padEnd(9)) : state.padEnd(9);
    const when = e.appliedAt ? ` ${e.appliedAt.slice(0, 19).replace('T', ' ')}` : '';
    lines.push(`  ${painted} ${label(e).padEnd(width)}${when}${e.detail ? `  ${e.detail}` : ''}`.trimEnd());
  }
  const broken = status.broken ?? [];
  for (const b of broken) {
    const state = color ? pc.red('broken'.padEnd(9)) : 'broken'.padEnd(9);
    const when = b.appliedAt
      ? ` (applied ${b.appliedAt.slice(0, 19).replace('T', ' ')})`
      : b.applied
        ? ' (applied)'
        : '';
    lines.push(`  ${state} ${b.path}${when}  ${b.reason}`);
  }
  for (const warning of status.warnings ?? []) lines.push(`warning: ${warning}`);
  const c = status.counts;
  lines.push(
    `${c.applied} applied, ${c.pending} pending${c.partial ? `, ${c.partial} partial` : ''}${c.modified ? `, ${c.modified} modified` : ''}${c.missing ? `, ${c.missing} missing` : ''}${c.failed ? `, ${c.failed} failed` : ''}${broken.length ? `, ${broken.length} broken` : ''}`,
  );
  if (broken.length > 0) {
    lines.push(
      `pgwarden migrate refuses the folder until ${broken.length === 1 ? 'the broken file is' : 'the broken files are'} fixed.`,
    );
    for (const hint of new Set(broken.map((b) => b.hint).filter((h) => h !== undefined)))
      lines.push(`hint: ${hint}`);
  }
  return lines.join('\n');
}

export function renderPlan(result: PlanResult, cwd: string): string {
  const warnings = (result.warnings ?? []).map((w) => `warning: ${w}`);
  if (result.migrations.length === 0) return [...warnings, 'Nothing pending.'].join('\n');
  const lines: string[] = [
    ...warnings,
    `${result.migrations.length} pending ${result.format} migration${result.migrations.length === 1 ? '' : 's'} in ${displayPath(cwd, result.dir)} (PostgreSQL ${result.pgVersion})`,
  ];
  for (const m of result.migrations) {
    lines.push(
      '',
      `${m.id}  (${m.mode === 'transaction' ? 'one transaction' : 'statement by statement'})${m.contractAfter ? `  contract step after ${m.contractAfter}: not in the run that applies it` : ''}`,
    );
    if (m.droppedTransactionControl)
      lines.push(`  ${droppedTransactionNote(m.droppedTransactionControl, m.mode)}`);
    for (const s of m.statements) {
      lines.push(`  line ${s.line}: ${s.sql.split('\n')[0]!.slice(0, 90)}${PLAN_MODE[s.mode]}`);
      for (const lock of s.locks) {
        const size = s.relations.find((r) => r.relation === lock.relation);
        const sized = sizeNote({
          rowEstimate: size?.rowEstimate ?? undefined,
          totalBytes: size?.totalBytes ?? undefined,
        });
        lines.push(`    ${lock.modes.join(' + ')} on ${lock.relation}${sized}: blocks ${lock.blocks}`);
      }
      if (s.rewrites.length) lines.push(`    rewrites ${s.rewrites.join(', ')}`);
      if (s.scans.length) lines.push(`    scans ${s.scans.join(', ')}`);
    }
    for (const f of m.findings) lines.push(`  ${f.level} ${f.rule} (line ${f.line}): ${f.message}`);
  }
  return lines.join('\n');
}
