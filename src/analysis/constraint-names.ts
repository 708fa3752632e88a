/** The names PostgreSQL gives constraints and their indexes when the SQL names none. */
import { stringList } from './names.js';
import { columnsIn } from './schema-model.js';

/**
 * The name PostgreSQL gives an unnamed CHECK or FOREIGN KEY table constraint
 * (`orders_amount_check`, `orders_check`, `orders_user_id_fkey`), when it fits in 63 bytes
 * (longer names are truncated, and a taken name gets a number: not predicted here).
 */
export function defaultConstraintName(table: string, con: any): string | undefined {
  let name: string | undefined;
  if (con?.contype === 'CONSTR_FOREIGN') {
    const columns = stringList(con.fk_attrs);
    if (columns.length > 0) name = `${table}_${columns.join('_')}_fkey`;
  } else if (con?.contype === 'CONSTR_CHECK') {
    const columns = columnsIn(con.raw_expr);
    name = columns.length === 1 ? `${table}_${columns[0]}_check` : `${table}_check`;
  }
  return name !== undefined && Buffer.byteLength(name) <= 63 ? name : undefined;
}
