/**
 * Native migration tools the round-trip tests run against pgwarden's history adapters.
 *
 * dbmate cannot be a dev dependency: its npm package pulls platform packages the registry mirror
 * lacks, and a lock file that cannot record them breaks `npm ci`. So its platform package is
 * installed on demand into test/.tools (ignored by git), the way bench/tools.mjs installs squawk.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../../src/util/process.js';

export const DBMATE_VERSION = '2.36.0';

const TOOLS = join(dirname(fileURLToPath(import.meta.url)), '..', '.tools');
const REPO = join(TOOLS, '..', '..');

/** Path of the dbmate binary, installing `@dbmate/<platform>-<arch>` into test/.tools first if needed. */
export function dbmateBinary(): string {
  const pkg = `@dbmate/${process.platform}-${process.arch}`;
  const binary = join(TOOLS, 'node_modules', pkg, 'bin', 'dbmate');
  if (existsSync(binary)) return binary;
  mkdirSync(TOOLS, { recursive: true });
  const manifest = join(TOOLS, 'package.json');
  if (!existsSync(manifest)) {
    writeFileSync(manifest, `${JSON.stringify({ name: 'pgwarden-test-tools', private: true }, null, 2)}\n`);
  }
  const result = spawnSync(
    'npm',
    ['install', '--prefix', TOOLS, '--no-audit', '--no-fund', `${pkg}@${DBMATE_VERSION}`],
    { cwd: TOOLS, encoding: 'utf8' },
  );
  if (result.status !== 0 || !existsSync(binary)) {
    throw new Error(
      `could not install ${pkg}@${DBMATE_VERSION} into ${TOOLS} (needs the npm registry): ${result.stderr ?? result.error}`,
    );
  }
  return binary;
}

/** Path of node-pg-migrate's command-line script (a dev dependency), run with this Node. */
export function nodePgMigrateScript(): string {
  return join(REPO, 'node_modules', 'node-pg-migrate', 'bin', 'node-pg-migrate.js');
}

/** `dbmate --url … --migrations-dir … --no-dump-schema [--migrations-table …] <command…>`. */
export function runDbmate(
  databaseUrl: string,
  migrationsDir: string,
  command: readonly string[],
  options: { table?: string } = {},
): Promise<ToolRun> {
  const url = new URL(databaseUrl);
  url.searchParams.set('sslmode', 'disable'); // lib/pq defaults to requiring TLS
  return runTool(dbmateBinary(), [
    '--url',
    url.toString(),
    '--migrations-dir',
    migrationsDir,
    '--no-dump-schema',
    ...(options.table ? ['--migrations-table', options.table] : []),
    ...command,
  ]);
}

/** `node-pg-migrate <command…> --migrations-dir …` with DATABASE_URL set. */
export function runNodePgMigrate(
  databaseUrl: string,
  migrationsDir: string,
  command: readonly string[],
): Promise<ToolRun> {
  return runTool(process.execPath, [nodePgMigrateScript(), ...command, '--migrations-dir', migrationsDir], {
    DATABASE_URL: databaseUrl,
  });
}

export interface ToolRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a native tool with an argument array (never a shell): its exit status and output. */
export async function runTool(
  command: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<ToolRun> {
  const result = await run(command, args, { env: { ...process.env, ...env }, timeoutMs: 120_000 });
  return { status: result.code, stdout: result.stdout, stderr: result.stderr };
}
