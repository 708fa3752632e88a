/**
 * pgwarden.config.json (or the `pgwarden` key of package.json). Validated with every problem
 * reported at once; unknown keys are rejected so a typo never silently does nothing.
 */
import { z } from 'zod';
import { isPasswordHash } from '../backup/password.js';
import { resolveRuleName } from '../lint/linter.js';
import { RUNNER_ALIASES, RUNNER_IDS } from '../lint/runners.js';
import { FORMAT_IDS } from '../migrate/types.js';

export const MIGRATION_FORMATS = ['auto', ...FORMAT_IDS] as const;

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
      dir: z.string().min(1).optional(),
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
      rules: z
        .record(
          z.string().refine((id) => resolveRuleName(id) !== undefined, {
            message: 'unknown rule (see pgwarden lint --list-rules)',
          }),
          level,
        )
        .optional(),
    })
    .optional(),
});

export type Config = z.infer<typeof configSchema>;
