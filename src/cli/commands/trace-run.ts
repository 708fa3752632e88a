/** The work behind `pgwarden trace`, loaded only when the command runs: target, options, rendering. */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { createColors } from 'picocolors';
import { loadConfig } from '../../config/load.js';
import { describeTarget } from '../../db/connect.js';
import { databaseUrlSetting } from '../../db/url.js';
import { EXIT } from '../../errors/codes.js';
import { PgwardenError } from '../../errors/pgwarden-error.js';
import { shortName } from '../../lint/describe.js';
import { describeBlocks, LOCK_MODES, type LockMode, lockModeSql } from '../../locks/modes.js';
import { displayPath, findMigration, loadMigrations } from '../../migrate/source.js';
import { quoteIdent } from '../../sql/quote.js';
import { readSqlFile } from '../../sql/source.js';
import {
  describeBlocker,
  type TracedStatement,
  type TraceResult,
  type TraceSource,
  trace,
} from '../../trace/trace.js';
import { type CliIo, type GlobalOptions, useColor } from '../io.js';

export interface TraceCliOptions {
  scratch?: boolean;
  lockTimeout?: string;
  statementTimeout?: string;
}

export async function runTrace(
  target: string,
  options: TraceCliOptions,
  globals: GlobalOptions,
  io: CliIo,
  signal?: AbortSignal,
): Promise<number> {
  const { config } = await loadConfig({ cwd: io.cwd, file: globals.config });
  const lockTimeoutMs =
    parseMs('--lock-timeout', options.lockTimeout, 1) ?? positive(config.migrate?.lockTimeout) ?? 500;
  const statementTimeoutMs =
    parseMs('--statement-timeout', options.statementTimeout, 0) ?? config.migrate?.statementTimeout ?? 0;
  const databaseUrl = databaseUrlSetting(globals.databaseUrl, io.env);
  if (!databaseUrl) {
    throw new PgwardenError('USAGE', 'trace needs a database: no --database-url and no DATABASE_URL', {
      hint: 'Pass --database-url postgres://user@host/db (a staging copy is best) or set DATABASE_URL.',
    });
  }
  const source = await resolveTarget(target, io, config.migrations);

  const progress = globals.quiet ? undefined : (line: string) => io.stderr.write(`  ${line}\n`);
  if (progress) {
    progress(
      `tracing ${source.path} on ${describeTarget(databaseUrl)}${options.scratch ? ' (scratch copy)' : ' (transaction rolled back)'}`,
    );
  }
  const result = await trace({
    databaseUrl,
    source,
    scratch: options.scratch === true,
    lockTimeoutMs,
    statementTimeoutMs,
    ...(progress ? { onProgress: progress } : {}),
    ...(signal ? { signal } : {}),
  });

  if (globals.json) io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else io.stdout.write(`${renderTraceText(result, { color: useColor(io, globals) })}\n`);
  if (result.scratch && !result.scratch.dropped) {
    io.stderr.write(
      `pgwarden: warning: the scratch database ${result.scratch.database} could not be dropped: ${result.scratch.dropError ?? 'unknown error'}\n  hint: drop it yourself: DROP DATABASE ${quoteIdent(result.scratch.database)} WITH (FORCE);\n`,
    );
  }
  return result.error ? EXIT.failure : EXIT.ok;
}

function parseMs(flag: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw new PgwardenError(
      'USAGE',
      `${flag} must be a whole number of milliseconds${min > 0 ? ' above 0' : ''}, not "${value}"`,
      min > 0
        ? {
            hint: 'trace always bounds lock waits so the application never queues behind it; the default is 500.',
          }
        : { hint: '0 means no statement timeout.' },
    );
  }
  return n;
}

function positive(value: number | undefined): number | undefined {
  return value !== undefined && value > 0 ? value : undefined;
}

