/**
 * Indexes built and dropped CONCURRENTLY: no write waits for the build, but the statement cannot run
 * in a transaction, so it stands alone in its migration, and a failed build leaves an INVALID index
 * that must be dropped before trying again.
 */
import { quoteIdent, quoteLiteral, slug } from '../../sql/ident.js';
import type { IndexSpec, Migration, Statement, Verify } from '../types.js';
import { attnumSql } from './catalogue.js';
import { inSchema, qualified, regclass, schemaExpr, tableOf, type TableRef } from './table.js';
import { fill, type Template } from '../../sql/template.js';

export type { IndexSpec } from '../types.js';

function indexRow(t: TableRef, name: string): string {
  return (
    'SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid ' +
    `JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = ${quoteLiteral(name)} AND n.nspname = ${schemaExpr(t)}`
  );
}

/** One row, `true`, when the index exists and is valid. */
export function indexValidVerify(t: TableRef, name: string): Verify {
  return { sql: indexRow(t, name), expect: 'true (the index exists and is valid)', expectValue: true };
}

/** 0 when the index is gone. */
export function indexGoneVerify(t: TableRef, name: string): Verify {
  return {
    sql: `SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = ${quoteLiteral(name)} AND n.nspname = ${schemaExpr(t)} AND c.relkind = 'i'`,
    expect: '0 (the index is gone)',
    expectValue: 0,
  };
}

/**
 * The groups of rows a unique index on these columns would refuse. Rows with a NULL in any of the
 * columns are left out: a unique index treats NULLs as distinct (PostgreSQL 15, checked: a unique
 * build over a column with many NULLs, or over (a, b) with rows (NULL, x) twice, succeeds), while
 * GROUP BY puts them in one group and would report duplicates that do not exist.
 */
function duplicateGroups(t: TableRef, columns: string[], where: string | undefined, select: string): string {
  const cols = columns.map(quoteIdent);
  const conditions = [...(where ? [`(${where})`] : []), ...cols.map((c) => `${c} IS NOT NULL`)];
  return `SELECT ${select} FROM ${qualified(t)} WHERE ${conditions.join(' AND ')} GROUP BY ${cols.join(', ')} HAVING count(*) > 1`;
}

/** Groups of rows that a unique index on these columns would refuse. */
export function duplicatesVerify(t: TableRef, columns: string[], where?: string, before = false): Verify {
  return {
    sql: `SELECT count(*) FROM (${duplicateGroups(t, columns, where, '1')}) AS duplicates`,
    expect: '0 duplicate groups (a unique build fails on the first duplicate: merge or delete them before it runs)',
    expectValue: 0,
    ...(before ? { before: true } : {}),
  };
}

/** The duplicate values themselves, with how many rows share each: what to fix before a unique build. */
export function duplicatesListSql(t: TableRef, columns: string[], where?: string): string {
  return `${duplicateGroups(t, columns, where, `${columns.map(quoteIdent).join(', ')}, count(*)`)} ORDER BY count(*) DESC LIMIT 100`;
}

/** A row when some group of rows shares values on these columns (the guard's condition). */
export function duplicatesExistSql(t: TableRef, columns: string[], where?: string): string {
  return duplicateGroups(t, columns, where, '1');
}

/**
 * 0 when no constraint needs the index. DROP INDEX (concurrently or not) fails on an index that backs
 * a primary key, unique or exclusion constraint, or that a foreign key on another table references
 * (PostgreSQL 15, checked: 2BP01 "cannot drop index ... because constraint ... requires it"); each of
 * them names the index in pg_constraint.conindid.
 */
export function constraintsOnIndexVerify(t: TableRef, name: string): Verify {
  return {
    sql: `SELECT count(*) FROM pg_constraint WHERE conindid = to_regclass(${quoteLiteral(inSchema(t, name))})`,
    expect: '0 (no primary key, unique constraint or foreign key needs the index: DROP INDEX would fail on it)',
    expectValue: 0,
  };
}

/** How often the index was used since statistics were reset: for people, to see it stop growing. */
export function indexScansVerify(t: TableRef, name: string): Verify {
  return {
    sql: `SELECT idx_scan FROM pg_stat_user_indexes WHERE schemaname = ${schemaExpr(t)} AND indexrelname = ${quoteLiteral(name)}`,
    expect: 'a number that no longer grows between two readings a few minutes apart (nothing uses the index any more)',
  };
}

/**
 * One row when a valid, non-partial btree index on the table has exactly these columns, in any order,
 * as its leading key columns: the index PostgreSQL uses for the lookups a foreign key makes on its
 * referencing table (`WHERE a = $1 AND b = $2` for every DELETE or key UPDATE of a referenced row).
 * indkey is an int2vector, subscripted from 0; past its end it yields NULL, and so does the attnum of
 * a column that does not exist, which makes `@>` false.
 */
export function leadingIndexSql(t: TableRef, columns: string[]): string {
  const lead = columns.map((_, k) => `i.indkey[${k}]`).join(', ');
  const wanted = columns
    .map((c) => `(${attnumSql(t, c)})`)
    .join(', ');
  return (
    'SELECT 1 FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam ' +
    `WHERE i.indrelid = ${regclass(t)} AND i.indisvalid AND i.indpred IS NULL AND am.amname = 'btree' ` +
    `AND i.indnkeyatts >= ${columns.length} AND ARRAY[${lead}]::int2[] @> ARRAY[${wanted}]::int2[]`
  );
}

/** `true` when some valid btree index leads with these columns (see leadingIndexSql). */
export function leadingIndexVerify(t: TableRef, columns: string[]): Verify {
  return {
    sql: `SELECT EXISTS (${leadingIndexSql(t, columns)})`,
    expect: `true (a valid btree index leads with (${columns.join(', ')}))`,
    expectValue: true,
  };
}

