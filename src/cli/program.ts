/** The CLI: global options, commands, and the single place errors become exit codes. */
import { Command } from 'commander';
import { onNotice } from '../db/notices.js';
import { VERSION } from '../version.js';
import { reportError } from './errors.js';
import type { CliIo } from './io.js';

type Register = (program: Command, io: CliIo, setExit: (code: number) => void) => void;

/** The modules that register the commands, in the order `--help` lists them; loaded on use. */
const REGISTRARS: Array<{ names: readonly string[]; load: () => Promise<Register> }> = [
  { names: ['lint'], load: async () => (await import('./commands/lint.js')).registerLint },
  {
    names: ['status', 'plan', 'migrate', 'rollback', 'resolve'],
    load: async () => (await import('./commands/migrations.js')).registerMigrationCommands,
  },
  { names: ['trace'], load: async () => (await import('./commands/trace.js')).registerTrace },
  {
    names: ['backup', 'restore'],
    load: async () => (await import('./commands/backup.js')).registerBackupCommands,
  },
  { names: ['backfill'], load: async () => (await import('./commands/backfill.js')).registerBackfill },
  { names: ['deploy'], load: async () => (await import('./commands/deploy.js')).registerDeploy },
  { names: ['doctor'], load: async () => (await import('./commands/doctor.js')).registerDoctor },
  { names: ['drift'], load: async () => (await import('./commands/drift.js')).registerDrift },
  { names: ['fix'], load: async () => (await import('./commands/fix.js')).registerFix },
  { names: ['init'], load: async () => (await import('./commands/init.js')).registerInit },
];

/** Global options that take a value (the word after them is not the command). */
const VALUED_GLOBALS = new Set(['--database-url', '--config']);

/**
 * The registrars a run needs: the one of the command named on the command line, or all of them
 * (no command, `--help`, `help`, a mistyped command: commander lists or suggests them all). Every
 * start used to load all ten command modules: about 10 ms of each `pgwarden` run (measured).
 */
function registrarsFor(argv: readonly string[]): typeof REGISTRARS {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (VALUED_GLOBALS.has(arg)) {
      i++;
      continue;
    }
    if (arg.startsWith('-')) continue;
    const one = REGISTRARS.find((r) => r.names.includes(arg));
    return one ? [one] : REGISTRARS;
  }
  return REGISTRARS;
}

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
  const registrars = await Promise.all(registrarsFor(argv).map((r) => r.load()));
  for (const register of registrars) register(program, io, setExit);
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
