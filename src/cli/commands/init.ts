/** `pgwarden init`: detect the migrations layout and write a commented pgwarden.config.json. */
import type { Command } from 'commander';
import type { CliIo, GlobalOptions } from '../io.js';

export function registerInit(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('init')
    .description('detect the migrations folder and format, and write a commented pgwarden.config.json')
    .option('--dir <dir>', 'the migrations folder (default: detected)')
    .option('--format <format>', 'the migration format (default: detected)')
    .option('--force', 'overwrite an existing pgwarden.config.json')
    .action(async (_options: unknown, command: Command) => {
      const options = command.optsWithGlobals() as GlobalOptions & {
        dir?: string;
        format?: string;
        force?: boolean;
      };
      const { init } = await import('../../init/init.js');
      const { displayPath } = await import('../../migrate/source.js');
      const result = await init({
        cwd: io.cwd,
        dir: options.dir,
        format: options.format,
        force: options.force === true,
      });
      if (options.json) {
        const { text: _text, ...rest } = result;
        io.stdout.write(`${JSON.stringify(rest, null, 2)}\n`);
      } else {
        io.stdout.write(
          `Wrote ${displayPath(io.cwd, result.path)}${
            !result.migrations
              ? ''
              : result.migrations.count === 0
                ? `: ${result.migrations.dir} has no migrations yet (the format is detected from the first ones)`
                : `: ${result.migrations.count} ${result.migrations.format} migrations in ${result.migrations.dir}`
          }.\n`,
        );
        if (result.note)
          io.stdout.write(`No migrations folder detected (${result.note}); set migrations.dir in it.\n`);
        if (result.others.length)
          io.stdout.write(
            `Other migration folders in the project: ${result.others.join(', ')}; set migrations.dir to use another.\n`,
          );
        if (result.gitignoreHint) io.stdout.write('Add backups/ to .gitignore: backups hold your data.\n');
        io.stdout.write('Next: pgwarden doctor, then pgwarden deploy -- <your app command>.\n');
      }
      setExit(0);
    });
}
