/**
 * The runner commands — `status`, `plan`, `migrate`, `rollback`, `resolve` — options and help;
 * the work is in migrations-run.ts, loaded on use.
 */
import type { Command } from 'commander';
import type { CliIo, GlobalOptions } from '../io.js';
import { lintGateOption } from '../lint-gate-option.js';
import { sourceOptions } from '../source-options.js';
import type { RunnerCliOptions } from './migrations-run.js';

type SetExit = (code: number) => void;

function runOptions(command: Command): Command {
  return command
    .option(
      '--lock-timeout <duration>',
      'longest wait for a table lock before the migration is rolled back and retried (default 500ms)',
    )
    .option('--statement-timeout <duration>', 'statement_timeout for migration statements (default: none)')
    .option('--retry-budget <duration>', 'total time for lock-timeout retries of one migration (default 5m)')
    .option('--lock-wait <duration>', 'how long to wait for another deploy to finish (default 10m)')
    .option('--allow-uncommitted', 'run even when migration files are untracked or modified in git');
}

export function registerMigrationCommands(program: Command, io: CliIo, setExit: SetExit): void {
  const action =
    (name: 'status' | 'plan' | 'migrate' | 'rollback' | 'resolve') =>
    async (...args: unknown[]) => {
      const command = args[args.length - 1] as Command;
      const globals = command.optsWithGlobals() as GlobalOptions & RunnerCliOptions;
      const positional = args.slice(0, -2) as string[];
      const run = await import('./migrations-run.js');
      setExit(await run.runMigrationCommand(name, positional, globals, io));
    };

  sourceOptions(
    program
      .command('status')
      .description('applied, pending, modified, missing and failed migrations')
      .option('--check', 'exit 1 when anything is pending, modified, missing or failed'),
  )
    .addHelpText(
      'after',
      '\nExit codes: 0 up to date (or without --check), 1 --check found work or problems, 2 bad input, 3 cannot connect.',
    )
    .action(action('status'));

  sourceOptions(
    program
      .command('plan')
      .description(
        'what migrate would do: per statement, transaction mode, locks, rewrites, scans, table sizes, lint findings',
      ),
  ).action(action('plan'));

  lintGateOption(
    runOptions(
      sourceOptions(
        program
          .command('migrate')
          .description(
            'apply pending migrations safely: lint gate, one deploy at a time, bounded lock waits with retries',
          )
          .option('--target <id>', 'stop after this migration')
          .option('--dry-run', 'show the plan and change nothing (never gated)')
          .option('--allow-out-of-order', 'apply pending migrations older than applied ones')
          .option(
            '--allow-contract <reason>',
            'run contract steps (-- pgwarden:contract) now, even in the run of their expand step; the reason is recorded',
          ),
      ),
    ),
  )
    .addHelpText(
      'after',
      `
Lint gate (as deploy's): under the migration lock, the migrations about to run are linted as the
runner runs them; an error-level finding stops the run before anything is applied (LINT_GATE,
exit 1). Ways through: ignore the rule on the statement with a reason (-- pgwarden-ignore <rule>:
<why>), or --no-lint-gate "<reason>" (a warning; recorded in pgwarden.events with the findings it let
through). migrate.lintGate: false in pgwarden.config.json turns the gate off.
Contract steps (-- pgwarden:contract after=<expand id>) never run in the run that applies their
expand step, nor before migrate.contractMinAge: the run applies what comes before and stops there,
saying why (exit 0); --allow-contract "<reason>" runs them (recorded).
Each migration runs in one transaction with SET LOCAL lock_timeout; on lock timeout it is rolled back
and retried with backoff, so the app never waits longer than the lock timeout behind it. Statements
PostgreSQL refuses in a transaction (CREATE INDEX CONCURRENTLY…) run alone; a re-run resumes.
Settings: options, then PGWARDEN_LOCK_TIMEOUT / PGWARDEN_STATEMENT_TIMEOUT / PGWARDEN_RETRY_BUDGET /
PGWARDEN_LOCK_WAIT, then the "migrate" section of pgwarden.config.json.
Exit codes: 0 done, 1 lint errors (nothing applied), a migration failed (rolled back) or the history is
inconsistent, 2 bad input, 3 cannot connect / another deploy holds the lock, 130 interrupted.`,
    )
    .action(action('migrate'));

  runOptions(
    sourceOptions(
      program
        .command('rollback')
        .description(
          'run down migrations (formats with down scripts: plain, dbmate, golang-migrate, node-pg-migrate)',
        )
        .option('--steps <n>', 'how many migrations to roll back (default 1)')
        .option('--to <id>', 'roll back every migration applied after this one'),
    ),
  ).action(action('rollback'));

  runOptions(
    sourceOptions(
      program
        .command('resolve')
        .description(
          "record the outcome of a failed migration (the tool's blocking state), or mark a pending one applied without running it (a baseline); logged in pgwarden.events",
        )
        .argument('<migration>', 'migration id, file or directory name')
        .option(
          '--applied',
          'the migration is in fact applied (or, for a pending one: its schema already exists)',
        )
        .option('--rolled-back', 'the migration is not applied'),
    ),
  ).action(action('resolve'));
}
