import { defineRule } from '../rule.js';

// TODO: not written yet (docs, examples, check)
export const rule = defineRule({
  id: 'disallowed-unique-constraint',
  title: 'Adding a UNIQUE constraint without USING INDEX',
  defaultLevel: 'error',
  preset: 'recommended',
  shapes: [],
  docs: { problem: 'TODO', safeAlternative: 'TODO', whenFine: 'TODO' },
  examples: { bad: [], good: [] },
});
