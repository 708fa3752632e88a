/**
 * The work behind `pgwarden doctor`: run the checks, one line each as they finish, or JSON. The
 * checks quote the names they print (src/sql/quote.ts); whatever else a line holds (a session's
 * query, a server message) has its control characters made visible here, so no line is forged.
 */
import { createColors } from 'picocolors';
import { resolveBackupDir } from '../../backup/store.js';
import { loadConfig } from '../../config/load.js';
import type { CheckResult, DoctorResult } from '../../doctor/doctor.js';
import { EXIT } from '../../errors/codes.js';
import { escapeControls } from '../../sql/quote.js';
import { type CliIo, type GlobalOptions, useColor } from '../io.js';

export interface DoctorCliOptions {
  check?: string[];
  dir?: string | string[];
  format?: string;
  backupDir?: string;
}

export async function runDoctor(options: GlobalOptions & DoctorCliOptions, io: CliIo): Promise<number> {
  const { config } = await loadConfig({ cwd: io.cwd, file: options.config });
  const { doctor } = await import('../../doctor/doctor.js');
  const color = createColors(useColor(io, options));
  const mark: Record<CheckResult['status'], string> = {
    pass: color.green('✓'),
    warn: color.yellow('!'),
    fail: color.red('✗'),
    skip: color.dim('-'),
  };
  const json = options.json === true;
  const result = await doctor({
    cwd: io.cwd,
    env: io.env,
    config,
    databaseUrl: options.databaseUrl ?? io.env.DATABASE_URL,
    only: options.check,
    backupDir: resolveBackupDir({
      cwd: io.cwd,
      option: options.backupDir,
      env: io.env,
      configured: config.backup?.dir,
    }),
    migrations: {
      dir: options.dir ?? config.migrations?.dir,
      format: options.format ?? config.migrations?.format,
      table: config.migrations?.table,
    },
    // people see each check as it finishes; machines get one document at the end
    onCheck: json
      ? undefined
      : (check) => io.stdout.write(renderCheck(check, mark, options.verbose === true)),
  });
  if (json) io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else io.stdout.write(`\n${summaryLine(result)}\n`);
  return result.counts.fail > 0 ? EXIT.failure : EXIT.ok;
}

function renderCheck(
  check: CheckResult,
  mark: Record<CheckResult['status'], string>,
  verbose: boolean,
): string {
  const lines = [`${mark[check.status]} ${check.id.padEnd(18)} ${escapeControls(check.summary)}`];
  // a passing check's evidence is noise unless asked for; a problem's is the point
  if (check.status === 'warn' || check.status === 'fail' || verbose)
    for (const e of check.evidence) lines.push(`    ${escapeControls(e)}`);
  if (check.fix && (check.status === 'warn' || check.status === 'fail'))
    lines.push(
      ...check.fix.split('\n').map((f, i) => `    ${i === 0 ? 'fix: ' : '     '}${escapeControls(f)}`),
    );
  return `${lines.join('\n')}\n`;
}

export function summaryLine({ counts }: DoctorResult): string {
  const verdict =
    counts.fail > 0 ? 'not ready to deploy' : counts.warn > 0 ? 'ready, with warnings' : 'ready';
  return `doctor: ${counts.pass} passed, ${counts.warn} warning(s), ${counts.fail} failed, ${counts.skip} skipped — ${verdict}`;
}
