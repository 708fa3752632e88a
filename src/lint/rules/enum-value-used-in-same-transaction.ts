import { forEachNode, listName, type QualifiedName, rangeVarName, stringList } from '../../analysis/names.js';
import type { TableFacts } from '../../analysis/schema-model.js';
import { type ColumnType, typeFromAst } from '../../analysis/types.js';
import type { Statement } from '../../sql/statement.js';
import { defineRule, type RuleContext } from '../rule.js';

interface Added {
  value: string;
  type: QualifiedName;
  statement: Statement;
}

interface Frame {
  type: string;
  node: any;
  /** The field of the parent frame this node hangs from, and its position in a list. */
  via: string;
  index: number | undefined;
}

/** How sure we are that a string constant is converted to the enum. */
type Verdict = 'enum' | 'other' | 'unknown';

export const rule = defineRule({
  id: 'enum-value-used-in-same-transaction',
  title: 'Using an enum value in the transaction that added it',
  defaultLevel: 'error',
  preset: 'recommended',
  shapes: ['enum-add-value'],
  docs: {
    problem:
      'A value added with ALTER TYPE … ADD VALUE cannot be used until the transaction that added it commits: PostgreSQL 12 and later refuse any statement that converts the string to the enum (an INSERT or UPDATE of an enum column, a comparison, a DEFAULT, a cast) with "unsafe use of new value … of enum type …", and the migration fails. Migration runners usually run a whole file in one transaction, so adding a value and using it in the same file fails unless a COMMIT separates them. (Before PostgreSQL 12, ADD VALUE cannot run in a transaction block at all.)',
    safeAlternative: `-- migration 1: add the value (it is committed when this migration ends)
ALTER TYPE order_status ADD VALUE 'archived' AFTER 'shipped';

-- migration 2, a later file: now the value can be used
UPDATE orders SET status = 'archived' WHERE shipped_at < now() - interval '2 years';`,
    whenFine:
      'A COMMIT separates the ADD VALUE from the use (a separate migration file with runners that wrap each file in a transaction), or the runner commits every statement on its own (psql -f without BEGIN). A string that is not converted to the enum (compared with a text column, cast to text) is not reported when pgwarden knows the column types.',
  },
  examples: {
    bad: [
      "ALTER TYPE order_status ADD VALUE 'archived';\nUPDATE orders SET status = 'archived'::order_status WHERE id = 42;",
      {
        sql: "ALTER TYPE order_status ADD VALUE 'archived' AFTER 'shipped';\nUPDATE orders SET status = 'archived' WHERE shipped_at < '2024-01-01';",
        before:
          "CREATE TYPE order_status AS ENUM ('new', 'shipped');\nCREATE TABLE orders (id bigint PRIMARY KEY, status order_status, shipped_at timestamptz);",
      },
      {
        sql: "BEGIN;\nALTER TYPE mood ADD VALUE 'calm';\nALTER TABLE people ALTER COLUMN current_mood SET DEFAULT 'calm';\nCOMMIT;",
        runner: 'psql',
      },
    ],
    good: [
      {
        sql: "ALTER TYPE order_status ADD VALUE 'archived';\nUPDATE orders SET status = 'archived'::order_status WHERE id = 42;",
        runner: 'psql',
      },
      {
        sql: "BEGIN;\nALTER TYPE mood ADD VALUE 'calm';\nCOMMIT;\nINSERT INTO people (name, current_mood) VALUES ('Ann', 'calm');",
        runner: 'psql',
      },
      {
        sql: "ALTER TYPE order_status ADD VALUE 'archived';\nINSERT INTO audit_log (action, note) VALUES ('enum', 'archived');",
        before:
          "CREATE TYPE order_status AS ENUM ('new', 'shipped');\nCREATE TABLE audit_log (action text, note text);",
      },
    ],
  },
  check(ctx) {
    if (ctx.pgMajor < 12) return; // ADD VALUE itself is refused in a transaction block there
    const { stmt } = ctx;
    const state = ctx.state(() => ({ noop: new Set<Statement>() }));
    if (stmt.kind === 'AlterEnumStmt') {
      // ADD VALUE IF NOT EXISTS of a value the enum already has adds nothing
      const type = listName(stmt.node.typeName);
      const values = type ? ctx.schema.enumValues(type) : undefined;
      if (stmt.node.skipIfNewValExists && values?.includes(stmt.node.newVal)) state.noop.add(stmt);
      return;
    }
    if (!ctx.inTransaction || !checkedNow(stmt)) return;
    const added = addedValues(ctx).filter((a) => !state.noop.has(a.statement));
    if (added.length === 0) return;

    let best: { frame: Frame; added: Added; verdict: Verdict } | undefined;
    for (const { frame, ancestors } of stringConstants({ [stmt.kind]: stmt.node })) {
      const value = frame.node.sval?.sval as string;
      for (const candidate of added.filter((a) => a.value === value)) {
        const verdict = classify(ctx, candidate.type, ancestors, frame);
        if (verdict === 'other') continue;
        if (!best || (verdict === 'enum' && best.verdict !== 'enum'))
          best = { frame, added: candidate, verdict };
      }
      if (best?.verdict === 'enum') break;
    }
    if (!best) return;
    const { added: a, verdict } = best;
    const type = a.type.schema ? `${a.type.schema}.${a.type.name}` : a.type.name;
    const error = `ERROR: unsafe use of new value "${a.value}" of enum type ${a.type.name}`;
    const body =
      stmt.origin === 'function-body'
        ? ' (PostgreSQL checks the body of a LANGUAGE sql function when the function is created)'
        : '';
    ctx.report({
      message:
        verdict === 'enum'
          ? `'${a.value}' was added to enum ${type} earlier in this transaction, and a new enum value cannot be used before its transaction commits: this statement fails (${error})${body}`
          : `'${a.value}' was added to enum ${type} earlier in this transaction: if this string is converted to ${type} (stored in or compared with a ${type} column), the statement fails (${error}), because a new enum value cannot be used before its transaction commits${body}`,
      location: best.frame.node.location,
      help: help(ctx),
      ...(verdict === 'unknown' ? { level: 'warning' as const } : {}),
    });
  },
});

