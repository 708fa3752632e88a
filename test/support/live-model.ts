/** A schema model as loaded from a live database, with one table `public.<name>` (id column), for lint tests. */
import { SchemaModel, type TableFacts } from '../../src/analysis/schema-model.js';

export function liveModel(name: string, facts: Partial<TableFacts> = {}): SchemaModel {
  const model = new SchemaModel();
  model.live = true;
  model.addTable({
    key: `public.${name}`,
    schema: 'public',
    name,
    kind: 'table',
    origin: { kind: 'live' },
    persistence: 'permanent',
    populated: true,
    columns: new Map([['id', { name: 'id', type: undefined, notNull: true }]]),
    constraints: [],
    partitionOf: undefined,
    partitionKey: [],
    rowEstimate: undefined,
    totalBytes: 8192,
    ...facts,
  });
  return model;
}
