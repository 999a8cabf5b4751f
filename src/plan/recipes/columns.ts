/** Columns: add, drop, defaults, copies of a column's definition, and the catalogue queries about them. */
import { quoteIdent, quoteLiteral } from '../../sql/ident.js';
import type { Statement } from '../types.js';
import { attnumSql } from './catalogue.js';
import { doBlock, doIf } from './plpgsql.js';
import { qualified, regclass, tableOf, type TableRef } from './table.js';

export function columnExistsSql(t: TableRef, column: string): string {
  return (
    `SELECT count(*) FROM pg_attribute WHERE attrelid = ${regclass(t)} ` +
    `AND attname = ${quoteLiteral(column)} AND NOT attisdropped`
  );
}

export function isNotNullSql(t: TableRef, column: string): string {
  return (
    `SELECT attnotnull FROM pg_attribute WHERE attrelid = ${regclass(t)} ` +
    `AND attname = ${quoteLiteral(column)} AND NOT attisdropped`
  );
}

export function addColumn(
  t: TableRef,
  column: string,
  type: string,
  o: { default?: string; notNull?: boolean; comment: string },
): Statement {
  return {
    sql: `ALTER TABLE ${qualified(t)} ADD COLUMN ${quoteIdent(column)} ${type}${o.default ? ` DEFAULT ${o.default}` : ''}${o.notNull ? ' NOT NULL' : ''};`,
    lock: 'ACCESS EXCLUSIVE',
    comment: o.comment,
    does: { helper: 'add_column', table: tableOf(t), column, type, ...(o.default ? { default: o.default } : {}), ...(o.notNull ? { notNull: true } : {}) },
  };
}

/** `type`: the column's type when the caller knows it (the framework's remove then reverses). */
export function dropColumn(t: TableRef, column: string, ifExists = false, comment?: string, type?: string): Statement {
  return {
    sql: `ALTER TABLE ${qualified(t)} DROP COLUMN ${ifExists ? 'IF EXISTS ' : ''}${quoteIdent(column)};`,
    lock: 'ACCESS EXCLUSIVE',
    comment: comment ?? `Drop ${column}: catalog-only, instant once the lock is granted.`,
    does: { helper: 'drop_column', table: tableOf(t), column, ifExists, ...(type ? { type } : {}) },
  };
}

export function setDefault(t: TableRef, column: string, expr: string, comment: string): Statement {
  return {
    sql: `ALTER TABLE ${qualified(t)} ALTER COLUMN ${quoteIdent(column)} SET DEFAULT ${expr};`,
    lock: 'ACCESS EXCLUSIVE',
    comment,
    does: { helper: 'change_default', table: tableOf(t), column, default: expr },
  };
}

export function dropDefault(t: TableRef, column: string, comment: string): Statement {
  return {
    sql: `ALTER TABLE ${qualified(t)} ALTER COLUMN ${quoteIdent(column)} DROP DEFAULT;`,
    lock: 'ACCESS EXCLUSIVE',
    comment,
    does: { helper: 'change_default', table: tableOf(t), column, default: null },
  };
}

export function dropNotNull(t: TableRef, column: string, comment: string): Statement {
  return {
    sql: `ALTER TABLE ${qualified(t)} ALTER COLUMN ${quoteIdent(column)} DROP NOT NULL;`,
    lock: 'ACCESS EXCLUSIVE',
    comment,
    does: { helper: 'set_not_null', table: tableOf(t), column, notNull: false },
  };
}

/** SET NOT NULL only when no row is NULL (it scans under the lock), warning otherwise. */
export function setNotNullUnlessNulls(t: TableRef, column: string, tableLabel: string): Statement {
  const C = quoteIdent(column);
  return {
    sql: doBlock(
      [
        'BEGIN',
        `  IF EXISTS (SELECT 1 FROM ${qualified(t)} WHERE ${C} IS NULL) THEN`,
        `    RAISE WARNING 'column % of % keeps allowing NULL: some rows are NULL', ${quoteLiteral(column)}, ${quoteLiteral(tableLabel)};`,
        '  ELSE',
        `    ALTER TABLE ${qualified(t)} ALTER COLUMN ${C} SET NOT NULL;`,
        '  END IF;',
        'END',
      ].join('\n'),
    ),
    lock: 'ACCESS EXCLUSIVE',
    comment: 'Restores NOT NULL only if no row is NULL (this scans the table under the lock).',
  };
}

/** `SET NOT NULL` on `column` when `like` is NOT NULL at run time. */
export function setNotNullLike(t: TableRef, column: string, like: string, comment: string): Statement {
  return {
    sql: doIf(`(${isNotNullSql(t, like)})`, `ALTER TABLE ${qualified(t)} ALTER COLUMN ${quoteIdent(column)} SET NOT NULL;`),
    lock: 'ACCESS EXCLUSIVE',
    comment,
  };
}

