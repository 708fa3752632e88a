/** `pgwarden doctor`: options and help; the work is in doctor-run.ts, loaded on use. */
import type { Command } from 'commander';
import type { CliIo, GlobalOptions } from '../io.js';
import { sourceOptions } from '../source-options.js';
import type { DoctorCliOptions } from './doctor-run.js';

export function registerDoctor(program: Command, io: CliIo, setExit: (code: number) => void): void {
  sourceOptions(
    program
      .command('doctor')
      .description('pre-deploy checklist: database, migrations, git, pg_dump, backups, test data, runtime'),
  )
    .option('--check <id...>', 'run only these checks (ids as printed; repeatable)')
    .option('--backup-dir <dir>', 'backup directory (default: BACKUP_DIR, backup.dir, else ./backups)')
    .addHelpText(
      'after',
      `
Each check prints ✓ pass, ! warn, ✗ fail or - skip, with its evidence and the fix. The level of a
check is set per id in the config (doctor.checks: { "<id>": "fail" | "warn" | "off" }).
The doctor only reads: it never changes the database (its session is read-only).
Exit codes: 0 nothing failed (warnings allowed), 1 a check failed (a database that cannot be
reached is a failed check), 2 bad input or config.`,
    )
    .action(async (_options: unknown, cmd: Command) => {
      const run = await import('./doctor-run.js');
      setExit(await run.runDoctor(cmd.optsWithGlobals() as GlobalOptions & DoctorCliOptions, io));
    });
}
