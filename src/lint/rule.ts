/**
 * The shape of a lint rule: one file per rule under `rules/`, exporting one `defineRule` object
 * with its id (= file name = docs slug = ignore token = config key), docs, examples and check.
 */
import type { Effect } from '../analysis/effects.js';
import type { QualifiedName } from '../analysis/names.js';
import type { SchemaModel, TableFacts } from '../analysis/schema-model.js';
import type { Statement } from '../sql/statement.js';
import type { RunnerId, RunnerProfile } from './runners.js';
import type { TransactionView } from './transaction-tracker.js';

export type Level = 'error' | 'warning';
export type RuleLevel = Level | 'off';

/** `recommended` rules are on by default; `style` rules are opt-in (preset `style`). */
export type Preset = 'recommended' | 'style';

export interface RuleDocs {
  /** What goes wrong, in plain words. */
  problem: string;
  /** The safe alternative, as SQL (with `--` comments for the steps). */
  safeAlternative: string;
  /** When the flagged statement is fine after all. */
  whenFine: string;
}

export interface Example {
  sql: string;
  /** Lint as for this PostgreSQL major (default 15). */
  pgVersion?: number;
  /** Lint as for this runner (default pgwarden). */
  runner?: RunnerId;
  /** SQL of earlier migrations: the example's context, not linted itself. */
  before?: string;
}

export interface RuleDefinition {
  id: string;
  title: string;
  defaultLevel: Level;
  preset: Preset;
  /** Lock-table shapes this rule is about; the docs show their locks, rewrites and scans. */
  shapes: string[];
  docs: RuleDocs;
  examples: { bad: (string | Example)[]; good: (string | Example)[] };
  /**
   * The statement kinds (`IndexStmt`, `AlterTableStmt`, …) `check` looks at. The linter calls
   * `check` only for those; without `kinds` it is called for every statement.
   */
  kinds?: readonly string[];
  /**
   * The outage the rule warns of grows with the table (a rewrite, a scan or an index build under a
   * lock): where the linter knows the table is small (the lint gate, from the live database), its
   * errors there are warnings that say so.
   */
  sizeDependent?: boolean;
  /** Called for every statement (or every statement of `kinds`), in execution order. */
  check?(ctx: RuleContext): void;
  /** Called once at the end of each file. */
  finish?(ctx: FileEndContext): void;
}

export interface Report {
  message: string;
  /** An AST location (byte offset) inside the statement to point at; default: the statement start. */
  location?: number | undefined;
  /** A character offset in the file to point at (for findings outside statements). */
  offset?: number;
  /** Why it matters and what to do, in one or two sentences. */
  help?: string;
  /** Replacement SQL, when the fix is mechanical enough to show. */
  fix?: string | undefined;
  /**
   * Lower the level for this finding (e.g. `warning` when the hazard is likely but unproven);
   * a finding is never reported above the rule's configured level.
   */
  level?: Level;
  /** The rule's findings are `pgwarden fix`'s to rewrite, but not this one (it has no recipe for it). */
  notFixable?: boolean;
}

interface BaseContext {
  readonly path: string;
  readonly pgMajor: number;
  /** The version is only the default: no server, option or config gave it. */
  readonly pgVersionAssumed: boolean;
  readonly runner: RunnerProfile;
  readonly schema: SchemaModel;
  readonly tx: TransactionView;
  /** Top-level and embedded statements of the file. */
  readonly statements: readonly Statement[];
  report(report: Report): void;
  /** State this rule keeps for the current file, created by `init` on first use. */
  state<T>(init: () => T): T;
  /** The 1-based line of a character offset in the file. */
  lineOf(offset: number): number;
}

export interface RuleContext extends BaseContext {
  readonly stmt: Statement;
  readonly effects: readonly Effect[];
  /** The statement runs inside a transaction block (a DO block always does). */
  readonly inTransaction: boolean;
  /** SQL in a function body: it runs when the function is called, not during the migration. */
  readonly deferred: boolean;
  /** Facts about a table, by name or key. */
  table(name: QualifiedName | string | undefined): TableFacts | undefined;
  /**
   * True when the table was created earlier in the file being linted, so no application query can
   * be using it yet and locks on it hurt nobody.
   */
  isNew(name: QualifiedName | string | undefined): boolean;
  /** "ACCESS EXCLUSIVE lock on users (~1.2M rows, 340 MB), blocking all reads and writes" */
  describeLocks(effect: Effect): string;
}

export type FileEndContext = BaseContext;

export function defineRule(rule: RuleDefinition): RuleDefinition {
  return rule;
}