/**
 * Adds `target` with the exact type `source` has when the migration runs (format_type), and, when
 * `notNullCheck` is given and `source` is NOT NULL, the statement that guards new writes.
 */
export function addColumnLike(t: TableRef, source: string, target: string, notNullCheck: Statement | null, comment: string): Statement {
  return {
    sql: doBlock(
      [
        'DECLARE',
        '  col_type text;',
        '  col_not_null boolean;',
        'BEGIN',
        `  SELECT format_type(a.atttypid, a.atttypmod), a.attnotnull FROM pg_attribute a`,
        `    WHERE a.attrelid = ${regclass(t)} AND a.attname = ${quoteLiteral(source)} AND NOT a.attisdropped`,
        '    INTO col_type, col_not_null;',
        '  IF col_type IS NULL THEN',
        `    RAISE EXCEPTION 'column % of table % does not exist', ${quoteLiteral(source)}, ${regclass(t)};`,
        '  END IF;',
        `  EXECUTE format('ALTER TABLE %s ADD COLUMN %I %s', ${regclass(t)}, ${quoteLiteral(target)}, col_type);`,
        ...(notNullCheck ? ['  IF col_not_null THEN', `    ${notNullCheck.sql}`, '  END IF;'] : []),
        'END',
      ].join('\n'),
    ),
    lock: 'ACCESS EXCLUSIVE',
    comment,
  };
}

/** Gives `target` the default `source` has when the migration runs, if any. */
export function copyDefault(t: TableRef, source: string, target: string, comment: string): Statement {
  return {
    sql: doBlock(
      [
        'DECLARE',
        '  col_default text;',
        'BEGIN',
        '  SELECT pg_get_expr(d.adbin, d.adrelid) INTO col_default',
        '  FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum',
        `  WHERE d.adrelid = ${regclass(t)} AND a.attname = ${quoteLiteral(source)};`,
        '  IF col_default IS NOT NULL THEN',
        `    EXECUTE format('ALTER TABLE %s ALTER COLUMN %I SET DEFAULT %s', ${regclass(t)}, ${quoteLiteral(target)}, col_default);`,
        '  END IF;',
        'END',
      ].join('\n'),
    ),
    lock: 'ACCESS EXCLUSIVE',
    comment,
  };
}

/**
 * `source`'s comment (COMMENT ON COLUMN) moved to `target`, read when it runs: a column that replaces
 * another keeps what was written about it. Nothing when `source` has none.
 */
export function moveComment(t: TableRef, source: string, target: string, comment: string): Statement {
  return {
    sql: doBlock(
      [
        'DECLARE',
        `  note text := col_description(${regclass(t)}, (${attnumSql(t, source)}));`,
        'BEGIN',
        '  IF note IS NOT NULL THEN',
        `    EXECUTE format('COMMENT ON COLUMN %s.%I IS %L', ${regclass(t)}, ${quoteLiteral(target)}, note);`,
        `    EXECUTE format('COMMENT ON COLUMN %s.%I IS NULL', ${regclass(t)}, ${quoteLiteral(source)});`,
        '  END IF;',
        'END',
      ].join('\n'),
    ),
    lock: 'SHARE UPDATE EXCLUSIVE',
    comment,
  };
}

/** Every row's `from` copied into `to` in one statement (a rollback path, never a forward step). */
export function copyAllValues(t: TableRef, from: string, to: string, comment: string): Statement {
  return { sql: `UPDATE ${qualified(t)} SET ${quoteIdent(to)} = ${quoteIdent(from)};`, lock: 'ROW EXCLUSIVE', comment };
}

/** true when the two columns agree on NOT NULL. */
export function sameNotNullSql(t: TableRef, a: string, b: string): string {
  return `SELECT (${isNotNullSql(t, a)}) IS NOT DISTINCT FROM (${isNotNullSql(t, b)})`;
}

/** Rows whose two columns differ. */
export function rowsDifferingSql(t: TableRef, a: string, b: string): string {
  return `SELECT count(*) FROM ${qualified(t)} WHERE ${quoteIdent(a)} IS DISTINCT FROM ${quoteIdent(b)}`;
}

/**
 * Adds `shadow` of `type` beside `source`: nullable (with `notNullCheck` when `source` is NOT NULL, to
 * guard new writes), in `source`'s collation when it has a non-default one and the new type takes
 * one, so text compares and sorts as before. An identity column is refused: its sequence cannot follow.
 */
