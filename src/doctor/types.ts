/**
 * The doctor's contract: a check has a stable id, a title, a default level, and a `run` that
 * looks at the project and the database and says pass / warn / fail with evidence and the fix.
 * The level of a failing check can be lowered (or the check turned off) per id in the config.
 */
import type pg from 'pg';
import type { Config } from '../config/schema.js';

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

export interface CheckOutcome {
  status: CheckStatus;
  /** one line: what was found */
  summary: string;
  /** the facts behind it (file names, tables, versions, masked example rows…) */
  evidence: string[];
  /** what to do about it (for warn and fail) */
  fix?: string;
}

export interface DoctorContext {
  /** the project directory */
  cwd: string;
  env: NodeJS.ProcessEnv;
  config: Config;
  databaseUrl: string | undefined;
  /** connected to the target, or undefined when the connection failed (checks that need it skip) */
  client: pg.Client | undefined;
  /** PostgreSQL major of the server, when connected */
  serverMajor: number | undefined;
  /** the backup directory (absolute) */
  backupDir: string;
  /** migrations source options (dir, format, table) as the runner takes them */
  migrations: {
    dir?: string | readonly string[] | undefined;
    format?: string | undefined;
    table?: string | undefined;
  };
  now: Date;
}

export interface DoctorCheck {
  /** stable, kebab-case: the key in config doctor.checks */
  id: string;
  title: string;
  /** what a problem found by this check counts as, unless the config says otherwise */
  level: 'fail' | 'warn';
  /** needs the database connection (skipped with the reason when there is none) */
  needsDatabase: boolean;
  run(ctx: DoctorContext): Promise<CheckOutcome>;
}
