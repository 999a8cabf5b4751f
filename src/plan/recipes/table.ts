/** How a table and the objects in its schema are named in SQL and in messages. */
import { quoteIdent, quoteLiteral } from '../../sql/ident.js';

export interface TableRef {
  schema?: string;
  name: string;
}

/** A copy of the reference (for a statement's structured form, which must not alias the caller's). */
export function tableOf(t: TableRef): TableRef {
  return t.schema ? { schema: t.schema, name: t.name } : { name: t.name };
}

/** `users` or `"billing"."Order"`: the table as SQL. */
export function qualified(t: TableRef): string {
  return t.schema ? `${quoteIdent(t.schema)}.${quoteIdent(t.name)}` : quoteIdent(t.name);
}

/** `'users'::regclass`: resolves the table by search_path at run time, as the migration does. */
export function regclass(t: TableRef): string {
  return `${quoteLiteral(qualified(t))}::regclass`;
}

/** The label a person reads: `users` or `billing.Order`. */
export function label(t: TableRef): string {
  return t.schema ? `${t.schema}.${t.name}` : t.name;
}

/** A name for an object that lives in the table's schema (functions, indexes). */
export function inSchema(t: TableRef, name: string): string {
  return t.schema ? `${quoteIdent(t.schema)}.${quoteIdent(name)}` : quoteIdent(name);
}

/** The table's schema as a SQL expression: the named one, or the first of the search_path. */
export function schemaExpr(t: TableRef): string {
  return t.schema ? quoteLiteral(t.schema) : 'current_schema()';
}
