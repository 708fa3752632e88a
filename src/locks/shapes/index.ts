import type { LockShape } from '../shape.js';
import { columnShapes } from './columns.js';
import { constraintShapes } from './constraints.js';
import { indexShapes } from './indexes.js';
import { maintenanceShapes } from './maintenance.js';
import { otherShapes } from './other.js';
import { partitionShapes } from './partitions.js';
import { tableOptionShapes } from './table-options.js';
import { tableShapes } from './tables.js';
import { typeShapes } from './types.js';

/** Every statement shape pgwarden knows the locks of, verified on a real server by test/locks. */
export const ALL_SHAPES: readonly LockShape[] = [
  ...columnShapes,
  ...constraintShapes,
  ...tableOptionShapes,
  ...partitionShapes,
  ...indexShapes,
  ...tableShapes,
  ...maintenanceShapes,
  ...typeShapes,
  ...otherShapes,
];
