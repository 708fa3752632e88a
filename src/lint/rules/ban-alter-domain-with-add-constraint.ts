import { defineRule } from '../rule.js';

// TODO: not written yet (docs, examples, check)
export const rule = defineRule({
  id: 'ban-alter-domain-with-add-constraint',
  title: 'Adding a constraint to a domain in use',
  defaultLevel: 'error',
  preset: 'recommended',
  shapes: [],
  docs: { problem: 'TODO', safeAlternative: 'TODO', whenFine: 'TODO' },
  examples: { bad: [], good: [] },
});
