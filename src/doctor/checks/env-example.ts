/**
 * `env-example`: every environment variable the code reads is listed in `.env.example` (or
 * `.env.sample`, `.env.template`), so whoever deploys knows what to set. Reads are found on the
 * tokens of the project's .js .mjs .cjs .ts .mts .cts .tsx .jsx .py files (patterns in
 * project/env-reads.ts; node_modules, dist, build, coverage, virtualenvs and hidden directories are
 * skipped; at most MAX_FILES files, none above MAX_BYTES). A name counts as listed when a line of
 * the example assigns it — also `export NAME=` and a commented-out `# NAME=` (documented, optional).
 * NODE_ENV, PATH, HOME, PWD and TZ are never reported. Skipped when there is no example file.
 */
import { readFile } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import { type EnvRead, jsEnvReads, pyEnvReads } from '../project/env-reads.js';
import { listSourceFiles } from '../project/source-files.js';
import { jsTokens, pyTokens } from '../project/source-tokens.js';
import type { CheckOutcome, DoctorCheck, DoctorContext } from '../types.js';
import { capped } from './migrations.js';

export const EXAMPLE_FILES = ['.env.example', '.env.sample', '.env.template'];
const JS_EXTENSIONS = ['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts', '.tsx', '.jsx'];
const EXTENSIONS = new Set([...JS_EXTENSIONS, '.py']);
/** Set by the system or the platform, never by the project's configuration. */
const IGNORED = new Set(['NODE_ENV', 'PATH', 'HOME', 'PWD', 'TZ']);
export const MAX_FILES = 5000;
export const MAX_BYTES = 1024 * 1024;

/** The names a dotenv example assigns, active or commented out. */
export function exampleNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:#\s*)?(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(line);
    if (m) names.add(m[1]!);
  }
  return names;
}

async function firstExample(cwd: string): Promise<{ name: string; text: string } | undefined> {
  for (const name of EXAMPLE_FILES) {
    try {
      return { name, text: await readFile(join(cwd, name), 'utf8') };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'EISDIR') throw error;
    }
  }
  return undefined;
}

function readsOf(path: string, text: string): EnvRead[] {
  const ext = extname(path);
  if (ext === '.py') return pyEnvReads(pyTokens(text));
  return jsEnvReads(jsTokens(text, { jsx: ext === '.jsx' || ext === '.tsx' }));
}

export const envExampleCheck: DoctorCheck = {
  id: 'env-example',
  title: 'Environment variables documented in .env.example',
  level: 'warn',
  needsDatabase: false,
  async run(ctx: DoctorContext): Promise<CheckOutcome> {
    const example = await firstExample(ctx.cwd);
    if (!example)
      return {
        status: 'skip',
        summary: `no ${EXAMPLE_FILES.join(', ')}: nothing to compare with`,
        evidence: [],
      };
    const listed = exampleNames(example.text);
    const source = await listSourceFiles(ctx.cwd, {
      extensions: EXTENSIONS,
      maxFiles: MAX_FILES,
      maxBytes: MAX_BYTES,
    });
    const shown = (path: string) => relative(ctx.cwd, path).split(sep).join('/');
    /** name → where it is read */
    const used = new Map<string, string[]>();
    for (const path of source.files) {
      const text = await readFile(path, 'utf8').catch(() => undefined);
      if (text === undefined) continue;
      for (const read of readsOf(path, text)) {
        if (IGNORED.has(read.name)) continue;
        const places = used.get(read.name) ?? [];
        places.push(`${shown(path)}:${read.line}`);
        used.set(read.name, places);
      }
    }
    const scanned = `${source.files.length} source file(s) scanned`;
    const evidence = [`${scanned}; ${example.name} lists ${listed.size} variable(s)`];
    if (source.capped)
      evidence.push(`stopped after ${MAX_FILES} files: variables read further on are not seen`);
    if (source.tooLarge.length > 0)
      evidence.push(
        `skipped (larger than ${MAX_BYTES / 1024 / 1024} MiB): ${source.tooLarge.map(shown).slice(0, 5).join(', ')}${source.tooLarge.length > 5 ? ', …' : ''}`,
      );
    const missing = [...used.keys()].filter((name) => !listed.has(name)).sort();
    if (missing.length === 0) {
      return {
        status: 'pass',
        summary: `all ${used.size} variable(s) the code reads are in ${example.name}`,
        evidence,
      };
    }
    const lines = missing.map((name) => {
      const places = used.get(name)!;
      return `${name}: read at ${places[0]}${places.length > 1 ? ` and ${places.length - 1} more place(s)` : ''}`;
    });
    return {
      status: 'fail',
      summary: `${missing.length} variable(s) the code reads are not in ${example.name}: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}`,
      evidence: [...evidence, ...capped(lines)],
      fix: `Add them to ${example.name} (NAME= with a safe example value or empty, commented out when optional), so whoever deploys knows to set them.`,
    };
  },
};
