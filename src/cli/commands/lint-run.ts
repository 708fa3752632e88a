/** The work behind `pgwarden lint`, loaded only when the command runs. */
import { resolve } from 'node:path';
import { loadConfig } from '../../config/load.js';
import { databaseUrlSetting } from '../../db/url.js';
import { EXIT } from '../../errors/codes.js';
import { PgwardenError } from '../../errors/pgwarden-error.js';
import { DEFAULT_CACHE_FILE } from '../../lint/cache.js';
import { changedSince, filesInFolder, folderGiven, wholeFolder } from '../../lint/folder-targets.js';
import { lint } from '../../lint/lint.js';
import { ruleById } from '../../lint/linter.js';
import { renderGithub } from '../../lint/report/github.js';
import { renderJson } from '../../lint/report/json.js';
import { renderSarif } from '../../lint/report/sarif.js';
import { renderText } from '../../lint/report/text.js';
import type { RuleLevel } from '../../lint/rule.js';
import { RULES } from '../../lint/rules/index.js';
import { loadParser } from '../../sql/parser.js';
import { type CliIo, type GlobalOptions, useColor } from '../io.js';

export interface LintCliOptions {
  pgVersion?: string;
  format: 'text' | 'json' | 'sarif' | 'github';
  runner?: string;
  rule?: string[];
  preset?: string[];
  explain?: string;
  listRules?: boolean;
  failOn: 'error' | 'warning';
  offline?: boolean;
  jobs?: string;
  changedSince?: string;
  cache?: boolean;
  cacheLocation?: string;
}

export async function runLint(
  paths: string[],
  options: LintCliOptions,
  globals: GlobalOptions,
  io: CliIo,
): Promise<number> {
  if (options.listRules) {
    const width = Math.max(...RULES.map((r) => r.id.length));
    for (const rule of RULES) {
      io.stdout.write(
        `${rule.id.padEnd(width)}  ${rule.defaultLevel.padEnd(7)}  ${rule.preset.padEnd(11)}  ${rule.title}\n`,
      );
    }
    return EXIT.ok;
  }
  if (options.explain) {
    const rule = ruleById(options.explain);
    if (!rule) {
      throw new PgwardenError('UNKNOWN_RULE', `unknown rule "${options.explain}"`, {
        hint: 'Run `pgwarden lint --list-rules` for the rule ids.',
      });
    }
    // the rule docs show fix's output for the rule's examples: the fix recipes load only here
    const [{ renderRuleDoc }] = await Promise.all([import('../../lint/rule-docs.js'), loadParser()]);
    io.stdout.write(`${renderRuleDoc(rule)}\n`);
    return EXIT.ok;
  }
  if (options.failOn !== 'error' && options.failOn !== 'warning') {
    throw new PgwardenError('USAGE', `--fail-on must be error or warning, not "${options.failOn}"`);
  }

  const { config } = await loadConfig({ cwd: io.cwd, file: globals.config });
  const lintConfig = config.lint ?? {};

  let pgVersion: number | undefined;
  if (options.pgVersion !== undefined) {
    pgVersion = Number(options.pgVersion);
    if (!Number.isInteger(pgVersion) || pgVersion < 10 || pgVersion > 19) {
      throw new PgwardenError(
        'USAGE',
        `--pg-version must be a PostgreSQL major version between 10 and 19, not "${options.pgVersion}"`,
      );
    }
  }

  const rules: Record<string, RuleLevel> = { ...(lintConfig.rules ?? {}) };
  for (const entry of options.rule ?? []) {
    const [id, level] = entry.split('=');
    if (!id || !level || !['error', 'warning', 'off'].includes(level)) {
      throw new PgwardenError('USAGE', `--rule expects <id>=<error|warning|off>, got "${entry}"`);
    }
    rules[id] = level as RuleLevel;
  }
  const presets = options.preset?.length ? options.preset : (lintConfig.presets ?? []);
  for (const preset of presets) {
    if (preset !== 'style') throw new PgwardenError('USAGE', `unknown preset "${preset}" (available: style)`);
  }

  let jobs: number | undefined;
  if (options.jobs !== undefined) {
    jobs = Number(options.jobs);
    if (!Number.isInteger(jobs) || jobs < 1 || jobs > 64) {
      throw new PgwardenError('USAGE', `--jobs must be a whole number from 1 to 64, not "${options.jobs}"`);
    }
  }

  if (options.changedSince !== undefined && paths.length > 0) {
    throw new PgwardenError('USAGE', '--changed-since takes no paths: it lints the migrations folder', {
      hint: 'Drop the paths, or drop --changed-since and give the files.',
    });
  }
  const targets =
    options.changedSince !== undefined
      ? await changedSince(io.cwd, options.changedSince, config)
      : paths.length === 0
        ? await wholeFolder(io.cwd, config)
        : ((paths.length === 1 ? await folderGiven(io.cwd, paths[0]!, config) : undefined) ??
          (await filesInFolder(io.cwd, paths, config)) ?? { paths });
  if (targets.note && !globals.quiet) io.stderr.write(`note: ${targets.note}\n`);
  const databaseUrl = options.offline ? undefined : databaseUrlSetting(globals.databaseUrl, io.env);
  const result = await lint({
    paths: targets.paths,
    ...(targets.sources ? { sources: targets.sources, replayOnly: targets.replayOnly } : {}),
    pgVersion: pgVersion ?? lintConfig.pgVersion,
    pgVersionSource: pgVersion !== undefined ? 'option' : 'config',
    runner: options.runner ?? lintConfig.runner,
    rules,
    presets: presets as 'style'[],
    databaseUrl,
    ...(jobs === undefined ? {} : { jobs }),
    ...(options.cache || options.cacheLocation
      ? { cache: resolve(io.cwd, options.cacheLocation ?? DEFAULT_CACHE_FILE) }
      : {}),
  });

  const format = globals.json ? 'json' : options.format;
  const output =
    format === 'json'
      ? renderJson(result)
      : format === 'sarif'
        ? renderSarif(result, io.cwd)
        : format === 'github'
          ? renderGithub(result)
          : renderText(result, { color: useColor(io, globals), quiet: globals.quiet ?? false });
  if (output) io.stdout.write(`${output}\n`);

  const { errors, warnings } = result.summary;
  return errors > 0 || (options.failOn === 'warning' && warnings > 0) ? EXIT.failure : EXIT.ok;
}
