/** `pgwarden backfill`: options and help; the work is in backfill-run.ts, loaded on use. */
import type { Command } from 'commander';
import type { CliIo, GlobalOptions } from '../io.js';
import type { BackfillCliOptions } from './backfill-run.js';

export function registerBackfill(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('backfill')
    .description(
      'run an UPDATE in short batches over the table’s key (resumable, throttled by replica lag, autovacuum and waiting sessions)',
    )
    .requiredOption('--table <name>', 'the table (name or schema.name)')
    .requiredOption('--set <assignments>', 'what to set, as in UPDATE … SET: "col = expression, …"')
    .option('--where <condition>', 'only rows matching this condition')
    .option('--batch <rows>', 'rows per batch, or auto (adapted to --target)', 'auto')
    .option('--target <duration>', 'target duration of a batch (batch auto)', '200ms')
    .option(
      '--max-lag <duration>',
      'wait while a replica replays further behind than this (off: never)',
      '2s',
    )
    .option('--sleep <duration>', 'pause between batches', '0')
    .option(
      '--vacuum-margin <factor>',
      'wait while the table’s dead rows exceed this many times the point where autovacuum starts (off: never)',
      '10',
    )
    .option(
      '--lock-timeout <duration>',
      'lock timeout of each batch (default: migrate.lockTimeout, or 500ms)',
    )
    .option(
      '--dry-run',
      'show the key, batch size, first batch boundaries and estimated duration; change nothing',
    )
    .addHelpText(
      'after',
      `
Each batch is a transaction of its own: the next keys after the last one done, the UPDATE
limited to them, and the progress row in pgwarden.backfills, committed together. The range ends
at the largest key when the backfill starts (rows inserted later are not touched: give the
column a default, or a trigger, first). Ctrl-C stops after the batch under way; the same command
run again resumes where it stopped, and after a finished run starts over.
The table needs a primary key, or a unique index over NOT NULL columns.
With --json: one JSON line per second while it runs, and the result as the last line.
Exit codes: 0 done, 1 a batch failed (the batches before it stay), 2 bad input, 3 cannot
connect or another run is doing the same backfill, 130 interrupted.
Examples:
  pgwarden backfill --table users --set "email_verified = false" --where "email_verified IS NULL"
  pgwarden backfill --table users --set "name_lower = lower(name)" --dry-run
  pgwarden backfill --table events --set "kind = 'click'" --batch 5000 --sleep 50ms`,
    )
    .action(async (_options: BackfillCliOptions, command: Command) => {
      const options = command.optsWithGlobals() as GlobalOptions & BackfillCliOptions;
      const { runBackfillCommand } = await import('./backfill-run.js');
      const controller = new AbortController();
      const abort = (): void => controller.abort();
      process.once('SIGINT', abort);
      process.once('SIGTERM', abort);
      try {
        setExit(await runBackfillCommand(options, io, controller.signal));
      } finally {
        process.off('SIGINT', abort);
        process.off('SIGTERM', abort);
      }
    });
}
