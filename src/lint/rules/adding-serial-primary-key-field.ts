import { aLock, shortName } from '../describe.js';
import { defineRule } from '../rule.js';
import { columnConstraintType } from '../statement-facts.js';

export const rule = defineRule({
  id: 'adding-serial-primary-key-field',
  title: 'Adding a primary key without USING INDEX',
  defaultLevel: 'error',
  preset: 'recommended',
  sizeDependent: true,
  shapes: ['add-primary-key', 'add-column-unique', 'add-primary-key-using-index'],
  docs: {
    problem:
      "ALTER TABLE … ADD PRIMARY KEY (…) and ADD COLUMN … PRIMARY KEY build the primary key's unique index over every row while holding an ACCESS EXCLUSIVE lock: every read and write of the table waits for the whole index build, minutes on a large table (and the columns are made NOT NULL, which reads the table too). The index can instead be built beforehand with CREATE UNIQUE INDEX CONCURRENTLY, which lets reads and writes go on, and then turned into the primary key, which only touches the catalog.",
    safeAlternative: `-- 1. build the index without blocking writes (outside a transaction; pgwarden runs it alone)
CREATE UNIQUE INDEX CONCURRENTLY users_id_idx ON users (id);

-- 2. the columns must already be NOT NULL, or this step scans the table (see adding-not-nullable-field)
ALTER TABLE users ADD CONSTRAINT users_pkey PRIMARY KEY USING INDEX users_id_idx;

-- partitioned table: per partition (steps 1 and 2), then the parent's primary key adopts them
ALTER TABLE events ADD PRIMARY KEY (id, at);`,
    whenFine:
      'The table was created earlier in the same migration, or is tiny. ADD CONSTRAINT … PRIMARY KEY USING INDEX on an index built CONCURRENTLY is the safe form and is not reported here.',
  },
  examples: {
    bad: [
      'ALTER TABLE users ADD PRIMARY KEY (id);',
      'ALTER TABLE users ADD CONSTRAINT users_pkey PRIMARY KEY (id);',
      'ALTER TABLE audit_log ADD COLUMN id bigserial PRIMARY KEY;',
    ],
    good: [
      'ALTER TABLE users ADD CONSTRAINT users_pkey PRIMARY KEY USING INDEX users_id_idx;',
      'CREATE TABLE tags (id bigint, name text);\nALTER TABLE tags ADD PRIMARY KEY (id);',
      'ALTER TABLE users ADD COLUMN email text UNIQUE;',
    ],
  },
  kinds: ['AlterTableStmt'],
  check(ctx) {
    for (const effect of ctx.effects) {
      const inline =
        effect.shape === 'add-column-unique' &&
        columnConstraintType(ctx.stmt, effect.location) === 'CONSTR_PRIMARY';
      if (effect.shape !== 'add-primary-key' && !inline) continue;
      const table = effect.relations.table?.[0];
      if (ctx.isNew(table)) continue;
      const name = table ? shortName(table, ctx.schema.defaultSchema) : 'the table';
      const partitioned = ctx.table(table)?.kind === 'partitioned';
      ctx.report({
        message: inline
          ? `Adding column "${effect.detail.column}" as PRIMARY KEY builds its unique index over every row of ${name} while holding ${aLock(ctx.describeLocks(effect))}`
          : `Adding a primary key builds its unique index over every row of ${name} while holding ${aLock(ctx.describeLocks(effect))}`,
        location: effect.location,
        help: partitioned
          ? 'A partitioned table takes no USING INDEX: on each partition build a unique index CONCURRENTLY and make it the primary key with ADD CONSTRAINT … PRIMARY KEY USING INDEX; then the primary key on the parent adopts them without a build.'
          : inline
            ? 'Add the column without PRIMARY KEY, fill it, build a unique index on it with CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT … PRIMARY KEY USING INDEX.'
            : 'Build the index first with CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT … PRIMARY KEY USING INDEX (with the columns already NOT NULL).',
      });
    }
  },
});
