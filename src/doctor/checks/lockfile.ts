/**
 * `lockfile`: a project with dependencies has a lock file (package-lock.json, npm-shrinkwrap.json,
 * yarn.lock, pnpm-lock.yaml, bun.lock or bun.lockb — here, or at the root of the workspace it is a
 * member of), so a deploy installs what was tested instead of whatever the ranges float to. For an
 * npm lock of lockfileVersion 2 or 3 the package's entry (`packages[""]`, or `packages["<path>"]`
 * for a workspace member) must list every dependency and devDependency of package.json with the
 * same range and no other — what npm would write; else `npm ci` refuses or installs stale versions.
 * Other lock formats are checked for presence and merge conflict markers only.
 * Skipped when there is no package.json.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { hasConflictMarkers, projectPackage, readJsonObject, stringMap } from '../project/json-file.js';
import type { CheckOutcome, DoctorCheck, DoctorContext } from '../types.js';
import { capped } from './migrations.js';

/** In npm's order of precedence: npm-shrinkwrap.json wins over package-lock.json. */
const LOCK_FILES = [
  'npm-shrinkwrap.json',
  'package-lock.json',
  'yarn.lock',
  'pnpm-lock.yaml',
  'bun.lock',
  'bun.lockb',
];
const NPM_LOCKS = new Set(['npm-shrinkwrap.json', 'package-lock.json']);
const SECTIONS = ['dependencies', 'devDependencies'] as const;

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    (info) => info.isFile(),
    () => false,
  );
}

async function locksIn(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const name of LOCK_FILES) if (await exists(join(dir, name))) found.push(name);
  return found;
}

/** The nearest parent that is a workspace root (package.json `workspaces` or pnpm-workspace.yaml) with a lock. */
async function workspaceRoot(cwd: string): Promise<{ dir: string; locks: string[] } | undefined> {
  for (let dir = dirname(cwd); ; dir = dirname(dir)) {
    const locks = await locksIn(dir);
    if (locks.length > 0) {
      const pkg = await readJsonObject(join(dir, 'package.json'), 'package.json');
      const isRoot =
        (pkg.kind === 'ok' && pkg.value.workspaces !== undefined) ||
        (await exists(join(dir, 'pnpm-workspace.yaml')));
      if (isRoot) return { dir, locks };
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** The differences between package.json and the npm lock's entry for it, as evidence lines. */
function differences(
  pkg: Record<string, unknown>,
  entry: Record<string, unknown>,
  lockName: string,
): string[] {
  const out: string[] = [];
  for (const section of SECTIONS) {
    const wanted = stringMap(pkg[section]);
    const locked = stringMap(entry[section]);
    for (const [name, range] of wanted) {
      const have = locked.get(name);
      if (have === undefined) out.push(`${section}.${name} ${range}: missing from ${lockName}`);
      else if (have !== range) out.push(`${section}.${name}: package.json ${range}, ${lockName} ${have}`);
    }
    for (const [name, range] of locked)
      if (!wanted.has(name)) out.push(`${section}.${name} ${range}: in ${lockName}, not in package.json`);
  }
  return out;
}

export const lockfileCheck: DoctorCheck = {
  id: 'lockfile',
  title: 'Lock file present and in sync',
  level: 'fail',
  needsDatabase: false,
  async run(ctx: DoctorContext): Promise<CheckOutcome> {
    const project = await projectPackage(ctx.cwd);
    if ('outcome' in project) return project.outcome;
    const pkg = project.pkg;
    const count = SECTIONS.reduce((n, s) => n + stringMap(pkg[s]).size, 0);

    let dir = ctx.cwd;
    let locks = await locksIn(dir);
    if (locks.length === 0) {
      const root = await workspaceRoot(ctx.cwd);
      if (root) ({ dir, locks } = root);
    }
    if (locks.length === 0) {
      if (count === 0) return { status: 'pass', summary: 'no dependencies: nothing to lock', evidence: [] };
      return {
        status: 'fail',
        summary: `no lock file: the ranges of ${count} dependencies float, a deploy installs untested versions`,
        evidence: [`none of ${LOCK_FILES.join(', ')} in ${ctx.cwd}`],
        fix: 'Run npm install (or yarn / pnpm / bun install), commit the lock file, and install with npm ci (or the --frozen-lockfile equivalent) when you deploy.',
      };
    }
    const shown = (name: string) => relative(ctx.cwd, join(dir, name)).split(sep).join('/');
    const evidence = [`lock file: ${shown(locks[0]!)}`];
    if (locks.length > 1)
      evidence.push(`more than one lock file: ${locks.map(shown).join(', ')} (tools may disagree)`);
    const lock = locks[0]!;

    if (!NPM_LOCKS.has(lock)) {
      if (lock !== 'bun.lockb') {
        const text = await readFile(join(dir, lock), 'utf8');
        if (hasConflictMarkers(text)) {
          return {
            status: 'fail',
            summary: `${shown(lock)} has unresolved merge conflict markers`,
            evidence,
            fix: 'Resolve the conflict by running the package manager install again, then commit the lock file.',
          };
        }
      }
      return {
        status: 'pass',
        summary: `${shown(lock)} present`,
        evidence: [...evidence, `${lock}: present; only npm lock files are compared with package.json`],
      };
    }

    const parsed = await readJsonObject(join(dir, lock), shown(lock));
    if (parsed.kind !== 'ok') {
      return {
        status: 'fail',
        summary: parsed.kind === 'invalid' ? parsed.problem : `${shown(lock)} disappeared while being read`,
        evidence,
        fix: 'Run npm install to write it again, then commit it.',
      };
    }
    const version = parsed.value.lockfileVersion;
    const packages = parsed.value.packages as Record<string, unknown> | undefined;
    if ((version !== 2 && version !== 3) || typeof packages !== 'object' || packages === null) {
      return {
        status: 'pass',
        summary: `${shown(lock)} present (lockfileVersion ${String(version)}: not compared with package.json)`,
        evidence: [
          ...evidence,
          'only lockfileVersion 2 and 3 (npm 7 and later) list the ranges; npm install with npm ≥ 7 upgrades it',
        ],
      };
    }
    const key = relative(dir, ctx.cwd).split(sep).join('/');
    const entry = packages[key];
    if (typeof entry !== 'object' || entry === null) {
      return {
        status: 'fail',
        summary: `${shown(lock)} is out of sync (run npm install): it has no entry for ${key === '' ? 'the package' : key}`,
        evidence: [...evidence, `packages["${key}"] is missing`],
        fix: `Run npm install${key === '' ? '' : ' at the workspace root'} and commit ${lock}.`,
      };
    }
    const diff = differences(pkg, entry as Record<string, unknown>, lock);
    if (diff.length > 0) {
      return {
        status: 'fail',
        summary: `${shown(lock)} is out of sync with package.json (run npm install): ${diff.length} difference(s)`,
        evidence: [...evidence, ...capped(diff)],
        fix: `Run npm install${key === '' ? '' : ' at the workspace root'} and commit ${lock}; npm ci refuses a lock file that does not match package.json.`,
      };
    }
    return {
      status: 'pass',
      summary: `${shown(lock)} in sync with package.json (${count} dependencies)`,
      evidence,
    };
  },
};
