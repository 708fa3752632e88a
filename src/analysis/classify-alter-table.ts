/** The effects of ALTER TABLE / ALTER INDEX subcommands. */
import { type ClassifyContext, effect } from './classify.js';
import { defaultConstraintName } from './constraint-names.js';
import type { Effect } from './effects.js';
import { type QualifiedName, rangeVarName, stringList } from './names.js';
import type { TableFacts } from './schema-model.js';
import { formatType, mayBeCoercibleTarget, SERIAL_TYPES, typeChange, typeFromAst } from './types.js';

const SIMPLE: Record<string, string> = {
  AT_DropColumn: 'drop-column',
  AT_ColumnDefault: 'set-default',
  AT_DropNotNull: 'drop-not-null',
  AT_SetStatistics: 'set-statistics',
  AT_SetOptions: 'set-statistics',
  AT_ResetOptions: 'set-statistics',
  AT_SetStorage: 'set-storage',
  AT_SetCompression: 'set-compression',
  AT_AddIdentity: 'add-identity-to-column',
  AT_DropExpression: 'drop-expression',
  AT_SetLogged: 'set-logged',
  AT_SetUnLogged: 'set-unlogged',
  AT_SetTableSpace: 'set-tablespace',
  AT_SetAccessMethod: 'set-access-method',
  AT_SetRelOptions: 'set-storage-parameters',
  AT_ResetRelOptions: 'set-storage-parameters',
  AT_ReplaceRelOptions: 'set-storage-parameters',
  AT_ClusterOn: 'cluster-on',
  AT_DropCluster: 'cluster-on',
  AT_ReplicaIdentity: 'replica-identity',
  AT_EnableRowSecurity: 'row-level-security',
  AT_DisableRowSecurity: 'row-level-security',
  AT_ForceRowSecurity: 'row-level-security',
  AT_NoForceRowSecurity: 'row-level-security',
  AT_ChangeOwner: 'owner-to',
  AT_AddInherit: 'inherit',
  AT_DropInherit: 'inherit',
};

