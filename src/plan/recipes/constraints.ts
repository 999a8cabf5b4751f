/**
 * Constraints without a long exclusive lock: added NOT VALID (new writes only, no scan under the
 * lock), then VALIDATE in a transaction of its own (SHARE UPDATE EXCLUSIVE: reads and writes go on).
 * NOT NULL goes the same way, through a CHECK that SET NOT NULL then trusts (PostgreSQL 12+).
 *
 * Settled on PostgreSQL 15 by experiment (pg_stat_get_xact_numscans on the table read around each
 * statement in one transaction, pg_locks for the mode held, client_min_messages = debug1 for the
 * server's own "verifying table" / "existing constraints ... are sufficient to prove that it does not
 * contain nulls" lines):
 *   - ADD CONSTRAINT ... CHECK (...) NOT VALID: ACCESS EXCLUSIVE, no scan;
 *   - ADD CONSTRAINT ... CHECK (...) without NOT VALID: ACCESS EXCLUSIVE and a full scan under it;
 *   - VALIDATE CONSTRAINT: one scan under SHARE UPDATE EXCLUSIVE only. On a violating row it fails
 *     (23514 "is violated by some row") and changes nothing: convalidated stays false and the
 *     constraint keeps checking every write;
 *   - SET NOT NULL: no scan when a validated CHECK (c IS NOT NULL) exists; a NOT VALID one does not
 *     count (it scans under ACCESS EXCLUSIVE, as a bare SET NOT NULL does);
 *   - DROP CONSTRAINT, DROP NOT NULL: ACCESS EXCLUSIVE, no scan;
 *   - a NOT VALID check refuses every UPDATE of a row that violates it (23514), even one that sets
 *     only other columns; DELETE still works; a check whose expression is NULL passes;
 *   - a subquery in a CHECK is refused when the constraint is added (0A000).
 */
import { objectName, quoteIdent, quoteLiteral, slug } from '../../sql/ident.js';
import type { Migration, Statement, Verify } from '../types.js';
import { fill, type Template } from '../../sql/template.js';
import { doBlock, doIf } from './plpgsql.js';
import { attnumSql } from './catalogue.js';
import { qualified, regclass, tableOf, type TableRef } from './table.js';
import { isNotNullSql } from './columns.js';

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
    does: { helper: 'add_check', table: tableOf(t), name: notNullConstraintName(t, column), expression: `${quoteIdent(column)} IS NOT NULL`, validate: false },
  };
}

export function dropNotNullCheck(t: TableRef, column: string): Statement {
  return {
    sql: `ALTER TABLE ${qualified(t)} DROP CONSTRAINT IF EXISTS ${quoteIdent(notNullConstraintName(t, column))};`,
    lock: 'ACCESS EXCLUSIVE',
    comment: 'Remove the NOT NULL check constraint.',
    does: { helper: 'drop_check', table: tableOf(t), name: notNullConstraintName(t, column), ifExists: true, expression: `${quoteIdent(column)} IS NOT NULL` },
  };
}

export function validateNotNullCheck(t: TableRef, column: string): Statement {
  return validateConstraint(t, notNullConstraintName(t, column), undefined, 'check');
}

/** VALIDATE CONSTRAINT: the one scan, under a lock that lets reads and writes go on. */
export function validateConstraint(
  t: TableRef,
  name: string,
  comment = 'Scans the table under SHARE UPDATE EXCLUSIVE: reads and writes go on meanwhile.',
  kind: 'check' | 'foreign_key' | 'other' = 'other',
): Statement {
  return {
    sql: `ALTER TABLE ${qualified(t)} VALIDATE CONSTRAINT ${quoteIdent(name)};`,
    lock: 'SHARE UPDATE EXCLUSIVE',
    long: true,
    comment,
    does: { helper: 'validate_constraint', table: tableOf(t), name, kind },
  };
}

/** A CHECK constraint that checks new writes only: nothing is scanned under the exclusive lock. */
export function addCheckNotValid(t: TableRef, name: string, predicate: string): Statement {
  return {
    sql: `ALTER TABLE ${qualified(t)} ADD CONSTRAINT ${quoteIdent(name)} CHECK (${predicate}) NOT VALID;`,
    lock: 'ACCESS EXCLUSIVE',
    comment: 'NOT VALID: checks new writes only, so no scan happens under the exclusive lock.',
    does: { helper: 'add_check', table: tableOf(t), name, expression: predicate, validate: false },
  };
}

