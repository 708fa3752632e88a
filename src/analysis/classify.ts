/**
 * Maps a parsed statement to the lock-table shapes it matches (its effects), using what the
 * schema model knows (old column types, validated CHECKs, foreign keys, partitioning).
 */
import { factsFor } from '../locks/lock-table.js';
import { LOCK_MODES } from '../locks/modes.js';
import type { Role } from '../locks/shape.js';
import type { Statement } from '../sql/statement.js';
import { classifyAlterTable } from './classify-alter-table.js';
import type { Effect, EffectDetail } from './effects.js';
import { booleanOption, forEachNode, listName, type QualifiedName, rangeVarName } from './names.js';
import type { SchemaModel } from './schema-model.js';

export interface ClassifyContext {
  model: SchemaModel;
  pgMajor: number;
}

type Relations = Partial<Record<Role, string[]>>;

/** Builds an effect; relation names are resolved to keys through the model. */
export function effect(
  ctx: ClassifyContext,
  shape: string,
  relations: Partial<Record<Role, QualifiedName | string | (QualifiedName | string)[] | undefined>>,
  location: number | undefined,
  detail: EffectDetail = {},
): Effect {
  const resolved: Relations = {};
  for (const [role, value] of Object.entries(relations) as [Role, unknown][]) {
    if (value === undefined) continue;
    const list = Array.isArray(value) ? value : [value];
    resolved[role] = list.map((v) => (typeof v === 'string' ? v : ctx.model.keyOf(v as QualifiedName)));
  }
  return { shape, facts: factsFor(shape, ctx.pgMajor), relations: resolved, location, detail };
}