export function classifyAlterTable(n: any, ctx: ClassifyContext): Effect[] {
  const target = rangeVarName(n.relation);
  const loc = n.relation?.location as number | undefined;
  if (n.objtype === 'OBJECT_INDEX') return classifyAlterIndex(n, ctx, target, loc);
  if (n.objtype !== 'OBJECT_TABLE' && n.objtype !== 'OBJECT_MATVIEW' && n.objtype !== 'OBJECT_FOREIGN_TABLE')
    return [];
  const table = ctx.model.table(target);
  const out: Effect[] = [];
  for (const item of n.cmds ?? []) {
    const cmd = item.AlterTableCmd;
    if (!cmd) continue;
    const at = (cmd.def?.ColumnDef?.location ?? cmd.def?.Constraint?.location ?? loc) as number | undefined;
    const simple = SIMPLE[cmd.subtype];
    if (cmd.subtype.startsWith('AT_EnableTrig') || cmd.subtype.startsWith('AT_DisableTrig')) {
      out.push(effect(ctx, 'enable-disable-trigger', { table: target }, at));
    } else if (simple === 'inherit') {
      out.push(effect(ctx, 'inherit', { table: target, parent: rangeVarName(cmd.def) }, at));
    } else if (simple) {
      out.push(effect(ctx, simple, { table: target }, at, { column: cmd.name }));
      if (cmd.subtype === 'AT_DropColumn') {
        for (const con of table?.constraints ?? []) {
          if (con.kind === 'foreign-key' && con.columns.includes(cmd.name) && con.references !== table?.key) {
            out.push(
              effect(ctx, 'drop-foreign-key', { table: target, referenced: con.references }, at, {
                constraint: con.name,
                column: cmd.name,
              }),
            );
          }
        }
      }
    } else {
      switch (cmd.subtype) {
        case 'AT_AddColumn':
          out.push(...addColumn(cmd.def?.ColumnDef, ctx, target, at));
          break;
        case 'AT_SetNotNull':
          out.push(setNotNull(ctx, target, table, cmd.name, at));
          break;
        case 'AT_AlterColumnType':
          out.push(...alterType(n.cmds ?? [], cmd, ctx, target, table, at));
          break;
        case 'AT_AddConstraint':
          out.push(...addConstraint(cmd.def?.Constraint, ctx, target, table, at));
          break;
        case 'AT_ValidateConstraint': {
          const con = table?.constraints.find((c) => c.name === cmd.name);
          out.push(
            con?.kind === 'foreign-key'
              ? effect(ctx, 'validate-foreign-key', { table: target, referenced: con.references }, at, {
                  constraint: cmd.name,
                })
              : effect(ctx, 'validate-check', { table: target }, at, { constraint: cmd.name }),
          );
          break;
        }
        case 'AT_DropConstraint': {
          const con = table?.constraints.find((c) => c.name === cmd.name);
          if (con?.kind === 'foreign-key') {
            out.push(
              effect(ctx, 'drop-foreign-key', { table: target, referenced: con.references }, at, {
                constraint: cmd.name,
              }),
            );
          } else if (con?.kind === 'unique' || con?.kind === 'primary-key') {
            out.push(
              effect(ctx, 'drop-constraint-unique', { table: target, index: con.index }, at, {
                constraint: cmd.name,
              }),
            );
          } else {
            out.push(
              effect(ctx, 'drop-constraint', { table: target }, at, {
                constraint: cmd.name,
                unknownTarget: !con,
              }),
            );
          }
          break;
        }
        case 'AT_AttachPartition': {
          const partition = rangeVarName(cmd.def?.PartitionCmd?.name);
          const check = matchingCheck(ctx.model.table(partition), table);
          out.push(
            effect(
              ctx,
              check ? 'attach-partition-with-check' : 'attach-partition',
              { parent: target, partition },
              at,
              {
                checkName: check,
              },
            ),
          );
          break;
        }
        case 'AT_DetachPartition': {
          const partition = rangeVarName(cmd.def?.PartitionCmd?.name);
          const concurrent = cmd.def?.PartitionCmd?.concurrent === true;
          out.push(
            effect(
              ctx,
              concurrent ? 'detach-partition-concurrently' : 'detach-partition',
              { parent: target, partition },
              at,
            ),
          );
          break;
        }
        default:
          break;
      }
    }
  }
  return out;
}

function classifyAlterIndex(
  n: any,
  ctx: ClassifyContext,
  target: QualifiedName | undefined,
  loc: number | undefined,
): Effect[] {
  const index = ctx.model.index(target);
  const out: Effect[] = [];
  for (const item of n.cmds ?? []) {
    const cmd = item.AlterTableCmd;
    if (cmd?.subtype === 'AT_AttachPartition') {
      out.push(
        effect(
          ctx,
          'attach-index-partition',
          { index: target, indexes: rangeVarName(cmd.def?.PartitionCmd?.name) },
          loc,
        ),
      );
    } else if (cmd?.subtype === 'AT_SetTableSpace') {
      out.push(effect(ctx, 'alter-index-set-tablespace', { index: target, table: index?.table }, loc));
    } else if (['AT_SetRelOptions', 'AT_ResetRelOptions', 'AT_SetStatistics'].includes(cmd?.subtype)) {
      out.push(effect(ctx, 'alter-index-set', { index: target, table: index?.table }, loc));
    }
  }
  return out;
}

