/**
 * A deterministic corpus of realistic migration files: table creation, columns, indexes,
 * constraints, backfills, DO blocks and functions, with the hazards and their safe forms mixed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const TEMPLATES = [
  (t, i) =>
    `CREATE TABLE ${t}_${i} (\n  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n  account_id bigint NOT NULL REFERENCES accounts (id),\n  name text NOT NULL,\n  status varchar(20) DEFAULT 'new',\n  payload jsonb,\n  created_at timestamptz NOT NULL DEFAULT now()\n);\nCREATE INDEX ${t}_${i}_account_idx ON ${t}_${i} (account_id);`,
  (t, i) =>
    `ALTER TABLE ${t} ADD COLUMN c${i} integer;\nALTER TABLE ${t} ADD COLUMN d${i} boolean NOT NULL DEFAULT false;`,
  (t, i) => `CREATE INDEX CONCURRENTLY ${t}_c${i}_idx ON ${t} (c${i});`,
  (t, i) => `CREATE INDEX ${t}_e${i}_idx ON ${t} (lower(email)) WHERE deleted_at IS NULL;`,
  (t, i) =>
    `ALTER TABLE ${t} ADD CONSTRAINT ${t}_fk${i} FOREIGN KEY (account_id) REFERENCES accounts (id) NOT VALID;\nALTER TABLE ${t} VALIDATE CONSTRAINT ${t}_fk${i};`,
  (t, i) =>
    `UPDATE ${t} SET status = 'archived' WHERE created_at < now() - interval '1 year' AND id % 100 = ${i % 100};`,
  (t, i) => `ALTER TABLE ${t} ADD COLUMN token${i} uuid DEFAULT gen_random_uuid();`,
  (t) =>
    `ALTER TABLE ${t} ALTER COLUMN amount TYPE numeric(14,2);\nALTER TABLE ${t} ALTER COLUMN name SET NOT NULL;`,
  (t, i) =>
    `-- keep the audit trail\nCREATE OR REPLACE FUNCTION ${t}_touch_${i}() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  NEW.updated_at := now();\n  RETURN NEW;\nEND $$;\nCREATE TRIGGER ${t}_touch_${i} BEFORE UPDATE ON ${t} FOR EACH ROW EXECUTE FUNCTION ${t}_touch_${i}();`,
  (_t, i) =>
    `DO $$\nBEGIN\n  IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'mood_${i}') THEN\n    CREATE TYPE mood_${i} AS ENUM ('sad', 'ok', 'happy');\n  END IF;\nEND $$;`,
  (t, i) => `ALTER TABLE ${t} DROP COLUMN IF EXISTS legacy_${i};\nDROP INDEX IF EXISTS ${t}_old_${i};`,
  (_t, i) =>
    `INSERT INTO settings (key, value) VALUES ('feature_${i}', 'on') ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value;`,
  (t, i) =>
    `ALTER TABLE ${t} ADD CONSTRAINT ${t}_chk${i} CHECK (amount >= 0) NOT VALID;\nCOMMENT ON COLUMN ${t}.amount IS 'in cents';`,
  (t, i) =>
    `CREATE MATERIALIZED VIEW ${t}_daily_${i} AS SELECT date_trunc('day', created_at) AS day, count(*) FROM ${t} GROUP BY 1;\nCREATE UNIQUE INDEX ${t}_daily_${i}_day ON ${t}_daily_${i} (day);`,
];
const TABLES = ['users', 'orders', 'invoices', 'events', 'payments', 'sessions', 'products', 'carts'];

/**
 * Writes `count` migration files into `dir`, each of 1 to `most` templates, and returns their
 * total size in bytes.
 */
export function writeCorpus(dir, count = 2000, seed = 42, most = 4) {
  mkdirSync(dir, { recursive: true });
  const random = rng(seed);
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const parts = [];
    const n = 1 + Math.floor(random() * most);
    for (let k = 0; k < n; k++) {
      const template = TEMPLATES[Math.floor(random() * TEMPLATES.length)];
      const table = TABLES[Math.floor(random() * TABLES.length)];
      parts.push(template(table, i * 10 + k));
    }
    const text = `${parts.join('\n\n')}\n`;
    bytes += Buffer.byteLength(text);
    writeFileSync(join(dir, `${String(i + 1).padStart(5, '0')}_migration_${i + 1}.sql`), text);
  }
  return bytes;
}
