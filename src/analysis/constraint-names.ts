/** The names PostgreSQL gives constraints (and their indexes) when the SQL names none. */
import { columnsIn, stringList } from './names.js';

/**
 * The name PostgreSQL chooses for an unnamed constraint of `table` (checked on PostgreSQL 15):
 * `orders_pkey`, `orders_ref_key`, `orders_user_id_fkey`, `orders_amount_check` (one column) or
 * `orders_check`, `orders_at_excl`. `inlineColumns` are the columns of a column constraint.
 * Undefined when the name would not fit in 63 bytes (PostgreSQL then truncates the parts) or the
 * constraint kind is not named this way; a name already taken gets a number, not predicted here.
 */
export function defaultConstraintName(
  table: string,
  con: any,
  inlineColumns: string[] = [],
): string | undefined {
  const keys = (list: any[] | undefined) => {
    const named = stringList(list);
    return named.length > 0 ? named : inlineColumns;
  };
  let name: string | undefined;
  switch (con?.contype) {
    case 'CONSTR_PRIMARY':
      name = `${table}_pkey`;
      break;
    case 'CONSTR_UNIQUE': {
      const columns = keys(con.keys);
      if (columns.length > 0) name = `${table}_${columns.join('_')}_key`;
      break;
    }
    case 'CONSTR_FOREIGN': {
      const columns = keys(con.fk_attrs);
      if (columns.length > 0) name = `${table}_${columns.join('_')}_fkey`;
      break;
    }
    case 'CONSTR_CHECK': {
      const columns = [...new Set([...inlineColumns, ...columnsIn(con.raw_expr)])];
      name = columns.length === 1 ? `${table}_${columns[0]}_check` : `${table}_check`;
      break;
    }
    case 'CONSTR_EXCLUSION': {
      const columns = (con.exclusions ?? [])
        .map((e: any) => e?.List?.items?.[0]?.IndexElem?.name)
        .filter((c: unknown): c is string => typeof c === 'string');
      name = columns.length > 0 ? `${table}_${columns.join('_')}_excl` : `${table}_excl`;
      break;
    }
    default:
      break;
  }
  return name !== undefined && Buffer.byteLength(name) <= 63 ? name : undefined;
}
