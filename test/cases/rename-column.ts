/**
 * rename-column lifecycle cases.
 * What the database must look like after each phase, and what application code can and cannot do in
 * between; run against every target by test/integration/generated-*.test.ts through runLifecycle.
 * Schema expectations are written by hand from PostgreSQL's own catalog text.
 */
// Only for an asymmetric matcher (stateless); assertions use the running test's ctx.expect.
import { expect as matchers } from 'vitest';
import { ROWS, type Case, type Ctx } from '../support/lifecycle.js';
import { TRIGGER, columnComment, oldCodeInsert, row, usesIndex } from './helpers.js';

// -------------------------------------------------------------------------------------------------
// rename-column (NOT NULL, with a default), with what depends on `name`: a btree index named after
// the column (its copy is built under its final name), a partial index whose name does not mention
// it and whose predicate names it (its copy is built under a temporary name and takes the original's
// at the contract), and a CHECK constraint. Generated with --database-url, which reads them.

const NAME_INDEXES = [
  'CREATE INDEX users_name_idx ON users (name)',
  "CREATE INDEX users_lookup ON users (name) WHERE name <> 'anon'",
  'ALTER TABLE users ADD CONSTRAINT users_name_length CHECK (char_length(name) <= 200)',
];
const LONG = 'x'.repeat(201);

async function namesById(ctx: Ctx, column: string): Promise<Map<number, string>> {
  const rows = await ctx.q(`SELECT id, ${column} AS v FROM users ORDER BY id`);
  return new Map(rows.map((r) => [Number(r.id), r.v]));
}

async function bothColumnsAgree(ctx: Ctx): Promise<void> {
  ctx.expect(Number(await ctx.val('SELECT count(*) FROM users WHERE full_name IS DISTINCT FROM name')), 'name and full_name agree on every row').toBe(0);
}

