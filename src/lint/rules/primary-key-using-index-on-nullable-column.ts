import { quoteIdentIfNeeded } from '../../sql/quote.js';
import { aLock, shortName } from '../describe.js';
import { defineRule } from '../rule.js';

export const rule = defineRule({
  id: 'primary-key-using-index-on-nullable-column',
  title: 'ADD PRIMARY KEY USING INDEX on nullable columns',
  defaultLevel: 'error',
  preset: 'recommended',
  sizeDependent: true,
  shapes: ['add-primary-key-using-index-nullable', 'add-primary-key-using-index'],
  docs: {
    problem:
      "ADD CONSTRAINT … PRIMARY KEY USING INDEX is meant to be instant: the index was built CONCURRENTLY beforehand. But a primary key's columns must be NOT NULL, and when they are not, PostgreSQL first makes them NOT NULL, which reads every row while holding the ACCESS EXCLUSIVE lock the statement takes: every read and write of the table waits for the whole scan. Since PostgreSQL 12 the scan is skipped when a validated CHECK (col IS NOT NULL) proves the columns hold no NULL.",
    safeAlternative: `-- make the column NOT NULL first, without a long lock (PostgreSQL 12+)
ALTER TABLE users ADD CONSTRAINT users_id_not_null CHECK (id IS NOT NULL) NOT VALID;
ALTER TABLE users VALIDATE CONSTRAINT users_id_not_null;  -- later migration: reads and writes go on
ALTER TABLE users ALTER COLUMN id SET NOT NULL;           -- no scan: the CHECK proves it
ALTER TABLE users DROP CONSTRAINT users_id_not_null;

-- then the primary key only touches the catalog
ALTER TABLE users ADD CONSTRAINT users_pkey PRIMARY KEY USING INDEX users_id_idx;`,
    whenFine:
      'The index columns are already NOT NULL (or, on PostgreSQL 12+, proven by a validated CHECK (col IS NOT NULL)), the table was created earlier in the same migration, or the table is tiny. When pgwarden does not know the index (it was not created in the linted SQL and no database was given), it reports a warning that the columns could not be checked.',
  },
  examples: {
    bad: [
      {
        sql: 'ALTER TABLE users ADD CONSTRAINT users_pkey PRIMARY KEY USING INDEX users_id_idx;',
        before:
          'CREATE TABLE users (id bigint, email text);\nCREATE UNIQUE INDEX CONCURRENTLY users_id_idx ON users (id);',
      },
      'ALTER TABLE users ADD CONSTRAINT users_pkey PRIMARY KEY USING INDEX users_id_idx;',
    ],
    good: [
      {
        sql: 'ALTER TABLE users ADD CONSTRAINT users_pkey PRIMARY KEY USING INDEX users_id_idx;',
        before:
          'CREATE TABLE users (id bigint NOT NULL, email text);\nCREATE UNIQUE INDEX CONCURRENTLY users_id_idx ON users (id);',
      },
      {
        sql: 'ALTER TABLE users ALTER COLUMN id SET NOT NULL;\nALTER TABLE users ADD CONSTRAINT users_pkey PRIMARY KEY USING INDEX users_id_idx;',
        before:
          'CREATE TABLE users (id bigint, email text);\nCREATE UNIQUE INDEX CONCURRENTLY users_id_idx ON users (id);\nALTER TABLE users ADD CONSTRAINT users_id_not_null CHECK (id IS NOT NULL);',
      },
      {
        sql: 'ALTER TABLE users ADD CONSTRAINT users_pkey PRIMARY KEY USING INDEX users_id_idx;',
        before:
          'CREATE TABLE users (id bigint, email text);\nCREATE UNIQUE INDEX CONCURRENTLY users_id_idx ON users (id);\nALTER TABLE users ADD CONSTRAINT users_id_not_null CHECK (id IS NOT NULL) NOT VALID;\nALTER TABLE users VALIDATE CONSTRAINT users_id_not_null;',
      },
      'CREATE TABLE tags (id bigint, name text);\nCREATE UNIQUE INDEX tags_id_idx ON tags (id);\nALTER TABLE tags ADD CONSTRAINT tags_pkey PRIMARY KEY USING INDEX tags_id_idx;',
    ],
  },
  kinds: ['AlterTableStmt'],
  check(ctx) {
    for (const effect of ctx.effects) {
      if (effect.shape !== 'add-primary-key-using-index-nullable') continue;
      const table = effect.relations.table?.[0];
      if (ctx.isNew(table)) continue;
      const index = effect.relations.index?.[0];
      const indexName = index ? shortName(index, ctx.schema.defaultSchema) : 'the index';
      const tableName = table ? shortName(table, ctx.schema.defaultSchema) : 'the table';
      // the lock that matters is the table's (the index only gets SHARE UPDATE EXCLUSIVE)
      const locks = aLock(ctx.describeLocks({ ...effect, relations: { table: table ? [table] : [] } }));
      if (effect.detail.unknownTarget) {
        ctx.report({
          message: `The columns of index ${indexName} could not be checked (the index is not known here); if any is nullable, making it NOT NULL reads every row of ${tableName} while holding ${locks}`,
          location: effect.location,
          help: 'Make sure the index columns are NOT NULL before this statement (CHECK … NOT VALID, VALIDATE, SET NOT NULL), or lint with --database-url so pgwarden can check them.',
          level: 'warning',
        });
        continue;
      }
      // the classifier lists the nullable columns (those not NOT NULL nor proven by a validated CHECK)
      const nullable = (effect.detail.column ?? '').split(', ').filter(Boolean);
      const list = nullable.map((c) => `"${c}"`).join(', ');
      const first = quoteIdentIfNeeded(nullable[0] ?? 'col');
      ctx.report({
        message: `Column${nullable.length > 1 ? 's' : ''} ${list || 'of the index'} of ${tableName} ${nullable.length > 1 ? 'are' : 'is'} nullable, so the primary key first makes ${nullable.length > 1 ? 'them' : 'it'} NOT NULL, reading every row while holding ${locks}`,
        location: effect.location,
        help:
          ctx.pgMajor >= 12
            ? `Make the column${nullable.length > 1 ? 's' : ''} NOT NULL first: ADD CONSTRAINT … CHECK (${first} IS NOT NULL) NOT VALID, VALIDATE it in a later migration, SET NOT NULL (no scan then), and only then add the primary key.`
            : `Before PostgreSQL 12 making a column NOT NULL always scans: run SET NOT NULL on ${list || 'the columns'} in a quiet period before adding the primary key.`,
      });
    }
  },
});
