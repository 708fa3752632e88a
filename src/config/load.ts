import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { z } from 'zod';
import { PgwardenError } from '../errors/pgwarden-error.js';
import type { Config } from './schema.js';

export interface LoadedConfig {
  config: Config;
  /** The file it came from, or undefined when none was found (defaults apply). */
  path: string | undefined;
}

export const CONFIG_FILE = 'pgwarden.config.json';

/**
 * Loads the configuration: the `--config` file if given (it must exist), else
 * ./pgwarden.config.json, else the `pgwarden` key of ./package.json, else defaults.
 */
export async function loadConfig(
  options: { cwd?: string; file?: string | undefined } = {},
): Promise<LoadedConfig> {
  const cwd = options.cwd ?? process.cwd();
  if (options.file) {
    const path = resolve(cwd, options.file);
    const text = await readText(path);
    if (text === undefined)
      throw new PgwardenError('PATH_NOT_FOUND', `${options.file}: config file not found`);
    return { config: await validate(await parseJsonc(text, path), path), path };
  }
  const own = join(cwd, CONFIG_FILE);
  const ownText = await readText(own);
  if (ownText !== undefined)
    return { config: await validate(await parseJsonc(ownText, own), own), path: own };
  const pkgPath = join(cwd, 'package.json');
  const pkgText = await readText(pkgPath);
  if (pkgText !== undefined) {
    const pkg = parseJson(pkgText, pkgPath) as Record<string, unknown>;
    if (pkg && typeof pkg === 'object' && 'pgwarden' in pkg) {
      return { config: await validate(pkg.pgwarden, `${pkgPath}#pgwarden`), path: `${pkgPath}#pgwarden` };
    }
  }
  return { config: {}, path: undefined };
}

/**
 * Validates a config object, reporting every problem at once. The rule names of `lint.rules` are
 * checked here, not in the schema: the rules (about 80 ms to load) are loaded only for a config
 * that names some, so `deploy`, `migrate` and the others start without them.
 */
export async function validate(value: unknown, where: string): Promise<Config> {
  // loaded on demand: without a config file the validator is never needed
  const { configSchema } = await import('./schema.js');
  const result = configSchema.safeParse(value);
  const problems = result.success ? [] : result.error.issues.map(describeIssue);
  const rules = (value as { lint?: { rules?: unknown } } | undefined)?.lint?.rules;
  if (rules !== null && typeof rules === 'object' && Object.keys(rules).length > 0) {
    const { resolveRuleName } = await import('../lint/linter.js');
    for (const id of Object.keys(rules))
      if (resolveRuleName(id) === undefined)
        problems.push(`lint.rules.${id}: unknown rule (see pgwarden lint --list-rules)`);
  }
  if (result.success && problems.length === 0) return result.data;
  throw new PgwardenError(
    'CONFIG_INVALID',
    `${where}: invalid configuration\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    {
      details: { problems },
    },
  );
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String).join('.') || '(top level)';
  if (issue.code === 'invalid_key') {
    const inner = issue.issues.map((i) => i.message).join('; ');
    return `${path}: ${inner}`;
  }
  if (issue.code === 'unrecognized_keys') {
    return `${path}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  }
  return `${path}: ${issue.message}`;
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new PgwardenError(
      'PATH_UNREADABLE',
      `${path}: cannot read (${(error as NodeJS.ErrnoException).code})`,
    );
  }
}

/** pgwarden.config.json may carry comments (`pgwarden init` writes them) and trailing commas. */
async function parseJsonc(text: string, path: string): Promise<unknown> {
  const { parse, printParseErrorCode } = await import('jsonc-parser');
  const errors: import('jsonc-parser').ParseError[] = [];
  const value = parse(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length > 0) {
    const first = errors[0]!;
    const line = text.slice(0, first.offset).split('\n').length;
    throw new PgwardenError(
      'CONFIG_INVALID',
      `${path}:${line}: not valid JSON (${printParseErrorCode(first.error)})`,
    );
  }
  return value;
}

function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new PgwardenError('CONFIG_INVALID', `${path}: not valid JSON (${(error as Error).message})`);
  }
}
