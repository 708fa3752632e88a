import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LiveFacts, loadLiveFacts } from '../../src/analysis/live-catalog.js';
import { formatType } from '../../src/analysis/types.js';
import { loadParser } from '../../src/sql/parser.js';
import { useTestDatabase } from '../support/database.js';

const db = useTestDatabase();
let facts: LiveFacts;
let client: pg.Client;

beforeAll(async () => {
  await loadParser();
  await db.query(`
    CREATE SCHEMA billing;
    CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
    CREATE TABLE orgs (id bigint PRIMARY KEY);
    CREATE TABLE billing.invoices (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      org_id bigint NOT NULL REFERENCES orgs (id),
      code varchar(12), amount numeric(12,2), at timestamptz(3), tags text[], m mood,
      CONSTRAINT code_present CHECK (code IS NOT NULL)
    );
    ALTER TABLE billing.invoices ADD CONSTRAINT amount_positive CHECK (amount > 0) NOT VALID;
    CREATE UNIQUE INDEX invoices_code_key ON billing.invoices (code);
    CREATE TABLE events (k int NOT NULL, v int) PARTITION BY RANGE (k);
    CREATE TABLE events_1 PARTITION OF events FOR VALUES FROM (0) TO (100);
    CREATE FUNCTION billing.next_code() RETURNS text LANGUAGE sql VOLATILE AS 'SELECT 1::text';
  `);
  client = await db.connect();
  facts = await loadLiveFacts(client);
});

afterAll(async () => {
  await client.end();
});

describe('loadLiveFacts', () => {
  it('reads the server version and search path', () => {
    expect(facts.pgMajor).toBe(15);
    expect(facts.serverVersionNum).toBeGreaterThanOrEqual(150000);
    expect(facts.model.defaultSchema).toBe('public');
  });

  it('reads column types with their typmods', () => {
    const invoices = facts.model.tables.get('billing.invoices')!;
    const types = Object.fromEntries(
      [...invoices.columns].map(([name, c]) => [name, c.type && formatType(c.type)]),
    );
    expect(types).toEqual({
      id: 'bigint',
      org_id: 'bigint',
      code: 'varchar(12)',
      amount: 'numeric(12,2)',
      at: 'timestamptz(3)',
      tags: 'text[]',
      m: 'public.mood',
    });
    expect(invoices.columns.get('org_id')!.notNull).toBe(true);
    expect(invoices.columns.get('code')!.notNull).toBe(false);
  });

  it('reads constraints: validation, columns, NOT NULL proofs and foreign keys', () => {
    const invoices = facts.model.tables.get('billing.invoices')!;
    const byName = Object.fromEntries(invoices.constraints.map((c) => [c.name, c]));
    expect(byName.code_present).toMatchObject({
      kind: 'check',
      validated: true,
      columns: ['code'],
      provesNotNull: 'code',
    });
    expect(byName.amount_positive).toMatchObject({
      kind: 'check',
      validated: false,
      provesNotNull: undefined,
    });
    expect(byName.invoices_org_id_fkey).toMatchObject({
      kind: 'foreign-key',
      references: 'public.orgs',
      columns: ['org_id'],
    });
    expect(byName.invoices_pkey).toMatchObject({
      kind: 'primary-key',
      index: 'invoices_pkey',
      columns: ['id'],
    });
  });

  it('reads indexes, partitions, enums and user function volatility', () => {
    expect(facts.model.indexes.get('billing.invoices_code_key')).toMatchObject({
      table: 'billing.invoices',
      columns: ['code'],
      unique: true,
      valid: true,
    });
    expect(facts.model.tables.get('public.events')).toMatchObject({
      kind: 'partitioned',
      partitionKey: ['k'],
    });
    expect(facts.model.tables.get('public.events_1')).toMatchObject({ partitionOf: 'public.events' });
    expect(facts.model.enums.get('public.mood')?.values).toEqual(['sad', 'ok', 'happy']);
    expect(facts.model.functions.get('billing.next_code')).toBe('volatile');
  });

  it('resolves unqualified names through the search path, then any schema', () => {
    expect(facts.model.table({ schema: undefined, name: 'orgs' })?.key).toBe('public.orgs');
    expect(facts.model.table({ schema: undefined, name: 'invoices' })?.key).toBe('billing.invoices');
    expect(facts.model.table({ schema: 'public', name: 'invoices' })).toBeUndefined();
  });
});
