/**
 * pgwarden.config.json (or the `pgwarden` key of package.json). Validated with every problem
 * reported at once; unknown keys are rejected so a typo never silently does nothing.
 */
import { z } from 'zod';
import { resolveRuleName } from '../lint/linter.js';
import { RUNNER_ALIASES, RUNNER_IDS } from '../lint/runners.js';

export const MIGRATION_FORMATS = [
  'auto',
  'plain',
  'prisma',
  'dbmate',
  'golang-migrate',
  'flyway',
  'supabase',
  'node-pg-migrate',
] as const;

const level = z.enum(['error', 'warning', 'off']);
const runnerNames = [...RUNNER_IDS, ...Object.keys(RUNNER_ALIASES)];

export const configSchema = z.strictObject({
  $schema: z.string().optional(),
  migrations: z
    .strictObject({
      dir: z.string().min(1).optional(),
      format: z.enum(MIGRATION_FORMATS).optional(),
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
