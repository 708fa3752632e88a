/** The work behind `pgwarden backfill`, loaded only when the command runs. */
import { adhocBackfill } from '../../backfill/adhoc.js';
import { type BackfillOptions, DEFAULT_BACKFILL_OPTIONS, runBackfill } from '../../backfill/backfill.js';
import { type BackfillPlan, planBackfill } from '../../backfill/dry-run.js';
import { readMarkerOptions } from '../../backfill/marker.js';
import { loadConfig } from '../../config/load.js';
import { migrateTimeouts, Problems } from '../../config/settings.js';
import { connect } from '../../db/connect.js';
import { databaseUrlSetting } from '../../db/url.js';
import { EXIT } from '../../errors/codes.js';
import { currentActor } from '../../migrate/ledger.js';
import { loadParser } from '../../sql/parser.js';
import { escapeControls } from '../../sql/quote.js';
import { backfillReporter } from '../backfill-progress.js';
import type { CliIo, GlobalOptions } from '../io.js';

export interface BackfillCliOptions {
  table: string;
  set: string;
  where?: string;
  batch: string;
  target: string;
  maxLag: string;
  sleep: string;
  vacuumMargin: string;
  lockTimeout?: string;
  dryRun?: boolean;
}

export async function runBackfillCommand(
  options: GlobalOptions & BackfillCliOptions,
  io: CliIo,
  signal: AbortSignal,
): Promise<number> {
  const { config } = await loadConfig({ cwd: io.cwd, file: options.config });
  const problems = new Problems();
  const timeouts = migrateTimeouts({ lockTimeout: options.lockTimeout }, io.env, config, problems);
  const tuned = problems.collect(() =>
    readMarkerOptions([
      `batch=${options.batch}`,
      `target=${options.target}`,
      `max-lag=${options.maxLag}`,
      `sleep=${options.sleep}`,
      `vacuum-margin=${options.vacuumMargin}`,
    ]),
  );
  problems.throwIfAny('backfill cannot start: invalid settings');
  await loadParser();
  const spec = adhocBackfill({ table: options.table, set: options.set, where: options.where });
  const settings: BackfillOptions = {
    ...DEFAULT_BACKFILL_OPTIONS,
    lockTimeoutMs: timeouts.lockTimeoutMs,
    retryBudgetMs: timeouts.retryBudgetMs,
    ...tuned,
  };
  const client = await connect({
    url: databaseUrlSetting(options.databaseUrl, io.env),
    applicationName: 'pgwarden backfill',
  });
  const out = (text: string) => io.stdout.write(`${text}\n`);
  try {
    if (options.dryRun) {
      const plan = await planBackfill(client, spec, settings);
      out(options.json ? JSON.stringify(plan, null, 2) : renderPlan(plan));
      return EXIT.ok;
    }
    const reporter = backfillReporter({
      stream: options.quiet ? { write: () => undefined } : options.json ? io.stdout : io.stderr,
      bar: io.stderr.isTTY === true && !options.quiet && !options.json,
      json: options.json === true,
      indent: '',
    });
    try {
      const result = await runBackfill(client, { ...spec, finished: 'again' }, settings, {
        actor: currentActor(undefined),
        signal,
        onEvent: (event) => reporter.event(event),
      });
      if (options.json) out(JSON.stringify({ type: 'result', ...result }));
      else {
        out(
          `Backfilled ${result.table}: ${result.rowsUpdated} rows updated of ${result.rowsDone} in ${result.batches} batches (${(result.durationMs / 1000).toFixed(1)} s).`,
        );
      }
      return EXIT.ok;
    } finally {
      reporter.stop();
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

function renderPlan(plan: BackfillPlan): string {
  const keys = (k: string[] | undefined) =>
    k ? escapeControls(k.length === 1 ? k[0]! : `(${k.join(', ')})`) : '—';
  const lines = [
    `Backfill of ${plan.table} (dry run: nothing changed)`,
    `  statement: ${escapeControls(plan.statement)}`,
    `  key: ${plan.key.join(', ')} (${plan.index}), ${plan.rows} rows up to ${keys(plan.maxKey)}`,
  ];
  if (plan.resumesAfter)
    lines.push(`  an earlier run stopped after ${keys(plan.resumesAfter)}: this one resumes there`);
  lines.push(
    `  batches: ${plan.batches} of ${plan.batchSize} rows${plan.batchSizeFrom === 'sample' ? ' (auto: the size the sample batch suggests for the target duration)' : ''}`,
  );
  if (plan.boundaries.length) {
    lines.push(
      `  first batches end at: ${plan.boundaries.map(keys).join(', ')}${plan.batches > plan.boundaries.length ? ', …' : ''}`,
    );
  }
  if (plan.sample && 'error' in plan.sample)
    lines.push(`  no estimate: the sample batch failed: ${escapeControls(plan.sample.error)}`);
  else if (plan.sample) {
    lines.push(
      `  sample: one batch of ${plan.sample.rows} rows (${plan.sample.updated} matching) took ${plan.sample.durationMs} ms, rolled back`,
    );
  }
  if (plan.estimatedMs !== undefined)
    lines.push(`  estimated duration: ${(plan.estimatedMs / 1000).toFixed(1)} s`);
  return lines.join('\n');
}
