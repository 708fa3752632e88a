/**
 * What the linter knows about the database schema at a point in a migration: tables, columns,
 * constraints and indexes, from the live catalog (when connected) and from the statements seen
 * so far (earlier files and earlier statements of the current file). `apply()` replays a
 * statement's effect on the model; rules read the model as it was before their statement.
 */

import { defaultConstraintName } from './constraint-names.js';
import {
  columnsIn,
  listName,
  notNullCheckColumn,
  type QualifiedName,
  rangeVarName,
  stringList,
} from './names.js';
import { type ColumnType, SERIAL_TYPES, typeFromAst } from './types.js';
import { expressionVolatility, type FunctionLookup } from './volatility.js';

export type RelationKind = 'table' | 'partitioned' | 'view' | 'matview' | 'foreign';

export interface ColumnFacts {
  name: string;
  type: ColumnType | undefined;
  notNull: boolean;
}

export type ConstraintKind = 'check' | 'foreign-key' | 'unique' | 'primary-key' | 'exclusion';

export interface ConstraintFacts {
  name: string;
  kind: ConstraintKind;
  validated: boolean;
  columns: string[];
  /** For CHECK (col IS NOT NULL): the column it proves NOT NULL. */
  provesNotNull: string | undefined;
  /** For foreign keys: the referenced table's key. */
  references: string | undefined;
  /** For unique / primary key constraints: the index behind them. */
  index: string | undefined;
}

export interface IndexFacts {
  key: string;
  name: string;
  schema: string;
  table: string;
  columns: string[];
  unique: boolean;
  valid: boolean;
}

/** Where a table is known from: the live database, an earlier file, or the current file. */
export interface TableOrigin {
  kind: 'live' | 'sql';
  /** For tables created by SQL: the file that created them. */
  file?: string;
}

export interface TableFacts {
  key: string;
  schema: string;
  name: string;
  kind: RelationKind;
  origin: TableOrigin;
  persistence: 'permanent' | 'unlogged' | 'temporary';
  columns: Map<string, ColumnFacts>;
  constraints: ConstraintFacts[];
  /** Key of the partitioned parent, when this is a partition. */
  partitionOf: string | undefined;
  /** Partition key columns, when this is a partitioned table. */
  partitionKey: string[];
  /** For materialized views: whether they hold data (not created WITH NO DATA, or refreshed since). */
  populated: boolean;
  /** Live size facts, when connected. */
  rowEstimate: number | undefined;
  /**
   * Rows counted in the live table, up to a cap: a value above the cap means "more". Only the
   * lint gate counts (countSmallTables, for tables that look small); undefined elsewhere.
   */
  rowsCounted?: number | undefined;
  totalBytes: number | undefined;
}

export interface EnumFacts {
  key: string;
  values: string[];
}

export interface SchemaModelData {
  tables: Array<Omit<TableFacts, 'columns'> & { columns: ColumnFacts[] }>;
  indexes: IndexFacts[];
  enums: EnumFacts[];
  functions: Array<[string, 'volatile' | 'non-volatile']>;
  live: boolean;
  defaultSchema: string;
}

export function relationKey(schema: string, name: string): string {
  return `${schema}.${name}`;
}

export class SchemaModel {
  /** Tables by key (`schema.name`). Change it only through setTable / deleteTable. */
  readonly tables = new Map<string, TableFacts>();
  /** Keys by bare table name, for unqualified lookups outside the default schema. */
  private readonly byName = new Map<string, Set<string>>();
  readonly indexes = new Map<string, IndexFacts>();
  readonly enums = new Map<string, EnumFacts>();
  /** Volatility of non-built-in functions, from the live catalog: `schema.name` → class. */
  readonly functions = new Map<string, 'volatile' | 'non-volatile'>();
  /** Whether the model was loaded from a live database. */
  live = false;
  defaultSchema = 'public';

  readonly functionLookup: FunctionLookup = (schema, name) => {
    if (schema) return this.functions.get(`${schema}.${name}`);
    return this.functions.get(`${this.defaultSchema}.${name}`) ?? this.functions.get(`pg_catalog.${name}`);
  };

