/** The CLI: global options, commands, and the single place errors become exit codes. */
import { Command } from 'commander';
import { onNotice } from '../db/notices.js';
import { VERSION } from '../version.js';
import { registerBackfill } from './commands/backfill.js';
import { registerBackupCommands } from './commands/backup.js';
import { registerDeploy } from './commands/deploy.js';
import { registerDoctor } from './commands/doctor.js';
import { registerDrift } from './commands/drift.js';
import { registerFix } from './commands/fix.js';
import { registerInit } from './commands/init.js';
import { registerLint } from './commands/lint.js';
import { registerMigrationCommands } from './commands/migrations.js';
import { registerTrace } from './commands/trace.js';
import { reportError } from './errors.js';
import type { CliIo } from './io.js';

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let exitCode = 0;
  const program = new Command('pgwarden')
    .description(
      'Safe PostgreSQL deploys: lock-aware migration linting, safe migrations, verified backups, a deploy pipeline, pre-deploy checks and drift detection.',
    )
    .version(VERSION, '-V, --version', 'print the version')
    .option('--database-url <url>', 'PostgreSQL URL (default: $DATABASE_URL; libpq PG* variables also work)')
    .option(
      '--config <file>',
      'configuration file (default: ./pgwarden.config.json or package.json#pgwarden)',
    )
    .option('--json', 'machine-readable output on stdout')
    .option('--no-color', 'no colours in the output')
    .option('--quiet', 'print less')
    .option('--verbose', 'print more, including stack traces for errors')
    .showHelpAfterError('(run pgwarden --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });
  const setExit = (code: number) => {
    exitCode = code;
  };
  registerLint(program, io, setExit);
  registerMigrationCommands(program, io, setExit);
  registerTrace(program, io, setExit);
  registerBackupCommands(program, io, setExit);
  registerBackfill(program, io, setExit);
  registerDeploy(program, io, setExit);
  registerDoctor(program, io, setExit);
  registerDrift(program, io, setExit);
  registerFix(program, io, setExit);
  registerInit(program, io, setExit);
  const stopNotices = onNotice((n) => io.stderr.write(`pgwarden: warning: ${n.text}\n`));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    const globals = program.opts();
    return reportError(error, io, { json: globals.json === true, verbose: globals.verbose === true });
  } finally {
    stopNotices();
  }
}
