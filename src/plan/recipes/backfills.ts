/**
 * Batched backfill: keyset on the primary key, one short transaction per batch, an idempotent
 * predicate so a stopped run can start again, and the queries for progress and verification.
 */
import { quoteIdent } from '../../sql/ident.js';
import type { Backfill } from '../types.js';
import { label, qualified, regclass, type TableRef } from './table.js';

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

