import { defineRule } from '../rule.js';

// TODO: not written yet (docs, examples, check)
export const rule = defineRule({
  id: 'prefer-timestamptz',
  title: 'Prefer timestamptz over timestamp',
  defaultLevel: 'warning',
  preset: 'style',
  shapes: [],
  docs: { problem: 'TODO', safeAlternative: 'TODO', whenFine: 'TODO' },
  examples: { bad: [], good: [] },
});