/** `check`: the constraint is a CHECK with this expression (the framework's remove then reverses). */
export function dropConstraint(t: TableRef, name: string, comment: string, check?: { expression: string }): Statement {
  return {
    sql: `ALTER TABLE ${qualified(t)} DROP CONSTRAINT IF EXISTS ${quoteIdent(name)};`,
    lock: 'ACCESS EXCLUSIVE',
    comment,
    ...(check ? { does: { helper: 'drop_check' as const, table: tableOf(t), name, ifExists: true, expression: check.expression } } : {}),
  };
}

/** true once the constraint is validated, false while NOT VALID, no row when it does not exist. */
export function constraintValidatedSql(t: TableRef, name: string): string {
  return `SELECT convalidated FROM pg_constraint WHERE conrelid = ${regclass(t)} AND conname = ${quoteLiteral(name)}`;
}

/**
 * Rows a CHECK would refuse: those where the predicate is false. A NULL result passes a CHECK, so
 * `NOT (...)` (NULL again) leaves those rows out, exactly as VALIDATE does.
 */
export function checkViolationsCountSql(t: TableRef, predicate: string): string {
  return `SELECT count(*) FROM ${qualified(t)} WHERE NOT (${predicate})`;
}

export function checkViolationsSql(t: TableRef, predicate: string, limit: number): string {
  return `SELECT * FROM ${qualified(t)} WHERE NOT (${predicate}) LIMIT ${limit}`;
}

