/**
 * `backup create|list|verify|prune`, `restore` and `hash-password`: options and help; the work is
 * in backup-run.ts, loaded on use.
 */
import type { Command } from 'commander';
import type { CliIo, GlobalOptions } from '../io.js';
import type { BackupCliOptions } from './backup-run.js';

type SetExit = (code: number) => void;
type Name = 'create' | 'list' | 'verify' | 'prune' | 'restore' | 'hash-password';

const DIR_HELP = 'backup directory (default: BACKUP_DIR, backup.dir in the config, else ./backups)';

export function registerBackupCommands(program: Command, io: CliIo, setExit: SetExit): void {
  const action =
    (name: Name) =>
    async (...args: unknown[]) => {
      const command = args[args.length - 1] as Command;
      const options = command.optsWithGlobals() as GlobalOptions & BackupCliOptions;
      const positional = args.slice(0, -2).filter((a): a is string => typeof a === 'string');
      const run = await import('./backup-run.js');
      setExit(await run.runBackupCommand(name, positional, options, io));
    };

  const backup = program
    .command('backup')
    .description('verified pg_dump backups: create, list, verify, prune');

  backup
    .command('create')
    .description(
      'dump the database (custom format), count every table in the same snapshot, read it back, publish it',
    )
    .option('--backup-dir <dir>', DIR_HELP)
    .option('--format <format>', 'custom (one file, default) or directory (parallel with --jobs)')
    .option('--jobs <n>', 'parallel pg_dump workers (directory format)')
    .option('--compress <spec>', "pg_dump's compression: 0-9, or with pg_dump 16+ gzip|lz4|zstd|none[:level]")
    .option('--globals', 'also save roles and tablespaces (pg_dumpall --globals-only --no-role-passwords)')
    .option('--no-verify', 'do not read the archive back (it is then not counted by prune until verified)')
    .option(
      '--lock-wait-timeout <duration>',
      'give up when a table lock is not granted in time (default 60s)',
    )
    .addHelpText(
      'after',
      `
The archive streams through pgwarden into <id>.dump.partial (0600), is read back in full and
compared with row counts taken in the dump's own snapshot, then renamed; the manifest
<id>.manifest.json comes last. A missing backup directory is created 0700; an existing one is never
changed (a mode others can read is a warning). pg_dump ends with pgwarden, however it ends.
Exit codes: 0 published, 1 the dump or its verification failed (nothing published), 2 bad input,
3 cannot connect / no suitable pg_dump / disk full / file-size limit / directory not writable,
130 interrupted.`,
    )
    .action(action('create'));

  backup
    .command('list')
    .description(
      'backups (id, age, size, reason, verified, database) and files that are not backups of this database',
    )
    .option('--backup-dir <dir>', DIR_HELP)
    .action(action('list'));

  backup
    .command('verify')
    .description(
      'checksum, archive header and version, a full read of every data block with row counts per table',
    )
    .argument('[id]', 'backup id (default: the newest)')
    .option('--backup-dir <dir>', DIR_HELP)
    .option('--restore-test', 'also restore it into a scratch database on the server and count there')
    .addHelpText(
      'after',
      '\nExit codes: 0 verified, 1 it does not verify, 2 no such backup, 3 cannot connect / no pg_restore.',
    )
    .action(action('verify'));

  backup
    .command('prune')
    .description('delete old backups; only verified ones count, the newest verified one is never deleted')
    .option('--backup-dir <dir>', DIR_HELP)
    .option(
      '--retention-days <days>',
      'delete verified backups older than this (default: BACKUP_RETENTION_DAYS, else 30; 0 = no limit)',
    )
    .option('--keep <n>', 'keep at most this many verified backups')
    .option('--dry-run', 'print what would be deleted and delete nothing')
    .action(action('prune'));

  program
    .command('restore')
    .description(
      'restore a backup with guard rails: preview, typed confirmation, countdown, safety backup, one transaction',
    )
    .argument(
      '<backup>',
      'backup id (see backup list) or the path of a dump (custom, directory, tar, plain SQL)',
    )
    .option('--backup-dir <dir>', DIR_HELP)
    .option('--preview', 'show what the restore would change and stop')
    .option('--confirm <database>', 'the target database name, when no one can type it')
    .option('--countdown <seconds>', 'seconds to cancel with Ctrl-C before anything changes (default 5)')
    .option('--terminate-sessions', "disconnect the database's other sessions just before the restore")
    .option('--allow-other-database', 'restore a backup of another database into this one')
    .addHelpText(
      'after',
      `
Before anything changes: the preview (rows per table, live vs backup; a plain dump is vetted:
psql commands and transaction control refuse it), the typed database name (and the admin
password when restore.passwordHash is configured; PGWARDEN_ADMIN_PASSWORD when no one can type),
a countdown. Then, so that no committed write is lost: writes blocked, a verified safety backup of
the current state, new connections blocked (the role must own the database) and the other
sessions ended, the restore in one transaction, checks, connections allowed again.
Exit codes: 0 restored, 1 the restore or its checks failed, 2 bad input / no confirmation /
another database's backup / a plain dump refused, 3 cannot connect / tools too old / sessions
connected / no disk space / not allowed to block connections, 130 cancelled. --preview exits as
the restore would.`,
    )
    .action(action('restore'));

  program
    .command('hash-password')
    .description('read a password from stdin and print the hash for restore.passwordHash')
    .action(action('hash-password'));
}
