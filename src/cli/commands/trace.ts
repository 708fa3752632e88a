/** `pgwarden trace <file or migration>`: options and help; the work is in trace-run.ts, loaded on use. */
import type { Command } from 'commander';
import type { CliIo, GlobalOptions } from '../io.js';
import type { TraceCliOptions } from './trace-run.js';

export function registerTrace(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('trace')
    .description(
      'run SQL in a transaction that is rolled back (or on a scratch copy of the schema) and report the locks, rewrites, scans and duration of every statement',
    )
    .argument('<target>', 'a SQL file, or a migration id (its up script)')
    .option(
      '--scratch',
      'run on a scratch database created from the live schema (needs CREATEDB and pg_dump), so statements that cannot run in a transaction run too',
    )
    .option('--lock-timeout <ms>', 'lock_timeout for every statement (default: migrate.lockTimeout or 500)')
    .option('--statement-timeout <ms>', 'statement_timeout for every statement (default: none)')
    .addHelpText(
      'after',
      `
Exit codes: 0 the trace ran, 1 a statement failed (or waited longer than the lock timeout), 2 bad input, 3 cannot connect.
Nothing is changed: the transaction is always rolled back, or the scratch database is dropped.
Sequences advanced by the SQL (nextval) keep their new values; PostgreSQL never rolls those back.
Examples:
  DATABASE_URL="$STAGING_URL" pgwarden trace migrations/0042_add_token.sql
  pgwarden trace 0042 --json
  pgwarden trace --scratch migrations/0043_concurrent_index.sql`,
    )
    .action(async (target: string, options: TraceCliOptions, command: Command) => {
      const globals = command.optsWithGlobals() as GlobalOptions & TraceCliOptions;
      const { runTrace } = await import('./trace-run.js');
      // Ctrl-C cancels the running statement and cleans up (rollback, scratch database dropped);
      // a second Ctrl-C falls back to the default and ends the process at once.
      const controller = new AbortController();
      const abort = (): void => controller.abort();
      process.once('SIGINT', abort);
      process.once('SIGTERM', abort);
      try {
        setExit(await runTrace(target, options, globals, io, controller.signal));
      } finally {
        process.off('SIGINT', abort);
        process.off('SIGTERM', abort);
      }
    });
}
