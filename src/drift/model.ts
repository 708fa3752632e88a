/**
 * The catalog model `drift` compares and `schemaFingerprint` hashes: plain JSON, no OIDs, every
 * list sorted by name, every definition as PostgreSQL itself prints it (pg_get_*def, format_type,
 * pg_get_expr) with search_path = pg_catalog, so names are schema-qualified the same way in every
 * database. Two databases built by the same migrations on the same server version give equal models.
 */

export interface CatalogModel {
  tables: TableModel[];
  indexes: IndexModel[];
  constraints: ConstraintModel[];
  sequences: SequenceModel[];
  views: ViewModel[];
  functions: FunctionModel[];
  triggers: TriggerModel[];
  enums: EnumModel[];
  extensions: ExtensionModel[];
  policies: PolicyModel[];
}

export interface ColumnModel {
  name: string;
  /** format_type(): `integer`, `character varying(20)`, `public.mood[]`. */
  type: string;
  notNull: boolean;
  /** The default expression (pg_get_expr); absent for none and for generated columns. */
  default?: string;
  identity?: 'always' | 'by default';
  /** The expression of a stored generated column. */
  generated?: string;
  /** `pg_catalog."C"` when the column's collation is not its type's default. */
  collation?: string;
}

export interface TableModel {
  schema: string;
  name: string;
  partitioned: boolean;
  unlogged: boolean;
  /** pg_get_partkeydef(): `RANGE (created_at)`. */
  partitionKey?: string;
  /** The parent of a partition, and its bound (`FOR VALUES FROM (…) TO (…)`). */
  partitionOf?: { schema: string; name: string; bound: string };
  rowSecurity: boolean;
  forceRowSecurity: boolean;
  /** In column order (attnum); compared by name, so the order itself is not drift. */
  columns: ColumnModel[];
}

export interface IndexModel {
  schema: string;
  name: string;
  table: string;
  /** pg_get_indexdef(): `CREATE [UNIQUE] INDEX name ON schema.table USING …`. */
  definition: string;
  valid: boolean;
  unique: boolean;
  /** The index is on a partitioned table (no CONCURRENTLY there). */
  onPartitioned: boolean;
  /** The index is a partition of a partitioned index: it follows its parent. */
  attached: boolean;
}

export type ConstraintType = 'primary key' | 'unique' | 'foreign key' | 'check' | 'exclusion';

export interface ConstraintModel {
  schema: string;
  table: string;
  name: string;
  type: ConstraintType;
  /** pg_get_constraintdef() without its ` NOT VALID` suffix (that is `validated`). */
  definition: string;
  validated: boolean;
  /** Inherited from a parent table or partitioned table (conislocal = false): it follows the parent. */
  inherited: boolean;
}

export interface SequenceModel {
  schema: string;
  name: string;
  type: string;
  start: string;
  increment: string;
  min: string;
  max: string;
  cache: string;
  cycle: boolean;
  /** OWNED BY (serial columns). */
  ownedBy?: { schema: string; table: string; column: string };
}

export interface ViewModel {
  schema: string;
  name: string;
  materialized: boolean;
  /** pg_get_viewdef(): the SELECT, ending with `;`. */
  definition: string;
  /** reloptions, e.g. `security_barrier=true`, `check_option=cascaded`, sorted. */
  options: string[];
  /** The tables and views it reads (`schema.name`, sorted): they cannot change type under it. */
  dependsOn: string[];
}

export interface FunctionModel {
  schema: string;
  name: string;
  /** pg_get_function_identity_arguments(). */
  args: string;
  kind: 'function' | 'procedure';
  /** pg_get_function_result(); absent for procedures. */
  result?: string;
  /** pg_get_functiondef(): `CREATE OR REPLACE FUNCTION …`, without a trailing semicolon. */
  definition: string;
}

export type TriggerEnabled = 'origin' | 'disabled' | 'replica' | 'always';

export interface TriggerModel {
  schema: string;
  table: string;
  name: string;
  /** pg_get_triggerdef(). */
  definition: string;
  enabled: TriggerEnabled;
  /** Cloned from a partitioned table's trigger: it follows the parent. */
  inherited: boolean;
}

export interface EnumModel {
  schema: string;
  name: string;
  values: string[];
  /** Table columns of this type (or an array of it), for the SQL that recreates the type. */
  usedBy: Array<{ schema: string; table: string; column: string; array: boolean }>;
}

export interface ExtensionModel {
  name: string;
  schema: string;
  version: string;
}

export interface PolicyModel {
  schema: string;
  table: string;
  name: string;
  command: 'ALL' | 'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE';
  permissive: boolean;
  /** Role names, `public` for PUBLIC, sorted. */
  roles: string[];
  using?: string;
  withCheck?: string;
}
