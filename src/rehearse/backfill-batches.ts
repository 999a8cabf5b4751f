/**
 * A plan's backfill as rehearse runs it: the same templates as the generated scripts, filled with the
 * table's key from the catalogue, walked one leaf at a time as the scripts walk them (the leaf
 * partitions of a partitioned table, in their order, or the plain table itself), each leaf up to its
 * highest key when the walk began; one transaction per batch (the boundary read, then the update of
 * that key range). Rehearse connects directly, so its session lock_timeout is its own.
 */
import type pg from 'pg';
import type { Backfill } from '../plan/types.js';
import { bindsOf, positional } from '../render/strings.js';
import { BATCH_BINDS, FILL_BINDS, LEAVES_BINDS } from '../plan/recipes/backfills.js';
import { BACKFILL_MESSAGES as M, fill as fillText } from '../messages/backfill.js';

export interface Batches {
  /** The next batch (in the current leaf, else in the next one) and the rows it updated; null when every leaf is done. */
  next(size: number): Promise<{ updated: number } | null>;
}


interface Query {
  text: string;
  binds: string[];
}

/** One leaf's walk: its bound, the last key done, and the batch statements filled for it. */
interface Walk {
  end: string;
  last: string | null;
  first: { boundary: Query; update: Query };
  next: { boundary: Query; update: Query };
}

export async function prepareBatches(client: pg.Client, b: Backfill): Promise<Batches> {
  const run = <R extends pg.QueryResultRow>(query: Query, values: Record<string, unknown>) =>
    client.query<R>(query.text, query.binds.map((n) => values[n]));
  const fill = async (template: string, leaf: string): Promise<Query> => {
    const binds = bindsOf(template, BATCH_BINDS);
    const r = await client.query<{ sql: string }>(positional(b.fillSql, FILL_BINDS), [positional(template, binds), ':', leaf]);
    if (!r.rows.length) throw new Error(fillText(b.key ? M.keyNotUnique(b.tableLabel, b.key) : M.noKey(b.tableLabel)));
    return { text: r.rows[0].sql, binds };
  };
  const leavesQuery = { text: positional(b.leavesSql, bindsOf(b.leavesSql, LEAVES_BINDS)), binds: bindsOf(b.leavesSql, LEAVES_BINDS) };
  const leaves = (await run<{ leaf: string }>(leavesQuery, { start_leaf: null, last_leaf: null, workers: 1 })).rows.map((r) => r.leaf);
  // Every leaf's bound is read before the first batch, as the scripts read them.
  const walks: Walk[] = [];
  for (const leaf of leaves) {
    const end = ((await run<{ end_key: string }>(await fill(b.endKeySql, leaf), {})).rows[0]?.end_key ?? null) as string | null;
    if (end === null) continue;
    const q = b.forward;
    const [fb, nb, fu, nu] = await Promise.all([q.firstBoundarySql, q.nextBoundarySql, q.firstUpdateSql, q.nextUpdateSql].map((t) => fill(t, leaf)));
    walks.push({ end, last: null, first: { boundary: fb, update: fu }, next: { boundary: nb, update: nu } });
  }
  let i = 0;
  return {
    async next(size) {
      for (; i < walks.length; i++) {
        const w = walks[i];
        const values: Record<string, unknown> = { last_key: w.last, end_key: w.end, batch_size: size };
        const sql = w.last === null ? w.first : w.next;
        await client.query('BEGIN');
        try {
          const r = await run<{ batch_end: string }>(sql.boundary, values);
          if (!r.rows.length) {
            await client.query('COMMIT');
            continue;
          }
          const u = await run(sql.update, { ...values, batch_end: r.rows[0].batch_end });
          await client.query('COMMIT');
          // Only a committed batch moves the walk on: a batch retried after an error starts where it did.
          w.last = r.rows[0].batch_end;
          return { updated: u.rowCount ?? 0 };
        } catch (e) {
          await client.query('ROLLBACK').catch(() => {});
          throw e;
        }
      }
      return null;
    },
  };
}
