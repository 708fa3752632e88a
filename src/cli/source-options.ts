/** The options that say where the migrations are, shared by every command that reads them. */
import type { Command } from 'commander';

/**
 * `--dir` given once is that directory; repeated, the list in order (Flyway's locations, read as
 * one set; the first is where new migrations are written).
 */
function collectDirs(value: string, previous: string | string[] | undefined): string | string[] {
  if (previous === undefined) return value;
  return [...(typeof previous === 'string' ? [previous] : previous), value];
}

export function sourceOptions(command: Command): Command {
  return command
    .option(
      '--dir <dir>',
      'migrations directory, repeatable for Flyway locations (default: migrations.dir, the locations of flyway.toml/flyway.conf, or migrations/, db/migrations/, prisma/migrations/, supabase/migrations/ …)',
      collectDirs,
    )
    .option(
      '--format <format>',
      'migration format: auto (default), plain, prisma, dbmate, golang-migrate, flyway, supabase, node-pg-migrate, sql-migrate, diesel',
    );
}
