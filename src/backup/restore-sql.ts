/**
 * SQL the restore runs next to the archive's script: what psql says about nested BEGINs, and the
 * post-check of sequences. (The SQL that empties the database first is db/empty-database.ts.)
 */
/** psql's complaint about the archive's own BEGIN inside ours: expected, not worth showing. */
export const NESTED_BEGIN_WARNING = 'there is already a transaction in progress';

/** Sequences owned by a column (serial, identity) whose next value would collide with a row. */
export const SEQUENCES_SQL = `
  SELECT sn.nspname AS sequence_schema, s.relname AS sequence_name,
         tn.nspname AS table_schema, t.relname AS table_name, a.attname AS "column"
    FROM pg_depend d
    JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
    JOIN pg_namespace sn ON sn.oid = s.relnamespace
    JOIN pg_class t ON t.oid = d.refobjid AND t.relkind IN ('r', 'p')
    JOIN pg_namespace tn ON tn.oid = t.relnamespace
    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
   WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
     AND d.deptype IN ('a', 'i')
     AND sn.nspname NOT IN ('pg_catalog', 'information_schema')
   ORDER BY 1, 2`;
