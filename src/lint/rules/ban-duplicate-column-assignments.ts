import { rangeVarName, stringList } from '../../analysis/names.js';
import { quoteIdentIfNeeded } from '../../sql/quote.js';
import { defineRule, type RuleContext } from '../rule.js';

export const rule = defineRule({
  id: 'ban-duplicate-column-assignments',
  title: 'A column named twice in one statement',
  defaultLevel: 'error',
  preset: 'recommended',
  shapes: [],
  docs: {
    problem:
      'PostgreSQL rejects a statement that names the same column twice where each column may appear once: two definitions in CREATE TABLE, two ADD COLUMNs in one ALTER TABLE, a column listed twice in INSERT (…), assigned twice in UPDATE … SET, ON CONFLICT DO UPDATE SET or MERGE, twice in a PRIMARY KEY or UNIQUE column list, or two output columns of a view, materialized view or CREATE TABLE AS with the same name (SELECT a.id, b.id …, or two unnamed expressions, both called "?column?"). The migration fails at deploy time with "column … specified more than once" or "multiple assignments to same column".',
    safeAlternative: `-- name every column once; give view columns distinct names
CREATE VIEW order_lines AS
SELECT o.id AS order_id, p.id AS product_id, l.quantity
FROM orders o JOIN lines l ON l.order_id = o.id JOIN products p ON p.id = l.product_id;
-- setting parts of one array or composite column separately is allowed
UPDATE settings SET flags[1] = true, flags[2] = false WHERE id = 1;`,
    whenFine:
      'Never: PostgreSQL refuses the statement. Assigning different elements or fields of the same column (flags[1], flags[2]) is allowed and not reported.',
  },
  examples: {
    bad: [
      'CREATE TABLE accounts (id bigint PRIMARY KEY, email text, email text);',
      "UPDATE users SET status = 'active', status = 'disabled' WHERE id = 1;",
      "INSERT INTO users (id, email, email) VALUES (1, 'a@example.com', 'b@example.com');",
      'CREATE VIEW order_lines AS SELECT o.id, p.id FROM orders o JOIN products p ON p.id = o.product_id;',
      'CREATE VIEW user_emails (id, id) AS SELECT id, email FROM users;',
    ],
    good: [
      'CREATE TABLE accounts (id bigint PRIMARY KEY, email text, backup_email text);',
      "UPDATE settings SET flags[1] = true, flags[2] = false WHERE id = 1;\nUPDATE users SET (status, updated_at) = ('active', now()) WHERE id = 1;",
      'CREATE VIEW order_lines AS SELECT o.id AS order_id, p.id AS product_id FROM orders o JOIN products p ON p.id = o.product_id;',
      'ALTER TABLE users ADD COLUMN nickname text, ADD COLUMN nickname_updated_at timestamptz;',
      'CREATE MATERIALIZED VIEW order_totals (order_id, total) AS SELECT o.id, sum(l.amount) FROM orders o JOIN lines l ON l.order_id = o.id GROUP BY o.id;',
    ],
  },
  check(ctx) {
    const { stmt } = ctx;
    const n = stmt.node;
    switch (stmt.kind) {
      case 'CreateStmt': {
        const table = rangeVarName(n.relation)?.name ?? 'the table';
        const defs = (n.tableElts ?? []).map((e: any) => e.ColumnDef).filter(Boolean);
        reportDuplicates(
          ctx,
          defs.map((d: any) => ({ name: d.colname, location: d.location })),
          (c) => `Column "${c}" is defined twice in CREATE TABLE ${quoteIdentIfNeeded(table)}`,
          (c) => `column "${c}" specified more than once`,
        );
        for (const element of n.tableElts ?? []) {
          const constraints = element.Constraint ? [element.Constraint] : [];
          for (const c of element.ColumnDef?.constraints ?? [])
            if (c.Constraint) constraints.push(c.Constraint);
          for (const con of constraints) keyDuplicates(ctx, con);
        }
        return;
      }
      case 'AlterTableStmt': {
        const adds: Named[] = [];
        for (const item of n.cmds ?? []) {
          const cmd = item.AlterTableCmd;
          if (cmd?.subtype === 'AT_AddColumn' && cmd.def?.ColumnDef) {
            const def = cmd.def.ColumnDef;
            adds.push({ name: def.colname, location: def.location, skip: cmd.missing_ok === true });
          } else if (cmd?.subtype === 'AT_AddConstraint' && cmd.def?.Constraint) {
            keyDuplicates(ctx, cmd.def.Constraint);
          }
        }
        const table = rangeVarName(n.relation)?.name ?? 'the table';
        reportDuplicates(
          ctx,
          adds,
          (c) => `Column "${c}" is added twice in this ALTER TABLE`,
          (c) => `column "${c}" of relation "${table}" already exists`,
        );
        return;
      }
      case 'InsertStmt':
        assignments(ctx, n.cols, 'listed twice in the INSERT column list', 'specified');
        assignments(
          ctx,
          n.onConflictClause?.targetList,
          'assigned twice in ON CONFLICT DO UPDATE SET',
          'assigned',
        );
        return;
      case 'UpdateStmt':
        assignments(ctx, n.targetList, 'assigned twice in this UPDATE', 'assigned');
        return;
      case 'MergeStmt':
        for (const item of n.mergeWhenClauses ?? []) {
          const clause = item.MergeWhenClause;
          if (clause?.commandType === 'CMD_UPDATE')
            assignments(ctx, clause.targetList, 'assigned twice in MERGE … UPDATE SET', 'assigned');
          else if (clause?.commandType === 'CMD_INSERT')
            assignments(ctx, clause.targetList, 'listed twice in MERGE … INSERT', 'specified');
        }
        return;
      case 'ViewStmt':
        outputNames(
          ctx,
          stringList(n.aliases),
          n.query,
          `view ${rangeVarName(n.view)?.name ?? ''}`,
          n.view?.location,
        );
        return;
      case 'CreateTableAsStmt': {
        const what = n.objtype === 'OBJECT_MATVIEW' ? 'materialized view' : 'table';
        const into = n.into;
        outputNames(
          ctx,
          stringList(into?.colNames),
          n.query,
          `${what} ${rangeVarName(into?.rel)?.name ?? ''}`,
          into?.rel?.location,
        );
        return;
      }
      default:
        return;
    }
  },
});

