/**
 * `plan()`: what `migrate` would do, without doing it. For every pending migration and statement:
 * whether it runs in the migration's transaction or alone, the locks it takes on which relations
 * (from the lock table), rewrites and full scans, the size and row estimate of those relations
 * from the live catalog, and the lint findings for the migration.
 */
import { locksByRelation } from '../analysis/effects.js';
import { loadLiveFacts } from '../analysis/live-catalog.js';
import { SchemaModel } from '../analysis/schema-model.js';
import type { Linter } from '../lint/linter.js';
import { describeBlocks, type LockMode } from '../locks/modes.js';
import { lineMapper } from '../sql/lines.js';
import { loadParser } from '../sql/parser.js';
import { contractAfter } from './contract-gate.js';
import { type GateLintOptions, gateLinter } from './lint-gate.js';
import { computeStatus, readStatusInputs } from './status.js';
import { type Step, scriptSteps } from './steps.js';
import { openTarget, type TargetOptions } from './target.js';
import { DEFAULT_TIMEOUTS } from './timeouts.js';
import type { Migration } from './types.js';

export interface PlannedLock {
  relation: string;
  modes: LockMode[];
  /** What the strongest mode blocks, in words ("all reads and writes"). */
  blocks: string;
}

export interface PlannedRelation {
  relation: string;
  rowEstimate: number | null;
  totalBytes: number | null;
}

export interface PlannedStatement {
  index: number;
  line: number;
  kind: string;
  sql: string;
  /**
   * `transaction`: inside the migration's transaction; `alone`: sent on its own, no transaction
   * open; `backfill`: a `-- pgwarden:backfill` UPDATE, run in batches of their own transactions
   * (the locks are a batch's, held for one batch).
   */
  mode: 'transaction' | 'alone' | 'backfill';
  shapes: string[];
  locks: PlannedLock[];
  rewrites: string[];
  scans: string[];
  relations: PlannedRelation[];
}

export interface PlannedMigration {
  id: string;
  name: string;
  path: string;
  mode: 'transaction' | 'statements';
  /** The file's own BEGIN/COMMIT statements, not run: the runner's transactions replace them. */
  droppedTransactionControl?: number;
  /** A contract step (`-- pgwarden:contract after=<id>`): never run in the run of its expand step. */
  contractAfter?: string;
  statements: PlannedStatement[];
  findings: Array<{ rule: string; level: string; line: number; message: string }>;
}

export interface PlanResult {
  format: string;
  dir: string;
  pgVersion: number;
  migrations: PlannedMigration[];
  /** Files the tool skips, as it says (the Supabase CLI's misnamed files). */
  warnings?: string[];
}

export interface PlanOptions extends TargetOptions {
  /** How the lint gate lints (the config's `lint` settings). */
  lint?: GateLintOptions | undefined;
  /** How long counting a small table may wait for its lock (ms). */
  lockTimeoutMs?: number | undefined;
}

export async function plan(options: PlanOptions): Promise<PlanResult> {
  await loadParser();
  const target = await openTarget(options, 'pgwarden plan');
  try {
    const { client, source } = target;
    const status = computeStatus(await readStatusInputs(client, source));
    const pendingIds = new Set(
      status.entries.filter((e) => e.state === 'pending' || e.state === 'partial').map((e) => e.id),
    );
    const pending = source.migrations.filter((m) => pendingIds.has(m.id));
    const live = await loadLiveFacts(client);
    const sizes = SchemaModel.fromJSON(live.model.toJSON());
    // the findings the lint gate of migrate and deploy would have
    const linter = await gateLinter(
      target,
      SchemaModel.fromJSON(live.model.toJSON()),
      options.lint ?? {},
      options.lockTimeoutMs ?? DEFAULT_TIMEOUTS.lockTimeoutMs,
    );
    const migrations: PlannedMigration[] = [];
    for (const m of pending) {
      const { steps, transactional, droppedTransactionControl } = scriptSteps(
        m.up,
        live.model,
        target.pgMajor,
      );
      const after = contractAfter(m);
      migrations.push({
        id: m.id,
        name: m.name,
        path: m.path,
        ...(after ? { contractAfter: after } : {}),
        mode: transactional && m.up.transaction !== false ? 'transaction' : 'statements',
        ...(droppedTransactionControl ? { droppedTransactionControl } : {}),
        statements: steps.map((s) => planStatement(s, sizes, m.up.transaction !== false)),
        findings: lintFindings(linter, m),
      });
    }
    return {
      format: source.format.id,
      dir: source.dir,
      pgVersion: target.pgMajor,
      migrations,
      warnings: source.warnings ?? [],
    };
  } finally {
    await target.close();
  }
}

function planStatement(step: Step, sizes: SchemaModel, scriptTransactional: boolean): PlannedStatement {
  const locks = locksByRelation(step.effects);
  const rewrites = new Set<string>();
  const scans = new Set<string>();
  for (const effect of step.effects) {
    for (const role of effect.facts.rewrites) for (const r of effect.relations[role] ?? []) rewrites.add(r);
    for (const role of effect.facts.scans) for (const r of effect.relations[role] ?? []) scans.add(r);
  }
  const involved = new Set([...locks.map((l) => l.relation), ...rewrites, ...scans]);
  return {
    index: step.index,
    line: step.line,
    kind: step.kind,
    sql: step.sql.length > 200 ? `${step.sql.slice(0, 200)}…` : step.sql,
    mode: step.backfill ? 'backfill' : step.transactional && scriptTransactional ? 'transaction' : 'alone',
    shapes: step.effects.map((e) => e.shape),
    locks: locks.map(({ relation, modes }) => ({ relation, modes, blocks: describeBlocks(modes) })),
    rewrites: [...rewrites],
    scans: [...scans],
    relations: [...involved].map((relation) => {
      const facts = sizes.tables.get(relation);
      return { relation, rowEstimate: facts?.rowEstimate ?? null, totalBytes: facts?.totalBytes ?? null };
    }),
  };
}

function lintFindings(linter: Linter, m: Migration): PlannedMigration['findings'] {
  const result = linter.lintSource({ path: m.up.path, text: m.up.text });
  const base = lineMapper(m.up)(0) - 1;
  return result.findings.map((f) => ({
    rule: f.rule,
    level: f.level,
    line: f.line + base,
    message: f.message,
  }));
}
