/**
 * A deploy project for tests: plain migrations (and a config) in a temporary directory, with an
 * "app" that leaves a marker file when it starts (and exits with $APP_EXIT), and `deploy` running
 * the real CLI on it.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type CliResult, pgwarden } from './cli.js';
import { tempDir } from './files.js';

export interface DeployProject {
  dir: string;
  /** created by the app when it starts */
  marker: string;
  /** the app command */
  app: string[];
  backups: string;
}

export function deployProject(migrations: Record<string, string>, config?: object): DeployProject {
  const files: Record<string, string> = {};
  for (const [name, text] of Object.entries(migrations)) files[`migrations/${name}`] = text;
  if (config) files['pgwarden.config.json'] = JSON.stringify(config);
  const dir = tempDir(files);
  mkdirSync(join(dir, 'migrations'), { recursive: true });
  const marker = join(dir, 'app-started');
  const app = [
    process.execPath,
    '-e',
    `require('fs').writeFileSync(${JSON.stringify(marker)}, 'yes'); process.exit(Number(process.env.APP_EXIT ?? 0))`,
  ];
  return { dir, marker, app, backups: join(dir, 'backups') };
}

/** `pgwarden deploy --format plain [extra…] -- <app>` in the project. */
export function deployIn(
  p: Pick<DeployProject, 'dir' | 'app'>,
  url: string,
  extra: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<CliResult> {
  return pgwarden(['deploy', '--format', 'plain', ...extra, '--', ...p.app], {
    cwd: p.dir,
    env: { DATABASE_URL: url, ...env },
  });
}
