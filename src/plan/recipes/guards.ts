/**
 * Guards: a migration applied before its phase is due refuses before it takes any strong lock. The
 * texts they raise come from the catalogue (src/messages/guards.ts).
 */
import { quoteIdent, quoteLiteral } from '../../sql/ident.js';
import { GUARDS } from '../../messages/guards.js';
import type { Statement } from '../types.js';
import { doBlock } from './plpgsql.js';
import { label, qualified, regclass, type TableRef } from './table.js';
import { duplicatesExistSql, duplicatesListSql } from './indexes.js';
import { leadingIndexSql } from './indexes.js';

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
    guard: true,
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

/**
 * Refuses while `column` is NULL in some row, for a plan without a backfill: the message says the
 * rows are NULL and how to fill them.
 */
export function noNullsGuard(t: TableRef, column: string): Statement {
  return guard(
    `SELECT 1 FROM ${qualified(t)} AS t WHERE t.${quoteIdent(column)} IS NULL LIMIT 1`,
    GUARDS.columnHasNulls(label(t), column),
    'Guard: stop here, before any lock, if a row is still NULL: the NOT VALID check would refuse every update of it.',
  );
}

/** Refuses when the trigger is missing (the phase that installs it is not applied). */
export function triggerPresentGuard(t: TableRef, trigger: string, phase: string): Statement {
  return guard(
    `SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = ${regclass(t)} AND tgname = ${quoteLiteral(trigger)})`,
    GUARDS.syncTriggerMissing(label(t), phase),
    'Guard: without the sync trigger, writes since the expand may be missing from the new column.',
  );
}

/** Refuses while some row's `to` differs from its `from`. */
export function columnsEqualGuard(t: TableRef, pending: string, from: string, to: string, phase: string): Statement {
  return guard(
    `SELECT 1 FROM ${qualified(t)} AS t WHERE ${pending} LIMIT 1`,
    GUARDS.columnsDiffer(label(t), from, to, phase),
    `Guard: every value must already be in ${to} before ${from} is dropped.`,
  );
}

/**
 * Refuses while rows share values of the columns a unique index is about to cover. It must stand in a
 * migration of its own before the build: Prisma, golang-migrate and dbmate send a file as one query,
 * and PostgreSQL refuses CREATE INDEX CONCURRENTLY after any other statement in the same query
 * (checked: "cannot run inside a transaction block", even after a bare DO block). Scans the table
 * under ACCESS SHARE, which blocks no reads or writes.
 */
export function noDuplicatesGuard(t: TableRef, columns: string[], index: string): Statement {
  return {
    ...guard(
      duplicatesExistSql(t, columns),
      GUARDS.duplicatesFound(label(t), columns, index, duplicatesListSql(t, columns)),
      `Guard: a duplicate makes the unique build fail and leave an INVALID index behind; refuse first, before any index exists.`,
    ),
    long: true,
  };
}

/**
 * Refuses when no valid btree index leads with `columns`: the build was skipped (IF NOT EXISTS met an
 * INVALID leftover, or an index of that name on other columns) or its phase is not applied.
 */
export function leadingIndexGuard(t: TableRef, columns: string[], index: string, phase: string): Statement {
  return guard(
    `SELECT 1 WHERE NOT EXISTS (${leadingIndexSql(t, columns)})`,
    GUARDS.foreignKeyIndexMissing(label(t), columns, index, phase),
    `Guard: without an index on (${columns.join(', ')}), every delete of a referenced row would scan ${label(t)}.`,
  );
}
