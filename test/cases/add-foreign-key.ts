/**
 * add-foreign-key lifecycle cases.
 * What the database must look like after each phase, and what application code can and cannot do in
 * between; run against every target by test/integration/generated-*.test.ts through runLifecycle.
 * Schema expectations are written by hand from PostgreSQL's own catalog text.
 */
import type { Case, Ctx, ExtraTable } from '../support/lifecycle.js';
import { addIndexSchema, usesIndex } from './helpers.js';

/** The referenced table of the orgs case: ten organisations, in the starting schema. */
export const ORGS: ExtraTable = {
  ddl: 'CREATE TABLE orgs (\n  id bigserial PRIMARY KEY,\n  name text NOT NULL\n)',
  seed: `INSERT INTO orgs (name) SELECT 'Org ' || g FROM generate_series(1, 10) AS g`,
  prismaModel: 'model Org {\n  id   BigInt @id @default(autoincrement())\n  name String\n\n  @@map("orgs")\n}\n',
};

const ORPHAN_KEY = 999_999;

/** New writes are checked: a dangling key is refused, an existing one and NULL are accepted. */
async function checked(ctx: Ctx, column: string, existing: number): Promise<void> {
  await ctx.fails(`INSERT INTO users (email, ${column}) VALUES ('dangling@example.com', $1)`, [ORPHAN_KEY], '23503');
  await ctx.fails(`UPDATE users SET ${column} = $1 WHERE id = 2`, [ORPHAN_KEY], '23503');
  const [{ id }] = await ctx.q(`INSERT INTO users (email, ${column}) VALUES ('linked@example.com', $1) RETURNING id`, [existing]);
  await ctx.q(`UPDATE users SET ${column} = NULL WHERE id = $1`, [id]);
}

/** Nothing checks the key: a dangling one goes in (and is taken out again, or VALIDATE would fail later). */
async function unchecked(ctx: Ctx, column: string): Promise<void> {
  const [{ id }] = await ctx.q(`INSERT INTO users (email, ${column}) VALUES ('dangling@example.com', $1) RETURNING id`, [ORPHAN_KEY]);
  await ctx.q('DELETE FROM users WHERE id = $1', [id]);
}

/**
 * users.org_id -> orgs(id), index first. `onDelete` is PostgreSQL's clause as pg_get_constraintdef
 * prints it; `deleted` checks what deleting an organisation does to its users.
 */
function orgsCase(
  id: string,
  onDelete: string,
  clause: string,
  deleted: (ctx: Ctx, user: number) => Promise<void>,
  orgIdDdl = 'org_id bigint',
): Case {
  const def = `FOREIGN KEY (org_id) REFERENCES orgs(id)${clause ? ` ${clause}` : ''}`;
  return {
    id,
    op: 'add-foreign-key',
    flags: { table: 'users', columns: 'org_id', references: 'orgs(id)', 'on-delete': onDelete },
    table: {
      tables: [ORGS],
      extra: [{ name: 'org_id', ddl: orgIdDdl, seed: 'CASE WHEN g % 5 = 0 THEN NULL ELSE 1 + g % 10 END' }],
    },
    phases: {
      index: {
        schema: addIndexSchema('users_org_id_idx', 'CREATE INDEX users_org_id_idx ON public.users USING btree (org_id)'),
        after: async (ctx) => {
          await usesIndex(ctx, 'users_org_id_idx', 'SELECT id FROM users WHERE org_id = 3');
          await unchecked(ctx, 'org_id');
        },
      },
      constrain: {
        before: async (ctx) => {
          // The plan's orphan query, as the checklist gives it: nothing for VALIDATE to trip on.
          const orphans = ctx.plan.phases.find((p) => p.key === 'constrain')!.verify[1];
          ctx.expect(orphans.expect).toMatch(/VALIDATE fails/);
          ctx.expect(Number(await ctx.val(orphans.sql))).toBe(0);
        },
        schema: (s) => void (s.constraints.users_org_id_fkey = { def: `${def} NOT VALID`, validated: false }),
        after: (ctx) => checked(ctx, 'org_id', 3),
      },
      validate: {
        schema: (s) => void (s.constraints.users_org_id_fkey = { def, validated: true }),
        after: (ctx) => checked(ctx, 'org_id', 4),
      },
      use: {
        after: async (ctx) => {
          const [{ id: org }] = await ctx.q(`INSERT INTO orgs (name) VALUES ('Short-lived') RETURNING id`);
          const [{ id: user }] = await ctx.q(`INSERT INTO users (email, org_id) VALUES ('member@example.com', $1) RETURNING id`, [org]);
          await ctx.q('DELETE FROM orgs WHERE id = $1', [org]);
          await deleted(ctx, Number(user));
        },
      },
    },
    afterRollback: {
      // Back to NOT VALID: still enforced for new writes.
      validate: (ctx) => checked(ctx, 'org_id', 5),
      constrain: (ctx) => unchecked(ctx, 'org_id'),
    },
  };
}

/** ON DELETE CASCADE: an organisation's users go with it. */
const fkOrgs = orgsCase('fk_orgs_cascade', 'cascade', 'ON DELETE CASCADE', async (ctx, user) => {
  ctx.expect(await ctx.q('SELECT id FROM users WHERE id = $1', [user])).toEqual([]);
});

/** Prisma only: ON DELETE SET DEFAULT, which Prisma's schema engine describes as onDelete: SetDefault. */
export const FK_SET_DEFAULT = orgsCase(
  'fk_orgs_set_default',
  'set default',
  'ON DELETE SET DEFAULT',
  async (ctx, user) => {
    ctx.expect((await ctx.q('SELECT org_id FROM users WHERE id = $1', [user]))[0].org_id).toBe('1');
  },
  'org_id bigint DEFAULT 1',
);

const fkSelf: Case = {
  id: 'fk_self_set_null',
  op: 'add-foreign-key',
  flags: { table: 'users', columns: 'manager_id', references: 'users(id)', 'on-delete': 'set null', 'no-index': true, name: 'users_manager_fk' },
  table: { extra: [{ name: 'manager_id', ddl: 'manager_id bigint', seed: 'NULLIF(g / 10, 0)' }] },
  phases: {
    constrain: {
      schema: (s) => {
        s.constraints.users_manager_fk = { def: 'FOREIGN KEY (manager_id) REFERENCES users(id) ON DELETE SET NULL NOT VALID', validated: false };
      },
      after: (ctx) => checked(ctx, 'manager_id', 7),
    },
    validate: {
      schema: (s) => {
        s.constraints.users_manager_fk = { def: 'FOREIGN KEY (manager_id) REFERENCES users(id) ON DELETE SET NULL', validated: true };
      },
    },
    use: {
      after: async (ctx) => {
        // ON DELETE SET NULL: the reports of a deleted manager (users 10-19 report to user 1) keep their rows.
        ctx.expect(Number(await ctx.val('SELECT count(*) FROM users WHERE manager_id = 1'))).toBe(10);
        await ctx.q('DELETE FROM users WHERE id = 1');
        ctx.expect(Number(await ctx.val('SELECT count(*) FROM users WHERE id BETWEEN 10 AND 19 AND manager_id IS NULL'))).toBe(10);
      },
    },
  },
  afterRollback: {
    constrain: (ctx) => unchecked(ctx, 'manager_id'),
  },
};

export const ADD_FOREIGN_KEY_CASES: readonly Case[] = [fkOrgs, fkSelf];
