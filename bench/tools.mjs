/**
 * Peer tools the benchmarks compare against, installed on demand into bench/.tools (ignored by
 * git) rather than as dev dependencies: squawk-cli's platform packages are not all on every
 * registry mirror, and a lock file that cannot record them makes `npm ci` fail.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TOOLS = join(dirname(fileURLToPath(import.meta.url)), '.tools');
export const SQUAWK_VERSION = '2.66.0';

/** Path of squawk's native binary, installing squawk-cli first if needed. */
export function squawkBinary() {
  const pkg = `@squawk-cli/${process.platform}-${process.arch}`;
  const resolve = () => createRequire(join(TOOLS, 'package.json')).resolve(`${pkg}/bin/squawk`);
  try {
    return resolve();
  } catch {
    mkdirSync(TOOLS, { recursive: true });
    if (!existsSync(join(TOOLS, 'package.json')))
      spawnSync('npm', ['init', '-y'], { cwd: TOOLS, stdio: 'ignore' });
    console.error(`installing squawk-cli@${SQUAWK_VERSION} into bench/.tools …`);
    const result = spawnSync(
      'npm',
      ['install', '--prefix', TOOLS, '--no-audit', '--no-fund', `squawk-cli@${SQUAWK_VERSION}`],
      {
        cwd: TOOLS,
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    if (result.status !== 0) throw new Error('could not install squawk-cli (needs the npm registry)');
    return resolve();
  }
}
