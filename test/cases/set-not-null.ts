/**
 * set-not-null lifecycle cases.
 * What the database must look like after each phase, and what application code can and cannot do in
 * between; run against every target by test/integration/generated-*.test.ts through runLifecycle.
 * Schema expectations are written by hand from PostgreSQL's own catalog text.
 */
import { ROWS, type Case } from '../support/lifecycle.js';
import { oldCodeInsert, row } from './helpers.js';

// -------------------------------------------------------------------------------------------------
// set-not-null

/** Rows the starting table has with locale NULL: every one but each tenth. */
const LOCALE_NULLS = ROWS - ROWS / 10;

const setNotNullBackfill: Case = {
  id: 'snn_backfill',
  op: 'set-not-null',
  flags: { table: 'users', column: 'locale', backfill: "'en'" },
  table: { extra: [{ name: 'locale', ddl: 'locale text', seed: `CASE WHEN g % 10 = 0 THEN 'fr' END` }] },
  phases: {
    write: {
      before: async (ctx) => {
        // Old code still runs until this deploy: its rows arrive without a locale.
        ctx.notes.old = await oldCodeInsert(ctx, 'old@example.com', 'Old');
        ctx.expect(Number(await ctx.val('SELECT count(*) FROM users WHERE locale IS NULL'))).toBe(LOCALE_NULLS + 1);
      },
      after: async (ctx) => {
        // New code sets the column on every insert and update.
        const [{ id }] = await ctx.q(`INSERT INTO users (email, locale) VALUES ('new@example.com', 'de') RETURNING id`);
        ctx.notes.new = Number(id);
        await ctx.q(`UPDATE users SET locale = 'nl' WHERE id = 3`);
      },
    },
    backfill: {
      after: async (ctx) => {
        ctx.expect(Number(await ctx.val('SELECT count(*) FROM users WHERE locale IS NULL'))).toBe(0);
        ctx.expect(Number(await ctx.val(`SELECT count(*) FROM users WHERE locale = 'en'`)), 'exactly the NULL rows got the value').toBe(LOCALE_NULLS);
        ctx.expect(Number(await ctx.val(`SELECT count(*) FROM users WHERE locale = 'fr'`)), 'rows that had a value keep it').toBe(ROWS / 10);
        ctx.expect((await row(ctx, ctx.notes.old, 'locale')).locale).toBe('en');
        ctx.expect((await row(ctx, ctx.notes.new, 'locale')).locale).toBe('de');
        ctx.expect((await row(ctx, 3, 'locale')).locale, 'values written by new code are kept').toBe('nl');
      },
    },
    tighten: {
      // The check that stood in for NOT NULL is gone again: the constraints are as they started.
      schema: (s) => void (s.columns.locale.notNull = true),
      after: async (ctx) => {
        await ctx.fails(`INSERT INTO users (email) VALUES ('forgot@example.com')`, undefined, '23502');
        await ctx.fails('UPDATE users SET locale = NULL WHERE id = 1', undefined, '23502');
        await ctx.q(`UPDATE users SET name = 'Still writable' WHERE id = 1`);
      },
    },
    use: {},
  },
};

const setNotNullNoNulls: Case = {
  id: 'snn_no_nulls',
  op: 'set-not-null',
  flags: { table: 'users', column: 'country_code', key: 'id' },
  table: { extra: [{ name: 'country_code', ddl: 'country_code text', seed: `CASE WHEN g % 2 = 0 THEN 'NL' ELSE 'BE' END` }] },
  phases: {
    tighten: {
      schema: (s) => void (s.columns.country_code.notNull = true),
      after: async (ctx) => {
        await ctx.fails(`INSERT INTO users (email) VALUES ('forgot@example.com')`, undefined, '23502');
        await ctx.q(`INSERT INTO users (email, country_code) VALUES ('ok@example.com', 'FR')`);
      },
    },
    use: {},
  },
};

export const SET_NOT_NULL_CASES: readonly Case[] = [setNotNullBackfill, setNotNullNoNulls];