  /** Finds a table by a possibly unqualified name: the default schema first, then any schema. */
  table(name: QualifiedName | undefined): TableFacts | undefined {
    if (!name) return undefined;
    if (name.schema) return this.tables.get(relationKey(name.schema, name.name));
    const direct = this.tables.get(relationKey(this.defaultSchema, name.name));
    if (direct) return direct;
    const keys = this.byName.get(name.name);
    if (!keys) return undefined;
    for (const key of keys) return this.tables.get(key);
    return undefined;
  }

  /** The key a name resolves to (the known table's, or the default schema's). */
  keyOf(name: QualifiedName): string {
    return this.table(name)?.key ?? relationKey(name.schema ?? this.defaultSchema, name.name);
  }

  index(name: QualifiedName | undefined): IndexFacts | undefined {
    if (!name) return undefined;
    if (name.schema) return this.indexes.get(relationKey(name.schema, name.name));
    const direct = this.indexes.get(relationKey(this.defaultSchema, name.name));
    if (direct) return direct;
    for (const index of this.indexes.values()) if (index.name === name.name) return index;
    return undefined;
  }

  /** The values of an enum type, by a possibly unqualified name (default schema first). */
  enumValues(name: QualifiedName): string[] | undefined {
    if (name.schema) return this.enums.get(relationKey(name.schema, name.name))?.values;
    const direct = this.enums.get(relationKey(this.defaultSchema, name.name));
    if (direct) return direct.values;
    for (const e of this.enums.values()) if (e.key.endsWith(`.${name.name}`)) return e.values;
    return undefined;
  }

  /** Foreign keys of other tables that point at `key`. */
  referencing(key: string): TableFacts[] {
    return [...this.tables.values()].filter((t) =>
      t.constraints.some((c) => c.kind === 'foreign-key' && c.references === key),
    );
  }

  /** Partitions of a partitioned table. */
  partitions(key: string): TableFacts[] {
    return [...this.tables.values()].filter((t) => t.partitionOf === key);
  }

  private newTable(name: QualifiedName, kind: RelationKind, file: string | undefined): TableFacts {
    const schema = name.schema ?? this.defaultSchema;
    const table: TableFacts = {
      key: relationKey(schema, name.name),
      schema,
      name: name.name,
      kind,
      origin: { kind: 'sql', file },
      persistence: 'permanent',
      columns: new Map(),
      constraints: [],
      partitionOf: undefined,
      partitionKey: [],
      populated: true,
      rowEstimate: undefined,
      totalBytes: undefined,
    };
    this.setTable(table);
    return table;
  }

  addTable(table: TableFacts): void {
    this.setTable(table);
  }

  private setTable(table: TableFacts): void {
    this.tables.set(table.key, table);
    const keys = this.byName.get(table.name) ?? new Set<string>();
    keys.add(table.key);
    this.byName.set(table.name, keys);
  }

  private deleteTable(table: TableFacts): void {
    this.tables.delete(table.key);
    this.byName.get(table.name)?.delete(table.key);
    if (this.byName.get(table.name)?.size === 0) this.byName.delete(table.name);
  }

