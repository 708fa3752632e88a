/**
 * `pgwarden init`: finds the migrations folder and its format, and writes a commented
 * pgwarden.config.json with the detected values and the settings people most often change
 * (comments are allowed: the config is read as JSON with comments).
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { CONFIG_FILE } from '../config/load.js';
import { PgwardenError } from '../errors/pgwarden-error.js';
import { defaultMigrationsDir, loadMigrations } from '../migrate/source.js';
import { DEFAULT_TIMEOUTS } from '../migrate/timeouts.js';
import { findMigrationFolders, sqlCount } from './find-folders.js';

export interface InitOptions {
  cwd: string;
  /** the migrations folder, when detection should not guess */
  dir?: string | undefined;
  format?: string | undefined;
  /** overwrite an existing pgwarden.config.json */
  force?: boolean;
}

export interface InitResult {
  path: string;
  migrations: { dir: string; format: string; count: number } | undefined;
  /** why no migrations folder was found */
  note: string | undefined;
  /** other migration folders found in the project (not the one written) */
  others: string[];
  /** the backup directory is not in .gitignore */
  gitignoreHint: boolean;
  text: string;
}

export async function init(options: InitOptions): Promise<InitResult> {
  const path = join(options.cwd, CONFIG_FILE);
  if (existsSync(path) && !options.force) {
    throw new PgwardenError('USAGE', `${CONFIG_FILE} already exists in ${options.cwd}`, {
      hint: 'Edit it, or run pgwarden init --force to write a new one over it.',
    });
  }
  let migrations: InitResult['migrations'];
  let note: string | undefined;
  // none of the well-known folders, or one without migrations (sql-migrate's migrations/postgres
  // beside migrations/mysql): a nested one (a monorepo package, a Java resources folder…)
  const known = defaultMigrationsDir(options.cwd);
  const nested = options.dir || (known && sqlCount(known) > 0) ? [] : findMigrationFolders(options.cwd);
  const dir = options.dir ?? nested[0];
  try {
    const source = await loadMigrations({ cwd: options.cwd, dir, format: options.format });
    migrations = {
      dir: relative(options.cwd, source.dir) || '.',
      format: source.format.id,
      count: source.migrations.length,
    };
  } catch (error) {
    if (!(error instanceof PgwardenError) || options.dir) throw error;
    note = error.message;
  }
  const text = render(migrations);
  await writeFile(path, text, { mode: 0o644 });
  const gitignore = await readFile(join(options.cwd, '.gitignore'), 'utf8').catch(() => '');
  const gitignoreHint = !gitignore.split('\n').some((line) => /^\/?backups\/?$/.test(line.trim()));
  return { path, migrations, note, others: nested.slice(1), gitignoreHint, text };
}

function render(migrations: InitResult['migrations']): string {
  const m = !migrations
    ? `  // no migrations folder was found: set it here ("format" is detected when left out)
  // "migrations": { "dir": "db/migrations" },`
    : migrations.count === 0
      ? `  "migrations": {
    // empty so far: the format is detected from the first migrations (or set "format" here)
    "dir": ${JSON.stringify(migrations.dir)}
  },`
      : `  "migrations": {
    // found ${migrations.count} ${migrations.format} migration${migrations.count === 1 ? '' : 's'} here
    "dir": ${JSON.stringify(migrations.dir)},
    "format": ${JSON.stringify(migrations.format)}
  },`;
  return `{
  // pgwarden configuration. Every key is optional; options and environment variables
  // (DATABASE_URL, BACKUP_DIR, BACKUP_RETENTION_DAYS, PGWARDEN_LOCK_TIMEOUT, …) override it.
${m}
  "migrate": {
    // longest wait for a table lock before a migration is rolled back and retried (ms)
    "lockTimeout": ${DEFAULT_TIMEOUTS.lockTimeoutMs},
    // total time lock-timeout retries of one migration may take (ms)
    "retryBudget": ${DEFAULT_TIMEOUTS.retryBudgetMs}
  },
  "backup": {
    // where backups go (mode 0700; keep it out of git); prune deletes verified backups older
    // than retentionDays, never the newest verified one
    "dir": "backups",
    "retentionDays": 30
  },
  "deploy": {
    // after a failed migration left non-transactional steps applied: restore the pre-deploy
    // backup never, only if no row was written since it (if-no-writes), or always
    "restoreOnFailure": "if-no-writes"
    // checked after migrating, before the app starts:
    // "healthCheck": { "url": "http://localhost:3000/health", "status": 200 },
    // when deploys that change the schema may run:
    // "windows": { "timezone": "Europe/Berlin",
    //              "allow": [{ "days": ["mon", "tue", "wed", "thu"], "from": "09:00", "to": "16:00" }],
    //              "freeze": [{ "from": "2026-12-21", "to": "2027-01-04", "reason": "holidays" }] }
  },
  "doctor": {
    // test rows in production (future dates, placeholder names, example.com e-mails): fail, warn or off
    "testData": { "level": "fail" }
  }
}
`;
}
