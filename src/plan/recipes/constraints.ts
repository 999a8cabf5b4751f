/**
 * Constraints without a long exclusive lock: added NOT VALID (new writes only, no scan under the
 * lock), then VALIDATE in a transaction of its own (SHARE UPDATE EXCLUSIVE: reads and writes go on).
 * NOT NULL goes the same way, through a CHECK that SET NOT NULL then trusts (PostgreSQL 12+).
 */
import { objectName, quoteIdent, quoteLiteral, slug } from '../../sql/ident.js';
import type { Migration, Statement } from '../types.js';
import { doIf } from './plpgsql.js';
import { qualified, regclass, type TableRef } from './table.js';

export function constraintExistsSql(t: TableRef, name: string): string {
  return `EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = ${regclass(t)} AND conname = ${quoteLiteral(name)})`;
}

export function notNullConstraintName(t: TableRef, column: string): string {
  return objectName(t.name, column, 'not_null');
}

export function addNotNullCheck(t: TableRef, column: string): Statement {
  return {
    sql:
      `ALTER TABLE ${qualified(t)} ADD CONSTRAINT ${quoteIdent(notNullConstraintName(t, column))} ` +
      `CHECK (${quoteIdent(column)} IS NOT NULL) NOT VALID;`,
    lock: 'ACCESS EXCLUSIVE',
    comment: 'NOT VALID: checks new writes only, so no scan happens under the exclusive lock.',
  };
}

export function dropNotNullCheck(t: TableRef, column: string): Statement {
  return {
    sql: `ALTER TABLE ${qualified(t)} DROP CONSTRAINT IF EXISTS ${quoteIdent(notNullConstraintName(t, column))};`,
    lock: 'ACCESS EXCLUSIVE',
    comment: 'Remove the NOT NULL check constraint.',
  };
}

export function validateNotNullCheck(t: TableRef, column: string): Statement {
  return {
    sql: `ALTER TABLE ${qualified(t)} VALIDATE CONSTRAINT ${quoteIdent(notNullConstraintName(t, column))};`,
    lock: 'SHARE UPDATE EXCLUSIVE',
    long: true,
    comment: 'Scans the table under SHARE UPDATE EXCLUSIVE: reads and writes go on meanwhile.',
  };
}

export function setNotNullFromCheck(t: TableRef, column: string): Statement[] {
  return [
    {
      sql: `ALTER TABLE ${qualified(t)} ALTER COLUMN ${quoteIdent(column)} SET NOT NULL;`,
      lock: 'ACCESS EXCLUSIVE',
      comment: 'No scan: PostgreSQL 12+ proves NOT NULL from the validated check constraint.',
    },
    dropNotNullCheck(t, column),
  ];
}

export function unsetNotNullToCheck(t: TableRef, column: string): Statement[] {
  return [
    {
      sql: `ALTER TABLE ${qualified(t)} ALTER COLUMN ${quoteIdent(column)} DROP NOT NULL;`,
      lock: 'ACCESS EXCLUSIVE',
      comment: 'Back to nullable, guarded by the check constraint again.',
    },
    addNotNullCheck(t, column),
  ];
}

/** The statements of `steps` as one, run only when the NOT NULL check of `column` exists at run time. */
export function ifNotNullCheckExists(t: TableRef, column: string, steps: Statement[], o: Omit<Statement, 'sql'>): Statement {
  return { sql: doIf(constraintExistsSql(t, notNullConstraintName(t, column)), steps.map((x) => x.sql).join('\n')), ...o };
}

/**
 * The three migrations of the NOT NULL recipe, each its own transaction. `guardFirst` goes before the
 * check: a NOT VALID check still refuses every UPDATE of a row that violates it, even one that never
 * touches the column, so it must not arrive while rows still wait for their value.
 */
export function notNullMigrations(t: TableRef, column: string, guardFirst?: Statement): Migration[] {
  const base = `${t.name} ${column}`;
  return [
    {
      name: slug(`add ${base} not null check`),
      transaction: 'transaction',
      up: [...(guardFirst ? [guardFirst] : []), addNotNullCheck(t, column)],
      down: [dropNotNullCheck(t, column)],
    },
    {
      name: slug(`validate ${base} not null check`),
      transaction: 'transaction',
      up: [validateNotNullCheck(t, column)],
      down: [],
      downNote: 'validation changes no data and no definition.',
    },
    {
      name: slug(`set ${base} not null`),
      transaction: 'transaction',
      up: setNotNullFromCheck(t, column),
      down: unsetNotNullToCheck(t, column),
    },
  ];
}