/** Statements whose constants PostgreSQL converts now: not PL/pgSQL bodies (they run when called). */
function checkedNow(stmt: Statement): boolean {
  if (stmt.origin !== 'function-body') return true;
  // a LANGUAGE sql body is parsed and analysed when the function is created
  const options = stmt.container?.node?.options ?? [];
  const language = options.find((o: any) => o?.DefElem?.defname === 'language')?.DefElem?.arg?.String?.sval;
  return typeof language === 'string' && language.toLowerCase() === 'sql';
}

function help(ctx: RuleContext): string {
  if (ctx.tx.explicit)
    return 'COMMIT after ALTER TYPE … ADD VALUE and use the value in a later transaction, or add the value in an earlier migration.';
  if (ctx.runner.transaction === 'implicit-multi-statement')
    return `Add the value in a migration of its own: the runner (${ctx.runner.id}) sends the whole file as one query, which PostgreSQL runs as one transaction.`;
  return `Add the value in a migration of its own and use it in a later one: the runner (${ctx.runner.id}) runs each file in one transaction.`;
}

/** Enum values added by earlier statements of the current transaction. */
function addedValues(ctx: RuleContext): Added[] {
  const out: Added[] = [];
  for (const { statement } of ctx.tx.enumValuesAdded.values()) {
    const type = listName(statement.node.typeName);
    if (type) out.push({ value: statement.node.newVal, type, statement });
  }
  return out;
}

