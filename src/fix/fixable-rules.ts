/**
 * The lint rules whose findings `pgwarden fix` rewrites into the safe sequence (src/fix/rewrite.ts
 * holds the recipes); lint marks their findings `fixable`, and the lint gate names the command.
 */
export const ALTER_TABLE_RULES = [
  'adding-field-with-default',
  'adding-not-nullable-field',
  'adding-foreign-key-constraint',
  'constraint-missing-not-valid',
  'disallowed-unique-constraint',
  'changing-column-type',
] as const;

export const INDEX_RULES = [
  'require-concurrent-index-creation',
  'require-concurrent-index-deletion',
  'require-concurrent-reindex',
] as const;

export const DATA_CHANGE_RULES = ['data-change-under-exclusive-lock'] as const;

export const RENAME_RULES = ['renaming-column', 'renaming-table'] as const;

export const FIXABLE_RULES: ReadonlySet<string> = new Set([
  ...ALTER_TABLE_RULES,
  ...INDEX_RULES,
  ...DATA_CHANGE_RULES,
  ...RENAME_RULES,
]);