function addColumn(
  def: any,
  ctx: ClassifyContext,
  table: QualifiedName | undefined,
  at: number | undefined,
): Effect[] {
  if (!def) return [];
  const column = def.colname as string;
  const type = def.typeName ? typeFromAst(def.typeName) : undefined;
  const constraints = (def.constraints ?? []).map((c: any) => c.Constraint).filter(Boolean);
  const out: Effect[] = [];
  const has = (contype: string) => constraints.find((c: any) => c.contype === contype);
  if (type && SERIAL_TYPES[type.name]) {
    out.push(effect(ctx, 'add-column-serial', { table }, at, { column }));
  } else if (has('CONSTR_IDENTITY')) {
    out.push(effect(ctx, 'add-column-identity', { table }, at, { column }));
  } else if (has('CONSTR_GENERATED')) {
    // PostgreSQL 18 virtual generated columns are computed on read: no rewrite
    const generated = has('CONSTR_GENERATED');
    const stored =
      generated.generated_kind !== 'v' && generated.generated_kind !== 'ATTRIBUTE_GENERATED_VIRTUAL';
    out.push(effect(ctx, stored ? 'add-column-generated-stored' : 'add-column', { table }, at, { column }));
  } else if (has('CONSTR_DEFAULT') && !isNullConst(has('CONSTR_DEFAULT').raw_expr)) {
    const result = ctx.model.volatility(has('CONSTR_DEFAULT').raw_expr);
    const volatile = result.volatility !== 'immutable-or-stable';
    out.push(
      effect(ctx, volatile ? 'add-column-default-volatile' : 'add-column-default-constant', { table }, at, {
        column,
        volatileFunction: result.culprit,
        defaultUnknown: result.volatility === 'unknown',
      }),
    );
  } else {
    out.push(effect(ctx, 'add-column', { table }, at, { column }));
  }
  for (const con of constraints) {
    if (con.contype === 'CONSTR_FOREIGN') {
      // any default, DEFAULT NULL too, makes PostgreSQL check the new key against every row
      const shape = has('CONSTR_DEFAULT') ? 'add-column-references-default' : 'add-column-references';
      out.push(
        effect(ctx, shape, { table, referenced: rangeVarName(con.pktable) }, con.location, {
          column,
        }),
      );
    } else if (con.contype === 'CONSTR_UNIQUE' || con.contype === 'CONSTR_PRIMARY') {
      out.push(effect(ctx, 'add-column-unique', { table }, con.location, { column }));
    } else if (con.contype === 'CONSTR_CHECK') {
      out.push(effect(ctx, 'add-column-check', { table }, con.location, { column }));
    }
  }
  return out;
}

function isNullConst(expr: any): boolean {
  return expr?.A_Const?.isnull === true;
}

function setNotNull(
  ctx: ClassifyContext,
  target: QualifiedName | undefined,
  table: TableFacts | undefined,
  column: string,
  at: number | undefined,
): Effect {
  const check = table?.constraints.find(
    (c) => c.kind === 'check' && c.validated && c.provesNotNull === column,
  );
  return check
    ? effect(ctx, 'set-not-null-with-check', { table: target }, at, { column, constraint: check.name })
    : effect(ctx, 'set-not-null', { table: target }, at, { column });
}

function droppedConstraints(cmds: any[]): Set<string> {
  return new Set(
    cmds
      .map((item) => item.AlterTableCmd)
      .filter((cmd) => cmd?.subtype === 'AT_DropConstraint' && typeof cmd.name === 'string')
      .map((cmd) => cmd.name as string),
  );
}

function alterType(
  alterCmds: any[],
  cmd: any,
  ctx: ClassifyContext,
  target: QualifiedName | undefined,
  table: TableFacts | undefined,
  at: number | undefined,
): Effect[] {
  const column = cmd.name as string;
  const def = cmd.def?.ColumnDef;
  if (!def?.typeName) return [];
  const to = typeFromAst(def.typeName);
  const from = table?.columns.get(column)?.type;
  const using = def.raw_default !== undefined;
  const out: Effect[] = [];
  const detail = { column, toType: formatType(to), fromType: from ? formatType(from) : undefined, using };
  if (!from) {
    out.push(
      effect(ctx, 'alter-column-type-rewrite', { table: target }, at, {
        ...detail,
        oldTypeUnknown: true,
        mayBeCoercible: !using && mayBeCoercibleTarget(to),
      }),
    );
  } else {
    const change = using
      ? { rewrite: 'yes' as const, reason: 'a USING expression converts every value' }
      : typeChange(from, to, ctx.pgMajor);
    if (change.rewrite === 'no') {
      out.push(
        effect(ctx, 'alter-column-type-coercible', { table: target }, at, {
          ...detail,
          typeChangeReason: change.reason,
        }),
      );
    } else {
      out.push(
        effect(ctx, 'alter-column-type-rewrite', { table: target }, at, {
          ...detail,
          typeChangeReason: change.reason,
          unlessUtc: change.rewrite === 'unless-utc',
        }),
      );
    }
  }
  // NOT VALID checks are not re-checked, nor checks the same statement drops (verified on PG 15)
  const dropped = droppedConstraints(alterCmds);
  const checks =
    table?.constraints.filter(
      (c) => c.kind === 'check' && c.validated && c.columns.includes(column) && !dropped.has(c.name),
    ) ?? [];
  if (checks.length > 0) {
    out.push(
      effect(ctx, 'alter-column-type-checked', { table: target }, at, {
        ...detail,
        constraint: checks.map((c) => c.name).join(', '),
      }),
    );
  }
  return out;
}