export function setNotNullFromCheck(t: TableRef, column: string): Statement[] {
  return [
    {
      sql: `ALTER TABLE ${qualified(t)} ALTER COLUMN ${quoteIdent(column)} SET NOT NULL;`,
      lock: 'ACCESS EXCLUSIVE',
      comment: 'No scan: PostgreSQL 12+ proves NOT NULL from the validated check constraint.',
      does: { helper: 'set_not_null', table: tableOf(t), column, notNull: true },
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
      does: { helper: 'set_not_null', table: tableOf(t), column, notNull: false },
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

/**
 * A CHECK or FOREIGN KEY constraint from a definition PostgreSQL printed (src/sql/template.ts), written
 * for `column`. NOT VALID: only new writes are checked, so no scan happens under the lock (ACCESS
 * EXCLUSIVE for a CHECK; SHARE ROW EXCLUSIVE on both tables for a foreign key).
 */
export function addConstraintNotValid(t: TableRef, name: string, def: Template, column: string, comment: string): Statement {
  return {
    sql: `ALTER TABLE ${qualified(t)} ADD CONSTRAINT ${quoteIdent(name)} ${fill(def, column)} NOT VALID;`,
    lock: 'ACCESS EXCLUSIVE',
    comment,
  };
}

/** The same, checked against every row now: the scan happens under the lock (rollback paths only). */
export function addConstraintValidated(t: TableRef, name: string, def: Template, column: string, validated: boolean, comment: string): Statement {
  return {
    sql: `ALTER TABLE ${qualified(t)} ADD CONSTRAINT ${quoteIdent(name)} ${fill(def, column)}${validated ? '' : ' NOT VALID'};`,
    lock: 'ACCESS EXCLUSIVE',
    long: validated,
    comment,
  };
}

/** RENAME CONSTRAINT takes ACCESS EXCLUSIVE on the table (PostgreSQL 15, seen in pg_locks); catalog only. */
export function renameConstraint(t: TableRef, from: string, to: string): Statement {
  return {
    sql: `ALTER TABLE ${qualified(t)} RENAME CONSTRAINT ${quoteIdent(from)} TO ${quoteIdent(to)};`,
    lock: 'ACCESS EXCLUSIVE',
    comment: `The constraint takes the name ${to}.`,
  };
}

/** How many of these constraints exist, and are validated when they should be. */
export function constraintsInPlaceVerify(t: TableRef, names: { name: string; validated: boolean }[]): Verify {
  const cond = names.map((n) => `(conname = ${quoteLiteral(n.name)}${n.validated ? ' AND convalidated' : ''})`).join(' OR ');
  return {
    sql: `SELECT count(*) FROM pg_constraint WHERE conrelid = ${regclass(t)} AND (${cond})`,
    expect: `${names.length} (every copied constraint is in place${names.some((n) => n.validated) ? ' and validated' : ''})`,
    expectValue: names.length,
  };
}

/**
 * A unique constraint over an index already built CONCURRENTLY: a catalog change (no scan, the index
 * already proves uniqueness), but under ACCESS EXCLUSIVE, so it runs under lock_timeout.
 * PostgreSQL 15, checked: the constraint takes the index's name when they differ (it renames the
 * index, with a NOTICE); built under the constraint's own name, nothing is renamed. An INVALID index
 * is refused ("index ... is not valid"), as are partial and expression indexes.
 */
export function addUniqueUsingIndex(t: TableRef, name: string): Statement {
  return {
    ...addConstraintUsingIndex(t, name, 'unique', name),
    comment: 'No scan: the valid unique index already proves it. Brief, but ACCESS EXCLUSIVE, hence lock_timeout.',
  };
}

/**
 * PRIMARY KEY or UNIQUE from a unique index built beforehand (CONCURRENTLY): no scan, the index is
 * renamed to the constraint's name. The column must already be NOT NULL for a primary key, or
 * PostgreSQL would set it, scanning under the lock.
 */
export function addConstraintUsingIndex(t: TableRef, name: string, kind: 'primary' | 'unique', index: string): Statement {
  return {
    sql: `ALTER TABLE ${qualified(t)} ADD CONSTRAINT ${quoteIdent(name)} ${kind === 'primary' ? 'PRIMARY KEY' : 'UNIQUE'} USING INDEX ${quoteIdent(index)};`,
    lock: 'ACCESS EXCLUSIVE',
    comment: `${name} again, on the index built for it: no scan (the index is renamed ${name}).`,
  };
}

// Where the definitions of the foreign keys dropped by dropReferencingForeignKeys wait, until
// restoreReferencingForeignKeys re-creates them, in the same transaction.
const REFERENCES = 'migscaffold.references';

function referencingSelect(t: TableRef, column: string): string {
  return (
    `SELECT conrelid::regclass AS rel, conname, pg_get_constraintdef(oid) AS def FROM pg_constraint\n` +
    `    WHERE contype = 'f' AND confrelid = ${regclass(t)}\n` +
    `      AND (${attnumSql(t, column)}) = ANY (confkey)`
  );
}

/**
 * The foreign keys of other tables that reference `column`, found in the catalogue when the migration
 * runs, are dropped (their definitions kept for restoreReferencingForeignKeys): the unique index they
 * depend on is about to go. ACCESS EXCLUSIVE on each referencing table, briefly.
 */
export function dropReferencingForeignKeys(t: TableRef, column: string): Statement {
  return {
    sql: doBlock(
      [
        'DECLARE',
        '  fk record;',
        "  saved jsonb := '[]';",
        'BEGIN',
        '  FOR fk IN',
        `    ${referencingSelect(t, column)}`,
        '  LOOP',
        "    saved := saved || jsonb_build_object('rel', fk.rel::text, 'name', fk.conname, 'def', regexp_replace(fk.def, ' NOT VALID$', ''));",
        "    EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', fk.rel, fk.conname);",
        '  END LOOP;',
        `  PERFORM set_config(${quoteLiteral(REFERENCES)}, saved::text, true);`,
        'END',
      ].join('\n'),
    ),
    lock: 'ACCESS EXCLUSIVE',
    comment: `The foreign keys that reference ${column} (as the catalogue has them now) go for a moment: they depend on its unique index.`,
  };
}

/**
 * The foreign keys dropReferencingForeignKeys dropped, re-created against the column now bearing the
 * name: NOT VALID (no scan of the referencing tables under the lock), or validated at once (`validate`,
 * for rollback paths).
 */
export function restoreReferencingForeignKeys(validate: boolean): Statement {
  return {
    sql: doBlock(
      [
        'DECLARE',
        '  fk jsonb;',
        'BEGIN',
        `  FOR fk IN SELECT * FROM jsonb_array_elements(coalesce(nullif(current_setting(${quoteLiteral(REFERENCES)}, true), ''), '[]')::jsonb) LOOP`,
        `    EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I %s${validate ? '' : ' NOT VALID'}', fk->>'rel', fk->>'name', fk->>'def');`,
        '  END LOOP;',
        'END',
      ].join('\n'),
    ),
    lock: 'SHARE ROW EXCLUSIVE',
    long: validate,
    comment: validate
      ? 'The foreign keys again, checked against every row now (the rollback path).'
      : 'The foreign keys again, NOT VALID: new writes are checked; existing rows are validated by the next migration.',
  };
}

/** VALIDATE every NOT VALID foreign key that references `column` (SHARE UPDATE EXCLUSIVE on each referencing table). */
export function validateReferencingForeignKeys(t: TableRef, column: string): Statement {
  return {
    sql: doBlock(
      [
        'DECLARE',
        '  fk record;',
        'BEGIN',
        '  FOR fk IN',
        `    ${referencingSelect(t, column)} AND NOT convalidated`,
        '  LOOP',
        "    EXECUTE format('ALTER TABLE %s VALIDATE CONSTRAINT %I', fk.rel, fk.conname);",
        '  END LOOP;',
        'END',
      ].join('\n'),
    ),
    lock: 'SHARE UPDATE EXCLUSIVE',
    long: true,
    comment: `Checks the rows of every table that references ${column}: reads and writes go on meanwhile.`,
  };
}

/**
 * The tighten of an expand/contract: the new column `column` gets NOT NULL when `like` (the column it
 * replaces) has it, through the NOT VALID check the expand added: VALIDATE in one migration (after
 * `guardFirst`), SET NOT NULL and the check dropped in the next. Both do nothing when there is no check.
 */
export function carryNotNullMigrations(t: TableRef, column: string, like: string, guardFirst: Statement): Migration[] {
  return [
    {
      name: slug(`validate ${t.name} ${column} not null`),
      transaction: 'transaction',
      up: [
        guardFirst,
        ifNotNullCheckExists(t, column, [validateNotNullCheck(t, column)], {
          lock: 'SHARE UPDATE EXCLUSIVE',
          long: true,
          comment: `If ${like} is NOT NULL: prove ${column} has no NULLs, scanning under SHARE UPDATE EXCLUSIVE (reads and writes go on).`,
        }),
      ],
      down: [],
      downNote: 'validation changes no data and no definition.',
    },
    {
      name: slug(`set ${t.name} ${column} not null`),
      transaction: 'transaction',
      up: [
        ifNotNullCheckExists(t, column, setNotNullFromCheck(t, column), {
          lock: 'ACCESS EXCLUSIVE',
          comment: `If ${like} is NOT NULL: make ${column} NOT NULL without a scan (the validated check proves it), then drop the check.`,
        }),
      ],
      down: [
        {
          sql: doIf(`(${isNotNullSql(t, column)})`, unsetNotNullToCheck(t, column).map((x) => x.sql).join('\n')),
          lock: 'ACCESS EXCLUSIVE',
          comment: `Make ${column} nullable again, guarded by the NOT VALID check.`,
        },
      ],
    },
  ];
}

/**
 * Drops a unique constraint, and with it its index (PostgreSQL 15, checked: DROP CONSTRAINT removes
 * the index it uses, whatever that index was called before; DROP INDEX on it fails while the
 * constraint exists).
 */
export function dropUniqueConstraint(t: TableRef, name: string): Statement {
  return {
    sql: `ALTER TABLE ${qualified(t)} DROP CONSTRAINT IF EXISTS ${quoteIdent(name)};`,
    lock: 'ACCESS EXCLUSIVE',
    comment: 'Drops the constraint and its index with it (catalog-only, instant once the lock is granted).',
  };
}

/** 1 when the table has the unique constraint. */
export function uniqueConstraintVerify(t: TableRef, name: string): Verify {
  return {
    sql: `SELECT count(*) FROM pg_constraint WHERE conrelid = ${regclass(t)} AND conname = ${quoteLiteral(name)} AND contype = 'u'`,
    expect: '1 (the unique constraint exists)',
    expectValue: 1,
  };
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
    does: {
      helper: 'add_foreign_key',
      table: tableOf(t),
      name: fk.name,
      columns: [...fk.columns],
      references: tableOf(fk.references),
      refColumns: [...fk.refColumns],
      ...(fk.onDelete && fk.onDelete !== 'no action' ? { onDelete: fk.onDelete } : {}),
      validate: false,
    },
    comment:
      comment ??
      `SHARE ROW EXCLUSIVE on ${qualified(t)}${other} (writes wait), only for a catalog change: NOT VALID skips the scan, and new writes are checked from now on.`,
  };
}

/** VALIDATE of a foreign key: the referenced table is only read (ROW SHARE). */
export function validateForeignKey(t: TableRef, fk: ForeignKeySpec): Statement {
  const other = qualified(fk.references) === qualified(t) ? '' : `, ROW SHARE on ${qualified(fk.references)}`;
  return validateConstraint(t, fk.name, `Scans for rows that reference nothing under SHARE UPDATE EXCLUSIVE${other}: reads and writes go on.`, 'foreign_key');
}

export function dropForeignKey(t: TableRef, fk: ForeignKeySpec, comment?: string): Statement {
  const on = qualified(fk.references) === qualified(t) ? qualified(t) : `${qualified(t)} and ${qualified(fk.references)}`;
  return {
    sql: `ALTER TABLE ${qualified(t)} DROP CONSTRAINT IF EXISTS ${quoteIdent(fk.name)};`,
    lock: 'ACCESS EXCLUSIVE',
    comment: comment ?? `Brief ACCESS EXCLUSIVE on ${on} (it drops the constraint's triggers); no scan.`,
    does: { helper: 'drop_foreign_key', table: tableOf(t), name: fk.name, ifExists: true, references: tableOf(fk.references) },
  };
}