const rename: Case = {
  id: 'rename',
  op: 'rename-column',
  flags: { table: 'users', from: 'name', to: 'full_name' },
  table: { last: 'name', ddl: [...NAME_INDEXES, "COMMENT ON COLUMN users.name IS 'Shown on the profile'"] },
  introspect: true,
  phases: {
    expand: {
      before: async (ctx) => {
        ctx.notes.expected = await namesById(ctx, 'name');
      },
      schema: (s) => {
        s.columns.full_name = { type: 'text', notNull: false, default: null };
        s.constraints.users_full_name_not_null = { def: 'CHECK ((full_name IS NOT NULL)) NOT VALID', validated: false };
        s.triggers[TRIGGER] = `CREATE TRIGGER ${TRIGGER} BEFORE INSERT OR UPDATE ON public.users FOR EACH ROW EXECUTE FUNCTION ${TRIGGER}()`;
        s.functions[TRIGGER] = matchers.stringContaining(`CREATE OR REPLACE FUNCTION public.${TRIGGER}()`) as unknown as string;
      },
      after: async (ctx) => {
        const exp: Map<number, string> = ctx.notes.expected;
        // Old code (only `name`) keeps working; the trigger copies every write into full_name.
        const a = await oldCodeInsert(ctx, 'old1@example.com', 'Old One');
        const b = await oldCodeInsert(ctx, 'old2@example.com'); // relies on name's default
        await ctx.q(`UPDATE users SET name = 'Renamed by old code' WHERE id = 10`);
        exp.set(a, 'Old One').set(b, 'anon').set(10, 'Renamed by old code');
        ctx.expect(await row(ctx, a, 'name, full_name')).toEqual({ name: 'Old One', full_name: 'Old One' });
        ctx.expect(await row(ctx, b, 'name, full_name')).toEqual({ name: 'anon', full_name: 'anon' });
        ctx.expect(await row(ctx, 10, 'name, full_name')).toEqual({ name: 'Renamed by old code', full_name: 'Renamed by old code' });
        // Rows nobody touched wait for the backfill.
        ctx.expect(Number(await ctx.val('SELECT count(*) FROM users WHERE full_name IS NULL'))).toBe(ROWS - 1);
        // A NULL written to full_name reaches name through the trigger, and name refuses it.
        await ctx.fails(`UPDATE users SET full_name = NULL WHERE id = $1`, [a], '23502');
      },
    },
    backfill: {
      after: async (ctx) => {
        await bothColumnsAgree(ctx);
        ctx.expect(await namesById(ctx, 'full_name'), 'every row: full_name = name').toEqual(ctx.notes.expected);
      },
    },
    copy: {
      schema: (s) => {
        s.indexes.users_full_name_idx = { def: 'CREATE INDEX users_full_name_idx ON public.users USING btree (full_name)', valid: true, ready: true };
        s.indexes.users_lookup_copy = {
          def: "CREATE INDEX users_lookup_copy ON public.users USING btree (full_name) WHERE (full_name <> 'anon'::text)",
          valid: true,
          ready: true,
        };
        s.constraints.users_full_name_length = { def: 'CHECK ((char_length(full_name) <= 200))', validated: true };
      },
      after: async (ctx) => {
        await usesIndex(ctx, 'users_full_name_idx', `SELECT id FROM users WHERE full_name = 'anon'`);
        await usesIndex(ctx, 'users_lookup_copy', `SELECT id FROM users WHERE full_name = 'User 5' AND full_name <> 'anon'`, ['users_full_name_idx']);
        // The copied CHECK refuses on the new column what the original refuses on the old one.
        await ctx.fails(`UPDATE users SET full_name = '${LONG}' WHERE id = 5`, undefined, '23514');
      },
    },
    tighten: {
      schema: (s) => {
        s.columns.full_name.notNull = true;
        delete s.constraints.users_full_name_not_null;
      },
      after: async (ctx) => {
        // full_name is NOT NULL now, yet old code (which never sets it) still inserts: the
        // BEFORE trigger fills it before the constraint is checked.
        const id = await oldCodeInsert(ctx, 'old3@example.com', 'Old Three');
        (ctx.notes.expected as Map<number, string>).set(id, 'Old Three');
        ctx.expect(await row(ctx, id, 'name, full_name')).toEqual({ name: 'Old Three', full_name: 'Old Three' });
      },
    },
    switch: {
      after: async (ctx) => {
        const exp: Map<number, string> = ctx.notes.expected;
        // New code writes only full_name; old instances still in the rollout write only name.
        const [{ id: n1 }] = await ctx.q(`INSERT INTO users (email, full_name) VALUES ('new1@example.com', 'New One') RETURNING id`);
        await ctx.q(`UPDATE users SET full_name = 'Changed by new code' WHERE id = 20`);
        await ctx.q(`UPDATE users SET name = 'Changed by old code' WHERE id = 21`);
        const o = await oldCodeInsert(ctx, 'old4@example.com', 'Old Four');
        exp.set(Number(n1), 'New One').set(20, 'Changed by new code').set(21, 'Changed by old code').set(o, 'Old Four');
        for (const id of [Number(n1), 20, 21, o]) ctx.expect((await row(ctx, id, 'name, full_name')).name).toBe(exp.get(id));
        await bothColumnsAgree(ctx);
        ctx.expect(await namesById(ctx, 'full_name')).toEqual(exp);
        ctx.expect(await namesById(ctx, 'name')).toEqual(exp);
      },
    },
    contract: {
      schema: (s) => {
        delete s.columns.name;
        s.columns.full_name.default = "'anon'::text";
        delete s.triggers[TRIGGER];
        delete s.functions[TRIGGER];
        // The originals went with name; the copies survive, the partial one under the original's name.
        delete s.indexes.users_name_idx;
        delete s.constraints.users_name_length;
        s.indexes.users_lookup = { ...s.indexes.users_lookup_copy, def: s.indexes.users_lookup_copy.def.replace('users_lookup_copy', 'users_lookup') };
        delete s.indexes.users_lookup_copy;
      },
      after: async (ctx) => {
        await usesIndex(ctx, 'users_full_name_idx', `SELECT id FROM users WHERE full_name = 'anon'`);
        await usesIndex(ctx, 'users_lookup', `SELECT id FROM users WHERE full_name = 'User 5' AND full_name <> 'anon'`, ['users_full_name_idx']);
        await ctx.fails(`INSERT INTO users (email, full_name) VALUES ('long@example.com', '${LONG}')`, undefined, '23514');
        const exp: Map<number, string> = ctx.notes.expected;
        const [{ id: a }] = await ctx.q(`INSERT INTO users (email) VALUES ('new2@example.com') RETURNING id`);
        const [{ id: b }] = await ctx.q(`INSERT INTO users (email, full_name) VALUES ('new3@example.com', 'Post Contract') RETURNING id`);
        await ctx.q(`UPDATE users SET full_name = 'Changed after contract' WHERE id = 30`);
        exp.set(Number(a), 'anon').set(Number(b), 'Post Contract').set(30, 'Changed after contract');
        ctx.expect(await namesById(ctx, 'full_name'), 'no value was lost by the contract').toEqual(exp);
        ctx.expect(await columnComment(ctx, 'full_name'), 'the comment went with the values').toBe('Shown on the profile');
      },
    },
  },
  afterRollback: {
    contract: async (ctx) => {
      ctx.expect([await columnComment(ctx, 'name'), await columnComment(ctx, 'full_name')], 'the comment is back on name alone').toEqual(['Shown on the profile', null]);
      const exp: Map<number, string> = ctx.notes.expected;
      // The old column is back with every value, including rows written after the contract.
      await bothColumnsAgree(ctx);
      ctx.expect(await namesById(ctx, 'name')).toEqual(exp);
      // Old code works again, and the trigger is back.
      const id = await oldCodeInsert(ctx, 'old5@example.com', 'Old Five');
      exp.set(id, 'Old Five');
      ctx.expect(await row(ctx, id, 'name, full_name')).toEqual({ name: 'Old Five', full_name: 'Old Five' });
      // The reverse backfill finds nothing left to copy back.
      const r = await ctx.backfill({ reverse: true });
      ctx.expect(r.stdout + r.stderr).toMatch(/Done: 0 rows updated/);
    },
    expand: async (ctx) => {
      ctx.expect(await namesById(ctx, 'name'), 'after the whole rollback, name holds every value').toEqual(ctx.notes.expected);
    },
  },
};

export const RENAME_COLUMN_CASES: readonly Case[] = [rename];

/** Prisma only: a field with its own name (`displayName @map("name")`) keeps it and switches its @map. */
export const RENAME_MAPPED: Case = { ...rename, id: 'rename_mapped', prismaFields: { name: 'displayName', created_at: 'createdAt', deprecated_flag: 'deprecatedFlag' } };