/** An existing file is traced as it is; anything else is looked up as a migration (its up script). */
async function resolveTarget(
  target: string,
  io: CliIo,
  migrations:
    | {
        dir?: string | readonly string[] | undefined;
        format?: string | undefined;
        table?: string | undefined;
      }
    | undefined,
): Promise<TraceSource> {
  const path = resolve(io.cwd, target);
  if (existsSync(path)) {
    if (statSync(path).isDirectory()) {
      throw new PgwardenError('USAGE', `${target}: is a directory`, {
        hint: 'Give one SQL file or a migration id (pgwarden trace 0042 or pgwarden trace migrations/0042_x.sql).',
      });
    }
    return { path: displayPath(io.cwd, path), text: readSqlFile(path).text };
  }
  try {
    const found = await loadMigrations({ cwd: io.cwd, dir: migrations?.dir, format: migrations?.format });
    const migration = findMigration(found.migrations, target);
    return {
      path: displayPath(io.cwd, migration.up.path),
      text: migration.up.text,
      offset: migration.up.offset,
    };
  } catch (error) {
    if (error instanceof PgwardenError && (error.code === 'PATH_NOT_FOUND' || error.code === 'USAGE')) {
      throw new PgwardenError(
        'PATH_NOT_FOUND',
        `${target}: no such file, and not a known migration (${error.message})`,
        {
          hint: error.hint ?? 'Give the path of a SQL file, or a migration id from the migrations directory.',
        },
      );
    }
    throw error;
  }
}

export interface StrongestHold {
  mode: LockMode;
  /** Relations locked in that mode, longest held first. */
  relations: string[];
  /** From the statement that took it to the end of its transaction (sum of statement durations). */
  heldMs: number;
  /** Line of the statement that took it (for the longest-held relation). */
  fromLine: number;
  /** True when the mode is the lock table's prediction (a statement run outside a transaction). */
  predicted: boolean;
}

/**
 * The strongest lock the trace took on a relation other sessions can see, and how long it was
 * held: locks live until their transaction ends, so that is how long the application waits.
 */
export function strongestHold(result: TraceResult): StrongestHold | undefined {
  const segments: TracedStatement[][] = [];
  let current: TracedStatement[] = [];
  for (const s of result.statements) {
    if (!s.ran) continue;
    // in scratch mode a statement PostgreSQL refuses in a transaction ran alone, outside any
    if (result.mode === 'scratch' && !s.observed && s.index !== result.error?.statementIndex) {
      if (current.length) segments.push(current);
      segments.push([s]);
      current = [];
      continue;
    }
    current.push(s);
  }
  if (current.length) segments.push(current);

  const holds = new Map<
    string,
    { mode: LockMode; relation: string; heldMs: number; line: number; predicted: boolean }
  >();
  for (const segment of segments) {
    segment.forEach((s, i) => {
      const heldMs = segment.slice(i).reduce((sum, x) => sum + x.durationMs, 0);
      const locks = s.observed
        ? s.locks.filter((l) => !l.created).map((l) => ({ ...l, predicted: false }))
        : (s.predicted ?? []).map((l) => ({ ...l, predicted: true }));
      for (const lock of locks) {
        for (const mode of lock.modes) {
          const key = `${lock.relation}\0${mode}`;
          const known = holds.get(key);
          if (!known || known.heldMs < heldMs) {
            holds.set(key, {
              mode,
              relation: lock.relation,
              heldMs,
              line: s.line,
              predicted: lock.predicted,
            });
          }
        }
      }
    });
  }
  let best: LockMode | undefined;
  for (const h of holds.values()) {
    if (best === undefined || LOCK_MODES.indexOf(h.mode) > LOCK_MODES.indexOf(best)) best = h.mode;
  }
  if (best === undefined) return undefined;
  const top = [...holds.values()].filter((h) => h.mode === best).sort((a, b) => b.heldMs - a.heldMs);
  const first = top[0]!;
  return {
    mode: best,
    relations: top.map((h) => h.relation),
    heldMs: Math.round(first.heldMs * 100) / 100,
    fromLine: first.line,
    predicted: first.predicted,
  };
}

