/**
 * The opening of the restore transaction. The archive's own script (pg_restore --single-transaction
 * -f -) follows it in the same transaction, so the database is either entirely the backup or
 * entirely as it was. Everything the archive recreates is dropped first — extensions, other
 * schemas, publications, event triggers, large objects, and the public schema, which is recreated
 * at once with its owner, privileges and comment (pg_dump leaves it out of archives) — so objects
 * created after the backup do not survive next to the restored ones.
 */
export function restorePreamble(lockTimeoutMs: number): string {
  return `BEGIN;
SET LOCAL lock_timeout = ${Math.max(0, Math.round(lockTimeoutMs))};
SET LOCAL client_min_messages = warning;
DO $pgwarden_restore$
DECLARE
  r record;
  g record;
BEGIN
  FOR r IN SELECT extname FROM pg_extension WHERE extname <> 'plpgsql' LOOP
    EXECUTE format('DROP EXTENSION IF EXISTS %I CASCADE', r.extname);
  END LOOP;
  FOR r IN SELECT pubname FROM pg_publication LOOP
    EXECUTE format('DROP PUBLICATION %I', r.pubname);
  END LOOP;
  FOR r IN SELECT evtname FROM pg_event_trigger LOOP
    EXECUTE format('DROP EVENT TRIGGER %I', r.evtname);
  END LOOP;
  FOR r IN SELECT nspname FROM pg_namespace
            WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'public')
              AND nspname NOT LIKE 'pg\\_toast%' AND nspname NOT LIKE 'pg\\_temp\\_%' LOOP
    EXECUTE format('DROP SCHEMA %I CASCADE', r.nspname);
  END LOOP;
  SELECT pg_get_userbyid(nspowner) AS owner, nspacl AS acl, obj_description(oid, 'pg_namespace') AS comment
    INTO r FROM pg_namespace WHERE nspname = 'public';
  IF FOUND THEN
    DROP SCHEMA public CASCADE;
    EXECUTE format('CREATE SCHEMA public AUTHORIZATION %I', r.owner);
    FOR g IN SELECT a.grantee, a.privilege_type, a.is_grantable FROM aclexplode(r.acl) a LOOP
      EXECUTE format('GRANT %s ON SCHEMA public TO %s%s', g.privilege_type,
                     CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(g.grantee)) END,
                     CASE WHEN g.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
    END LOOP;
    IF r.comment IS NOT NULL THEN
      EXECUTE format('COMMENT ON SCHEMA public IS %L', r.comment);
    END IF;
  END IF;
  PERFORM lo_unlink(oid) FROM pg_largeobject_metadata;
END
$pgwarden_restore$;
`;
}

/** psql's complaint about the archive's own BEGIN inside ours: expected, not worth showing. */
export const NESTED_BEGIN_WARNING = 'there is already a transaction in progress';

/** Sequences owned by a column (serial, identity) whose next value would collide with a row. */
export const SEQUENCES_SQL = `
  SELECT format('%I.%I', sn.nspname, s.relname) AS sequence,
         format('%I.%I', tn.nspname, t.relname) AS "table",
         quote_ident(a.attname) AS "column"
    FROM pg_depend d
    JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
    JOIN pg_namespace sn ON sn.oid = s.relnamespace
    JOIN pg_class t ON t.oid = d.refobjid AND t.relkind IN ('r', 'p')
    JOIN pg_namespace tn ON tn.oid = t.relnamespace
    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
   WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
     AND d.deptype IN ('a', 'i')
     AND sn.nspname NOT IN ('pg_catalog', 'information_schema')
   ORDER BY 1`;
