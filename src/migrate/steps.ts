/**
 * A migration script as the runner executes it: its top-level statements in order, each with the
 * line it starts on, its lock-table effects and whether PostgreSQL accepts it in a transaction
 * block. Statements PostgreSQL refuses there (CREATE INDEX CONCURRENTLY, VACUUM, …) are known from
 * the lock table's `transactional` fact, not from a list kept here.
 *
 * The script's own BEGIN/COMMIT are dropped (the runner opens and commits the transactions);
 * transaction control that would fight the runner (ROLLBACK, PREPARE TRANSACTION) and psql
 * meta-commands are refused before anything runs.
 */
import { createHash } from 'node:crypto';
import { classify } from '../analysis/classify.js';
import { type Effect, locksByRelation } from '../analysis/effects.js';
import type { SchemaModel } from '../analysis/schema-model.js';
import { backfillMarker, type MarkerOptions } from '../backfill/marker.js';
import { PgwardenError } from '../errors/pgwarden-error.js';
import { lineMapper, type TextInFile } from '../sql/lines.js';
import { parseSqlFile } from '../sql/parse-file.js';
import type { ParsedFile } from '../sql/statement.js';
import { runnerDrops, runnerRuns } from '../sql/transaction-control.js';
import type { MigrationScript } from './types.js';

export interface Step {
  /** Position among the script's statements (after dropped BEGIN/COMMIT), from 0. */
  index: number;
  kind: string;
  /** The parse node (libpg-query JSON). */
  node: any;
  /** The statement text as sent to the server (no terminating semicolon). */
  sql: string;
  /** 1-based line in the file where the statement starts. */
  line: number;
  /** Character offset of the statement in the file (for mapping server error positions). */
  fileOffset: number;
  /**
   * True when the statement runs in the migration's transaction: PostgreSQL accepts it in a
   * transaction block and the script does not turn transactions off (dbmate `transaction:false`).
   */
  transactional: boolean;
  /**
   * Whether PostgreSQL accepts the statement in a transaction block (per the lock table). A
   * statement of a script that turned transactions off runs in a transaction of its own when it
   * does, so its transaction id is known (`LockedSession.transactionIds`).
   */
  acceptsTransaction: boolean;
  effects: Effect[];
  /**
   * The options of a `-- pgwarden:backfill` comment before this UPDATE: the runner runs it in
   * batches, each a transaction of its own (never in the migration's transaction).
   */
  backfill?: MarkerOptions;
  /** `sha256:<hex>` of the statement text, to detect edits of a partially applied migration. */
  checksum: string;
}

export interface ScriptSteps {
  steps: Step[];
  /** True when every statement can run in the migration's one transaction. */
  transactional: boolean;
  /** BEGIN/COMMIT statements of the script that the runner replaces with its own transaction. */
  droppedTransactionControl: number;
}

/**
 * Parses a script that is about to run: a syntax error (PostgreSQL's grammar) or a psql
 * meta-command stops everything before anything runs, naming the file's line.
 */
export function parseScript(source: TextInFile): { parsed: ParsedFile; lineOf: (offset: number) => number } {
  const parsed = parseSqlFile({ path: source.path, text: source.text });
  const lineOf = lineMapper(source);
  const where = (offset: number) => `${source.path}:${lineOf(offset)}`;
  const syntax = parsed.syntaxErrors[0];
  if (syntax) {
    throw new PgwardenError(
      'MIGRATION_INVALID',
      `${where(syntax.span.start)}: syntax error: ${syntax.message}`,
      {
        hint: 'Fix the statement; nothing was run.',
        details: { path: source.path, line: lineOf(syntax.span.start) },
      },
    );
  }
  const meta = parsed.metaCommands[0];
  if (meta) {
    throw new PgwardenError(
      'MIGRATION_INVALID',
      `${where(meta.span.start)}: psql meta-command ${meta.text.split(/\s/)[0]} cannot be run by pgwarden`,
      { hint: 'Migrations must be plain SQL; move psql commands (\\set, \\i, \\connect…) out of the file.' },
    );
  }
  return { parsed, lineOf };
}

/**
 * Splits a script into steps; `model` is the schema the statements run against (live facts plus
 * the earlier migrations) and is updated with the script's statements. Call `loadParser()` first.
 */
export function scriptSteps(script: MigrationScript, model: SchemaModel, pgMajor: number): ScriptSteps {
  const { parsed, lineOf } = parseScript({ path: script.path, text: script.text, offset: script.offset });
  const where = (offset: number) => `${script.path}:${lineOf(offset)}`;
  const steps: Step[] = [];
  let dropped = 0;
  let previousEnd = 0;
  for (const stmt of parsed.statements) {
    if (stmt.origin !== 'file') continue;
    const after = previousEnd;
    previousEnd = stmt.span.end;
    if (stmt.kind === 'TransactionStmt') {
      if (runnerDrops(stmt.node)) {
        dropped++;
        continue;
      }
      if (!runnerRuns(stmt.node)) {
        throw new PgwardenError(
          'MIGRATION_INVALID',
          `${where(stmt.span.start)}: "${stmt.text}" cannot run under pgwarden, which runs each migration in its own transaction`,
          {
            hint: 'Remove the statement: BEGIN/COMMIT are handled by the runner; use SAVEPOINT for partial rollbacks.',
          },
        );
      }
    }
    const effects = classify(stmt, { model, pgMajor });
    const backfill = backfillMarker(parsed, stmt, after, where);
    const acceptsTransaction = backfill === undefined && effects.every((e) => e.facts.transactional);
    model.apply(stmt.kind, stmt.node, script.path);
    steps.push({
      index: steps.length,
      kind: stmt.kind,
      node: stmt.node,
      sql: stmt.text,
      line: lineOf(stmt.span.start),
      fileOffset: script.offset + stmt.span.start,
      transactional: script.transaction !== false && acceptsTransaction,
      acceptsTransaction,
      effects,
      ...(backfill ? { backfill } : {}),
      checksum: `sha256:${createHash('sha256').update(stmt.text, 'utf8').digest('hex')}`,
    });
  }
  return {
    steps,
    transactional: steps.every((s) => s.transactional),
    droppedTransactionControl: dropped,
  };
}

/** The relations (schema.name) the steps lock, from the lock table's facts. */
export function relationsOf(steps: readonly Step[]): string[] {
  return locksByRelation(steps.flatMap((step) => step.effects)).map((lock) => lock.relation);
}
