import { defineRule } from '../rule.js';

// TODO: not written yet (docs, examples, check)
export const rule = defineRule({
  id: 'prefer-bigint-over-smallint',
  title: 'Prefer bigint over smallint',
  defaultLevel: 'warning',
  preset: 'style',
  shapes: [],
  docs: { problem: 'TODO', safeAlternative: 'TODO', whenFine: 'TODO' },
  examples: { bad: [], good: [] },
});
