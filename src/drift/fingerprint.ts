/**
 * `schemaFingerprint`: the catalog model `drift` compares (src/drift/catalog.ts), hashed. Two
 * databases with the same schema have the same fingerprint; any change drift would report (a
 * column, a default, an index made INVALID, a constraint left NOT VALID…) changes it. Deploy stores
 * it after each deploy and compares it in the next preflight, without a scratch database.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { compareText, readCatalogModel } from './catalog.js';
import type { CatalogModel } from './model.js';

/** `sha256:<hex>` of the catalog model's JSON; `exclude` as for `readCatalog` (the history tables). */
export async function schemaFingerprint(client: pg.Client, exclude: readonly string[] = []): Promise<string> {
  return fingerprintOf(await readCatalogModel(client, { exclude }));
}

/**
 * The fingerprint of a model already read (drift reads the live model once for both). Columns are
 * hashed in name order: drift compares them by name, so a column dropped and added again (now
 * last) is no drift, and must not change the fingerprint either.
 */
export function fingerprintOf(model: CatalogModel): string {
  const normalised: CatalogModel = {
    ...model,
    tables: model.tables.map((t) => ({
      ...t,
      columns: [...t.columns].sort((a, b) => compareText(a.name, b.name)),
    })),
  };
  return `sha256:${createHash('sha256').update(JSON.stringify(normalised)).digest('hex')}`;
}
