/**
 * Guards: a migration applied before its phase is due refuses before it takes any strong lock. The
 * texts they raise come from the catalogue (src/messages/guards.ts).
 */
import { quoteLiteral } from '../../sql/ident.js';
import { GUARDS } from '../../messages/guards.js';
import type { Statement } from '../types.js';
import { doBlock } from './plpgsql.js';
import { label, qualified, regclass, type TableRef } from './table.js';
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
