/**
 * rename-table lifecycle cases.
 * What the database must look like after each phase, and what application code can and cannot do in
 * between; run against every target by test/integration/generated-*.test.ts through runLifecycle.
 * The harness's snapshot describes `users`: after the rename it is the stand-in view (columns without
 * NOT NULL or defaults, nothing else), after the contract it is gone.
 */
import { ROWS, type Case, type Ctx, type TableSnapshot } from '../support/lifecycle.js';

function asView(s: TableSnapshot): void {
  for (const c of Object.values(s.columns)) Object.assign(c, { notNull: false, default: null });
  s.indexes = {};
  s.constraints = {};
  s.triggers = {};
}

const count = async (ctx: Ctx, rel: string) => Number(await ctx.val(`SELECT count(*) FROM ${rel}`));

const rename: Case = {
  id: 'rename_table',
  op: 'rename-table',
  flags: { from: 'users', to: 'accounts' },
  phases: {
    rename: {
      schema: asView,
      after: async (ctx) => {
        const { expect } = ctx;
        // Old code, through the view: defaults and the sequence of the table, RETURNING, ON CONFLICT.
        const [old] = await ctx.q(`INSERT INTO users (email) VALUES ('old@example.com') RETURNING id, name`);
        expect(old.name).toBe('anon');
        await ctx.q(`INSERT INTO users (id, email) VALUES ($1, 'dup@example.com') ON CONFLICT (id) DO UPDATE SET name = 'upserted'`, [old.id]);
        expect(await ctx.val(`SELECT name FROM accounts WHERE id = $1`, [old.id])).toBe('upserted');
        await ctx.q(`UPDATE users SET name = 'Old Code' WHERE id = $1`, [old.id]);
        // New code, on the table: both see the same rows.
        const [neu] = await ctx.q(`INSERT INTO accounts (email, name) VALUES ('new@example.com', 'New Code') RETURNING id`);
        expect(await ctx.val(`SELECT name FROM users WHERE id = $1`, [neu.id])).toBe('New Code');
        expect(await count(ctx, 'users')).toBe(await count(ctx, 'accounts'));
        await ctx.fails(`ALTER TABLE users ADD COLUMN x int`, undefined, '42809');
      },
    },
    switch: {
      after: async (ctx) => {
        await ctx.q(`INSERT INTO accounts (email) VALUES ('after-switch@example.com')`);
      },
    },
    contract: {
      schema: (s) => {
        s.columns = {};
      },
      after: async (ctx) => {
        ctx.expect(await count(ctx, 'accounts')).toBe(ROWS + 3);
        await ctx.fails(`SELECT 1 FROM users`, undefined, '42P01');
      },
    },
  },
};

export const RENAME_TABLE_CASES: readonly Case[] = [rename];
