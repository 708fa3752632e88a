import { quoteIdentIfNeeded } from '../../sql/quote.js';
import { defineRule } from '../rule.js';

export const rule = defineRule({
  id: 'ban-drop-database',
  title: 'Dropping a database',
  defaultLevel: 'error',
  preset: 'recommended',
  shapes: [],
  docs: {
    problem:
      'DROP DATABASE deletes a whole database: every table, every row, at once and for good. A migration runs unattended, in every environment it is deployed to, so a DROP DATABASE written for a local reset or a one-off cleanup destroys production data the day it reaches production. PostgreSQL also refuses it inside a transaction block, so under most runners the migration fails as well.',
    safeAlternative: `-- migrations change one database's schema; retire a database by hand, after a verified backup
--   pgwarden backup create
--   psql -d postgres -c 'DROP DATABASE legacy_reports'
-- to take it out of use without deleting anything:
REVOKE CONNECT ON DATABASE legacy_reports FROM PUBLIC;
ALTER DATABASE legacy_reports ALLOW_CONNECTIONS false;`,
    whenFine:
      'Only for a scratch database that the same script created (CREATE DATABASE earlier in the file, e.g. a test fixture); that case is not reported. Real databases should be dropped by hand, never by a migration.',
  },
  examples: {
    bad: ['DROP DATABASE legacy_reports;', 'DROP DATABASE IF EXISTS analytics WITH (FORCE);'],
    good: [
      'CREATE DATABASE scratch_check;\nDROP DATABASE scratch_check;',
      'ALTER DATABASE legacy_reports ALLOW_CONNECTIONS false;',
      'DROP SCHEMA IF EXISTS scratch;',
    ],
  },
  check(ctx) {
    const { stmt } = ctx;
    const created = ctx.state(() => new Set<string>());
    if (stmt.kind === 'CreatedbStmt' && typeof stmt.node.dbname === 'string') {
      created.add(stmt.node.dbname);
      return;
    }
    if (stmt.kind !== 'DropdbStmt') return;
    const name = stmt.node.dbname as string;
    if (created.has(name)) return;
    ctx.report({
      message: `DROP DATABASE ${quoteIdentIfNeeded(name)} deletes the whole database and all its data, irreversibly, wherever this migration runs`,
      help: 'Remove it from the migration. Retire databases by hand after a verified backup; to stop their use, REVOKE CONNECT or set ALLOW_CONNECTIONS false.',
    });
  },
});