  /** Replays a statement's effect on the schema. `file` marks objects as created by that file. */
  apply(kind: string, node: any, file: string | undefined): void {
    switch (kind) {
      case 'CreateStmt':
        this.applyCreateTable(node, file);
        return;
      case 'CreateTableAsStmt': {
        const name = rangeVarName(node.into?.rel);
        if (name && !this.table(name)) {
          const table = this.newTable(name, node.objtype === 'OBJECT_MATVIEW' ? 'matview' : 'table', file);
          table.persistence = persistenceOf(node.into?.rel?.relpersistence);
          table.populated = node.into?.skipData !== true;
        }
        return;
      }
      case 'RefreshMatViewStmt': {
        const table = this.table(rangeVarName(node.relation));
        if (table) table.populated = node.skipData !== true;
        return;
      }
      case 'ViewStmt': {
        const name = rangeVarName(node.view);
        if (name && !this.table(name)) this.newTable(name, 'view', file);
        return;
      }
      case 'AlterTableStmt':
        this.applyAlterTable(node);
        return;
      case 'IndexStmt':
        this.applyCreateIndex(node);
        return;
      case 'DropStmt':
        this.applyDrop(node);
        return;
      case 'RenameStmt':
        this.applyRename(node);
        return;
      case 'AlterObjectSchemaStmt': {
        if (node.objectType !== 'OBJECT_TABLE') return;
        const table = this.table(rangeVarName(node.relation));
        if (table && typeof node.newschema === 'string') {
          this.deleteTable(table);
          table.schema = node.newschema;
          table.key = relationKey(table.schema, table.name);
          this.setTable(table);
        }
        return;
      }
      case 'CreateEnumStmt': {
        const name = listName(node.typeName);
        if (name) {
          const key = relationKey(name.schema ?? this.defaultSchema, name.name);
          this.enums.set(key, { key, values: stringList(node.vals) });
        }
        return;
      }
      case 'AlterEnumStmt': {
        const name = listName(node.typeName);
        const found = name && this.enums.get(relationKey(name.schema ?? this.defaultSchema, name.name));
        if (found && typeof node.newVal === 'string' && !node.oldVal) found.values.push(node.newVal);
        return;
      }
      case 'VariableSetStmt': {
        if (node.name === 'search_path' && node.kind === 'VAR_SET_VALUE') {
          const first = node.args?.[0]?.A_Const?.sval?.sval;
          if (typeof first === 'string') this.defaultSchema = first;
        }
        return;
      }
      default:
        return;
    }
  }

  private applyCreateTable(node: any, file: string | undefined): void {
    const name = rangeVarName(node.relation);
    if (!name) return;
    if (node.if_not_exists && this.table(name)) return;
    const partitioned = node.partspec !== undefined;
    const table = this.newTable(name, partitioned ? 'partitioned' : 'table', file);
    table.partitionKey = (node.partspec?.partParams ?? [])
      .map((p: any) => p.PartitionElem?.name)
      .filter((n: unknown): n is string => typeof n === 'string');
    table.persistence = persistenceOf(node.relation?.relpersistence);
    if (node.partbound) {
      const parent = rangeVarName(node.inhRelations?.[0]);
      if (parent) {
        table.partitionOf = this.keyOf(parent);
        const parentFacts = this.table(parent);
        if (parentFacts) for (const [k, v] of parentFacts.columns) table.columns.set(k, { ...v });
      }
    }
    for (const element of node.tableElts ?? []) {
      // NOT VALID is ignored in CREATE TABLE: there are no rows to check
      if (element.ColumnDef) this.addColumn(table, element.ColumnDef, true);
      else if (element.Constraint) this.addConstraint(table, element.Constraint, [], true);
    }
  }

  private addColumn(table: TableFacts, def: any, inCreateTable = false): void {
    const type = def.typeName ? typeFromAst(def.typeName) : undefined;
    const serialBase = type ? SERIAL_TYPES[type.name] : undefined;
    const column: ColumnFacts = {
      name: def.colname,
      type: type && serialBase ? { ...type, name: serialBase } : type,
      notNull: serialBase !== undefined,
    };
    table.columns.set(column.name, column);
    for (const c of def.constraints ?? []) {
      const con = c.Constraint;
      if (!con) continue;
      if (
        con.contype === 'CONSTR_NOTNULL' ||
        con.contype === 'CONSTR_PRIMARY' ||
        con.contype === 'CONSTR_IDENTITY'
      ) {
        column.notNull = true;
      }
      this.addConstraint(table, con, [column.name], inCreateTable);
    }
  }

