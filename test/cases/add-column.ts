/**
 * add-column lifecycle cases.
 * What the database must look like after each phase, and what application code can and cannot do in
 * between; run against every target by test/integration/generated-*.test.ts through runLifecycle.
 * Schema expectations are written by hand from PostgreSQL's own catalog text.
 */
import { ROWS, type Case } from '../support/lifecycle.js';
import { oldCodeInsert, row } from './helpers.js';

// -------------------------------------------------------------------------------------------------
// add-column

const addNullable: Case = {
  id: 'add_nullable',
  op: 'add-column',
  flags: { table: 'users', column: 'nickname', type: 'text' },
  phases: {
    add: {
      schema: (s) => void (s.columns.nickname = { type: 'text', notNull: false, default: null }),
      after: async (ctx) => {
        ctx.expect(Number(await ctx.val('SELECT count(*) FROM users WHERE nickname IS NULL'))).toBe(ROWS);
        const old = await oldCodeInsert(ctx, 'old@example.com', 'Old');
        ctx.expect((await row(ctx, old, 'nickname')).nickname).toBeNull();
      },
    },
    use: {
      after: async (ctx) => {
        const [{ id }] = await ctx.q('INSERT INTO users (email, nickname) VALUES ($1, $2) RETURNING id', ['new@example.com', 'nicky']);
        await ctx.q(`UPDATE users SET nickname = 'n1' WHERE id = 1`);
        ctx.expect((await row(ctx, Number(id), 'nickname')).nickname).toBe('nicky');
        ctx.expect((await row(ctx, 1, 'nickname')).nickname).toBe('n1');
      },
    },
  },
};

const addConstantDefaultNotNull: Case = {
  id: 'add_const_default',
  op: 'add-column',
  flags: { table: 'users', column: 'status', type: 'varchar(20)', default: "'active'", 'not-null': true },
  phases: {
    add: {
      schema: (s) => void (s.columns.status = { type: 'character varying(20)', notNull: true, default: "'active'::character varying" }),
      after: async (ctx) => {
        ctx.expect(Number(await ctx.val(`SELECT count(*) FROM users WHERE status = 'active'`))).toBe(ROWS);
        // Old code does not know the column: the default fills it in.
        const old = await oldCodeInsert(ctx, 'old@example.com', 'Old');
        ctx.expect((await row(ctx, old, 'status')).status).toBe('active');
        await ctx.fails('INSERT INTO users (email, status) VALUES ($1, NULL)', ['null@example.com'], '23502');
      },
    },
    use: {
      after: async (ctx) => {
        const [{ id }] = await ctx.q(`INSERT INTO users (email, status) VALUES ('new@example.com', 'suspended') RETURNING id`);
        ctx.expect((await row(ctx, Number(id), 'status')).status).toBe('suspended');
      },
    },
  },
};

const addVolatileDefault: Case = {
  id: 'add_volatile_default',
  op: 'add-column',
  flags: { table: 'users', column: 'public_id', type: 'uuid', default: 'gen_random_uuid()', 'not-null': true },
  phases: {
    expand: {
      schema: (s) => void (s.columns.public_id = { type: 'uuid', notNull: false, default: 'gen_random_uuid()' }),
      after: async (ctx) => {
        // No rewrite happened: existing rows are still empty...
        ctx.expect(Number(await ctx.val('SELECT count(*) FROM users WHERE public_id IS NULL'))).toBe(ROWS);
        // ...while rows written by old code get a value of their own right away.
        const a = await oldCodeInsert(ctx, 'old1@example.com', 'Old 1');
        const b = await oldCodeInsert(ctx, 'old2@example.com');
        const ra = await row(ctx, a, 'public_id');
        const rb = await row(ctx, b, 'public_id');
        ctx.expect(ra.public_id).toMatch(/^[0-9a-f-]{36}$/);
        ctx.expect(rb.public_id).not.toBe(ra.public_id);
        ctx.notes.oldRows = { [a]: ra.public_id, [b]: rb.public_id };
      },
    },
    backfill: {
      after: async (ctx) => {
        ctx.expect(Number(await ctx.val('SELECT count(*) FROM users WHERE public_id IS NULL'))).toBe(0);
        ctx.expect(Number(await ctx.val('SELECT count(DISTINCT public_id) FROM users'))).toBe(ROWS + 2);
        for (const [id, v] of Object.entries(ctx.notes.oldRows as Record<string, string>))
          ctx.expect((await row(ctx, Number(id), 'public_id')).public_id, 'the backfill leaves rows that have a value alone').toBe(v);
      },
    },
    tighten: {
      schema: (s) => void (s.columns.public_id.notNull = true),
      after: async (ctx) => {
        await ctx.fails('INSERT INTO users (email, public_id) VALUES ($1, NULL)', ['null@example.com'], '23502');
        const id = await oldCodeInsert(ctx, 'old3@example.com');
        ctx.expect((await row(ctx, id, 'public_id')).public_id).toMatch(/^[0-9a-f-]{36}$/);
      },
    },
    use: {},
  },
};

const HANDLE = `lower(split_part(email, '@', 1)) || ':' || id::text`;
const addBackfillNotNull: Case = {
  id: 'add_backfill_not_null',
  op: 'add-column',
  flags: { table: 'users', column: 'handle', type: 'text', backfill: HANDLE, 'not-null': true },
  phases: {
    expand: {
      schema: (s) => void (s.columns.handle = { type: 'text', notNull: false, default: null }),
      after: async (ctx) => {
        // Old code still runs: its rows arrive without a handle, for the backfill to fill.
        ctx.notes.old = await oldCodeInsert(ctx, 'Old.Timer@example.com', 'Old');
      },
    },
    write: {
      after: async (ctx) => {
        // New code sets the column on every insert and update.
        const [{ id }] = await ctx.q(`INSERT INTO users (email, handle) VALUES ('newbie@example.com', 'newbie') RETURNING id`);
        ctx.notes.new = Number(id);
        await ctx.q(`UPDATE users SET handle = 'custom5' WHERE id = 5`);
      },
    },
    backfill: {
      after: async (ctx) => {
        ctx.expect(Number(await ctx.val(`SELECT count(*) FROM users WHERE handle IS NULL`))).toBe(0);
        ctx.expect(
          Number(await ctx.val(`SELECT count(*) FROM users WHERE handle IS DISTINCT FROM (${HANDLE}) AND id NOT IN (5, $1)`, [ctx.notes.new])),
          'every other row holds the backfill expression',
        ).toBe(0);
        ctx.expect((await row(ctx, ctx.notes.old, 'handle')).handle).toBe(`old.timer:${ctx.notes.old}`);
        ctx.expect((await row(ctx, 5, 'handle')).handle, 'values written by new code are kept').toBe('custom5');
        ctx.expect((await row(ctx, ctx.notes.new, 'handle')).handle).toBe('newbie');
      },
    },
    tighten: {
      schema: (s) => void (s.columns.handle.notNull = true),
      after: async (ctx) => {
        await ctx.fails(`INSERT INTO users (email) VALUES ('forgot@example.com')`, undefined, '23502');
      },
    },
    use: {},
  },
};

export const ADD_COLUMN_CASES: readonly Case[] = [addBackfillNotNull, addVolatileDefault, addNullable, addConstantDefaultNotNull];
