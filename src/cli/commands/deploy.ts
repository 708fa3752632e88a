/** `pgwarden deploy [-- command…]`: options and help; the work is in deploy-run.ts, loaded on use. */
import type { Command } from 'commander';
import type { CliIo, GlobalOptions } from '../io.js';
import { LINT_GATE_DESCRIPTION, LINT_GATE_FLAGS } from '../lint-gate-option.js';
import { sourceOptions } from '../source-options.js';
import type { DeployCliOptions } from './deploy-run.js';

export function registerDeploy(program: Command, io: CliIo, setExit: (code: number) => void): void {
  sourceOptions(
    program
      .command('deploy')
      .description('check, back up, migrate, recover, prune, health-check, then start the app (after --)')
      .argument(
        '[command...]',
        'the app to start when the database is ready, after --, e.g. -- node server.js',
      ),
  )
    .option('--backup-dir <dir>', 'backup directory (default: BACKUP_DIR, backup.dir, else ./backups)')
    .option('--restore-on-failure <policy>', 'never | if-no-writes (default) | always')
    .option('--force-window <reason>', 'deploy outside the deploy windows; the reason is recorded')
    .option(
      '--accept-drift <reason>',
      'deploy although the schema changed by hand since the last deploy; recorded',
    )
    .option('--allow-uncommitted', 'run even when migration files are untracked or modified in git')
    .option(LINT_GATE_FLAGS, LINT_GATE_DESCRIPTION)
    .option(
      '--allow-contract <reason>',
      'run contract steps (-- pgwarden:contract) in the deploy that applies their expand step; the reason is recorded',
    )
    .option('--lock-timeout <duration>', 'longest wait for a table lock per attempt (default 500ms)')
    .option('--statement-timeout <duration>', 'statement_timeout for migration statements (default: none)')
    .option('--retry-budget <duration>', 'total time for lock-timeout retries of one migration (default 5m)')
    .option('--lock-wait <duration>', 'how long to wait for another deploy to finish (default 10m)')
    .addHelpText(
      'after',
      `
Nothing pending: the app starts at once (no backup, no waiting). Otherwise, under the migration
lock: lint gate (an error-level finding stops the deploy before any change, unless ignored on the
statement with a reason, -- pgwarden-ignore <rule>: <why>, or let through with --no-lint-gate
"<reason>", recorded; deploy.lintGate: false turns it off), a verified pre-deploy backup, migrate; a failed migration is rolled back, and
partly applied non-transactional steps are restored from the backup per --restore-on-failure
(if-no-writes: only when no row was written since the backup). Then prune, the health check
(deploy.healthCheck), and the app: signals are forwarded and its exit code is pgwarden's.
Environment: DATABASE_URL, BACKUP_DIR, BACKUP_RETENTION_DAYS, PGWARDEN_RESTORE_ON_FAILURE,
PGWARDEN_HEALTH_URL, PGWARDEN_LOCK_TIMEOUT / _STATEMENT_TIMEOUT / _RETRY_BUDGET / _LOCK_WAIT.
Exit codes: the app's once it runs; before that 1 a step failed (nothing applied, or rolled back /
restored as printed), 2 bad input or settings, 3 cannot connect / pg_dump missing / another
deploy holds the lock / the app cannot be started, 130 interrupted.`,
    )
    .action(async (command: string[], _options: unknown, cmd: Command) => {
      const run = await import('./deploy-run.js');
      setExit(await run.runDeploy(command, cmd.optsWithGlobals() as GlobalOptions & DeployCliOptions, io));
    });
}
