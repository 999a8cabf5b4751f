/**
 * A plan's backfill as rehearse runs it: the same templates as the generated scripts, filled with the
 * table's key from the catalogue, one transaction per batch (the boundary read, then the update of
 * that key range). Rehearse connects directly, so its session lock_timeout is its own.
 */
import type pg from 'pg';
import type { Backfill, BackfillQueries } from '../plan/types.js';
import { bindsOf, positional } from '../render/strings.js';
import { BACKFILL_MESSAGES as M, fill as fillText } from '../messages/backfill.js';

export interface Batches {
  /** Highest key when the walk began; null on an empty table. */
  end: string | null;
  /** One batch after `lastKey` (null: from the start); null when the range is done. */
  next(lastKey: string | null, size: number): Promise<{ lastKey: string; scanned: number; updated: number } | null>;
}

const BINDS = ['last_key', 'end_key', 'batch_end', 'batch_size', 'workers'];

interface Query {
  text: string;
  binds: string[];
}

export async function prepareBatches(client: pg.Client, b: Backfill, q: BackfillQueries = b.forward): Promise<Batches> {
  const fill = async (template: string): Promise<Query> => {
    const binds = bindsOf(template, BINDS);
    const r = await client.query<{ sql: string }>(positional(b.fillSql, ['template', 'colon']), [positional(template, binds), ':']);
    if (!r.rows.length) throw new Error(fillText(b.key ? M.keyNotUnique(b.tableLabel, b.key) : M.noKey(b.tableLabel)));
    return { text: r.rows[0].sql, binds };
  };
  const run = <R extends pg.QueryResultRow>(query: Query, values: Record<string, unknown>) =>
    client.query<R>(query.text, query.binds.map((n) => values[n]));
  const [endKey, firstBoundary, nextBoundary, firstUpdate, nextUpdate] = await Promise.all(
    [b.endKeySql, q.firstBoundarySql, q.nextBoundarySql, q.firstUpdateSql, q.nextUpdateSql].map(fill),
  );
  const end = ((await run<{ end_key: string }>(endKey, {})).rows[0]?.end_key ?? null) as string | null;
  return {
    end,
    async next(lastKey, size) {
      if (end === null) return null;
      const values: Record<string, unknown> = { last_key: lastKey, end_key: end, batch_size: size };
      await client.query('BEGIN');
      try {
        const r = await run<{ batch_end: string; scanned: string }>(lastKey === null ? firstBoundary : nextBoundary, values);
        if (!r.rows.length) {
          await client.query('COMMIT');
          return null;
        }
        const u = await run(lastKey === null ? firstUpdate : nextUpdate, { ...values, batch_end: r.rows[0].batch_end });
        await client.query('COMMIT');
        return { lastKey: r.rows[0].batch_end, scanned: Number(r.rows[0].scanned), updated: u.rowCount ?? 0 };
      } catch (e) {
        await client.query('ROLLBACK').catch(() => {});
        throw e;
      }
    },
  };
}
