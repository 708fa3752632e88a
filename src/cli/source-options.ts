/** The options that say where the migrations are, shared by every command that reads them. */
import type { Command } from 'commander';

export function sourceOptions(command: Command): Command {
  return command
    .option(
      '--dir <dir>',
      'migrations directory (default: migrations.dir, or migrations/, db/migrations/, prisma/migrations/, supabase/migrations/ …)',
    )
    .option(
      '--format <format>',
      'migration format: auto (default), plain, prisma, dbmate, golang-migrate, flyway, supabase, node-pg-migrate, sql-migrate, diesel',
    );
}
