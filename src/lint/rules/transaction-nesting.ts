import { defineRule } from '../rule.js';

// TODO: not written yet (docs, examples, check)
export const rule = defineRule({
  id: 'transaction-nesting',
  title: 'BEGIN/COMMIT inside a migration the runner already wraps',
  defaultLevel: 'error',
  preset: 'recommended',
  shapes: [],
  docs: { problem: 'TODO', safeAlternative: 'TODO', whenFine: 'TODO' },
  examples: { bad: [], good: [] },
});
