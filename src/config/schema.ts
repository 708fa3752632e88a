/**
 * pgwarden.config.json (or the `pgwarden` key of package.json). Validated with every problem
 * reported at once; unknown keys are rejected so a typo never silently does nothing.
 */
import { z } from 'zod';
import { isPasswordHash } from '../backup/password.js';
import { RUNNER_ALIASES, RUNNER_IDS } from '../lint/runners.js';
import { FORMAT_IDS } from '../migrate/types.js';

export const MIGRATION_FORMATS = ['auto', ...FORMAT_IDS] as const;
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const LOCAL_TIME = /^\d{4}-\d\d-\d\d(T\d\d:\d\d)?$/;

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const ms = z
  .number()
  .int()
  .min(0)
  .max(24 * 3600 * 1000);
const level = z.enum(['error', 'warning', 'off']);
const runnerNames = [...RUNNER_IDS, ...Object.keys(RUNNER_ALIASES)];

export const configSchema = z.strictObject({
  $schema: z.string().optional(),
  migrations: z
    .strictObject({
      /** One directory, or several: Flyway's locations, read as one set (the first gets new migrations). */
      dir: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
      format: z.enum(MIGRATION_FORMATS).optional(),
      /** The history table, possibly `schema.table`, when the tool was configured with another name. */
      table: z.string().min(1).optional(),
    })
    .optional(),
  migrate: z
    .strictObject({
      /** How long one statement may wait for a lock before the migration is rolled back and retried (ms). */
      lockTimeout: ms.optional(),
      /** statement_timeout for migration statements (ms); 0 = none. */
      statementTimeout: ms.optional(),
      /** Total time lock-timeout retries of one migration may take (ms). */
      retryBudget: ms.optional(),
      /** How long to wait for another deploy's migration lock (ms). */
      lockWait: ms.optional(),
      /** A contract step (-- pgwarden:contract) waits until its expand step is this old (ms); off by default. */
      contractMinAge: ms.optional(),
      /** Lint errors in the migrations about to run stop `pgwarden migrate`, as deploy's (default true). */
      lintGate: z.boolean().optional(),
    })
    .optional(),
  backup: z
    .strictObject({
      /** Where backups are written (default ./backups; env BACKUP_DIR). */
      dir: z.string().min(1).optional(),
      /** prune deletes verified backups older than this (days; 0 = no age limit; env BACKUP_RETENTION_DAYS; default 30). */
      retentionDays: z.number().int().min(0).max(36500).optional(),
      /** prune keeps at most this many verified backups. */
      keep: z.number().int().min(1).optional(),
      /** custom (one file, default) or directory (parallel dumps with jobs). */
      format: z.enum(['custom', 'directory']).optional(),
      /** parallel pg_dump workers (directory format). */
      jobs: z.number().int().min(1).max(64).optional(),
      /** pg_dump --compress value: 0-9, or (pg_dump 16+) gzip|lz4|zstd|none[:level]. */
      compression: z.string().min(1).optional(),
      /** also save roles and tablespaces (pg_dumpall --globals-only --no-role-passwords). */
      globals: z.boolean().optional(),
      /** pg_dump --lock-wait-timeout (ms, default 60000). */
      lockWaitTimeout: ms.optional(),
    })
    .optional(),
  restore: z
    .strictObject({
      /** scrypt hash of an admin password restore asks for (make one with `pgwarden hash-password`). */
      passwordHash: z
        .string()
        .refine(isPasswordHash, {
          message: 'not a password hash; make one with pgwarden hash-password',
        })
        .optional(),
      /** seconds of the cancellable countdown before the restore starts (default 5). */
      countdown: z.number().int().min(0).max(600).optional(),
    })
    .optional(),
  deploy: z
    .strictObject({
      /** After a failed migration that left non-transactional steps applied: restore the pre-deploy backup? */
      restoreOnFailure: z.enum(['never', 'if-no-writes', 'always']).optional(),
      /** Lint errors in pending migrations stop the deploy (default true). */
      lintGate: z.boolean().optional(),
      /** Checked after migrating, before the app starts: an HTTP URL or a command. */
      healthCheck: z
        .strictObject({
          url: z.string().url().optional(),
          /** expected HTTP status (default 200) */
          status: z.number().int().min(100).max(599).optional(),
          /** a command (argument array, no shell) that must exit 0 */
          command: z.array(z.string().min(1)).min(1).optional(),
          /** per attempt (ms, default 5000) */
          timeout: ms.optional(),
          /** how long to keep trying (ms, default 30000) */
          within: ms.optional(),
        })
        .refine((h) => (h.url === undefined) !== (h.command === undefined), {
          message: 'give either url or command',
        })
        .optional(),
      /** When deploys may run (time zone aware); outside, deploy refuses unless --force-window. */
      windows: z
        .strictObject({
          /** IANA time zone, e.g. Europe/Berlin (default UTC) */
          timezone: z
            .string()
            .refine(isTimeZone, { message: 'unknown time zone (use an IANA name such as Europe/Berlin)' })
            .optional(),
          /** allowed windows; none = any time outside freezes */
          allow: z
            .array(
              z
                .strictObject({
                  days: z.array(z.enum(WEEKDAYS)).min(1),
                  from: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { message: 'HH:MM' }),
                  to: z.string().regex(/^([01]\d|2[0-4]):[0-5]\d$/, { message: 'HH:MM' }),
                })
                .refine((w) => w.from < w.to, {
                  message: 'a window ends after it starts (split one across midnight in two)',
                }),
            )
            .optional(),
          /** freeze periods (local dates/times in the time zone, e.g. 2026-12-20 or 2026-12-20T18:00) */
          freeze: z
            .array(
              z.strictObject({
                from: z.string().regex(LOCAL_TIME, { message: 'YYYY-MM-DD or YYYY-MM-DDTHH:MM' }),
                to: z.string().regex(LOCAL_TIME, { message: 'YYYY-MM-DD or YYYY-MM-DDTHH:MM' }),
                reason: z.string().optional(),
              }),
            )
            .optional(),
        })
        .optional(),
    })
    .optional(),
  doctor: z
    .strictObject({
      /** Level per check id ("off" silences one). */
      checks: z.record(z.string(), z.enum(['fail', 'warn', 'off'])).optional(),
      /** Maximum age of the newest verified backup before doctor warns (hours, default 26). */
      backupMaxAgeHours: z.number().min(0).optional(),
      testData: z
        .strictObject({
          /** level when test data is found (default fail) */
          level: z.enum(['fail', 'warn', 'off']).optional(),
          /** rows sampled per table (default 1000) */
          sampleRows: z.number().int().min(1).max(1_000_000).optional(),
          /** dates further in the future than this are suspicious (days, default 365) */
          futureDays: z.number().int().min(1).optional(),
          /** extra placeholder names / values (case-insensitive, whole value) */
          names: z.array(z.string().min(1)).optional(),
          /** extra e-mail domains treated as test domains */
          emailDomains: z.array(z.string().min(1)).optional(),
          /** tables ("schema.table") or columns ("schema.table.column") to skip */
          ignore: z.array(z.string().min(1)).optional(),
        })
        .optional(),
    })
    .optional(),
  lint: z
    .strictObject({
      pgVersion: z.number().int().min(10).max(19).optional(),
      runner: z
        .string()
        .refine((r) => runnerNames.includes(r), {
          message: `unknown runner; use one of ${runnerNames.join(', ')}`,
        })
        .optional(),
      presets: z.array(z.enum(['style'])).optional(),
      /**
       * The lint gate (migrate, deploy, doctor): a live table with at most this many rows and bytes
       * is no outage risk; size-dependent errors on it are warnings (default 10000 rows, 10 MB).
       */
      smallTable: z
        .strictObject({
          rows: z.number().int().min(0).optional(),
          bytes: z.number().int().min(0).optional(),
        })
        .optional(),
      /** Rule ids and aliases are checked by `validate` (load.ts), which loads the rules only then. */
      rules: z.record(z.string(), level).optional(),
    })
    .optional(),
});

export type Config = z.infer<typeof configSchema>;
