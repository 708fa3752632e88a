import { defineRule } from '../rule.js';

// TODO: not written yet (docs, examples, check)
export const rule = defineRule({
  id: 'concurrent-index-on-partitioned-table',
  title: 'CREATE INDEX CONCURRENTLY on a partitioned table',
  defaultLevel: 'error',
  preset: 'recommended',
  shapes: [],
  docs: { problem: 'TODO', safeAlternative: 'TODO', whenFine: 'TODO' },
  examples: { bad: [], good: [] },
});