export function classify(stmt: Statement, ctx: ClassifyContext): Effect[] {
  const n = stmt.node;
  const loc = (node: any) => node?.location as number | undefined;
  switch (stmt.kind) {
    case 'AlterTableStmt':
      return classifyAlterTable(n, ctx);
    case 'CreateStmt':
      return classifyCreateTable(n, ctx);
    case 'IndexStmt': {
      const table = rangeVarName(n.relation);
      const facts = ctx.model.table(table);
      if (n.concurrent) return [effect(ctx, 'create-index-concurrently', { table }, loc(n.relation))];
      if (facts?.kind === 'partitioned') {
        if (n.relation?.inh === false || n.relation?.inh === undefined) {
          return [effect(ctx, 'create-index-on-only', { parent: table }, loc(n.relation))];
        }
        const partitions = ctx.model.partitions(facts.key).map((p) => p.key);
        return [effect(ctx, 'create-index-partitioned', { parent: table, partitions }, loc(n.relation))];
      }
      return [effect(ctx, 'create-index', { table }, loc(n.relation))];
    }
    case 'DropStmt':
      return classifyDrop(n, ctx);
    case 'RenameStmt': {
      const relation = rangeVarName(n.relation);
      switch (n.renameType) {
        case 'OBJECT_COLUMN':
          return [effect(ctx, 'rename-column', { table: relation }, loc(n.relation), { column: n.subname })];
        case 'OBJECT_TABLE':
          return [effect(ctx, 'rename-table', { table: relation }, loc(n.relation))];
        case 'OBJECT_TABCONSTRAINT':
          return [
            effect(ctx, 'rename-constraint', { table: relation }, loc(n.relation), { constraint: n.subname }),
          ];
        case 'OBJECT_INDEX': {
          const index = ctx.model.index(relation);
          return [effect(ctx, 'rename-index', { index: relation, table: index?.table }, loc(n.relation))];
        }
        default:
          return [];
      }
    }
    case 'AlterObjectSchemaStmt':
      return n.objectType === 'OBJECT_TABLE'
        ? [effect(ctx, 'set-schema', { table: rangeVarName(n.relation) }, loc(n.relation))]
        : [];
    case 'ReindexStmt': {
      const target = rangeVarName(n.relation);
      const concurrent = booleanOption(n.params, 'concurrently') === true;
      if (n.kind === 'REINDEX_OBJECT_INDEX') {
        const index = ctx.model.index(target);
        return [
          effect(
            ctx,
            concurrent ? 'reindex-concurrently' : 'reindex-index',
            { index: target, table: index?.table },
            loc(n.relation),
          ),
        ];
      }
      if (n.kind === 'REINDEX_OBJECT_TABLE') {
        return [
          effect(
            ctx,
            concurrent ? 'reindex-concurrently' : 'reindex-table',
            { table: target },
            loc(n.relation),
          ),
        ];
      }
      // SCHEMA, DATABASE, SYSTEM: every table in turn, one transaction each
      return [effect(ctx, concurrent ? 'reindex-concurrently' : 'reindex-schema', {}, undefined)];
    }
    case 'TruncateStmt': {
      const cascade = n.behavior === 'DROP_CASCADE';
      return (n.relations ?? []).map((rv: any) => {
        const table = rangeVarName(rv);
        const key = table ? ctx.model.keyOf(table) : undefined;
        const referencing = cascade && key ? ctx.model.referencing(key).map((t) => t.key) : undefined;
        return effect(
          ctx,
          cascade ? 'truncate-cascade' : 'truncate',
          { table, referencing },
          loc(rv?.RangeVar),
        );
      });
    }
    case 'CreateTableAsStmt':
      return [
        effect(
          ctx,
          n.objtype === 'OBJECT_MATVIEW' ? 'create-materialized-view' : 'create-table-as',
          { source: sources(n.query) },
          loc(n.into?.rel),
        ),
      ];
    case 'ViewStmt':
      return [effect(ctx, 'create-view', { source: sources(n.query) }, loc(n.view))];
    case 'RefreshMatViewStmt':
      return [
        effect(
          ctx,
          n.concurrent ? 'refresh-materialized-view-concurrently' : 'refresh-materialized-view',
          { table: rangeVarName(n.relation) },
          loc(n.relation),
        ),
      ];
    case 'VacuumStmt': {
      const full = booleanOption(n.options, 'full') === true;
      const shape = n.is_vacuumcmd ? (full ? 'vacuum-full' : 'vacuum') : 'analyze';
      return (n.rels ?? []).map((r: any) =>
        effect(
          ctx,
          shape,
          { table: rangeVarName(r.VacuumRelation?.relation) },
          loc(r.VacuumRelation?.relation),
        ),
      );
    }
    case 'ClusterStmt':
      return n.relation ? [effect(ctx, 'cluster', { table: rangeVarName(n.relation) }, loc(n.relation))] : [];
    case 'CreateEnumStmt':
      return [effect(ctx, 'create-enum', {}, undefined)];
    case 'AlterEnumStmt':
      return [effect(ctx, n.oldVal ? 'enum-rename-value' : 'enum-add-value', {}, undefined)];
    case 'CreateDomainStmt':
      return [effect(ctx, 'create-domain', {}, undefined)];
    case 'AlterDomainStmt': {
      const domain = listName(n.typeName);
      const users = domain ? tablesUsingType(ctx, domain) : [];
      if (n.subtype === 'V')
        return [effect(ctx, 'alter-domain-validate-constraint', { table: users }, undefined)];
      if (n.subtype === 'N') return [effect(ctx, 'alter-domain-set-not-null', { table: users }, undefined)];
      if (n.subtype !== 'C') return [];
      const notValid = n.def?.Constraint?.skip_validation === true;
      return [
        effect(
          ctx,
          notValid ? 'alter-domain-add-constraint-not-valid' : 'alter-domain-add-constraint',
          { table: users },
          undefined,
        ),
      ];
    }
    case 'CreateTrigStmt':
      return [effect(ctx, 'create-trigger', { table: rangeVarName(n.relation) }, loc(n.relation))];
    case 'CreatePolicyStmt':
      return [effect(ctx, 'create-policy', { table: rangeVarName(n.table) }, loc(n.table))];
    case 'AlterPolicyStmt':
      return [effect(ctx, 'alter-drop-policy', { table: rangeVarName(n.table) }, loc(n.table))];
    case 'CommentStmt': {
      if (n.objtype !== 'OBJECT_TABLE' && n.objtype !== 'OBJECT_COLUMN') return [];
      const parts = listName(n.object?.List?.items);
      if (!parts) return [];
      const items = (n.object?.List?.items ?? []).map((i: any) => i.String?.sval as string);
      const table: QualifiedName =
        n.objtype === 'OBJECT_COLUMN'
          ? { schema: items.length > 2 ? items.at(-3) : undefined, name: items.at(-2)! }
          : parts;
      return [effect(ctx, 'comment-on', { table }, undefined)];
    }
    case 'GrantStmt':
      return n.objtype === 'OBJECT_TABLE' ? [effect(ctx, 'grant-revoke', {}, undefined)] : [];
    case 'AlterSeqStmt':
      return [effect(ctx, 'alter-sequence', { sequence: rangeVarName(n.sequence) }, loc(n.sequence))];
    case 'UpdateStmt':
      return [effect(ctx, 'update', { table: rangeVarName(n.relation) }, loc(n.relation))];
    case 'DeleteStmt':
      return [effect(ctx, 'delete', { table: rangeVarName(n.relation) }, loc(n.relation))];
    case 'InsertStmt': {
      const select = n.selectStmt?.SelectStmt;
      const from = select?.fromClause ? sources(n.selectStmt) : [];
      return from.length > 0
        ? [effect(ctx, 'insert-select', { table: rangeVarName(n.relation), source: from }, loc(n.relation))]
        : [effect(ctx, 'insert', { table: rangeVarName(n.relation) }, loc(n.relation))];
    }
    case 'LockStmt': {
      const mode = LOCK_MODES[(typeof n.mode === 'number' ? n.mode : 8) - 1] ?? 'AccessExclusiveLock';
      return (n.relations ?? []).map((rv: any) => {
        const e = effect(ctx, 'lock-table', { table: rangeVarName(rv) }, loc(rv?.RangeVar));
        e.facts = { ...e.facts, locks: [{ on: 'table', modes: [mode] }] };
        return e;
      });
    }
    default:
      return [];
  }
}

