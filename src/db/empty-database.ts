/**
 * The SQL that empties a database, in a transaction it opens (the caller commits, or continues in
 * it): extensions, publications, event triggers, every non-system schema, large objects; the
 * public schema is dropped and recreated at once with its owner, privileges and comment. Restore
 * runs it before the archive's script (so objects created after the backup do not survive); drift
 * runs it on a shadow database it found empty, to leave it empty again.
 */
export function emptyDatabaseSql(lockTimeoutMs: number): string {
  return `BEGIN;\n${emptyDatabaseStatements(lockTimeoutMs)}`;
}

/** The same statements for a transaction the caller has already opened (restore's own session). */
export function emptyDatabaseStatements(lockTimeoutMs: number): string {
  return `SET LOCAL lock_timeout = ${Math.max(0, Math.round(lockTimeoutMs))};
SET LOCAL client_min_messages = warning;
DO $pgwarden_empty$
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
$pgwarden_empty$;
`;
}
