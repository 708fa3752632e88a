import { aLock, shortName } from '../describe.js';
import { defineRule } from '../rule.js';
import { columnConstraintType } from '../statement-facts.js';

export const rule = defineRule({
  id: 'disallowed-unique-constraint',
  title: 'Adding a UNIQUE constraint without USING INDEX',
  defaultLevel: 'error',
  preset: 'recommended',
  sizeDependent: true,
  shapes: ['add-unique', 'add-column-unique', 'add-unique-using-index'],
  docs: {
    problem:
      'ALTER TABLE … ADD CONSTRAINT … UNIQUE (…) and ADD COLUMN … UNIQUE build the unique index over every row while holding an ACCESS EXCLUSIVE lock: every read and write of the table waits for the whole index build, minutes on a large table. A UNIQUE constraint cannot be added NOT VALID; instead the index can be built beforehand with CREATE UNIQUE INDEX CONCURRENTLY, which lets reads and writes go on, and then attached as the constraint, which only touches the catalog.',
    safeAlternative: `-- 1. build the index without blocking writes (outside a transaction; pgwarden runs it alone)
CREATE UNIQUE INDEX CONCURRENTLY users_email_idx ON users (email);

-- 2. catalog only: the index becomes the constraint (and is renamed to users_email_key)
ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_idx;

-- partitioned table: per partition (steps 1 and 2), then the parent's constraint adopts them
ALTER TABLE events ADD CONSTRAINT events_ref_key UNIQUE (ref, at);`,
    whenFine:
      'The table was created earlier in the same migration, or is tiny. A plain unique index (CREATE UNIQUE INDEX CONCURRENTLY) enforces uniqueness just as well when no constraint is needed, e.g. as the target of a foreign key.',
  },
  examples: {
    bad: [
      'ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);',
      'ALTER TABLE orders ADD UNIQUE (ref);',
      'ALTER TABLE users ADD COLUMN handle text UNIQUE;',
    ],
    good: [
      'CREATE UNIQUE INDEX CONCURRENTLY users_email_idx ON users (email);\nALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_idx;',
      'CREATE TABLE coupons (id bigint PRIMARY KEY, code text);\nALTER TABLE coupons ADD CONSTRAINT coupons_code_key UNIQUE (code);',
      'ALTER TABLE users ADD COLUMN external_id uuid PRIMARY KEY;',
    ],
  },
  kinds: ['AlterTableStmt'],
  check(ctx) {
    for (const effect of ctx.effects) {
      const inline =
        effect.shape === 'add-column-unique' &&
        columnConstraintType(ctx.stmt, effect.location) === 'CONSTR_UNIQUE';
      if (effect.shape !== 'add-unique' && !inline) continue;
      const table = effect.relations.table?.[0];
      if (ctx.isNew(table)) continue;
      const name = table ? shortName(table, ctx.schema.defaultSchema) : 'the table';
      const what = inline
        ? `Adding column "${effect.detail.column}" as UNIQUE`
        : effect.detail.constraint
          ? `Adding UNIQUE constraint "${effect.detail.constraint}"`
          : 'Adding a UNIQUE constraint';
      ctx.report({
        message: `${what} builds a unique index over every row of ${name} while holding ${aLock(ctx.describeLocks(effect))}`,
        location: effect.location,
        help:
          ctx.table(table)?.kind === 'partitioned'
            ? 'A partitioned table takes no USING INDEX: on each partition build a unique index CONCURRENTLY and attach it with ADD CONSTRAINT … UNIQUE USING INDEX; then the constraint on the parent adopts them without a build.'
            : inline
              ? 'Add the column without UNIQUE, then CREATE UNIQUE INDEX CONCURRENTLY on it and ADD CONSTRAINT … UNIQUE USING INDEX (or keep just the index).'
              : 'Build the index first with CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT … UNIQUE USING INDEX.',
      });
    }
  },
});
