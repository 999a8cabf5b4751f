/**
 * The safe PostgreSQL recipes every operation is built from. Each function returns plan pieces
 * (statements, migrations, backfills); the SQL text of every step is written here, once.
 */
import { objectName, quoteIdent, quoteLiteral, slug } from '../sql/ident.js';
import { GUARDS } from '../messages/guards.js';
import { BLOCKING_LOCKS, type Backfill, type Migration, type Statement } from './types.js';

export interface TableRef {
  schema?: string;
  name: string;
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

/**
 * A dollar-quoted body whose tag cannot occur inside it: identifiers are user input and a quoted
 * identifier may contain `$$`.
 */
export function dollarQuote(body: string, tag = 'body'): string {
  let t = tag;
  for (let i = 1; body.includes(`$${t}$`); i++) t = `${tag}${i}`;
  return `$${t}$\n${body}\n$${t}$`;
}

export function doBlock(body: string): string {
  return `DO ${dollarQuote(body, 'do')};`;
}

/** The SQL that sets a migration's timeouts, derived from the locks its statements take. */
export function timeoutSettings(
  statements: Statement[],
  lockTimeout: string,
  scope: 'local' | 'session',
): { set: string[]; reset: string[] } {
  const blocking = statements.some((s) => s.lock && BLOCKING_LOCKS.has(s.lock));
  const long = statements.some((s) => s.long);
  const set: string[] = [];
  const reset: string[] = [];
  const kw = scope === 'local' ? 'SET LOCAL' : 'SET';
  if (blocking) {
    set.push(`${kw} lock_timeout = ${quoteLiteral(lockTimeout)};`);
    reset.push('RESET lock_timeout;');
  }
  if (long) {
    set.push(`${kw} statement_timeout = 0;`);
    reset.push('RESET statement_timeout;');
  }
  return { set, reset: scope === 'session' ? reset : [] };
}

// ---------------------------------------------------------------------------------------------
// Guards: a migration applied before its phase is due refuses before it takes any strong lock.

/**
 * Raises `message` when `exists` (a query) returns a row. Runs first in its migration, under the
 * ACCESS SHARE lock of a plain read, so a migration applied early by a blanket "migrate to latest"
 * fails without having blocked anyone or changed anything.
 */
export function guard(exists: string, message: string, comment: string): Statement {
  return {
    sql: doBlock(
      [
        'BEGIN',
        `  IF EXISTS (${exists.replace(/\n/g, '\n    ')}) THEN`,
        `    RAISE EXCEPTION USING MESSAGE = ${quoteLiteral(message)}, ERRCODE = 'object_not_in_prerequisite_state';`,
        '  END IF;',
        'END',
      ].join('\n'),
    ),
    lock: 'ACCESS SHARE',
    comment,
  };
}

/** Refuses while any row still matches the backfill's `pending` predicate (over alias `t`). */
export function backfillFinishedGuard(t: TableRef, pending: string, description: string, phase: string): Statement {
  return guard(
    `SELECT 1 FROM ${qualified(t)} AS t WHERE ${pending} LIMIT 1`,
    GUARDS.backfillUnfinished(label(t), description, phase),
    'Guard: stop here, before any lock, if the backfill has not finished.',
  );
}

// ---------------------------------------------------------------------------------------------
// Columns

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

export function dropColumn(t: TableRef, column: string, ifExists = false): Statement {
  return {
    sql: `ALTER TABLE ${qualified(t)} DROP COLUMN ${ifExists ? 'IF EXISTS ' : ''}${quoteIdent(column)};`,
    lock: 'ACCESS EXCLUSIVE',
    comment: `Drop ${column}: catalog-only, instant once the lock is granted.`,
  };
}

// ---------------------------------------------------------------------------------------------
// NOT NULL without a long exclusive lock: CHECK NOT VALID, VALIDATE, SET NOT NULL.

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

/** The three migrations of the NOT NULL recipe, each its own transaction. */
export function notNullMigrations(t: TableRef, column: string, guardFirst?: Statement): Migration[] {
  const base = `${t.name} ${column}`;
  return [
    {
      name: slug(`add ${base} not null check`),
      transaction: 'transaction',
      // A NOT VALID check still refuses every UPDATE of a row that violates it, even one that never
      // touches the column: it must not arrive while rows still wait for their value.
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

// ---------------------------------------------------------------------------------------------
// Batched backfill: keyset on the primary key, one transaction per batch, idempotent predicate.

export interface BackfillSpec {
  name: string;
  table: TableRef;
  key: string;
  set: { column: string; expr: string };
  /** SQL predicate true for rows that still need the change; false once done (idempotence). */
  pending: string;
  description: string;
  batchSize: number;
  pauseMs: number;
  lockTimeout: string;
  reverse?: { set: { column: string; expr: string }; pending: string; description: string };
}

function batchSql(
  t: TableRef,
  key: string,
  set: { column: string; expr: string },
  pending: string,
  after: boolean,
): string {
  const k = quoteIdent(key);
  // The batch CTE names its key column batch_key so an expression that mentions the key
  // column (or any column) resolves to the updated table, never ambiguously. Rows are not
  // filtered by `pending` while choosing the batch: each batch covers a fixed key range, so its
  // cost stays bounded whatever is left to do.
  return [
    'WITH batch AS (',
    `  SELECT ${k} AS batch_key FROM ${qualified(t)}`,
    ...(after ? [`  WHERE ${k} > :last_key`] : []),
    `  ORDER BY ${k}`,
    '  LIMIT :batch_size',
    '), updated AS (',
    `  UPDATE ${qualified(t)} AS t`,
    `  SET ${quoteIdent(set.column)} = ${set.expr}`,
    // = ANY (ARRAY(...)) keeps the planner on the key index: a join with the batch may pick a hash
    // join over a sequential scan of the whole table, for every batch, on mid-sized tables.
    `  WHERE t.${k} = ANY (ARRAY(SELECT batch_key FROM batch))`,
    `    AND (${pending})`,
    '  RETURNING 1',
    ')',
    'SELECT (SELECT batch_key FROM batch ORDER BY batch_key DESC LIMIT 1) AS last_key,',
    '       (SELECT count(*) FROM updated) AS updated',
  ].join('\n');
}

export function remainingSql(t: TableRef, pending: string): string {
  return `SELECT count(*) AS remaining FROM ${qualified(t)} AS t WHERE ${pending}`;
}

export function backfill(spec: BackfillSpec): Backfill {
  const { table: t, key, set, pending } = spec;
  return {
    name: spec.name,
    table: qualified(t),
    tableLabel: label(t),
    key: quoteIdent(key),
    description: spec.description,
    firstBatchSql: batchSql(t, key, set, pending, false),
    nextBatchSql: batchSql(t, key, set, pending, true),
    remainingSql: remainingSql(t, pending),
    estimateSql: `SELECT greatest(reltuples, 0)::bigint AS estimate FROM pg_class WHERE oid = ${regclass(t)}`,
    finishSql: `VACUUM (ANALYZE) ${qualified(t)}`,
    reverse: spec.reverse && {
      description: spec.reverse.description,
      firstBatchSql: batchSql(t, key, spec.reverse.set, spec.reverse.pending, false),
      nextBatchSql: batchSql(t, key, spec.reverse.set, spec.reverse.pending, true),
      remainingSql: remainingSql(t, spec.reverse.pending),
    },
    batchSize: spec.batchSize,
    pauseMs: spec.pauseMs,
    lockTimeout: spec.lockTimeout,
    maxRetries: 5,
  };
}