export function renderTraceText(result: TraceResult, options: { color: boolean }): string {
  const c = createColors(options.color);
  const name = (relation: string) => shortName(relation);
  const names = (list: string[]) => list.map(name).join(', ');
  const out: string[] = [];
  const how =
    result.mode === 'scratch'
      ? `on a scratch copy of the schema${result.scratch ? ` (${result.scratch.database}, ${result.scratch.dropped ? 'dropped' : 'NOT dropped'})` : ''}`
      : 'in a transaction that was rolled back';
  out.push(c.bold(`Trace of ${result.path} on PostgreSQL ${result.pgVersion}, ${how}`));
  if (result.mode === 'scratch') {
    out.push(
      c.dim(
        'The scratch copy holds the schema only, no rows: durations and rows read are not the live ones.',
      ),
    );
  }
  out.push('');
  if (result.statements.length === 0) out.push('  (no statements)');
  else out.push(c.dim(`  ${'line'.padStart(5)}  ${'time'.padEnd(11)}  statement`));

  const indent = ' '.repeat(2 + 5 + 2 + 11 + 2);
  for (const s of result.statements) {
    const time = !s.ran ? 'skipped' : `${formatMs(s.durationMs)}`;
    const failed = result.error?.statementIndex === s.index;
    const head = `  ${String(s.line).padStart(5)}  ${time.padEnd(11)}  ${oneLine(s.sql, 72)}`;
    out.push(failed ? c.red(head) : !s.ran ? c.dim(head) : head);
    for (const lock of s.locks.filter((l) => !l.created)) {
      out.push(`${indent}${lockText(lock.modes, c)} → ${name(lock.relation)}`);
    }
    if (!s.observed) {
      for (const lock of s.predicted ?? []) {
        out.push(`${indent}${c.dim('predicted')} ${lockText(lock.modes, c)} → ${name(lock.relation)}`);
      }
    }
    if (s.rewrites.length) out.push(`${indent}${c.yellow('rewrite')} ${names(s.rewrites)}`);
    for (const scan of s.scans) {
      out.push(
        `${indent}${c.yellow('scan')} ${name(scan.relation)} (${scan.seqScans === 1 ? '1 pass' : `${scan.seqScans} passes`}, ${scan.tuplesRead.toLocaleString('en-US')} rows read)`,
      );
    }
    if (s.created.length) out.push(`${indent}${c.dim('created')} ${names(s.created)}`);
    if (s.dropped.length) out.push(`${indent}${c.dim('dropped')} ${names(s.dropped)}`);
    if (s.skipped) out.push(`${indent}${c.dim(s.skipped)}`);
  }
  out.push('');

  if (result.error) {
    out.push(c.red(c.bold(`✖ ${result.path}:${result.error.line}: ${result.error.message}`)));
    const blockers =
      result.error.lockWait?.blockers ?? result.error.holders?.flatMap((h) => h.blockers) ?? [];
    for (const b of blockers) out.push(`    ${describeBlocker(b)}`);
    if (result.error.hint) out.push(`  hint: ${result.error.hint}`);
  }
  const hold = strongestHold(result);
  if (hold) {
    const where = hold.relations.map(name).join(', ');
    const until =
      result.mode === 'scratch' && hold.predicted
        ? 'while the statement ran'
        : 'to the end of its transaction';
    out.push(
      `Strongest lock: ${c.bold(lockModeSql(hold.mode))} on ${c.bold(where)}${hold.predicted ? ' (predicted)' : ''}, held ${c.bold(formatMs(hold.heldMs))} (from line ${hold.fromLine} ${until}); it blocks ${describeBlocks([hold.mode])}.`,
    );
  } else if (result.statements.some((s) => s.ran)) {
    out.push('No lock on an existing relation.');
  }
  const ran = result.statements.filter((s) => s.ran).length;
  const skipped = result.statements.length - ran;
  const ending =
    result.mode === 'rollback'
      ? 'rolled back, nothing was changed'
      : result.scratch?.dropped === false
        ? 'the scratch database was NOT dropped'
        : 'the scratch database was dropped, the live database was not touched';
  out.push(
    c.dim(
      `${ran} statement${ran === 1 ? '' : 's'} run${skipped ? `, ${skipped} skipped` : ''}, ${formatMs(result.totalMs)} in total; ${ending}.`,
    ),
  );
  return out.join('\n');
}

function lockText(modes: LockMode[], c: ReturnType<typeof createColors>): string {
  const text = modes.map(lockModeSql).join(' + ');
  return modes.includes('AccessExclusiveLock') ? c.red(text) : text;
}

function formatMs(ms: number): string {
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 100) return `${Math.round(ms)} ms`;
  return `${ms.toFixed(1)} ms`;
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
