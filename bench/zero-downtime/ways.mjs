/**
 * bench/zero-downtime: the three ways of applying an unsafe migration (cases.mjs), as child processes
 * spawned with argument arrays (bench/downtime's apply.mjs), and the single UPDATE the backfill's
 * throughput is compared with.
 *
 * Each way may have a `prepare` step (before the app starts) and a `gate` step (under load, before
 * the measured window); `migrate` is the measured one.
 */
import { readdirSync } from 'node:fs';
import {
  applyNaive,
  applyPgwarden,
  childEnv,
  databaseUrl,
  pgwardenMain,
  runProgram,
} from '../downtime/apply.mjs';
import { now } from '../downtime/load.mjs';

const LOCK_TIMEOUT_MS = 500;
const RETRY_BUDGET_MS = 5 * 60_000;

async function timed(run) {
  const start = now();
  const result = await run();
  return { ...result, ms: now() - start };
}

function migrate(ctx, extraArgs = []) {
  return applyPgwarden({
    root: ctx.root,
    cluster: ctx.cluster,
    database: ctx.database,
    dir: ctx.project.dir,
    lockTimeoutMs: LOCK_TIMEOUT_MS,
    retryBudgetMs: RETRY_BUDGET_MS,
    extraArgs,
    capMs: ctx.capMs,
  });
}

export const WAYS = [
  {
    name: 'naive',
    label: 'psql -1 -f unsafe.sql',
    migrate: (ctx) => applyNaive({ ...ctx, file: ctx.project.unsafeFile }),
  },
  {
    name: 'migrate',
    label: 'pgwarden migrate --no-lint-gate (unsafe file)',
    /** The lint gate must refuse the unsafe file: exit code and time. */
    async gate(ctx) {
      const result = await timed(() => migrate(ctx));
      return {
        code: result.code,
        ms: result.ms,
        refused: result.code === 1 && /lint errors|LINT_GATE/.test(result.stderr + result.stdout),
        output: (result.stderr || result.stdout).trim(),
      };
    },
    migrate: (ctx) => migrate(ctx, ['--no-lint-gate', 'bench']),
  },
  {
    name: 'fix',
    label: 'pgwarden fix, then pgwarden migrate',
    /** `pgwarden fix` rewrites the pending unsafe migration in the plain folder. */
    async prepare(ctx) {
      const env = { ...childEnv(ctx.cluster), DATABASE_URL: databaseUrl(ctx.cluster, ctx.database) };
      const args = [pgwardenMain(ctx.root), 'fix', ctx.project.unsafeFile];
      args.push('--dir', ctx.project.dir, '--format', 'plain');
      const result = await timed(() => runProgram(process.execPath, args, env, ctx.capMs));
      const files = readdirSync(ctx.project.dir).filter(
        (f) => f.endsWith('.sql') && !f.endsWith('.down.sql'),
      );
      return {
        code: result.code,
        ms: result.ms,
        files: files.sort(),
        ok: result.code === 0 && !files.includes(ctx.unsafe.file),
        output: (result.stderr || result.stdout).trim(),
      };
    },
    /** The steps fix wrote; for a case whose contract step runs now, migrate once more for it. */
    async migrate(ctx) {
      const first = await migrate(ctx);
      if (first.code !== 0 || !ctx.unsafe.runContract) return first;
      if (!/stopped before the contract step/.test(first.stdout)) return first;
      const contract = await migrate(ctx);
      return {
        ...contract,
        stdout: `${first.stdout}\n${contract.stdout}`,
        stderr: `${first.stderr}\n${contract.stderr}`,
      };
    },
  },
];

/** The last event's id so far (the template's history has events of its own). */
export async function lastEventId(client) {
  const { rows } = await client.query('SELECT coalesce(max(event_id), 0)::bigint AS id FROM pgwarden.events');
  return rows[0].id;
}

/**
 * The backfill's figures and each migration's duration and retries, from the pgwarden.events
 * written after event `since`.
 */
export async function readEvents(client, since) {
  const { rows } = await client.query(
    `SELECT kind, migration_id, detail FROM pgwarden.events
      WHERE kind IN ('migration.backfill', 'migration.applied') AND event_id > $1 ORDER BY event_id`,
    [since],
  );
  const backfill = rows.find((r) => r.kind === 'migration.backfill')?.detail;
  const applied = rows
    .filter((r) => r.kind === 'migration.applied')
    .map((r) => ({ id: r.migration_id, durationMs: r.detail.durationMs, retries: r.detail.retries }));
  return { backfill, applied };
}

/**
 * The plain way to fill the case's new column: add it bare (a catalog change), then one UPDATE of
 * the whole table, timed alone (no app load). Resolves to `{ rows, ms, rowsPerSecond }`.
 */
export async function singleUpdate(client, unsafe) {
  await client.query(unsafe.addBare);
  const start = now();
  const result = await client.query(unsafe.update);
  const ms = now() - start;
  return { rows: result.rowCount, ms, rowsPerSecond: result.rowCount / (ms / 1000) };
}
