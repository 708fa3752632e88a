/**
 * pgwarden as a library. The CLI is a thin layer over these functions: everything it does,
 * code can do.
 *
 * @example
 * import { lint } from 'pgwarden';
 * const result = await lint({ paths: ['migrations'], pgVersion: 15 });
 * if (result.summary.errors > 0) process.exitCode = 1;
 */
export type { Effect, EffectDetail } from './analysis/effects.js';
export { type LiveFacts, loadLiveFacts } from './analysis/live-catalog.js';
export { SchemaModel } from './analysis/schema-model.js';
export { adhocBackfill } from './backfill/adhoc.js';
export {
  type BackfillContext,
  type BackfillEvent,
  type BackfillOptions,
  type BackfillResult,
  type BackfillSpec,
  DEFAULT_BACKFILL_OPTIONS,
  runBackfill,
} from './backfill/backfill.js';
export { type BackfillPlan, planBackfill } from './backfill/dry-run.js';
export { type BackupResult, type CreateBackupOptions, createBackup } from './backup/create.js';
export { type BackupList, listBackups } from './backup/list.js';
export { type PruneOptions, type PruneResult, planPrune, pruneBackups } from './backup/prune.js';
export { vetScript } from './backup/psql-input.js';
export {
  type PreviewOnlyOptions,
  type RestoreOptions,
  type RestoreResult,
  restore,
  restorePreview,
} from './backup/restore.js';
export { type VerifyOptions, type VerifyResult, verifyBackup } from './backup/verify.js';
export { type WritesSince, type WritesSinceOptions, writesSince } from './backup/writes-since.js';
export { CONFIG_FILE, type LoadedConfig, loadConfig } from './config/load.js';
export { type Config, configSchema, MIGRATION_FORMATS } from './config/schema.js';
export { type RepairOutcome, repairAbandonedBlock } from './db/connection-block.js';
export { type Notice, notices, onNotice } from './db/notices.js';
export { checkDatabaseUrl, type DatabaseUrl, parseDatabaseUrl } from './db/url.js';
export {
  type DeployBackupSettings,
  type DeployEvent,
  type DeployOptions,
  type DeployOutcome,
  deploy,
  type Recovery,
  type RestorePolicy,
} from './deploy/deploy.js';
export { checkWindow, type WindowCheck } from './deploy/window.js';
export { type CheckResult, type DoctorOptions, type DoctorResult, doctor } from './doctor/doctor.js';
export { DOCTOR_CHECKS } from './doctor/registry.js';
export type { CheckOutcome, DoctorCheck, DoctorContext } from './doctor/types.js';
export { readCatalog } from './drift/catalog.js';
export { type Difference, diffCatalogs } from './drift/diff.js';
export { type DriftEvent, type DriftOptions, type DriftResult, drift } from './drift/drift.js';
export { schemaFingerprint } from './drift/fingerprint.js';
export type { CatalogModel } from './drift/model.js';
export { ERROR_CODES, type ErrorCode, EXIT } from './errors/codes.js';
export { isPgwardenError, PgwardenError } from './errors/pgwarden-error.js';
export { type FixOptions, type FixResult, fixMigration } from './fix/fix.js';
export { FIXABLE_RULES } from './fix/fixable-rules.js';
export { type InitOptions, type InitResult, init } from './init/init.js';
export type { FileResult, Finding, LintResult, LintSummary, PgVersionSource } from './lint/finding.js';
export { type LintOptions, lint, lintText } from './lint/lint.js';
export { DEFAULT_PG_VERSION, Linter, type LinterOptions, ruleById } from './lint/linter.js';
export { renderGithub } from './lint/report/github.js';
export { renderJson } from './lint/report/json.js';
export { renderSarif } from './lint/report/sarif.js';
export { renderText, type TextOptions } from './lint/report/text.js';
export type {
  Example,
  Level,
  Preset,
  RuleContext,
  RuleDefinition,
  RuleDocs,
  RuleLevel,
} from './lint/rule.js';
export { renderRuleDoc } from './lint/rule-docs.js';
export { RULE_ALIASES, RULES } from './lint/rules/index.js';
export { RUNNERS, type RunnerId, type RunnerProfile, resolveRunner } from './lint/runners.js';
export { allShapes, factsFor, getShape, type ResolvedFacts } from './locks/lock-table.js';
export { blocks, CONFLICTS, describeBlocks, LOCK_MODES, type LockMode, lockModeSql } from './locks/modes.js';
export type { LockShape, RelationLock, Role, ShapeFacts } from './locks/shape.js';
export { type ContractStop, contractAfter } from './migrate/contract-gate.js';
export { FORMATS } from './migrate/formats/index.js';
export {
  type GateFinding,
  LINT_GATE_EVENT,
  type LintGateCaller,
  type LintGateOptions,
  type LintGateResult,
  runLintGate,
} from './migrate/lint-gate.js';
export {
  type AppliedMigration,
  DEFAULT_TIMEOUTS,
  type LockedSession,
  locked,
  type MigrateEvent,
  type MigrateOptions,
  type MigrateResult,
  migrate,
  migrateLocked,
} from './migrate/migrate.js';
export { type PlannedMigration, type PlannedStatement, type PlanResult, plan } from './migrate/plan.js';
export { type ResolveOptions, type ResolveResult, resolve } from './migrate/resolve.js';
export { type RollbackOptions, type RollbackResult, rollback } from './migrate/rollback.js';
export {
  DEFAULT_MIGRATION_DIRS,
  findMigration,
  loadMigrations,
  type MigrationSource,
} from './migrate/source.js';
export {
  computeStatus,
  type MigrationState,
  type MigrationStatus,
  readStatusInputs,
  type StatusEntry,
  status,
} from './migrate/status.js';
export { openTarget, type Target, type TargetOptions } from './migrate/target.js';
export type {
  AppliedRecord,
  FormatId,
  HistoryAdapter,
  HistoryState,
  Migration,
  MigrationFormat,
  MigrationScript,
} from './migrate/types.js';
export { parseSqlFile } from './sql/parse-file.js';
export { loadParser } from './sql/parser.js';
export {
  displayQualified,
  escapeControls,
  quoteIdent,
  quoteLiteral,
  quoteQualified,
  regclassLiteral,
  sanitizeSql,
  sanitizeText,
  sqlComment,
} from './sql/quote.js';
export { readSqlFile, type SqlSource } from './sql/source.js';
export type { ParsedFile, Span, Statement, StatementOrigin } from './sql/statement.js';
export { type GuardedChild, spawnGuarded } from './util/spawn-guarded.js';
export { VERSION } from './version.js';
