/**
 * What `deploy()` takes and gives: its options, the events it emits (one per step, and the
 * runner's events during the migrate step), the outcome, and the names of its steps.
 */
import type pg from 'pg';
import type { Config } from '../config/schema.js';
import type { BackupSettings } from '../config/settings.js';
import type { MigrateEvent } from '../migrate/migrate.js';
import type { DEFAULT_TIMEOUTS } from '../migrate/timeouts.js';
import type { MigrationFormat } from '../migrate/types.js';
import type { HealthCheck } from './health.js';
import type { DeployResultKind } from './record.js';
import type { WindowsConfig } from './window.js';

export const DEPLOY_STEPS = [
  'preflight',
  'status',
  'lint',
  'backup',
  'migrate',
  'recover',
  'prune',
  'health',
] as const;
export type DeployStep = (typeof DEPLOY_STEPS)[number];
export type StepStatus = 'ok' | 'skip' | 'warn' | 'fail';

export type DeployEvent =
  | { type: 'step'; step: DeployStep; status: StepStatus; message: string; ms: number }
  | { type: 'migrate'; event: MigrateEvent };

export type RestorePolicy = 'never' | 'if-no-writes' | 'always';

/** How the pre-deploy backup is taken: the `backup` section of the configuration, as `backup create` reads it. */
export type DeployBackupSettings = BackupSettings;

export interface DeployOptions {
  cwd: string;
  databaseUrl: string | undefined;
  config: Config;
  migrations: {
    dir?: string | readonly string[] | undefined;
    format?: string | undefined;
    table?: string | undefined;
  };
  backupDir: string;
  /** the pre-deploy backup's settings (default: custom format, one job, pg_dump's compression) */
  backup?: DeployBackupSettings | undefined;
  retentionDays: number;
  keep?: number | undefined;
  timeouts: typeof DEFAULT_TIMEOUTS;
  restoreOnFailure: RestorePolicy;
  healthCheck?: HealthCheck | undefined;
  windows?: WindowsConfig | undefined;
  /** deploy outside the windows; the reason is recorded */
  forceWindow?: string | undefined;
  /** deploy although the schema changed outside the migrations since the last deploy; recorded */
  acceptDrift?: string | undefined;
  /** let lint errors in the pending migrations through (not empty); recorded in pgwarden.events */
  lintGateOverride?: string | undefined;
  /** run contract steps in the deploy of their expand step, or before their minimum age; recorded */
  allowContract?: string | undefined;
  /** contract steps wait until their expand step is this old (config migrate.contractMinAge) */
  contractMinAgeMs?: number | undefined;
  allowUncommitted?: boolean;
  /** compute and compare the schema fingerprint (src/deploy/fingerprint.ts) */
  fingerprint?: (client: pg.Client, format: MigrationFormat, historyTable: string) => Promise<string>;
  onEvent?: (event: DeployEvent) => void;
  signal?: AbortSignal;
  now?: Date;
}

export interface StepRecord {
  step: DeployStep;
  status: StepStatus;
  ms: number;
  message: string;
}

export interface DeployOutcome {
  result: DeployResultKind;
  deployId: number | undefined;
  migrations: string[];
  backupId: string | undefined;
  steps: StepRecord[];
}

/**
 * What a failed deploy leaves to do, attached to its error as `recovery`: the commands for each
 * way out, ready to paste (they rely on DATABASE_URL in the environment, never carry it).
 */
export interface Recovery {
  /** restores the pre-deploy backup (a safety backup of the current state is taken first) */
  restoreCommand: string;
  /** what to do to keep the current state and finish the migrations instead */
  resume: string;
}