export function addShadowColumn(t: TableRef, source: string, shadow: string, type: string, notNullCheck: Statement, identityMessage: string, comment: string): Statement {
  return {
    sql: doBlock(
      [
        'DECLARE',
        '  src pg_attribute%ROWTYPE;',
        '  col_collate text := \'\';',
        'BEGIN',
        `  SELECT * INTO src FROM pg_attribute WHERE attrelid = ${regclass(t)} AND attname = ${quoteLiteral(source)} AND NOT attisdropped;`,
        '  IF src.attname IS NULL THEN',
        `    RAISE EXCEPTION 'column % of table % does not exist', ${quoteLiteral(source)}, ${regclass(t)};`,
        '  END IF;',
        "  IF src.attidentity <> '' THEN",
        `    RAISE EXCEPTION USING MESSAGE = ${quoteLiteral(identityMessage)}, ERRCODE = 'feature_not_supported';`,
        '  END IF;',
        `  IF src.attcollation NOT IN (0, 100) AND (SELECT typcollation <> 0 FROM pg_type WHERE oid = ${quoteLiteral(type)}::regtype) THEN`,
        "    col_collate := ' COLLATE ' || src.attcollation::regcollation::text;",
        '  END IF;',
        `  EXECUTE format('ALTER TABLE %s ADD COLUMN %I %s%s', ${regclass(t)}, ${quoteLiteral(shadow)}, ${quoteLiteral(type)}, col_collate);`,
        '  IF src.attnotnull THEN',
        `    ${notNullCheck.sql}`,
        '  END IF;',
        'END',
      ].join('\n'),
    ),
    lock: 'ACCESS EXCLUSIVE',
    comment,
  };
}

export function renameColumn(t: TableRef, from: string, to: string, comment: string): Statement {
  return {
    sql: `ALTER TABLE ${qualified(t)} RENAME COLUMN ${quoteIdent(from)} TO ${quoteIdent(to)};`,
    lock: 'ACCESS EXCLUSIVE',
    comment,
    does: { helper: 'rename_column', table: tableOf(t), from, to },
  };
}

/** Every row's `column` set to `expr` (over the row) in one statement: a rollback path, never a forward step. */
export function setAllValues(t: TableRef, column: string, expr: string, comment: string): Statement {
  return { sql: `UPDATE ${qualified(t)} SET ${quoteIdent(column)} = ${expr};`, lock: 'ROW EXCLUSIVE', long: true, comment };
}

/**
 * Sequences owned by `from` (a serial column's) become owned by `to`, so dropping `from` does not
 * drop them; with `retype`, a sequence whose type is one of `retype.from` takes type `retype.as` (its
 * maximum follows when it was the old type's maximum: ALTER SEQUENCE, PostgreSQL docs).
 */
export function moveOwnedSequences(
  t: TableRef,
  from: string,
  to: string,
  o: { retype?: { from: string[]; as: string } | { from: string[]; asTypeOf: 'to' }; comment: string },
): Statement {
  const toType = `(SELECT atttypid FROM pg_attribute WHERE attrelid = ${regclass(t)} AND attname = ${quoteLiteral(to)} AND NOT attisdropped)`;
  const seqType = '(SELECT seqtypid FROM pg_sequence WHERE seqrelid = seq)';
  const inList = (xs: string[]) => `IN (${xs.map((x) => `${quoteLiteral(x)}::regtype`).join(', ')})`;
  const retype = !o.retype
    ? []
    : 'as' in o.retype
      ? [
          `    IF ${seqType} ${inList(o.retype.from)} THEN`,
          `      EXECUTE format('ALTER SEQUENCE %s AS %s', seq, ${quoteLiteral(o.retype.as)});`,
          '    END IF;',
        ]
      : // `to`'s type, when a sequence can have it (a column of another type keeps its sequence's).
        [
          `    IF ${seqType} ${inList(o.retype.from)} AND ${toType} ${inList(['smallint', 'integer', 'bigint'])} THEN`,
          `      EXECUTE format('ALTER SEQUENCE %s AS %s', seq, ${toType}::regtype);`,
          '    END IF;',
        ];
  return {
    sql: doBlock(
      [
        'DECLARE',
        '  seq regclass;',
        'BEGIN',
        '  FOR seq IN',
        "    SELECT d.objid::regclass FROM pg_depend d JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'",
        `    WHERE d.classid = 'pg_class'::regclass AND d.refobjid = ${regclass(t)} AND d.deptype = 'a'`,
        `      AND d.refobjsubid = (${attnumSql(t, from)})`,
        '  LOOP',
        `    EXECUTE format('ALTER SEQUENCE %s OWNED BY %s.%I', seq, ${regclass(t)}, ${quoteLiteral(to)});`,
        ...retype,
        '  END LOOP;',
        'END',
      ].join('\n'),
    ),
    lock: 'ACCESS EXCLUSIVE',
    comment: o.comment,
  };
}

/** The column's type as format_type prints it. */
export function columnTypeSql(t: TableRef, column: string): string {
  return `SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = ${regclass(t)} AND attname = ${quoteLiteral(column)} AND NOT attisdropped`;
}