function addConstraint(
  con: any,
  ctx: ClassifyContext,
  target: QualifiedName | undefined,
  table: TableFacts | undefined,
  at: number | undefined,
): Effect[] {
  if (!con) return [];
  // the name the SQL gives, or the one PostgreSQL will choose
  const name =
    (con.conname as string | undefined) ?? (target ? defaultConstraintName(target.name, con) : undefined);
  const notValid = con.skip_validation === true;
  switch (con.contype) {
    case 'CONSTR_CHECK':
      return [
        effect(ctx, notValid ? 'add-check-not-valid' : 'add-check', { table: target }, at, {
          constraint: name,
        }),
      ];
    case 'CONSTR_FOREIGN':
      return [
        effect(
          ctx,
          notValid ? 'add-foreign-key-not-valid' : 'add-foreign-key',
          { table: target, referenced: rangeVarName(con.pktable) },
          at,
          {
            constraint: name,
          },
        ),
      ];
    case 'CONSTR_UNIQUE':
      return [
        con.indexname
          ? effect(
              ctx,
              'add-unique-using-index',
              { table: target, index: { schema: table?.schema, name: con.indexname } },
              at,
              { constraint: name },
            )
          : effect(ctx, 'add-unique', { table: target }, at, { constraint: name }),
      ];
    case 'CONSTR_PRIMARY': {
      if (!con.indexname)
        return [effect(ctx, 'add-primary-key', { table: target }, at, { constraint: name })];
      const index = ctx.model.index({ schema: table?.schema, name: con.indexname });
      const proven = (c: string) =>
        ctx.pgMajor >= 12 &&
        (table?.constraints.some((k) => k.kind === 'check' && k.validated && k.provesNotNull === c) ?? false);
      // the columns the implicit SET NOT NULL has to scan for; undefined when the index is unknown
      const nullable = index?.columns.filter((c) => !table?.columns.get(c)?.notNull && !proven(c));
      return [
        effect(
          ctx,
          nullable?.length === 0 ? 'add-primary-key-using-index' : 'add-primary-key-using-index-nullable',
          {
            table: target,
            index: { schema: table?.schema, name: con.indexname },
          },
          at,
          // for the nullable shape, `column` lists the nullable columns
          {
            constraint: name,
            column: (nullable?.length ? nullable : index?.columns)?.join(', '),
            unknownTarget: nullable === undefined,
          },
        ),
      ];
    }
    case 'CONSTR_EXCLUSION':
      return [effect(ctx, 'add-exclusion', { table: target }, at, { constraint: name })];
    case 'CONSTR_NOTNULL':
      // PostgreSQL 18: ADD CONSTRAINT … NOT NULL col [NOT VALID]; NOT VALID checks no row, like a
      // CHECK (col IS NOT NULL) NOT VALID
      return stringList(con.keys).map((column) =>
        notValid
          ? effect(ctx, 'add-check-not-valid', { table: target }, at, { constraint: name, column })
          : setNotNull(ctx, target, table, column, at),
      );
    default:
      return [];
  }
}

/**
 * A validated CHECK on the partition that constrains the partition key columns; PostgreSQL
 * skips the scan when such a CHECK implies the partition bounds. Whether it truly implies them
 * is not proven here: the name is reported so the user can confirm.
 */
function matchingCheck(
  partition: TableFacts | undefined,
  parent: TableFacts | undefined,
): string | undefined {
  if (!partition) return undefined;
  const key = parent?.partitionKey ?? [];
  const checks = partition.constraints.filter(
    (c) => c.kind === 'check' && c.validated && (key.length === 0 || key.every((k) => c.columns.includes(k))),
  );
  return checks.length > 0 ? checks.map((c) => c.name).join(', ') : undefined;
}
