import { defineRule } from '../rule.js';

// TODO: not written yet (docs, examples, check)
export const rule = defineRule({
  id: 'rewriting-table-storage',
  title: 'SET LOGGED/UNLOGGED, SET TABLESPACE, SET ACCESS METHOD rewrite the table',
  defaultLevel: 'error',
  preset: 'recommended',
  shapes: [],
  docs: { problem: 'TODO', safeAlternative: 'TODO', whenFine: 'TODO' },
  examples: { bad: [], good: [] },
});