/** Every string constant in a statement, with the nodes above it (nearest last). */
function* stringConstants(root: unknown): Generator<{ frame: Frame; ancestors: Frame[] }> {
  const ancestors: Frame[] = [];
  function* visit(
    value: unknown,
    via: string,
    index: number | undefined,
  ): Generator<{
    frame: Frame;
    ancestors: Frame[];
  }> {
    if (Array.isArray(value)) {
      for (const [i, item] of value.entries()) yield* visit(item, via, i);
      return;
    }
    if (!value || typeof value !== 'object') return;
    for (const [key, child] of Object.entries(value)) {
      if (!child || typeof child !== 'object') continue;
      if (/^[A-Z]/.test(key) && !Array.isArray(child)) {
        const frame: Frame = { type: key, node: child, via, index };
        if (key === 'A_Const' && typeof (child as any).sval?.sval === 'string') {
          yield { frame, ancestors: [...ancestors] };
          continue;
        }
        ancestors.push(frame);
        yield* visit(child, '', undefined);
        ancestors.pop();
      } else {
        yield* visit(child, key, undefined);
      }
    }
  }
  yield* visit(root, '', undefined);
}

/** Whether the constant (reached through `ancestors`) is converted to the enum `type`. */
function classify(ctx: RuleContext, type: QualifiedName, ancestors: Frame[], constant: Frame): Verdict {
  let child = constant;
  let i = ancestors.length - 1;
  // casts: 'x'::mood, CAST('x' AS mood), mood 'x', 'x'::text::mood
  let cast: Verdict | undefined;
  while (i >= 0 && ancestors[i]!.type === 'TypeCast' && child.via === 'arg') {
    const target = typeFromAst(ancestors[i]!.node.typeName);
    if (isEnum(target, type)) return 'enum';
    cast = 'other';
    child = ancestors[i]!;
    i--;
  }
  if (cast) return cast;
  // expressions whose result is the constant itself
  while (i >= 0 && transparent(ancestors[i]!, child)) {
    child = ancestors[i]!;
    i--;
  }
  const parent = ancestors[i];
  if (!parent) return 'unknown';
  const column = (table: TableFacts | undefined, name: string | undefined): Verdict => {
    const found = name ? table?.columns.get(name)?.type : undefined;
    if (!found) return 'unknown';
    return isEnum(found, type) ? 'enum' : 'other';
  };
  const statementTable = (): TableFacts | undefined => {
    for (let j = i; j >= 0; j--) {
      const f = ancestors[j]!;
      if (['InsertStmt', 'UpdateStmt', 'MergeStmt', 'AlterTableStmt'].includes(f.type))
        return ctx.table(rangeVarName(f.node.relation));
    }
    return undefined;
  };

  switch (parent.type) {
    case 'ResTarget': {
      if (child.via !== 'val') return 'unknown';
      // UPDATE … SET col = 'x' / MERGE … UPDATE SET col = 'x'
      if (typeof parent.node.name === 'string') return column(statementTable(), parent.node.name);
      // INSERT … SELECT 'x', …: the n-th target feeds the n-th insert column
      const select = ancestors[i - 1];
      const insert = ancestors[i - 2];
      if (select?.type === 'SelectStmt' && parent.via === 'targetList' && insert?.type === 'InsertStmt')
        return insertColumn(ctx, insert.node, parent.index, column);
      return 'unknown';
    }
    case 'List': {
      // INSERT … VALUES (…, 'x'): the n-th value of a row feeds the n-th insert column
      const select = ancestors[i - 1];
      const insert = ancestors[i - 2];
      if (
        parent.via === 'valuesLists' &&
        select?.type === 'SelectStmt' &&
        insert?.type === 'InsertStmt' &&
        select.via === 'selectStmt'
      )
        return insertColumn(ctx, insert.node, child.index, column);
      // col IN ('a', 'x')
      const expr = ancestors[i - 1];
      if (expr?.type === 'A_Expr' && parent.via === 'rexpr')
        return operand(ctx, type, expr.node.lexpr, ancestors);
      return 'unknown';
    }
    case 'MergeWhenClause': {
      // MERGE … WHEN NOT MATCHED THEN INSERT (cols) VALUES (…, 'x')
      if (child.via !== 'values') return 'unknown';
      const target = (parent.node.targetList ?? [])[child.index ?? -1]?.ResTarget?.name;
      return column(statementTable(), target);
    }
    case 'A_Expr': {
      const other =
        child.via === 'lexpr' ? parent.node.rexpr : child.via === 'rexpr' ? parent.node.lexpr : undefined;
      return other ? operand(ctx, type, other, ancestors) : 'unknown';
    }
    case 'Constraint': {
      // col mood DEFAULT 'x' (CREATE TABLE, ADD COLUMN)
      const def = ancestors[i - 1];
      if (parent.node.contype === 'CONSTR_DEFAULT' && child.via === 'raw_expr' && def?.type === 'ColumnDef')
        return def.node.typeName
          ? isEnum(typeFromAst(def.node.typeName), type)
            ? 'enum'
            : 'other'
          : 'unknown';
      return 'unknown';
    }
    case 'AlterTableCmd': {
      // ALTER COLUMN col SET DEFAULT 'x'
      if (parent.node.subtype === 'AT_ColumnDefault' && child.via === 'def')
        return column(statementTable(), parent.node.name);
      return 'unknown';
    }
    default:
      return 'unknown';
  }
}

