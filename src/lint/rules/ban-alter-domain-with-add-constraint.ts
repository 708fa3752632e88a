import { listName } from '../../analysis/names.js';
import { relationKey } from '../../analysis/schema-model.js';
import { aLock } from '../describe.js';
import { appendToStatement } from '../fix.js';
import { defineRule } from '../rule.js';

export const rule = defineRule({
  id: 'ban-alter-domain-with-add-constraint',
  title: 'Adding a constraint to a domain in use',
  defaultLevel: 'error',
  preset: 'recommended',
  shapes: ['alter-domain-add-constraint', 'alter-domain-add-constraint-not-valid'],
  docs: {
    problem:
      'ALTER DOMAIN … ADD CONSTRAINT checks every value of every column of that domain type, in every table, while holding a SHARE lock on each of those tables until the transaction ends: INSERT, UPDATE and DELETE on all of them wait for the whole scan. A CHECK added NOT VALID applies to new values at once and scans nothing. Note that ALTER DOMAIN … VALIDATE CONSTRAINT later takes the same SHARE locks while it scans (unlike ALTER TABLE … VALIDATE CONSTRAINT), so constraints on table columns are easier to add online than constraints on domains.',
    safeAlternative: `-- new values are checked at once; existing rows are not scanned
ALTER DOMAIN positive_amount ADD CONSTRAINT positive_amount_check CHECK (VALUE > 0) NOT VALID;

-- check the existing data yourself, without locks
SELECT count(*) FROM orders WHERE total <= 0;

-- VALIDATE blocks writes to every table using the domain while it scans: a quiet period, or never
-- ALTER DOMAIN positive_amount VALIDATE CONSTRAINT positive_amount_check;

-- or constrain the table column, which can be validated online
ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total > 0) NOT VALID;
ALTER TABLE orders VALIDATE CONSTRAINT orders_total_positive;  -- later migration`,
    whenFine:
      'The domain was created earlier in the same migration, or only tables created in this migration use it. With --database-url pgwarden knows which tables use the domain and stays quiet when none do; without it, and when the linted migrations show no table using it, it reports a warning.',
  },
  examples: {
    bad: [
      {
        sql: 'ALTER DOMAIN positive_amount ADD CONSTRAINT positive_amount_check CHECK (VALUE > 0);',
        before:
          'CREATE DOMAIN positive_amount AS numeric;\nCREATE TABLE orders (id bigint PRIMARY KEY, total positive_amount);',
      },
      "ALTER DOMAIN email ADD CONSTRAINT email_has_at CHECK (VALUE LIKE '%@%');",
      {
        sql: 'ALTER DOMAIN positive_amount ADD CONSTRAINT positive_amount_not_null NOT NULL;',
        pgVersion: 17,
        before:
          'CREATE DOMAIN positive_amount AS numeric;\nCREATE TABLE orders (id bigint PRIMARY KEY, total positive_amount);',
      },
    ],
    good: [
      {
        sql: 'ALTER DOMAIN positive_amount ADD CONSTRAINT positive_amount_check CHECK (VALUE > 0) NOT VALID;',
        before:
          'CREATE DOMAIN positive_amount AS numeric;\nCREATE TABLE orders (id bigint PRIMARY KEY, total positive_amount);',
      },
      "CREATE DOMAIN us_zip AS text;\nCREATE TABLE addresses (id bigint PRIMARY KEY, zip us_zip);\nALTER DOMAIN us_zip ADD CONSTRAINT us_zip_format CHECK (VALUE ~ '^[0-9]{5}$');",
    ],
  },
  kinds: ['CreateDomainStmt', 'AlterDomainStmt'],
  check(ctx) {
    const { stmt } = ctx;
    const created = ctx.state(() => new Set<string>());
    if (stmt.kind === 'CreateDomainStmt' && !ctx.deferred) {
      const name = listName(stmt.node.domainname);
      if (name) created.add(relationKey(name.schema ?? ctx.schema.defaultSchema, name.name));
      return;
    }
    if (stmt.kind !== 'AlterDomainStmt') return;
    const effect = ctx.effects.find((e) => e.shape === 'alter-domain-add-constraint');
    if (!effect) return;
    const domain = listName(stmt.node.typeName);
    const domainName = domain
      ? domain.schema
        ? `${domain.schema}.${domain.name}`
        : domain.name
      : 'the domain';
    const con = stmt.node.def?.Constraint;
    const location = con?.location as number | undefined;
    const users = [...new Set(effect.relations.table ?? [])];
    const existing = users.filter((key) => !ctx.isNew(key));
    const isCheck = con?.contype === 'CONSTR_CHECK';
    const help = isCheck
      ? 'Add it NOT VALID: new values are checked at once and nothing is scanned. Check old rows with a query; ALTER DOMAIN … VALIDATE CONSTRAINT takes the same SHARE locks while it scans.'
      : 'A NOT NULL domain constraint cannot be NOT VALID: put NOT NULL on the table columns instead (CHECK … NOT VALID, VALIDATE, SET NOT NULL).';
    const fix = isCheck ? appendToStatement(stmt.text, 'NOT VALID') : undefined;
    if (existing.length > 0) {
      const hot = { ...effect, relations: { ...effect.relations, table: existing } };
      ctx.report({
        message: `Adding a constraint to domain ${domainName} checks every value of it in the tables using it while holding ${aLock(ctx.describeLocks(hot))}`,
        location,
        help,
        ...(fix ? { fix } : {}),
      });
      return;
    }
    const domainKey = domain
      ? relationKey(domain.schema ?? ctx.schema.defaultSchema, domain.name)
      : undefined;
    const domainIsNew = domainKey !== undefined && created.has(domainKey);
    // only new tables use it, or (with the live schema) no table does
    if (domainIsNew || ctx.schema.live) return;
    ctx.report({
      message: `Adding a constraint to domain ${domainName} checks every value of it in every table using it, holding a SHARE lock on each of them (blocking writes); pgwarden could not tell which tables use it`,
      location,
      help,
      level: 'warning',
      ...(fix ? { fix } : {}),
    });
  },
});