function classifyCreateTable(n: any, ctx: ClassifyContext): Effect[] {
  const name = rangeVarName(n.relation);
  if (n.partbound) {
    return [
      effect(
        ctx,
        'create-partition',
        { parent: rangeVarName(n.inhRelations?.[0]), table: name },
        n.relation?.location,
      ),
    ];
  }
  const referenced: QualifiedName[] = [];
  for (const element of n.tableElts ?? []) {
    const constraints = element.ColumnDef
      ? (element.ColumnDef.constraints ?? [])
      : element.Constraint
        ? [element]
        : [];
    for (const c of constraints) {
      const target =
        c.Constraint?.contype === 'CONSTR_FOREIGN' ? rangeVarName(c.Constraint.pktable) : undefined;
      // a self-reference locks nothing that exists
      if (target && !(target.name === name?.name && (target.schema ?? '') === (name?.schema ?? '')))
        referenced.push(target);
    }
  }
  return referenced.length > 0
    ? [effect(ctx, 'create-table-references', { referenced, table: name }, n.relation?.location)]
    : [effect(ctx, 'create-table', { table: name }, n.relation?.location)];
}

function classifyDrop(n: any, ctx: ClassifyContext): Effect[] {
  const names = (n.objects ?? [])
    .map((o: any) => listName(o?.List?.items))
    .filter(Boolean) as QualifiedName[];
  switch (n.removeType) {
    case 'OBJECT_TABLE':
      return names.map((name) => {
        const table = ctx.model.table(name);
        const referenced = (table?.constraints ?? [])
          .filter((c) => c.kind === 'foreign-key' && c.references && c.references !== table?.key)
          .map((c) => c.references!);
        return referenced.length > 0
          ? effect(ctx, 'drop-table-with-foreign-key', { table: name, referenced }, undefined)
          : effect(ctx, 'drop-table', { table: name }, undefined, { unknownTarget: !table });
      });
    case 'OBJECT_INDEX':
      return names.map((name) => {
        const index = ctx.model.index(name);
        return effect(
          ctx,
          n.concurrent ? 'drop-index-concurrently' : 'drop-index',
          { index: name, table: index?.table },
          undefined,
        );
      });
    case 'OBJECT_TRIGGER':
    case 'OBJECT_POLICY': {
      // objects are [schema?, table, name]
      return (n.objects ?? []).map((o: any) => {
        const items = (o?.List?.items ?? []).map((i: any) => i.String?.sval as string);
        const table: QualifiedName = {
          schema: items.length > 2 ? items.at(-3) : undefined,
          name: items.at(-2) ?? '',
        };
        return effect(
          ctx,
          n.removeType === 'OBJECT_TRIGGER' ? 'drop-trigger' : 'alter-drop-policy',
          { table },
          undefined,
        );
      });
    }
    default:
      return [];
  }
}

/** Tables a query reads (every RangeVar in it). */
export function sources(query: unknown): QualifiedName[] {
  const out: QualifiedName[] = [];
  forEachNode(query, (type, node) => {
    if (type !== 'RangeVar') return;
    const name = rangeVarName(node);
    if (name && !out.some((o) => o.name === name.name && o.schema === name.schema)) out.push(name);
  });
  return out;
}

function tablesUsingType(ctx: ClassifyContext, type: QualifiedName): string[] {
  const out: string[] = [];
  for (const table of ctx.model.tables.values()) {
    for (const column of table.columns.values()) {
      if (
        column.type?.name === type.name &&
        (!type.schema || column.type.schema === type.schema || !column.type.schema)
      ) {
        out.push(table.key);
        break;
      }
    }
  }
  return out;
}
