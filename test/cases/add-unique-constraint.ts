/**
 * add-unique-constraint lifecycle cases: the guard, the concurrent build and the constraint in one
 * phase; duplicates refused afterwards, ON CONFLICT on the constraint only once it exists. Schema
 * expectations are PostgreSQL's own catalog text.
 */
import type { Case, Ctx, TableSnapshot } from '../support/lifecycle.js';

const constraintSchema = (name: string, indexDef: string, constraintDef: string) => (s: TableSnapshot) => {
  s.indexes[name] = { def: indexDef, valid: true, ready: true };
  s.constraints[name] = { def: constraintDef, validated: true };
};

/** The plan's own duplicates query, run before the phase as the checklist says. */
async function noDuplicates(ctx: Ctx): Promise<void> {
  const dup = ctx.plan.phases[0].verify.find((v) => v.before);
  ctx.expect(dup?.expect).toMatch(/duplicate/);
  ctx.expect(Number(await ctx.val(dup!.sql))).toBe(0);
}

const plain: Case = {
  id: 'unique_constraint_plain',
  op: 'add-unique-constraint',
  flags: { table: 'users', columns: 'email' },
  phases: {
    add: {
      before: async (ctx) => {
        await noDuplicates(ctx);
        // users_email_idx is not unique: nothing can be an ON CONFLICT arbiter yet.
        await ctx.fails(`INSERT INTO users (email) VALUES ('user1@example.org') ON CONFLICT (email) DO NOTHING`, undefined, '42P10');
      },
      schema: constraintSchema('users_email_key', 'CREATE UNIQUE INDEX users_email_key ON public.users USING btree (email)', 'UNIQUE (email)'),
      after: async (ctx) => {
        await ctx.fails(`INSERT INTO users (email) VALUES ('user1@example.org')`, undefined, '23505');
        await ctx.q(`INSERT INTO users (email) VALUES ('after-constraint@example.org')`);
      },
    },
    use: {
      after: async (ctx) => {
        await ctx.q(`INSERT INTO users (email, name) VALUES ('user2@example.com', 'Dup') ON CONFLICT ON CONSTRAINT users_email_key DO NOTHING`);
        ctx.expect(Number(await ctx.val(`SELECT count(*) FROM users WHERE email = 'user2@example.com'`))).toBe(1);
      },
    },
  },
};

/**
 * Two columns, one of them NULL on many rows: rows with a NULL never conflict (NULLS DISTINCT), so the
 * guard must not count them as duplicates (GROUP BY would put them in one group).
 */
const namedNullable: Case = {
  id: 'unique_constraint_named_nullable',
  op: 'add-unique-constraint',
  flags: { table: 'users', columns: 'handle,deprecated_flag', name: 'users_handle_flag_key' },
  table: { extra: [{ name: 'handle', ddl: 'handle text', seed: `CASE WHEN g % 4 = 0 THEN NULL ELSE 'h' || g END` }] },
  phases: {
    add: {
      before: async (ctx) => {
        ctx.expect(Number(await ctx.val(`SELECT count(*) FROM users WHERE handle IS NULL`))).toBeGreaterThan(100);
        await noDuplicates(ctx);
      },
      schema: constraintSchema(
        'users_handle_flag_key',
        'CREATE UNIQUE INDEX users_handle_flag_key ON public.users USING btree (handle, deprecated_flag)',
        'UNIQUE (handle, deprecated_flag)',
      ),
      after: async (ctx) => {
        await ctx.fails(`INSERT INTO users (email, handle, deprecated_flag) VALUES ('x@example.org', 'h1', true)`, undefined, '23505');
        await ctx.q(`INSERT INTO users (email, handle, deprecated_flag) VALUES ('y@example.org', NULL, true), ('z@example.org', NULL, true)`);
      },
    },
    use: {},
  },
};

export const ADD_UNIQUE_CONSTRAINT_CASES: readonly Case[] = [plain, namedNullable];