export function createIndexConcurrently(t: TableRef, ix: IndexSpec): Statement {
  const using = ix.using ?? 'btree';
  return {
    sql:
      `CREATE ${ix.unique ? 'UNIQUE ' : ''}INDEX CONCURRENTLY ${ix.ifNotExists ? 'IF NOT EXISTS ' : ''}${quoteIdent(ix.name)} ON ${qualified(t)}` +
      `${using !== 'btree' ? ` USING ${using}` : ''} (${ix.columns.map(quoteIdent).join(', ')})` +
      `${ix.where ? ` WHERE ${ix.where}` : ''};`,
    lock: 'SHARE UPDATE EXCLUSIVE',
    long: true,
    comment: 'Reads and writes continue during the build; it cannot run inside a transaction.',
    does: {
      helper: 'create_index',
      table: tableOf(t),
      name: ix.name,
      columns: [...ix.columns],
      ...(ix.unique ? { unique: true } : {}),
      ...(using !== 'btree' ? { using } : {}),
      ...(ix.where ? { where: ix.where } : {}),
      ...(ix.ifNotExists ? { ifNotExists: true } : {}),
      concurrently: true,
    },
  };
}

export function dropIndexConcurrently(t: TableRef, name: string, comment: string): Statement {
  return {
    sql: `DROP INDEX CONCURRENTLY IF EXISTS ${inSchema(t, name)};`,
    lock: 'SHARE UPDATE EXCLUSIVE',
    comment,
    does: { helper: 'drop_index', table: tableOf(t), name, concurrently: true, ifExists: true },
  };
}

/**
 * The migration that builds an index, removing the INVALID leftover of an earlier failed build first.
 * `adopted`: a later migration makes the index a constraint's, whose rollback drops it with the
 * constraint, so this down finds it gone.
 */
export function buildIndexMigration(t: TableRef, ix: IndexSpec, name = slug(`add index ${ix.name}`), o: { adopted?: boolean } = {}): Migration {
  const drop = dropIndexConcurrently(t, ix.name, 'Also removes an INVALID leftover of a failed build.');
  return {
    name,
    transaction: 'none',
    up: [createIndexConcurrently(t, ix)],
    down: [o.adopted && drop.does?.helper === 'drop_index' ? { ...drop, does: { ...drop.does, mayBeGone: true } } : drop],
    cleanup: {
      when: `${indexRow(t, ix.name).replace('SELECT i.indisvalid', 'SELECT 1')} AND NOT i.indisvalid`,
      statement: dropIndexConcurrently(t, ix.name, 'An INVALID index of this name is a failed earlier build: remove it before building again.'),
    },
  };
}

/**
 * CREATE INDEX CONCURRENTLY from a definition PostgreSQL printed (src/sql/template.ts), written for
 * `column`: same method, key columns and expressions, operator classes, collations, ordering, INCLUDE
 * columns, uniqueness and predicate.
 */
export function createIndexFromTemplate(name: string, unique: boolean, body: Template, column: string, comment: string): Statement {
  return {
    sql: `CREATE ${unique ? 'UNIQUE ' : ''}INDEX CONCURRENTLY ${quoteIdent(name)} ${fill(body, column)};`,
    lock: 'SHARE UPDATE EXCLUSIVE',
    long: true,
    comment,
  };
}

/** The same, alone in its migration, with the INVALID leftover of a failed earlier build removed first. */
export function buildIndexFromTemplateMigration(
  t: TableRef,
  name: string,
  unique: boolean,
  body: Template,
  column: string,
  migrationName: string,
  comment: string,
): Migration {
  return {
    name: migrationName,
    transaction: 'none',
    up: [createIndexFromTemplate(name, unique, body, column, comment)],
    down: [dropIndexConcurrently(t, name, 'Also removes an INVALID leftover of a failed build.')],
    cleanup: {
      when: `${indexRow(t, name).replace('SELECT i.indisvalid', 'SELECT 1')} AND NOT i.indisvalid`,
      statement: dropIndexConcurrently(t, name, 'An INVALID index of this name is a failed earlier build: remove it before building again.'),
    },
  };
}

/**
 * Renames an index. PostgreSQL 15 takes SHARE UPDATE EXCLUSIVE on the index alone (seen in pg_locks):
 * no table lock, so reads and writes go on.
 */
export function renameIndex(t: TableRef, from: string, to: string): Statement {
  return {
    sql: `ALTER INDEX ${inSchema(t, from)} RENAME TO ${quoteIdent(to)};`,
    lock: 'SHARE UPDATE EXCLUSIVE',
    comment: `The index takes the name ${to}.`,
  };
}

/** How many of these indexes exist and are valid (the copy phase's verification). */
export function indexesValidVerify(t: TableRef, names: string[]): Verify {
  return {
    sql:
      'SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace ' +
      `WHERE i.indisvalid AND n.nspname = ${schemaExpr(t)} AND c.relname IN (${names.map(quoteLiteral).join(', ')})`,
    expect: `${names.length} (every copy is built and valid: ${names.join(', ')})`,
    expectValue: names.length,
  };
}

/**
 * CREATE INDEX (not concurrently) from a definition PostgreSQL printed, inside the migration's
 * transaction: SHARE lock, writes wait for the build. For rollback paths that already hold a lock
 * blocking writes.
 */
export function createIndexFromTemplateNow(name: string, unique: boolean, body: Template, column: string, comment: string): Statement {
  return { sql: `CREATE ${unique ? 'UNIQUE ' : ''}INDEX ${quoteIdent(name)} ${fill(body, column)};`, lock: 'SHARE', long: true, comment };
}
