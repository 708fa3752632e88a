import { defineRule } from '../rule.js';

/** Findings of this rule come from the parser; the linter reports them (see linter.ts). */
export const rule = defineRule({
  id: 'syntax-error',
  title: 'SQL that PostgreSQL cannot parse',
  defaultLevel: 'error',
  preset: 'recommended',
  shapes: [],
  docs: {
    problem:
      'PostgreSQL rejects the statement, so the migration fails at this point. pgwarden parses with PostgreSQL’s own grammar (libpg_query), so the message and position are the ones the server would give; the other statements of the file are still checked.',
    safeAlternative:
      '-- fix the statement; the message names the token where parsing failed\nALTER TABLE users ADD COLUMN nickname text;',
    whenFine: 'Never: a statement the server cannot parse always fails.',
  },
  examples: {
    bad: ['ALTER TABLE users ADD COLUMN;', 'ALTER TABEL users ADD COLUMN nickname text;'],
    good: ['ALTER TABLE users ADD COLUMN nickname text;'],
  },
});
