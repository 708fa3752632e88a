/** The rule registry: every rule, alphabetical. A rule's id is its file name. */
import type { RuleDefinition } from '../rule.js';
import { rule as addingAutoIncrementColumn } from './adding-auto-increment-column.js';
import { rule as addingExclusionConstraint } from './adding-exclusion-constraint.js';
import { rule as addingFieldWithDefault } from './adding-field-with-default.js';
import { rule as addingForeignKeyConstraint } from './adding-foreign-key-constraint.js';
import { rule as addingNotNullableField } from './adding-not-nullable-field.js';
import { rule as addingRequiredField } from './adding-required-field.js';
import { rule as addingSerialPrimaryKeyField } from './adding-serial-primary-key-field.js';
import { rule as attachPartitionWithoutCheck } from './attach-partition-without-check.js';
import { rule as banAlterDomainWithAddConstraint } from './ban-alter-domain-with-add-constraint.js';
import { rule as banCharField } from './ban-char-field.js';
import { rule as banConcurrentIndexCreationInTransaction } from './ban-concurrent-index-creation-in-transaction.js';
import { rule as banCreateDomainWithConstraint } from './ban-create-domain-with-constraint.js';
import { rule as banDropColumn } from './ban-drop-column.js';
import { rule as banDropDatabase } from './ban-drop-database.js';
import { rule as banDropNotNull } from './ban-drop-not-null.js';
import { rule as banDropTable } from './ban-drop-table.js';
import { rule as banDuplicateColumnAssignments } from './ban-duplicate-column-assignments.js';
import { rule as banTruncateCascade } from './ban-truncate-cascade.js';
import { rule as banUncommittedTransaction } from './ban-uncommitted-transaction.js';
import { rule as banVacuumFullCluster } from './ban-vacuum-full-cluster.js';
import { rule as changingColumnType } from './changing-column-type.js';
import { rule as changingTypeOfCheckedColumn } from './changing-type-of-checked-column.js';
import { rule as concurrentIndexOnPartitionedTable } from './concurrent-index-on-partitioned-table.js';
import { rule as constraintMissingNotValid } from './constraint-missing-not-valid.js';
import { rule as dataChangeUnderExclusiveLock } from './data-change-under-exclusive-lock.js';
import { rule as disallowedUniqueConstraint } from './disallowed-unique-constraint.js';
import { rule as dropForeignKeyLocksReferencedTable } from './drop-foreign-key-locks-referenced-table.js';
import { rule as enumValueUsedInSameTransaction } from './enum-value-used-in-same-transaction.js';
import { rule as identifierTooLong } from './identifier-too-long.js';
import { rule as multipleAlterTable } from './multiple-alter-table.js';
import { rule as preferBigintOverInt } from './prefer-bigint-over-int.js';
import { rule as preferBigintOverSmallint } from './prefer-bigint-over-smallint.js';
import { rule as preferIdentity } from './prefer-identity.js';
import { rule as preferJsonb } from './prefer-jsonb.js';
import { rule as preferRobustStmts } from './prefer-robust-stmts.js';
import { rule as preferTextField } from './prefer-text-field.js';
import { rule as preferTimestamptz } from './prefer-timestamptz.js';
import { rule as primaryKeyUsingIndexOnNullableColumn } from './primary-key-using-index-on-nullable-column.js';
import { rule as renamingColumn } from './renaming-column.js';
import { rule as renamingTable } from './renaming-table.js';
import { rule as requireConcurrentIndexCreation } from './require-concurrent-index-creation.js';
import { rule as requireConcurrentIndexDeletion } from './require-concurrent-index-deletion.js';
import { rule as requireConcurrentPartitionDetach } from './require-concurrent-partition-detach.js';
import { rule as requireConcurrentRefresh } from './require-concurrent-refresh.js';
import { rule as requireConcurrentReindex } from './require-concurrent-reindex.js';
import { rule as requireEnumValueOrdering } from './require-enum-value-ordering.js';
import { rule as requireLockTimeout } from './require-lock-timeout.js';
import { rule as requireStatementTimeout } from './require-statement-timeout.js';
import { rule as requireTableSchema } from './require-table-schema.js';
import { rule as rewritingTableStorage } from './rewriting-table-storage.js';
import { rule as syntaxError } from './syntax-error.js';
import { rule as syntaxNotInVersion } from './syntax-not-in-version.js';
import { rule as transactionNesting } from './transaction-nesting.js';
import { rule as unusedIgnore } from './unused-ignore.js';

export const RULES: readonly RuleDefinition[] = [
  addingAutoIncrementColumn,
  addingExclusionConstraint,
  addingFieldWithDefault,
  addingForeignKeyConstraint,
  addingNotNullableField,
  addingRequiredField,
  addingSerialPrimaryKeyField,
  attachPartitionWithoutCheck,
  banAlterDomainWithAddConstraint,
  banCharField,
  banConcurrentIndexCreationInTransaction,
  banCreateDomainWithConstraint,
  banDropColumn,
  banDropDatabase,
  banDropNotNull,
  banDropTable,
  banDuplicateColumnAssignments,
  banTruncateCascade,
  banUncommittedTransaction,
  banVacuumFullCluster,
  changingColumnType,
  changingTypeOfCheckedColumn,
  concurrentIndexOnPartitionedTable,
  constraintMissingNotValid,
  dataChangeUnderExclusiveLock,
  disallowedUniqueConstraint,
  dropForeignKeyLocksReferencedTable,
  enumValueUsedInSameTransaction,
  identifierTooLong,
  multipleAlterTable,
  preferBigintOverInt,
  preferBigintOverSmallint,
  preferIdentity,
  preferJsonb,
  preferRobustStmts,
  preferTextField,
  preferTimestamptz,
  primaryKeyUsingIndexOnNullableColumn,
  renamingColumn,
  renamingTable,
  requireConcurrentIndexCreation,
  requireConcurrentIndexDeletion,
  requireConcurrentPartitionDetach,
  requireConcurrentRefresh,
  requireConcurrentReindex,
  requireEnumValueOrdering,
  requireLockTimeout,
  requireStatementTimeout,
  requireTableSchema,
  rewritingTableStorage,
  syntaxError,
  syntaxNotInVersion,
  transactionNesting,
  unusedIgnore,
];

/** Other names for rules: squawk's aliases, so squawk ignore comments and configs keep working. */
export const RULE_ALIASES: Readonly<Record<string, string[]>> = {
  'prefer-timestamp-tz': ['prefer-timestamptz'],
  'require-timeout-settings': ['require-lock-timeout', 'require-statement-timeout'],
  'prefer-repack': ['ban-vacuum-full-cluster'],
};
