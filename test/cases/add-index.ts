/**
 * add-index lifecycle cases.
 * What the database must look like after each phase, and what application code can and cannot do in
 * between; run against every target by test/integration/generated-*.test.ts through runLifecycle.
 * Schema expectations are written by hand from PostgreSQL's own catalog text.
 */
import { type Case } from '../support/lifecycle.js';
import { addIndexSchema, usesIndex } from './helpers.js';

// -------------------------------------------------------------------------------------------------
// add-index

const indexCase = (
  id: string,
  flags: Record<string, string | true>,
  index: string,
  def: string,
  probe: string,
  extra: Partial<Case> = {},
): Case => ({
  id,
  op: 'add-index',
  flags: { table: 'users', ...flags },
  phases: {
    build: {
      schema: addIndexSchema(index, def),
      after: async (ctx) => {
        await usesIndex(ctx, index, probe);
        // Writes keep working and keep the index up to date.
        await ctx.q(`INSERT INTO users (email, name) VALUES ('after-index@example.com', 'After')`);
      },
      ...extra.phases?.build,
    },
    use: { ...extra.phases?.use },
  },
  ...(extra.table ? { table: extra.table } : {}),
});

const indexPlain = indexCase(
  'index_plain',
  { columns: 'created_at' },
  'users_created_at_idx',
  'CREATE INDEX users_created_at_idx ON public.users USING btree (created_at)',
  `SELECT id FROM users WHERE created_at > now() - interval '1 day'`,
);

const indexUnique = indexCase(
  'index_unique',
  { columns: 'email', unique: true },
  'users_email_key',
  'CREATE UNIQUE INDEX users_email_key ON public.users USING btree (email)',
  `SELECT id FROM users WHERE email = 'user7@example.org'`,
  {
    phases: {
      build: {
        before: async (ctx) => {
          // The plan's duplicate check, run before the build as the checklist says.
          const dup = ctx.plan.phases[0].verify[0];
          ctx.expect(dup.expect).toMatch(/duplicate/);
          ctx.expect(Number(await ctx.val(dup.sql))).toBe(0);
          // Before the index, code that needs it cannot run.
          await ctx.fails(`INSERT INTO users (email) VALUES ('user1@example.org') ON CONFLICT (email) DO NOTHING`, undefined, '42P10');
        },
      },
      use: {
        after: async (ctx) => {
          await ctx.q(`INSERT INTO users (email, name) VALUES ('user1@example.org', 'Dup') ON CONFLICT (email) DO NOTHING`);
          ctx.expect(Number(await ctx.val(`SELECT count(*) FROM users WHERE email = 'user1@example.org'`))).toBe(1);
          await ctx.fails(`INSERT INTO users (email) VALUES ('user1@example.org')`, undefined, '23505');
        },
      },
    } as Case['phases'],
  },
);

const indexPartial = indexCase(
  'index_partial',
  { columns: 'name,created_at', where: 'deprecated_flag IS NOT TRUE' },
  'users_name_created_at_idx',
  'CREATE INDEX users_name_created_at_idx ON public.users USING btree (name, created_at) WHERE (deprecated_flag IS NOT TRUE)',
  `SELECT id FROM users WHERE name = 'User 5' AND deprecated_flag IS NOT TRUE`,
);

const indexUniquePartial = indexCase(
  'index_unique_partial',
  { columns: 'email', unique: true, where: 'deprecated_flag IS NULL' },
  'users_email_key',
  'CREATE UNIQUE INDEX users_email_key ON public.users USING btree (email) WHERE (deprecated_flag IS NULL)',
  `SELECT id FROM users WHERE email = 'user3@example.org' AND deprecated_flag IS NULL`,
);

const indexBrin = indexCase(
  'index_brin',
  { columns: 'created_at', using: 'brin' },
  'users_created_at_idx',
  'CREATE INDEX users_created_at_idx ON public.users USING brin (created_at)',
  `SELECT id FROM users WHERE created_at BETWEEN '2025-01-02' AND '2025-01-03'`,
);

const indexGin = indexCase(
  'index_gin',
  { columns: 'tags', using: 'gin' },
  'users_tags_idx',
  'CREATE INDEX users_tags_idx ON public.users USING gin (tags)',
  `SELECT id FROM users WHERE tags @> ARRAY['t3']`,
  { table: { extra: [{ name: 'tags', ddl: `tags text[] NOT NULL DEFAULT '{}'`, seed: `ARRAY['t' || (g % 10), 'all']` }] } },
);

/** Heaviest first: with tests running concurrently, the long ones should not start last. */

export const ADD_INDEX_CASES: readonly Case[] = [indexPlain, indexUnique, indexPartial, indexBrin, indexGin];

/** Prisma only: with the partialIndexes preview feature the partial index is in schema.prisma. */
export const PRISMA_INDEX_CASES: readonly Case[] = [
  { ...indexPartial, id: 'index_partial_preview', prismaPreviewFeatures: ['partialIndexes'] },
  { ...indexUniquePartial, id: 'index_unique_partial_preview', prismaPreviewFeatures: ['partialIndexes'] },
];
