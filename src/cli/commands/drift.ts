/** `pgwarden drift`: options and help; the work is in drift-run.ts, loaded on use. */
import type { Command } from 'commander';
import type { CliIo, GlobalOptions } from '../io.js';
import { sourceOptions } from '../source-options.js';
import type { DriftCliOptions } from './drift-run.js';

export function registerDrift(program: Command, io: CliIo, setExit: (code: number) => void): void {
  sourceOptions(
    program
      .command('drift')
      .description(
        'replay the migrations on a scratch database and compare its schema with the live one: every difference, with the SQL that makes live match the migrations',
      ),
  )
    .option(
      '--shadow-url <url>',
      'an empty database to replay the migrations in, instead of a scratch database created (and dropped) on the live server',
    )
    .addHelpText(
      'after',
      `
Compared: tables, columns (type, nullability, default), indexes (and whether they are valid),
constraints (and whether they are validated), sequences, views, functions, triggers, enums,
extensions and row level security policies. The migration history tables and schema pgwarden
are left out. Without --shadow-url the role needs CREATEDB; the scratch database is dropped at
the end, also on an error or Ctrl-C. The live database is only read.
Exit codes: 0 no drift, 1 drift found (or a migration fails in the replay), 2 bad input (also a
non-empty --shadow-url, emptied again after use), 3 cannot connect or no CREATEDB, 130 interrupted.
Examples:
  pgwarden drift
  pgwarden drift --json > drift.json
  pgwarden drift --shadow-url postgres://ci@localhost/shadow`,
    )
    .action(async (_options: DriftCliOptions, command: Command) => {
      const options = command.optsWithGlobals() as GlobalOptions & DriftCliOptions;
      const { runDrift } = await import('./drift-run.js');
      // Ctrl-C cancels the replay and drops the scratch database; a second one ends the process at once
      const controller = new AbortController();
      const abort = (): void => controller.abort();
      process.once('SIGINT', abort);
      process.once('SIGTERM', abort);
      try {
        setExit(await runDrift(options, io, controller.signal));
      } finally {
        process.off('SIGINT', abort);
        process.off('SIGTERM', abort);
      }
    });
}
