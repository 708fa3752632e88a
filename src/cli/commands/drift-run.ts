/**
 * The work behind `pgwarden drift`, loaded only when the command runs: options, progress, rendering.
 * The differences' texts come quoted from src/drift (src/sql/quote.ts); what else reaches the
 * terminal (migration ids, server messages) has its control characters made visible here.
 */
import { createColors } from 'picocolors';
import { loadConfig } from '../../config/load.js';
import { describeTarget } from '../../db/connect.js';
import { databaseUrlSetting } from '../../db/url.js';
import type { Difference } from '../../drift/diff.js';
import { type DriftEvent, type DriftResult, drift } from '../../drift/drift.js';
import { EXIT } from '../../errors/codes.js';
import { displayPath } from '../../migrate/source.js';
import { escapeControls, quoteIdent } from '../../sql/quote.js';
import { type CliIo, type GlobalOptions, useColor } from '../io.js';

export interface DriftCliOptions {
  dir?: string | string[];
  format?: string;
  shadowUrl?: string;
}

export async function runDrift(
  options: GlobalOptions & DriftCliOptions,
  io: CliIo,
  signal?: AbortSignal,
): Promise<number> {
  const { config } = await loadConfig({ cwd: io.cwd, file: options.config });
  const databaseUrl = databaseUrlSetting(options.databaseUrl, io.env);
  const progress = options.quiet
    ? undefined
    : (line: string) => io.stderr.write(`  ${escapeControls(line)}\n`);
  progress?.(
    `comparing ${describeTarget(databaseUrl)} with its migrations replayed on ${options.shadowUrl ? `the shadow database ${describeTarget(options.shadowUrl)}` : 'a scratch database'}`,
  );
  const result = await drift({
    databaseUrl,
    shadowUrl: options.shadowUrl,
    cwd: io.cwd,
    dir: options.dir ?? config.migrations?.dir,
    format: options.format ?? config.migrations?.format,
    table: config.migrations?.table,
    signal,
    ...(progress ? { onEvent: (event: DriftEvent) => describeEvent(event, progress) } : {}),
  });
  if (options.json) io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else io.stdout.write(`${renderDriftText(result, io.cwd, useColor(io, options))}\n`);
  if (result.dropError) {
    const problem = escapeControls(result.dropError);
    io.stderr.write(
      result.scratch === 'shadow'
        ? `pgwarden: warning: the shadow database ${result.database} could not be emptied again: ${problem}\n  hint: drop and create it again before the next drift run.\n`
        : `pgwarden: warning: the scratch database ${result.database} could not be dropped: ${problem}\n  hint: drop it yourself: DROP DATABASE ${quoteIdent(result.database)} WITH (FORCE);\n`,
    );
  }
  return result.differences.length ? EXIT.failure : EXIT.ok;
}

function describeEvent(event: DriftEvent, progress: (line: string) => void): void {
  switch (event.type) {
    case 'scratch-created':
      progress(`created the scratch database ${event.database}`);
      break;
    case 'replay-start':
      progress(`replaying ${event.migrations} migration${event.migrations === 1 ? '' : 's'}`);
      break;
    case 'migration-applied':
      progress(`applied ${event.id} (${event.durationMs} ms)`);
      break;
    case 'scratch-dropped':
      progress(
        event.error
          ? `could not drop the scratch database ${event.database}: ${event.error}`
          : `dropped the scratch database ${event.database}`,
      );
      break;
    case 'shadow-emptied':
      progress(
        event.error
          ? `could not empty the shadow database ${event.database} again: ${event.error}`
          : `emptied the shadow database ${event.database} again`,
      );
      break;
    default:
      break;
  }
}

export function renderDriftText(result: DriftResult, cwd: string, color: boolean): string {
  const c = createColors(color);
  const where = `${result.format} migrations in ${displayPath(cwd, result.dir)}`;
  if (result.differences.length === 0) {
    return `${c.green('No drift')}: the live schema matches the ${result.migrations} ${where}.`;
  }
  const lines: string[] = [];
  for (const d of result.differences) {
    lines.push(
      `${c.bold(escapeControls(`${d.kind} ${d.object}`))}: ${escapeControls(describeDifference(d))}`,
    );
    for (const line of d.sql.split('\n')) lines.push(`  ${line.startsWith('--') ? c.dim(line) : line}`);
    lines.push('');
  }
  const counts = (['missing', 'extra', 'different'] as const)
    .map((change) => [change, result.differences.filter((d) => d.change === change).length] as const)
    .filter(([, n]) => n > 0)
    .map(([change, n]) => `${n} ${change}`);
  const n = result.differences.length;
  lines.push(
    `${c.red(`${n} difference${n === 1 ? '' : 's'}`)} between the live schema and the ${where} (${counts.join(', ')}).`,
    'The SQL above makes the live schema match the migrations, run in this order and outside a transaction',
    '(CONCURRENTLY cannot run in one). Review it first: lines marked "drops" lose data. Or write a migration.',
  );
  return lines.join('\n');
}

function describeDifference(d: Difference): string {
  if (d.change !== 'different') return d.detail;
  return `${d.detail}: expected ${oneLine(d.expected)}, live ${oneLine(d.live)}`;
}

/** Long definitions (functions, views) are shown by their SQL below; here only their start. */
function oneLine(text: string | undefined): string {
  const flat = (text ?? '').replace(/\s+/g, ' ').trim();
  return flat.length > 80 ? `${flat.slice(0, 77)}...` : flat;
}
