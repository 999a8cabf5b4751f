/**
 * What the catalogue says about a column: read at generation time (`--database-url`) to learn its type,
 * its indexes and its constraints, and at migration time by guards that refuse when the column has
 * an index or constraint the plan does not know.
 *
 * An index depends on a column when the column is a key column, an INCLUDE column, or appears in its
 * expressions or its predicate: PostgreSQL records each of these as an automatic dependency of the
 * index on the column in pg_depend (that is how DROP COLUMN finds the indexes to drop with it; seen
 * on PostgreSQL 15 for all four kinds). An index that backs a PRIMARY KEY, UNIQUE or EXCLUDE
 * constraint depends on the constraint instead, and the constraint's conkey lists the columns.
 */
import { quoteLiteral } from '../../sql/ident.js';
import { qualified, regclass, type TableRef } from './table.js';

/** The table's oid, resolved by the search_path of the connection (as a migration would). */
export function tableOidSql(t: TableRef): string {
  const oid = `to_regclass(${quoteLiteral(qualified(t))})`;
  return `SELECT ${oid}::oid AS oid, (SELECT c.relkind = 'p' FROM pg_class c WHERE c.oid = ${oid}) AS partitioned`;
}

/**
 * One row about `column` of the table with this oid: its type, NOT NULL, default, and as JSON the
 * indexes and CHECK / FOREIGN KEY constraints that depend on it and the foreign keys of other tables
 * that reference it. Run with an empty search_path, so every name in a definition is qualified the
 * way pg_dump does it and the definitions mean the same under any search_path.
 */
export function columnFactsSql(oid: number, column: string): string {
  const T = `${oid}::oid`;
  return [
    'WITH a AS (',
    `  SELECT attnum, format_type(atttypid, atttypmod) AS type, attnotnull FROM pg_catalog.pg_attribute`,
    `  WHERE attrelid = ${T} AND attname = ${quoteLiteral(column)} AND NOT attisdropped AND attnum > 0`,
    ')',
    'SELECT a.type, a.attnotnull AS not_null,',
    `  (SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid) FROM pg_catalog.pg_attrdef d WHERE d.adrelid = ${T} AND d.adnum = a.attnum) AS "default",`,
    "  (SELECT coalesce(json_agg(json_build_object('name', c.relname, 'def', pg_catalog.pg_get_indexdef(i.indexrelid), 'valid', i.indisvalid,",
    "          'constraint', con.conname, 'contype', con.contype) ORDER BY c.relname), '[]')",
    '     FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid',
    "     LEFT JOIN pg_catalog.pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x')",
    `    WHERE i.indrelid = ${T} AND (a.attnum = ANY (con.conkey) OR EXISTS (SELECT 1 FROM pg_catalog.pg_depend d`,
    `      WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = i.indexrelid AND d.refobjid = ${T} AND d.refobjsubid = a.attnum))) AS indexes,`,
    "  (SELECT coalesce(json_agg(json_build_object('name', conname, 'type', contype, 'def', pg_catalog.pg_get_constraintdef(oid), 'validated', convalidated)",
    "          ORDER BY conname), '[]')",
    `     FROM pg_catalog.pg_constraint WHERE conrelid = ${T} AND contype IN ('c', 'f') AND a.attnum = ANY (conkey)) AS constraints,`,
    "  (SELECT coalesce(json_agg(json_build_object('table', conrelid::pg_catalog.regclass::text, 'name', conname, 'def', pg_catalog.pg_get_constraintdef(c.oid),",
    "          'columns', (SELECT json_agg(json_build_object('name', ra.attname, 'type', pg_catalog.format_type(ra.atttypid, ra.atttypmod)) ORDER BY k.i)",
    '            FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, i) JOIN pg_catalog.pg_attribute ra ON ra.attrelid = c.conrelid AND ra.attnum = k.attnum))',
    "          ORDER BY conrelid::pg_catalog.regclass::text, conname), '[]')",
    `     FROM pg_catalog.pg_constraint c WHERE contype = 'f' AND confrelid = ${T} AND a.attnum = ANY (confkey)) AS referenced_by`,
    'FROM a',
  ].join('\n');
}

/**
 * Names of everything that depends on the column whose attnum is `attnum` (a PL/pgSQL variable) at
 * run time, one per row (`n`): its indexes, its CHECK, FOREIGN KEY, UNIQUE, PRIMARY KEY and EXCLUDE
 * constraints, and `table.constraint` for the foreign keys of other tables that reference it.
 */
export function dependentsOfColumnSql(t: TableRef, attnum: string, references = true): string {
  const T = regclass(t);
  return [
    `SELECT c.relname::text AS n FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid`,
    `  WHERE i.indrelid = ${T} AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass`,
    `    AND d.objid = i.indexrelid AND d.refobjid = ${T} AND d.refobjsubid = ${attnum})`,
    `UNION ALL SELECT conname::text FROM pg_constraint WHERE conrelid = ${T} AND ${attnum} = ANY (conkey)`,
    ...(references
      ? [
          `UNION ALL SELECT conrelid::regclass::text || '.' || conname FROM pg_constraint`,
          `  WHERE contype = 'f' AND confrelid = ${T} AND conrelid <> ${T} AND ${attnum} = ANY (confkey)`,
        ]
      : []),
  ].join('\n');
}

/** The attnum of a column, for PL/pgSQL (`SELECT ... INTO`). */
export function attnumSql(t: TableRef, column: string): string {
  return `SELECT attnum FROM pg_attribute WHERE attrelid = ${regclass(t)} AND attname = ${quoteLiteral(column)} AND NOT attisdropped`;
}
