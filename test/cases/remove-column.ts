/**
 * remove-column lifecycle cases.
 * What the database must look like after each phase, and what application code can and cannot do in
 * between; run against every target by test/integration/generated-*.test.ts through runLifecycle.
 * Schema expectations are written by hand from PostgreSQL's own catalog text.
 */
import { type Case } from '../support/lifecycle.js';
import { row } from './helpers.js';

// -------------------------------------------------------------------------------------------------
// remove-column

const removePlain: Case = {
  id: 'remove_plain',
  op: 'remove-column',
  flags: { table: 'users', column: 'deprecated_flag', type: 'boolean' },
  phases: {
    ignore: {
      after: async (ctx) => {
        const [{ id }] = await ctx.q(`INSERT INTO users (email, name) VALUES ('new@example.com', 'New') RETURNING id`);
        ctx.expect((await row(ctx, Number(id), 'deprecated_flag')).deprecated_flag).toBeNull();
      },
    },
    drop: {
      schema: (s) => void delete s.columns.deprecated_flag,
      after: async (ctx) => {
        await ctx.q(`INSERT INTO users (email, name) VALUES ('new2@example.com', 'New 2')`);
        await ctx.fails('SELECT deprecated_flag FROM users', undefined, '42703');
      },
    },
  },
  afterRollback: {
    drop: async (ctx) => {
      // The column is back, its values are not (documented): every row is NULL.
      ctx.expect(Number(await ctx.val('SELECT count(*) FROM users WHERE deprecated_flag IS NOT NULL'))).toBe(0);
    },
  },
};

const removeNotNull: Case = {
  id: 'remove_not_null',
  op: 'remove-column',
  flags: { table: 'users', column: 'legacy_code', type: 'text', 'not-null': true },
  table: { extra: [{ name: 'legacy_code', ddl: 'legacy_code text NOT NULL', seed: `'L-' || g` }] },
  phases: {
    relax: {
      before: async (ctx) => {
        // Why this phase exists: code that no longer writes the column cannot insert yet.
        await ctx.fails(`INSERT INTO users (email) VALUES ('early@example.com')`, undefined, '23502');
      },
      schema: (s) => void (s.columns.legacy_code.notNull = false),
      after: async (ctx) => {
        await ctx.q(`INSERT INTO users (email) VALUES ('relaxed@example.com')`);
      },
    },
    ignore: {
      after: async (ctx) => {
        await ctx.q(`INSERT INTO users (email, name) VALUES ('new@example.com', 'New')`);
        // The operator keeps a copy of the data before the drop (the down cannot bring it back).
        ctx.notes.saved = await ctx.q(`SELECT id, legacy_code FROM users ORDER BY id`);
      },
    },
    drop: {
      schema: (s) => void delete s.columns.legacy_code,
      after: async (ctx) => {
        await ctx.q(`INSERT INTO users (email) VALUES ('later@example.com')`);
      },
    },
  },
  afterRollback: {
    drop: async (ctx) => {
      ctx.expect(Number(await ctx.val('SELECT count(*) FROM users WHERE legacy_code IS NOT NULL')), 'the values are gone').toBe(0);
    },
  },
  beforeRollback: {
    relax: async (ctx) => {
      // NOT NULL comes back only if every row has a value again: restore the saved copy, and give
      // the rows written without the column a value.
      const saved = ctx.notes.saved as { id: string; legacy_code: string | null }[];
      await ctx.q(
        `UPDATE users SET legacy_code = s.v FROM unnest($1::bigint[], $2::text[]) AS s(id, v) WHERE users.id = s.id`,
        [saved.map((r) => r.id), saved.map((r) => r.legacy_code)],
      );
      await ctx.q(`UPDATE users SET legacy_code = 'restored' WHERE legacy_code IS NULL`);
    },
  },
};

export const REMOVE_COLUMN_CASES: readonly Case[] = [removeNotNull, removePlain];