  /** Adds a constraint from a Constraint node; `columns` are the columns of an inline constraint. */
  addConstraint(table: TableFacts, con: any, columns: string[], inCreateTable = false): void {
    const kind = constraintKind(con.contype);
    if (!kind) return;
    const keys = stringList(con.keys ?? con.fk_attrs);
    const cols =
      kind === 'check'
        ? [...new Set([...columns, ...columnsIn(con.raw_expr)])]
        : keys.length > 0
          ? keys
          : columns;
    const name =
      con.conname ??
      defaultConstraintName(table.name, con, columns) ??
      `${table.name}_${cols.join('_')}_${kind}`;
    const references = kind === 'foreign-key' ? this.keyOfRange(con.pktable) : undefined;
    table.constraints.push({
      name,
      kind,
      validated: inCreateTable || !con.skip_validation,
      columns: cols,
      provesNotNull: kind === 'check' ? notNullCheckColumn(con.raw_expr) : undefined,
      references,
      index: kind === 'unique' || kind === 'primary-key' ? (con.indexname ?? name) : undefined,
    });
    if (kind === 'primary-key') {
      for (const col of cols) {
        const column = table.columns.get(col);
        if (column) column.notNull = true;
      }
    }
    if (con.indexname) {
      const index = this.index({ schema: table.schema, name: con.indexname });
      if (index) {
        this.indexes.delete(index.key);
        index.name = name;
        index.key = relationKey(index.schema, name);
        index.unique = true;
        this.indexes.set(index.key, index);
        if (kind === 'primary-key') {
          for (const col of index.columns) {
            const column = table.columns.get(col);
            if (column) column.notNull = true;
          }
        }
      }
    } else if (kind === 'unique' || kind === 'primary-key' || kind === 'exclusion') {
      const key = relationKey(table.schema, name);
      this.indexes.set(key, {
        key,
        name,
        schema: table.schema,
        table: table.key,
        columns: cols,
        unique: kind !== 'exclusion',
        valid: true,
      });
    }
  }

  private keyOfRange(rangeVar: any): string | undefined {
    const name = rangeVarName(rangeVar);
    return name ? this.keyOf(name) : undefined;
  }

  private applyAlterTable(node: any): void {
    const name = rangeVarName(node.relation);
    const table = this.table(name);
    if (!table) return;
    for (const item of node.cmds ?? []) {
      const cmd = item.AlterTableCmd;
      if (!cmd) continue;
      switch (cmd.subtype) {
        case 'AT_AddColumn':
          if (cmd.def?.ColumnDef) this.addColumn(table, cmd.def.ColumnDef);
          break;
        case 'AT_DropColumn':
          table.columns.delete(cmd.name);
          table.constraints = table.constraints.filter((c) => !c.columns.includes(cmd.name));
          break;
        case 'AT_AlterColumnType': {
          const column = table.columns.get(cmd.name);
          const def = cmd.def?.ColumnDef;
          if (column && def?.typeName) column.type = typeFromAst(def.typeName);
          break;
        }
        case 'AT_SetNotNull': {
          const column = table.columns.get(cmd.name);
          if (column) column.notNull = true;
          break;
        }
        case 'AT_DropNotNull': {
          const column = table.columns.get(cmd.name);
          if (column) column.notNull = false;
          break;
        }
        case 'AT_AddConstraint':
          if (cmd.def?.Constraint) this.addConstraint(table, cmd.def.Constraint, []);
          break;
        case 'AT_ValidateConstraint': {
          const con = table.constraints.find((c) => c.name === cmd.name);
          if (con) con.validated = true;
          break;
        }
        case 'AT_DropConstraint':
          table.constraints = table.constraints.filter((c) => c.name !== cmd.name);
          break;
        case 'AT_SetLogged':
          table.persistence = 'permanent';
          break;
        case 'AT_SetUnLogged':
          table.persistence = 'unlogged';
          break;
        case 'AT_AttachPartition': {
          const part = this.table(rangeVarName(cmd.def?.PartitionCmd?.name));
          if (part) part.partitionOf = table.key;
          break;
        }
        case 'AT_DetachPartition': {
          const part = this.table(rangeVarName(cmd.def?.PartitionCmd?.name));
          if (part) part.partitionOf = undefined;
          break;
        }
        default:
          break;
      }
    }
  }

  private applyCreateIndex(node: any): void {
    const table = this.table(rangeVarName(node.relation));
    if (!table || !node.idxname) return;
    const key = relationKey(table.schema, node.idxname);
    const columns = (node.indexParams ?? [])
      .map((p: any) => p.IndexElem?.name)
      .filter((n: unknown): n is string => typeof n === 'string');
    this.indexes.set(key, {
      key,
      name: node.idxname,
      schema: table.schema,
      table: table.key,
      columns,
      unique: node.unique === true,
      valid: true,
    });
  }