interface Named {
  name: string | undefined;
  location: number | undefined;
  /** IF NOT EXISTS: a repeat is skipped by PostgreSQL, not an error. */
  skip?: boolean;
}

/** Reports every name that was already seen, at the repeat. */
function reportDuplicates(
  ctx: RuleContext,
  items: Named[],
  what: (column: string) => string,
  pgError: (column: string) => string,
): void {
  const seen = new Set<string>();
  const reported = new Set<string>();
  for (const item of items) {
    if (typeof item.name !== 'string') continue;
    if (seen.has(item.name) && !item.skip && !reported.has(item.name)) {
      reported.add(item.name);
      ctx.report({
        message: `${what(item.name)}: PostgreSQL rejects the statement (${pgError(item.name)})`,
        location: item.location,
        help: 'Name each column once: remove the repeat or give it another name.',
      });
    }
    seen.add(item.name);
  }
}

/** PRIMARY KEY (a, a) / UNIQUE (a, a). */
function keyDuplicates(ctx: RuleContext, con: any): void {
  const kind =
    con?.contype === 'CONSTR_PRIMARY'
      ? 'primary key'
      : con?.contype === 'CONSTR_UNIQUE'
        ? 'unique'
        : undefined;
  if (!kind) return;
  reportDuplicates(
    ctx,
    stringList(con.keys).map((name) => ({ name, location: con.location })),
    (c) => `Column "${c}" appears twice in a ${kind.toUpperCase()} column list`,
    (c) => `column "${c}" appears twice in ${kind} constraint`,
  );
}

/**
 * INSERT column lists and SET lists: PostgreSQL allows several assignments to different parts of
 * one column (arr[1], arr[2], comp.f1) but not a whole-column assignment together with any other.
 */
function assignments(
  ctx: RuleContext,
  targets: any[] | undefined,
  what: string,
  verb: 'specified' | 'assigned',
): void {
  const whole = new Set<string>();
  const partial = new Set<string>();
  const reported = new Set<string>();
  for (const item of targets ?? []) {
    const target = item.ResTarget;
    const name = target?.name;
    if (typeof name !== 'string') continue;
    const isWhole = !Array.isArray(target.indirection) || target.indirection.length === 0;
    const clash = whole.has(name) || (isWhole && partial.has(name));
    if (clash && !reported.has(name)) {
      reported.add(name);
      const pgError =
        verb === 'specified'
          ? `column "${name}" specified more than once`
          : `multiple assignments to same column "${name}"`;
      ctx.report({
        message: `Column "${name}" is ${what}: PostgreSQL rejects the statement (${pgError})`,
        location: target.location,
        help: 'Assign each column once; remove the repeat or name the column you meant.',
      });
    }
    (isWhole ? whole : partial).add(name);
  }
}

