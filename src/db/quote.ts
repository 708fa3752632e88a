/** Moved to src/sql/quote.ts, the one quoting module; kept so that old imports resolve. */
export { quoteIdent, quoteLiteral } from '../sql/quote.js';
