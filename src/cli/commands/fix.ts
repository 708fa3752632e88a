/** `pgwarden fix`: options and help; the work is in fix-run.ts, loaded on use. */
import type { Command } from 'commander';
import type { CliIo, GlobalOptions } from '../io.js';
import { sourceOptions } from '../source-options.js';
import type { FixCliOptions } from './fix-run.js';

export function registerFix(program: Command, io: CliIo, setExit: (code: number) => void): void {
  sourceOptions(
    program
      .command('fix')
      .argument('<migration>', 'the pending migration to rewrite: its file, folder or id')
      .description(
        'rewrite a pending migration that lint flags into the safe sequence (expand, backfill in batches, constrain, validate, tighten), as new migration files in the project’s format',
      ),
  )
    .option('--dry-run', 'show the files it would write; change nothing')
    .addHelpText(
      'after',
      `
Rewritten: ADD COLUMN with NOT NULL or a default that writes every row; SET NOT NULL; ADD
FOREIGN KEY / CHECK (NOT VALID, then VALIDATE); ADD UNIQUE / PRIMARY KEY (a unique index built
CONCURRENTLY, then USING INDEX); CREATE / DROP INDEX and REINDEX (CONCURRENTLY, each alone); an
UPDATE after DDL in the same file (a batched backfill); RENAME COLUMN (a new column kept in sync by
a trigger, a backfill, a contract step dropping the old one) and RENAME TABLE (a view under the old
name until the contract step). Other statements are kept as written.
The migration must be pending (the database is read to know) and the newest one; the original
file is removed and the new ones are linted before anything is written.
Exit codes: 0 written (or dry run), 2 refused (applied, not the newest, nothing to rewrite) or
bad input, 3 cannot connect.
Examples:
  pgwarden fix migrations/20240611_add_email_verified.sql --dry-run
  pgwarden fix 20240611120000`,
    )
    .action(async (migration: string, _options: FixCliOptions, command: Command) => {
      const options = command.optsWithGlobals() as GlobalOptions & FixCliOptions;
      const { runFix } = await import('./fix-run.js');
      setExit(await runFix(migration, options, io));
    });
}
