/**
 * drop-index lifecycle cases: code moves off the index (a deploy), then DROP INDEX CONCURRENTLY; the
 * down builds it again from its definition, given by flags or by the project's declared schema, and
 * the rollback must reach the starting pg_dump exactly.
 */
import type { Case, TableSnapshot } from '../support/lifecycle.js';

const gone = (name: string) => (s: TableSnapshot) => {
  delete s.indexes[name];
};

const plain: Case = {
  id: 'drop_index_plain',
  op: 'drop-index',
  flags: { table: 'users', name: 'users_email_idx', columns: 'email' },
  phases: {
    stop: {},
    drop: {
      schema: gone('users_email_idx'),
      after: async (ctx) => {
        // Still answered, without the index.
        ctx.expect(Number(await ctx.val(`SELECT count(*) FROM users WHERE email = 'user7@example.org'`))).toBe(1);
      },
    },
  },
};

const ACTIVE_NAME = `CREATE UNIQUE INDEX users_active_name_key ON users (name) WHERE deprecated_flag IS NOT TRUE`;
const UPSERT = `INSERT INTO users (email, name) VALUES ('upsert@example.org', 'User 3') ON CONFLICT (name) WHERE deprecated_flag IS NOT TRUE DO NOTHING`;

/** Unique and partial: old code's ON CONFLICT names it as arbiter, so it must stop before the drop. */
const uniquePartial: Case = {
  id: 'drop_index_unique_partial',
  op: 'drop-index',
  flags: { table: 'users', name: 'users_active_name_key', columns: 'name', unique: true, where: 'deprecated_flag IS NOT TRUE' },
  table: { ddl: [ACTIVE_NAME] },
  phases: {
    stop: {
      before: async (ctx) => {
        // Old code: the upsert finds its arbiter.
        await ctx.q(UPSERT);
        ctx.expect(Number(await ctx.val(`SELECT count(*) FROM users WHERE email = 'upsert@example.org'`))).toBe(0);
      },
    },
    drop: {
      schema: gone('users_active_name_key'),
      after: async (ctx) => {
        // What old code would meet now: no arbiter.
        await ctx.fails(UPSERT, undefined, '42P10');
      },
    },
  },
};

/** Prisma only: no definition flags; the down is built from the @@index line of schema.prisma. */
export const DROP_INDEX_DECLARED_PRISMA: Case = { ...plain, id: 'drop_index_declared_prisma', flags: { table: 'users', name: 'users_email_idx' } };

/** Rails only: no definition flags; the down is built from the t.index line of db/schema.rb. */
export const DROP_INDEX_DECLARED_RAILS: Case = {
  ...uniquePartial,
  id: 'drop_index_declared_rails',
  flags: { table: 'users', name: 'users_active_name_key' },
  files: {
    'db/schema.rb': [
      'ActiveRecord::Schema.define(version: 2026_01_01_000000) do',
      '  create_table "users", force: :cascade do |t|',
      '    t.text "email", null: false',
      '    t.text "name", default: "anon", null: false',
      '    t.datetime "created_at", null: false',
      '    t.boolean "deprecated_flag"',
      '    t.index ["email"], name: "users_email_idx"',
      '    t.index ["name"], name: "users_active_name_key", unique: true, where: "(deprecated_flag IS NOT TRUE)"',
      '  end',
      'end',
      '',
    ].join('\n'),
  },
};

export const DROP_INDEX_CASES: readonly Case[] = [plain, uniquePartial];
