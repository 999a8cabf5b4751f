/** What the lifecycle cases of several operations share: old-code writes, row reads, index use. */
import type { Ctx, TableSnapshot } from '../support/lifecycle.js';

export const TRIGGER = 'users_name_to_full_name_sync';

/** Old code: knows only the columns of the starting table. */
export async function oldCodeInsert(ctx: Ctx, email: string, name?: string): Promise<number> {
  const r = name === undefined
    ? await ctx.q<{ id: string }>('INSERT INTO users (email) VALUES ($1) RETURNING id', [email])
    : await ctx.q<{ id: string }>('INSERT INTO users (email, name) VALUES ($1, $2) RETURNING id', [email, name]);
  return Number(r[0].id);
}

export async function row(ctx: Ctx, id: number, cols: string): Promise<Record<string, any>> {
  const r = await ctx.q(`SELECT ${cols} FROM users WHERE id = $1`, [id]);
  ctx.expect(r, `row ${id}`).toHaveLength(1);
  return r[0];
}

/**
 * The query must be answered from this index (sequential scans disabled, as on a big table; the
 * starting table's own index on email, and `alsoDrop`, dropped inside the rolled-back transaction, so
 * that they cannot stand in for the index under test).
 */
export async function usesIndex(ctx: Ctx, index: string, sql: string, alsoDrop: string[] = []): Promise<void> {
  await ctx.q('BEGIN');
  try {
    await ctx.q('SET LOCAL enable_seqscan = off');
    for (const other of ['users_email_idx', ...alsoDrop]) await ctx.q(`DROP INDEX ${other}`);
    const plan = await ctx.q(`EXPLAIN (COSTS OFF) ${sql}`);
    ctx.expect(plan.map((r) => r['QUERY PLAN']).join('\n')).toContain(index);
  } finally {
    await ctx.q('ROLLBACK');
  }
}

export const addIndexSchema = (name: string, def: string) => (s: TableSnapshot) => {
  s.indexes[name] = { def, valid: true, ready: true };
};


/** The comment of a column of users (COMMENT ON COLUMN), or null. */
export async function columnComment(ctx: Ctx, column: string): Promise<string | null> {
  return ctx.val(`SELECT col_description('users'::regclass, (SELECT attnum FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = $1 AND NOT attisdropped))`, [column]);
}
