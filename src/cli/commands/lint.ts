/** `pgwarden lint [paths…]`: options and help; the work is in lint-run.ts, loaded on use. */
import { type Command, Option } from 'commander';
import type { CliIo, GlobalOptions } from '../io.js';
import type { LintCliOptions } from './lint-run.js';

export function registerLint(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('lint')
    .description('check migration SQL for locks, rewrites and other deploy hazards')
    .argument(
      '[paths...]',
      'SQL files or directories (default: migrations.dir from the config, or ./migrations)',
    )
    .option(
      '--pg-version <major>',
      'PostgreSQL major version to check for (default: the connected server, config, or 15)',
    )
    .addOption(
      new Option('--format <format>', 'output format')
        .choices(['text', 'json', 'sarif', 'github'])
        .default('text'),
    )
    .option(
      '--runner <name>',
      'how the migrations are run: pgwarden (default), psql, transaction, single-query, flyway, or a tool name (prisma, dbmate, golang-migrate…)',
    )
    .option('--rule <id=level>', 'set a rule level: error, warning or off (repeatable)', collect, [])
    .option('--preset <name>', 'enable an opt-in preset: style (repeatable)', collect, [])
    .option('--fail-on <level>', 'exit 1 on findings at this level or above: error or warning', 'error')
    .option('--offline', 'do not connect to DATABASE_URL even when it is set')
    .option(
      '--changed-since <git ref>',
      'lint only the migrations changed since the ref (and uncommitted ones), after replaying the earlier ones',
    )
    .option(
      '--cache',
      'reuse the findings of files unchanged since the last run with --cache (not with a database)',
    )
    .option('--cache-location <file>', 'the cache file (default: .pgwarden-lintcache)')
    .option('--jobs <n>', 'threads to lint with (default: 1 below 4 cores, else half the cores, up to 4)')
    .option('--explain <rule>', "print a rule's documentation and exit")
    .option('--list-rules', 'list the rules and exit')
    .addHelpText(
      'after',
      `
Exit codes: 0 no errors, 1 errors found (or warnings with --fail-on warning), 2 bad input, 3 cannot connect.
Ignore a finding:  -- pgwarden-ignore <rule>: <reason>   (on the line before the statement)
Examples:
  pgwarden lint migrations/
  pgwarden lint --format sarif migrations/ > pgwarden.sarif
  DATABASE_URL=… pgwarden lint migrations/0042_add_index.sql
  pgwarden lint --explain adding-field-with-default`,
    )
    .action(async (paths: string[], options: LintCliOptions, command: Command) => {
      const globals = command.optsWithGlobals() as GlobalOptions & LintCliOptions;
      const { runLint } = await import('./lint-run.js');
      setExit(await runLint(paths, options, globals, io));
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