/** CASE … THEN 'x', COALESCE(…, 'x'), ARRAY['x']: the value is the constant. */
function transparent(parent: Frame, child: Frame): boolean {
  switch (parent.type) {
    case 'CaseWhen':
      return child.via === 'result';
    case 'CaseExpr':
      return child.via === 'args' || child.via === 'defresult';
    case 'CoalesceExpr':
    case 'MinMaxExpr':
      return child.via === 'args';
    case 'A_ArrayExpr':
      return child.via === 'elements';
    default:
      return false;
  }
}

function insertColumn(
  ctx: RuleContext,
  insert: any,
  position: number | undefined,
  column: (table: TableFacts | undefined, name: string | undefined) => Verdict,
): Verdict {
  if (position === undefined) return 'unknown';
  const table = ctx.table(rangeVarName(insert.relation));
  const cols = (insert.cols ?? []).map((c: any) => c?.ResTarget?.name as string | undefined);
  if (cols.length > 0) return column(table, cols[position]);
  // without a column list, the table's column order decides; only trusted for tables created in SQL
  if (table?.origin.kind !== 'sql') return 'unknown';
  return column(table, [...table.columns.keys()][position]);
}

/** The type of the other operand of a comparison: a column of a table the statement names, or a cast. */
function operand(ctx: RuleContext, type: QualifiedName, node: any, ancestors: Frame[]): Verdict {
  if (node?.TypeCast) return isEnum(typeFromAst(node.TypeCast.typeName), type) ? 'enum' : 'other';
  const fields = stringList(node?.ColumnRef?.fields);
  const name = fields.at(-1);
  if (!name) return 'unknown';
  const qualifier = fields.at(-2);
  const types: ColumnType[] = [];
  // a column the statement itself defines (CREATE TABLE … CHECK, ADD COLUMN … CHECK)
  forEachNode(ancestors[0]?.node, (kind, def) => {
    if (kind === 'ColumnDef' && def.colname === name && def.typeName) types.push(typeFromAst(def.typeName));
  });
  for (const rv of relationsIn(ancestors[0]?.node)) {
    if (qualifier && rv.alias?.aliasname !== qualifier && rv.relname !== qualifier) continue;
    const found = ctx.table(rangeVarName(rv))?.columns.get(name)?.type;
    if (found) types.push(found);
  }
  if (types.length === 0) return 'unknown';
  if (types.some((t) => isEnum(t, type))) return 'enum';
  return 'other';
}

/** The RangeVars a statement names (its target and the tables it reads). */
function relationsIn(root: unknown): any[] {
  const out: any[] = [];
  const visit = (value: unknown, key: string | undefined): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item, key);
      return;
    }
    if (!value || typeof value !== 'object') return;
    if ((key === 'RangeVar' || key === 'relation') && typeof (value as any).relname === 'string')
      out.push(value);
    for (const [k, child] of Object.entries(value)) if (child && typeof child === 'object') visit(child, k);
  };
  visit(root, undefined);
  return out;
}

function isEnum(column: ColumnType, type: QualifiedName): boolean {
  if (column.name !== type.name) return false;
  return !column.schema || !type.schema || column.schema === type.schema;
}
