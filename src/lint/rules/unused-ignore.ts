import { defineRule } from '../rule.js';

/** Findings of this rule come from the ignore comments; the linter reports them (see linter.ts). */
export const rule = defineRule({
  id: 'unused-ignore',
  title: 'Ignore comments that name unknown rules or suppress nothing',
  defaultLevel: 'warning',
  preset: 'recommended',
  shapes: [],
  docs: {
    problem:
      'An ignore comment that names a rule that does not exist (a typo) or that suppresses nothing hides nothing today but may hide a real problem later, when the statement under it changes.',
    safeAlternative:
      '-- name the rule exactly, say why, and put the comment right before the statement\n-- pgwarden-ignore ban-drop-column: the column has not been read since release 4.2\nALTER TABLE users DROP COLUMN legacy_flags;',
    whenFine: 'Never; remove the comment or correct the rule name.',
  },
  examples: {
    bad: [
      '-- pgwarden-ignore ban-drop-colum: typo\nALTER TABLE users DROP COLUMN legacy_flags;',
      '-- pgwarden-ignore ban-drop-table: nothing to ignore here\nCREATE TABLE audit (id bigint PRIMARY KEY);',
    ],
    good: [
      '-- pgwarden-ignore ban-drop-column: unused since release 4.2\nALTER TABLE users DROP COLUMN legacy_flags;',
    ],
  },
});