  private applyDrop(node: any): void {
    for (const object of node.objects ?? []) {
      const name = listName(object?.List?.items);
      if (!name) continue;
      if (
        ['OBJECT_TABLE', 'OBJECT_VIEW', 'OBJECT_MATVIEW', 'OBJECT_FOREIGN_TABLE'].includes(node.removeType)
      ) {
        const table = this.table(name);
        if (table) {
          this.deleteTable(table);
          for (const [key, index] of this.indexes) if (index.table === table.key) this.indexes.delete(key);
        }
      } else if (node.removeType === 'OBJECT_INDEX') {
        const index = this.index(name);
        if (index) this.indexes.delete(index.key);
      } else if (node.removeType === 'OBJECT_TYPE') {
        this.enums.delete(relationKey(name.schema ?? this.defaultSchema, name.name));
      }
    }
  }

  private applyRename(node: any): void {
    const table = this.table(rangeVarName(node.relation));
    switch (node.renameType) {
      case 'OBJECT_TABLE':
      case 'OBJECT_VIEW':
      case 'OBJECT_MATVIEW':
        if (table && typeof node.newname === 'string') {
          this.deleteTable(table);
          table.name = node.newname;
          table.key = relationKey(table.schema, table.name);
          this.setTable(table);
        }
        return;
      case 'OBJECT_COLUMN': {
        const column = table?.columns.get(node.subname);
        if (table && column && typeof node.newname === 'string') {
          table.columns.delete(node.subname);
          column.name = node.newname;
          table.columns.set(column.name, column);
        }
        return;
      }
      case 'OBJECT_TABCONSTRAINT': {
        const con = table?.constraints.find((c) => c.name === node.subname);
        if (con) con.name = node.newname;
        return;
      }
      case 'OBJECT_INDEX': {
        const index = this.index(rangeVarName(node.relation));
        if (index && typeof node.newname === 'string') {
          this.indexes.delete(index.key);
          index.name = node.newname;
          index.key = relationKey(index.schema, index.name);
          this.indexes.set(index.key, index);
        }
        return;
      }
      default:
        return;
    }
  }

  /** The model as plain data (for handing it to a worker thread). */
  toJSON(): SchemaModelData {
    return {
      tables: [...this.tables.values()].map((t) => ({ ...t, columns: [...t.columns.values()] })),
      indexes: [...this.indexes.values()],
      enums: [...this.enums.values()],
      functions: [...this.functions],
      live: this.live,
      defaultSchema: this.defaultSchema,
    };
  }

  /** A model from plain data; the data is copied, so models built from the same data stay apart. */
  static fromJSON(source: SchemaModelData): SchemaModel {
    const data = structuredClone(source);
    const model = new SchemaModel();
    for (const t of data.tables)
      model.setTable({ ...t, columns: new Map(t.columns.map((c) => [c.name, c])) });
    for (const i of data.indexes) model.indexes.set(i.key, i);
    for (const e of data.enums) model.enums.set(e.key, e);
    for (const [k, v] of data.functions) model.functions.set(k, v);
    model.live = data.live;
    model.defaultSchema = data.defaultSchema;
    return model;
  }

  /** Volatility of a default expression, with the live catalog's functions. */
  volatility(expr: unknown) {
    return expressionVolatility(expr, this.functionLookup);
  }
}

function persistenceOf(relpersistence: unknown): TableFacts['persistence'] {
  return relpersistence === 'u' ? 'unlogged' : relpersistence === 't' ? 'temporary' : 'permanent';
}

function constraintKind(contype: string): ConstraintKind | undefined {
  switch (contype) {
    case 'CONSTR_CHECK':
      return 'check';
    case 'CONSTR_FOREIGN':
      return 'foreign-key';
    case 'CONSTR_UNIQUE':
      return 'unique';
    case 'CONSTR_PRIMARY':
      return 'primary-key';
    case 'CONSTR_EXCLUSION':
      return 'exclusion';
    default:
      return undefined;
  }
}
