import { rangeVarName } from '../../analysis/names.js';
import { SERIAL_TYPES, typeFromAst } from '../../analysis/types.js';
import { shortName } from '../describe.js';
import { defineRule } from '../rule.js';
import { filledEarlier } from '../statement-facts.js';

/** Why a new column is NOT NULL with nothing to fill existing rows, or undefined if it is fine. */
function requiredWithoutValue(def: any): 'NOT NULL' | 'PRIMARY KEY' | undefined {
  if (!def) return undefined;
  const type = def.typeName ? typeFromAst(def.typeName) : undefined;
  if (type && SERIAL_TYPES[type.name]) return undefined;
  const constraints: any[] = (def.constraints ?? []).map((c: any) => c.Constraint).filter(Boolean);
  const has = (contype: string) => constraints.find((c) => c.contype === contype);
  if (has('CONSTR_IDENTITY') || has('CONSTR_GENERATED')) return undefined;
  const dflt = has('CONSTR_DEFAULT');
  if (dflt && dflt.raw_expr?.A_Const?.isnull !== true) return undefined;
  if (has('CONSTR_NOTNULL')) return 'NOT NULL';
  if (has('CONSTR_PRIMARY')) return 'PRIMARY KEY';
  return undefined;
}

export const rule = defineRule({
  id: 'adding-required-field',
  title: 'Adding a NOT NULL column without a default',
  defaultLevel: 'error',
  preset: 'recommended',
  shapes: ['add-column', 'add-column-default-constant'],
  docs: {
    problem:
      'ADD COLUMN … NOT NULL without a DEFAULT gives existing rows nothing but NULL, so PostgreSQL refuses it with "column … contains null values" as soon as the table has a single row: the migration fails at deploy time, though it passed on an empty development database. A PRIMARY KEY on the new column implies NOT NULL and fails the same way. Even on an empty table, application code that inserts rows without the new column breaks as soon as the migration has run.',
    safeAlternative: `-- a constant default fills existing rows without a rewrite (PostgreSQL 11+)
ALTER TABLE users ADD COLUMN plan text NOT NULL DEFAULT 'free';

-- or: nullable first, backfill in batches, then NOT NULL without a long lock (PostgreSQL 12+)
ALTER TABLE users ADD COLUMN plan text;
UPDATE users SET plan = 'free' WHERE id BETWEEN 1 AND 10000 AND plan IS NULL;  -- repeat, outside the migration
ALTER TABLE users ADD CONSTRAINT users_plan_not_null CHECK (plan IS NOT NULL) NOT VALID;
ALTER TABLE users VALIDATE CONSTRAINT users_plan_not_null;  -- later migration
ALTER TABLE users ALTER COLUMN plan SET NOT NULL;`,
    whenFine:
      'The table was created earlier in the same migration and nothing was inserted into it since, or is certain to be empty (with live facts, a table estimated at 0 rows is reported as a warning only). Columns with a DEFAULT, serial, identity and generated columns get a value for every row and are not reported. A column whose domain type has its own DEFAULT gets that value too; pgwarden does not know domain defaults, so ignore the finding then.',
  },
  examples: {
    bad: [
      'ALTER TABLE users ADD COLUMN plan text NOT NULL;',
      'ALTER TABLE orders ADD COLUMN currency char(3) DEFAULT NULL NOT NULL;',
      'ALTER TABLE users ADD COLUMN external_id uuid PRIMARY KEY;',
    ],
    good: [
      "ALTER TABLE users ADD COLUMN plan text NOT NULL DEFAULT 'free';",
      'ALTER TABLE users ADD COLUMN plan text;',
      'CREATE TABLE teams (id bigint PRIMARY KEY);\nALTER TABLE teams ADD COLUMN name text NOT NULL;',
      'ALTER TABLE users ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY;',
      'ALTER TABLE orders ADD COLUMN total_cents bigint NOT NULL GENERATED ALWAYS AS (amount * 100) STORED;',
    ],
  },
  kinds: ['AlterTableStmt'],
  check(ctx) {
    const { stmt } = ctx;
    if (stmt.kind !== 'AlterTableStmt' || stmt.node.objtype !== 'OBJECT_TABLE') return;
    const target = rangeVarName(stmt.node.relation);
    const facts = ctx.table(target);
    // a table created in this migration is empty, unless rows were written into it since
    const filled = filledEarlier(ctx, facts?.key);
    if (ctx.isNew(target) && !filled) return;
    // a live table counted empty (the lint gate counts small tables): the ADD succeeds
    if (facts?.rowsCounted === 0) return;
    const tableName = facts ? shortName(facts.key, ctx.schema.defaultSchema) : (target?.name ?? 'the table');
    for (const item of stmt.node.cmds ?? []) {
      const cmd = item.AlterTableCmd;
      if (cmd?.subtype !== 'AT_AddColumn') continue;
      const def = cmd.def?.ColumnDef;
      const why = requiredWithoutValue(def);
      if (!why) continue;
      const column = def.colname as string;
      // ADD COLUMN IF NOT EXISTS of a column that exists does nothing
      if (cmd.missing_ok && facts?.columns.has(column)) continue;
      const empty = facts?.rowEstimate === 0 && !filled;
      const what = why === 'PRIMARY KEY' ? 'as a PRIMARY KEY (which implies NOT NULL)' : 'as NOT NULL';
      ctx.report({
        message: `Adding column "${column}" ${what} without a default fails with "column "${column}" of relation "${target?.name}" contains null values" ${
          empty
            ? `unless ${tableName} is empty, as its statistics suggest`
            : filled && ctx.isNew(target)
              ? `because rows are written into ${tableName} earlier in this migration`
              : `as soon as ${tableName} has a row`
        }`,
        location: def.location,
        help:
          ctx.pgMajor >= 11
            ? 'Give it a constant DEFAULT (no rewrite on PostgreSQL 11+), or add it nullable, backfill it, and make it NOT NULL later with CHECK … NOT VALID, VALIDATE and SET NOT NULL.'
            : `Add it nullable, backfill it in batches, then make it NOT NULL (on PostgreSQL ${ctx.pgMajor} a DEFAULT rewrites the table).`,
        ...(empty ? { level: 'warning' as const } : {}),
      });
    }
  },
});
