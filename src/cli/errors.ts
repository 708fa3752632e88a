/** Rendering of errors and the mapping to exit codes: the one place that decides exit codes. */
import { CommanderError } from 'commander';
import { EXIT } from '../errors/codes.js';
import { isPgwardenError } from '../errors/pgwarden-error.js';
import type { CliIo } from './io.js';

export function reportError(
  error: unknown,
  io: CliIo,
  options: { json?: boolean; verbose?: boolean },
): number {
  if (error instanceof CommanderError) {
    if (
      error.code === 'commander.helpDisplayed' ||
      error.code === 'commander.version' ||
      error.exitCode === 0
    )
      return EXIT.ok;
    // commander already printed its message to stderr
    return EXIT.usage;
  }
  if (isPgwardenError(error)) {
    if (options.json) io.stdout.write(`${JSON.stringify({ error: error.toJSON() }, null, 2)}\n`);
    io.stderr.write(`pgwarden: ${error.message}\n`);
    if (error.hint) io.stderr.write(`  hint: ${error.hint}\n`);
    if (options.verbose && error.stack) io.stderr.write(`${error.stack}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  if (options.json) io.stdout.write(`${JSON.stringify({ error: { code: 'INTERNAL', message } }, null, 2)}\n`);
  io.stderr.write(`pgwarden: internal error: ${message}\n`);
  io.stderr.write(
    options.verbose && error instanceof Error && error.stack
      ? `${error.stack}\n`
      : '  This is a bug in pgwarden. Run again with --verbose for the stack trace and report it.\n',
  );
  return EXIT.internal;
}
