/** The transaction tracker follows BEGIN/COMMIT, runners and enum values like the server. */
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/analysis/classify.js';
import { SchemaModel } from '../../src/analysis/schema-model.js';
import { RUNNERS } from '../../src/lint/runners.js';
import { TransactionTracker } from '../../src/lint/transaction-tracker.js';
import { parseSqlFile } from '../../src/sql/parse-file.js';
import { loadParser } from '../../src/sql/parser.js';

await loadParser();

/** For each statement: [text, in a transaction?, transaction id]. */
function follow(sql: string, runner: keyof typeof RUNNERS) {
  const file = parseSqlFile({ path: 'm.sql', text: sql });
  const top = file.statements.filter((s) => s.origin === 'file');
  const model = new SchemaModel();
  const tracker = new TransactionTracker(RUNNERS[runner], top.length, false);
  const seen: Array<[string, boolean, number]> = [];
  for (const stmt of file.statements) {
    const effects = classify(stmt, { model, pgMajor: 15 });
    tracker.before(stmt, effects);
    seen.push([stmt.text, tracker.inTransaction, tracker.id]);
    tracker.after(stmt, effects);
  }
  return { seen, tracker };
}

describe('TransactionTracker', () => {
  it('pgwarden runner: one transaction per file, CONCURRENTLY statements alone', () => {
    const { seen } = follow(
      'ALTER TABLE a ADD COLUMN b int;\nCREATE INDEX CONCURRENTLY i ON a (b);\nALTER TABLE a ADD COLUMN c int;',
      'pgwarden',
    );
    expect(seen.map(([, inTx, id]) => [inTx, id])).toEqual([
      [true, 1],
      [false, 1],
      [true, 2],
    ]);
  });

  it('psql runner: autocommit until BEGIN; COMMIT AND CHAIN opens the next transaction at once', () => {
    const { seen } = follow(
      'SELECT 1;\nBEGIN;\nSELECT 2;\nCOMMIT AND CHAIN;\nSELECT 3;\nCOMMIT;\nSELECT 4;',
      'psql',
    );
    expect(seen.map(([text, inTx]) => [text, inTx])).toEqual([
      ['SELECT 1', false],
      ['BEGIN', false],
      ['SELECT 2', true],
      ['COMMIT AND CHAIN', true],
      ['SELECT 3', true],
      ['COMMIT', true],
      ['SELECT 4', false],
    ]);
  });

  it('keeps enum values of different types apart, and DO-block statements in the history', () => {
    const { tracker } = follow(
      "ALTER TYPE mood ADD VALUE 'calm';\nALTER TYPE colour ADD VALUE 'calm';\nDO $$ BEGIN ALTER TABLE a ADD COLUMN z int; END $$;",
      'pgwarden',
    );
    expect([...tracker.enumValuesAdded.values()].map((v) => `${v.type}.${v.value}`)).toEqual([
      'mood.calm',
      'colour.calm',
    ]);
    expect(tracker.history.map((h) => h.stmt.kind)).toEqual([
      'AlterEnumStmt',
      'AlterEnumStmt',
      'DoStmt',
      'AlterTableStmt',
    ]);
  });
});