/** Output column names of a view / CREATE TABLE AS: the alias list first, then names derived from the SELECT. */
function outputNames(
  ctx: RuleContext,
  aliases: string[],
  query: any,
  what: string,
  location: number | undefined,
): void {
  const names: Named[] = aliases.map((name) => ({ name, location }));
  const select = leftmostSelect(query);
  const targets: any[] = select?.targetList ?? [];
  for (const [i, item] of targets.entries()) {
    const target = item.ResTarget;
    const figured = target ? figureName(target) : undefined;
    if (figured === 'star') {
      // the star's width is unknown: later positions can only be named when no alias reaches them
      if (aliases.length > i) break;
      continue;
    }
    if (i < aliases.length) continue;
    names.push({ name: figured, location: target?.location ?? location });
  }
  reportDuplicates(
    ctx,
    names,
    (c) => `The ${what.trim()} has two columns named "${c}"`,
    (c) => `column "${c}" specified more than once`,
  );
}

function leftmostSelect(query: any): any {
  let select = query?.SelectStmt;
  while (select?.op && select.op !== 'SETOP_NONE') select = select.larg;
  return select;
}

/** The name PostgreSQL gives an output column (FigureColname), for the expressions whose rule is simple. */
function figureName(target: any): string | 'star' | undefined {
  if (typeof target.name === 'string') return target.name;
  const figured = figure(target.val);
  if (figured === 'star' || figured === undefined) return figured;
  return figured.strength === 0 ? '?column?' : figured.name;
}

type Figured = { name: string; strength: 0 | 1 | 2 } | 'star' | undefined;

function figure(node: any): Figured {
  if (!node || typeof node !== 'object') return undefined;
  const [type, value] = Object.entries(node)[0] ?? [];
  const v = value as any;
  switch (type) {
    case 'ColumnRef': {
      const last = v.fields?.at(-1);
      if (last?.A_Star) return 'star';
      return typeof last?.String?.sval === 'string' ? { name: last.String.sval, strength: 2 } : undefined;
    }
    case 'FuncCall': {
      const name = stringList(v.funcname).at(-1);
      return name ? { name, strength: 2 } : undefined;
    }
    case 'TypeCast': {
      const inner = figure(v.arg);
      if (inner === undefined || inner === 'star') return undefined;
      if (inner.strength === 2) return inner;
      const typeName = stringList(v.typeName?.names).at(-1);
      return typeName ? { name: typeName, strength: 1 } : inner;
    }
    case 'CollateClause':
      return figure(v.arg);
    case 'A_Const':
    case 'BoolExpr':
    case 'NullTest':
    case 'BooleanTest':
      return { name: '?column?', strength: 0 };
    case 'A_Expr':
      return v.kind === 'AEXPR_NULLIF' ? { name: 'nullif', strength: 2 } : { name: '?column?', strength: 0 };
    case 'CoalesceExpr':
      return { name: 'coalesce', strength: 2 };
    case 'MinMaxExpr':
      return v.op === 'IS_GREATEST'
        ? { name: 'greatest', strength: 2 }
        : v.op === 'IS_LEAST'
          ? { name: 'least', strength: 2 }
          : undefined;
    case 'A_ArrayExpr':
      return { name: 'array', strength: 2 };
    case 'RowExpr':
      return { name: 'row', strength: 2 };
    case 'CaseExpr': {
      const inner =
        v.defresult === undefined ? { name: '?column?', strength: 0 as const } : figure(v.defresult);
      if (inner === undefined || inner === 'star') return undefined;
      return inner.strength === 2 ? inner : { name: 'case', strength: 1 };
    }
    case 'SubLink':
      return v.subLinkType === 'EXISTS_SUBLINK'
        ? { name: 'exists', strength: 2 }
        : v.subLinkType === 'ARRAY_SUBLINK'
          ? { name: 'array', strength: 2 }
          : undefined;
    default:
      return undefined;
  }
}
