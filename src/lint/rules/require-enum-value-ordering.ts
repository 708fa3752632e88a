import { displayName, listName } from '../../analysis/names.js';
import { quoteLiteral } from '../../sql/quote.js';
import { appendToStatement } from '../fix.js';
import { defineRule } from '../rule.js';

export const rule = defineRule({
  id: 'require-enum-value-ordering',
  title: 'Say where a new enum value goes',
  defaultLevel: 'warning',
  preset: 'style',
  shapes: ['enum-add-value'],
  docs: {
    problem:
      "An enum's values are ordered, and the order is what ORDER BY, <, >, BETWEEN, min() and max() use on the enum's columns. ALTER TYPE … ADD VALUE without BEFORE or AFTER puts the new value last, which is often not where it belongs ('pending' after 'shipped'), and the reader of the migration cannot tell whether that was intended. The order cannot be changed later without recreating the type.",
    safeAlternative: `-- say where the value goes
ALTER TYPE order_status ADD VALUE 'pending' BEFORE 'shipped';

-- appending is fine too, when you say so
ALTER TYPE order_status ADD VALUE IF NOT EXISTS 'archived' AFTER 'delivered';`,
    whenFine:
      "Nothing compares or sorts the enum's values, or last really is the right place (then AFTER the current last value says so). ADD VALUE IF NOT EXISTS of a value the type already has changes nothing and is not reported.",
  },
  examples: {
    bad: [
      "ALTER TYPE order_status ADD VALUE 'pending';",
      {
        sql: "ALTER TYPE order_status ADD VALUE IF NOT EXISTS 'archived';",
        before: "CREATE TYPE order_status AS ENUM ('new', 'shipped', 'delivered');",
      },
    ],
    good: [
      "ALTER TYPE order_status ADD VALUE 'pending' BEFORE 'shipped';",
      "ALTER TYPE order_status ADD VALUE IF NOT EXISTS 'archived' AFTER 'delivered';",
      {
        sql: "ALTER TYPE order_status ADD VALUE IF NOT EXISTS 'shipped';",
        before: "CREATE TYPE order_status AS ENUM ('new', 'shipped', 'delivered');",
      },
    ],
  },
  check(ctx) {
    const { stmt } = ctx;
    const n = stmt.node;
    if (stmt.kind !== 'AlterEnumStmt' || n.oldVal || typeof n.newVal !== 'string' || n.newValNeighbor) return;
    const type = listName(n.typeName);
    if (!type) return;
    const values = ctx.schema.enumValues(type);
    // IF NOT EXISTS of a value the type already has: nothing is added
    if (n.skipIfNewValExists && values?.includes(n.newVal)) return;
    const last = values?.at(-1);
    ctx.report({
      message: `ALTER TYPE ${displayName(type)} ADD VALUE ${quoteLiteral(n.newVal)} has no BEFORE or AFTER: the value goes last in the enum's sort order${last === undefined ? '' : ` (after ${quoteLiteral(last)})`}, which is what ORDER BY and comparisons on ${displayName(type)} columns use`,
      help:
        last === undefined
          ? "Add BEFORE '…' or AFTER '…' to put the value where it belongs in the order (AFTER the current last value if last is intended)."
          : `Add BEFORE '…' to put the value where it belongs, or AFTER ${quoteLiteral(last)} to say that last is intended.`,
      ...(last === undefined ? {} : { fix: appendToStatement(stmt.text, `AFTER ${quoteLiteral(last)}`) }),
    });
  },
});
