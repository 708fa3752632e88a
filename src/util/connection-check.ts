/**
 * Asking the server to notice a dead client quickly. A backend whose client has gone only finds out
 * when it next writes to it: a pg_dump waiting for a lock, or a psql whose statement runs for
 * minutes, keeps its locks (and its transaction) that long. From PostgreSQL 14 on,
 * `client_connection_check_interval` makes the backend check the socket while it works or waits,
 * and end the session within that interval once the client is gone.
 */

/** How often the server checks that a client program is still there. */
export const CONNECTION_CHECK_MS = 1000;

/** PostgreSQL 14: the first version with client_connection_check_interval. */
const SINCE = 140000;

/**
 * The environment for a libpq program (pg_dump, pg_dumpall, pg_restore, psql) with
 * `-c client_connection_check_interval=1000` added to PGOPTIONS when the server knows the setting
 * (older servers refuse unknown startup options). A URL with its own `options=` takes precedence
 * over PGOPTIONS in libpq; then this is simply not used.
 */
export function withConnectionCheck(env: NodeJS.ProcessEnv, serverVersionNum: number): NodeJS.ProcessEnv {
  if (!(serverVersionNum >= SINCE)) return env;
  const option = `-c client_connection_check_interval=${CONNECTION_CHECK_MS}`;
  return { ...env, PGOPTIONS: env.PGOPTIONS ? `${env.PGOPTIONS} ${option}` : option };
}

/**
 * The same for pgwarden's own session (node-postgres): the statement that sets it for the
 * session, or undefined on servers before 14.
 */
export function connectionCheckSql(serverVersionNum: number): string | undefined {
  return serverVersionNum >= SINCE
    ? `SET client_connection_check_interval = ${CONNECTION_CHECK_MS}`
    : undefined;
}
