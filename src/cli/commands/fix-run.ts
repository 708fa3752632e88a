/** The work behind `pgwarden fix`, loaded only when the command runs. */
import { loadConfig } from '../../config/load.js';
import { databaseUrlSetting } from '../../db/url.js';
import { EXIT } from '../../errors/codes.js';
import { type FixResult, fixMigration } from '../../fix/fix.js';
import { displayPath } from '../../migrate/source.js';
import type { CliIo, GlobalOptions } from '../io.js';

export interface FixCliOptions {
  dir?: string | string[];
  format?: string;
  dryRun?: boolean;
}

export async function runFix(
  migration: string,
  options: GlobalOptions & FixCliOptions,
  io: CliIo,
): Promise<number> {
  const { config } = await loadConfig({ cwd: io.cwd, file: options.config });
  const result = await fixMigration({
    migration,
    databaseUrl: databaseUrlSetting(options.databaseUrl, io.env),
    cwd: io.cwd,
    dir: options.dir ?? config.migrations?.dir,
    format: options.format ?? config.migrations?.format,
    table: config.migrations?.table,
    dryRun: options.dryRun === true,
  });
  io.stdout.write(`${options.json ? JSON.stringify(result, null, 2) : renderFix(result, io.cwd)}\n`);
  return EXIT.ok;
}

export function renderFix(result: FixResult, cwd: string): string {
  const lines = [
    `${result.written ? 'Rewrote' : 'Would rewrite (dry run)'} ${result.original.path} into ${result.migrations.length} ${result.format} migrations:`,
  ];
  for (const statement of result.rewritten) {
    lines.push(`  line ${statement.line} (${statement.rules.join(', ')}): ${statement.phases.join(' → ')}`);
  }
  for (const statement of result.declined) {
    lines.push(`  line ${statement.line}: kept as written: ${statement.reason}`);
  }
  lines.push('');
  for (const [i, m] of result.migrations.entries()) {
    lines.push(
      `${i + 1}. ${m.id}  ${m.phase}${m.transaction ? '' : ' (outside a transaction)'}`,
      ...m.files.map((f) => `   ${displayPath(cwd, f.path)}`),
    );
    if (!result.written) {
      const up = m.files[0]!;
      lines.push(
        ...up.text
          .trimEnd()
          .split('\n')
          .map((l) => `     ${l}`),
      );
    }
  }
  if (result.written)
    lines.push('', `Removed: ${result.original.removed.map((f) => displayPath(cwd, f)).join(', ')}`);
  if (result.remaining.length) {
    lines.push('', 'Lint still reports (fix does not rewrite these):');
    for (const f of result.remaining)
      lines.push(`  ${displayPath(cwd, f.path)}:${f.line} ${f.level} ${f.rule}: ${f.message}`);
  }
  lines.push('', 'Next: pgwarden plan, then pgwarden migrate (or deploy).');
  return lines.join('\n');
}
