/**
 * Differences of views (and materialized views), functions, triggers and row security policies.
 */
import { displayQualified } from '../../sql/quote.js';
import type { FunctionModel, PolicyModel, TriggerModel, ViewModel } from '../model.js';
import * as sql from '../sql.js';
import { onTable } from './constraints-and-indexes.js';
import { type Add, type DiffContext, EXTRA, MISSING, PHASE, pair, tableKey, viewText } from './context.js';

export function diffViews({ expected, live }: DiffContext, add: Add): void {
  const { missing, extra, both } = pair(expected.views, live.views, (v) => tableKey(v.schema, v.name));
  const object = (v: ViewModel) => displayQualified(v.schema, v.name);
  for (const v of missing) {
    add(PHASE.view, {
      kind: 'view',
      object: object(v),
      change: 'missing',
      detail: MISSING,
      expected: viewText(v),
      sql: sql.createViewSql(v, false),
    });
  }
  for (const [e, l] of both) {
    if (viewText(e) === viewText(l)) continue;
    // a materialized view has no CREATE OR REPLACE: it is made anew (and filled)
    const recreate = e.materialized || l.materialized;
    add(PHASE.view, {
      kind: 'view',
      object: object(e),
      change: 'different',
      detail: e.materialized !== l.materialized ? 'kind differs' : 'definition differs',
      expected: viewText(e),
      live: viewText(l),
      sql: recreate
        ? `${sql.dropViewSql(l, true)}\n${sql.createViewSql(e, false)}`
        : sql.createViewSql(e, true),
    });
  }
  for (const v of extra) {
    add(PHASE.dropView, {
      kind: 'view',
      object: object(v),
      change: 'extra',
      detail: EXTRA,
      live: viewText(v),
      sql: sql.dropViewSql(v),
    });
  }
}

export function diffFunctions({ expected, live }: DiffContext, add: Add): void {
  const key = (f: FunctionModel) => `${f.schema}\0${f.name}\0${f.args}`;
  const { missing, extra, both } = pair(expected.functions, live.functions, key);
  const object = (f: FunctionModel) => `${displayQualified(f.schema, f.name)}(${f.args})`;
  for (const f of missing) {
    add(PHASE.function, {
      kind: 'function',
      object: object(f),
      change: 'missing',
      detail: MISSING,
      expected: f.definition,
      sql: sql.functionSql(f),
    });
  }
  for (const [e, l] of both) {
    if (e.definition === l.definition && e.kind === l.kind) continue;
    // CREATE OR REPLACE cannot change the result type or turn a function into a procedure
    const drop = e.kind !== l.kind || (e.result ?? '') !== (l.result ?? '');
    add(PHASE.function, {
      kind: 'function',
      object: object(e),
      change: 'different',
      detail: drop ? 'result type differs' : 'definition differs',
      expected: e.definition,
      live: l.definition,
      sql: drop ? `${sql.dropFunctionSql(l)}\n${sql.functionSql(e)}` : sql.functionSql(e),
    });
  }
  for (const f of extra) {
    add(PHASE.dropFunction, {
      kind: 'function',
      object: object(f),
      change: 'extra',
      detail: EXTRA,
      live: f.definition,
      sql: sql.dropFunctionSql(f),
    });
  }
}

export function diffTriggers(context: DiffContext, add: Add): void {
  // a trigger cloned onto a partition follows its parent's
  const own = (list: TriggerModel[]) => list.filter((t) => !t.inherited);
  const { missing, extra, both } = pair(own(context.expected.triggers), own(context.live.triggers), onTable);
  const object = (t: TriggerModel) => displayQualified(t.schema, t.table, t.name);
  for (const t of missing) {
    add(PHASE.trigger, {
      kind: 'trigger',
      object: object(t),
      change: 'missing',
      detail: MISSING,
      expected: t.definition,
      sql: sql.createTriggerSql(t),
    });
  }
  for (const [e, l] of both) {
    if (e.definition !== l.definition) {
      add(PHASE.trigger, {
        kind: 'trigger',
        object: object(e),
        change: 'different',
        detail: 'definition differs',
        expected: e.definition,
        live: l.definition,
        sql: `${sql.dropTriggerSql(l)}\n${sql.createTriggerSql(e)}`,
      });
    } else if (e.enabled !== l.enabled) {
      add(PHASE.trigger, {
        kind: 'trigger',
        object: object(e),
        change: 'different',
        detail: 'enabled state differs',
        expected: e.enabled,
        live: l.enabled,
        sql: sql.triggerEnabledSql(e),
      });
    }
  }
  for (const t of extra) {
    if (context.extraTable(t.schema, t.table)) continue;
    add(PHASE.dropTrigger, {
      kind: 'trigger',
      object: object(t),
      change: 'extra',
      detail: EXTRA,
      live: t.definition,
      sql: sql.dropTriggerSql(t),
    });
  }
}

export function diffPolicies(context: DiffContext, add: Add): void {
  const { missing, extra, both } = pair(context.expected.policies, context.live.policies, onTable);
  const object = (p: PolicyModel) => displayQualified(p.schema, p.table, p.name);
  for (const p of missing) {
    add(PHASE.policy, {
      kind: 'policy',
      object: object(p),
      change: 'missing',
      detail: MISSING,
      expected: sql.policyStatement(p),
      sql: sql.createPolicySql(p),
    });
  }
  for (const [e, l] of both) {
    if (sql.policyStatement(e) === sql.policyStatement(l)) continue;
    add(PHASE.policy, {
      kind: 'policy',
      object: object(e),
      change: 'different',
      detail: 'definition differs',
      expected: sql.policyStatement(e),
      live: sql.policyStatement(l),
      sql: `${sql.dropPolicySql(l)}\n${sql.createPolicySql(e)}`,
    });
  }
  for (const p of extra) {
    if (context.extraTable(p.schema, p.table)) continue;
    add(PHASE.dropPolicy, {
      kind: 'policy',
      object: object(p),
      change: 'extra',
      detail: EXTRA,
      live: sql.policyStatement(p),
      sql: sql.dropPolicySql(p),
    });
  }
}