// -------------------------------------------------------------------------------------------------
// Foreign keys
//
// Established on PostgreSQL 15.18 with pg_locks, read from another session while the migration's
// transaction was still open (test/integration/add-foreign-key-failures.test.ts repeats it, with what a
// second session can and cannot do meanwhile):
//   ADD CONSTRAINT ... FOREIGN KEY ... NOT VALID   SHARE ROW EXCLUSIVE on the referencing AND the
//                                                  referenced table (it creates triggers on both), no scan;
//   VALIDATE CONSTRAINT                            SHARE UPDATE EXCLUSIVE on the referencing table, ROW SHARE
//                                                  on the referenced one: inserts, updates and deletes on both
//                                                  go on during the scan;
//   ADD CONSTRAINT ... FOREIGN KEY (validated)     SHARE ROW EXCLUSIVE on both, held through the scan;
//   DROP CONSTRAINT (a foreign key)                ACCESS EXCLUSIVE on both tables (it drops their triggers).
// A self-reference takes the same modes on its one table.

export const ON_DELETE_ACTIONS = ['no action', 'restrict', 'cascade', 'set null', 'set default'] as const;
export type OnDelete = (typeof ON_DELETE_ACTIONS)[number];

export interface ForeignKeySpec {
  name: string;
  columns: string[];
  references: TableRef;
  refColumns: string[];
  /** NO ACTION (PostgreSQL's default) when absent. */
  onDelete?: OnDelete;
}

export function foreignKeyName(t: TableRef, columns: string[]): string {
  return objectName(t.name, ...columns, 'fkey');
}

const cols = (c: string[]) => c.map(quoteIdent).join(', ');

function foreignKeyDefinition(fk: ForeignKeySpec): string {
  const onDelete = fk.onDelete && fk.onDelete !== 'no action' ? ` ON DELETE ${fk.onDelete.toUpperCase()}` : '';
  return `FOREIGN KEY (${cols(fk.columns)}) REFERENCES ${qualified(fk.references)} (${cols(fk.refColumns)})${onDelete}`;
}

/** One row, `convalidated`, when the constraint exists on the table; no row when it does not. */
export function constraintValidatedSql(t: TableRef, name: string): string {
  return `SELECT convalidated FROM pg_constraint WHERE conrelid = ${regclass(t)} AND conname = ${quoteLiteral(name)}`;
}

/** 1 when the constraint exists on the table, 0 when it does not. */
export function constraintCountSql(t: TableRef, name: string): string {
  return `SELECT count(*) FROM pg_constraint WHERE conrelid = ${regclass(t)} AND conname = ${quoteLiteral(name)}`;
}

/**
 * Rows whose key matches no referenced row: what VALIDATE refuses. MATCH SIMPLE (the default) skips
 * a row as soon as one of its referencing columns is NULL.
 */
export function orphansSql(t: TableRef, fk: ForeignKeySpec): string {
  const match = fk.columns.map((c, k) => `p.${quoteIdent(fk.refColumns[k])} = c.${quoteIdent(c)}`).join(' AND ');
  const notNull = fk.columns.map((c) => `c.${quoteIdent(c)} IS NOT NULL`).join(' AND ');
  return `SELECT count(*) FROM ${qualified(t)} AS c WHERE ${notNull} AND NOT EXISTS (SELECT 1 FROM ${qualified(fk.references)} AS p WHERE ${match})`;
}

export function addForeignKeyNotValid(t: TableRef, fk: ForeignKeySpec, comment?: string): Statement {
  const other = qualified(fk.references) === qualified(t) ? '' : ` and on ${qualified(fk.references)}`;
  return {
    sql: `ALTER TABLE ${qualified(t)} ADD CONSTRAINT ${quoteIdent(fk.name)} ${foreignKeyDefinition(fk)} NOT VALID;`,
    lock: 'SHARE ROW EXCLUSIVE',
    comment:
      comment ??
      `SHARE ROW EXCLUSIVE on ${qualified(t)}${other} (writes wait), only for a catalog change: NOT VALID skips the scan, and new writes are checked from now on.`,
  };
}

export function validateConstraint(t: TableRef, fk: ForeignKeySpec): Statement {
  const other = qualified(fk.references) === qualified(t) ? '' : `, ROW SHARE on ${qualified(fk.references)}`;
  return {
    sql: `ALTER TABLE ${qualified(t)} VALIDATE CONSTRAINT ${quoteIdent(fk.name)};`,
    lock: 'SHARE UPDATE EXCLUSIVE',
    long: true,
    comment: `Scans for rows that reference nothing under SHARE UPDATE EXCLUSIVE${other}: reads and writes go on.`,
  };
}

export function dropForeignKey(t: TableRef, fk: ForeignKeySpec, comment?: string): Statement {
  const on = qualified(fk.references) === qualified(t) ? qualified(t) : `${qualified(t)} and ${qualified(fk.references)}`;
  return {
    sql: `ALTER TABLE ${qualified(t)} DROP CONSTRAINT IF EXISTS ${quoteIdent(fk.name)};`,
    lock: 'ACCESS EXCLUSIVE',
    comment: comment ?? `Brief ACCESS EXCLUSIVE on ${on} (it drops the constraint's triggers); no scan.`,
  };
}
