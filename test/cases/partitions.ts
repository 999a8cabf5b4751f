/**
 * add-index on a partitioned users table (range by id, 8 partitions): run by
 * test/integration/partitions.test.ts, per target. Without --partitions the migration finds the
 * partitions when it runs (Alembic, Rails); with --partitions every target writes a migration per
 * partition (Prisma, golang-migrate and dbmate can do nothing else).
 */
import type { Case, Ctx } from '../support/lifecycle.js';
import { addIndexSchema } from './helpers.js';

export const PARTITIONS = 8;
export const PARTITION_NAMES = Array.from({ length: PARTITIONS }, (_, k) => `users_p${k}`);

/** Every partition (and only those named) has a valid index attached to the parent index. */
export async function attachedEverywhere(ctx: Ctx, index: string, partitions: string[]): Promise<void> {
  const rows = await ctx.q<{ partition: string; child: string; valid: boolean }>(
    `SELECT c.relname AS partition, xc.relname AS child, x.indisvalid AS valid
       FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       LEFT JOIN (pg_inherits ii JOIN pg_index x ON x.indexrelid = ii.inhrelid JOIN pg_class xc ON xc.oid = x.indexrelid)
              ON ii.inhparent = to_regclass($1) AND x.indrelid = c.oid
      WHERE i.inhparent = 'users'::regclass ORDER BY 1`,
    [index],
  );
  ctx.expect(rows.map((r) => r.partition)).toEqual([...partitions].sort());
  for (const r of rows) ctx.expect(r, `index of ${r.partition}`).toMatchObject({ valid: true });
  ctx.expect(await ctx.val(`SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass($1)`, [index])).toBe(true);
}

const partitionedIndexCase = (id: string, flags: Record<string, string | true>, index: string, def: string, extra: Partial<Case> = {}): Case => ({
  id,
  op: 'add-index',
  flags: { table: 'users', ...flags },
  table: { partitions: PARTITIONS },
  phases: {
    build: {
      schema: addIndexSchema(index, def),
      after: async (ctx) => {
        await attachedEverywhere(ctx, index, PARTITION_NAMES);
        // Writes keep working; a row in the open-ended last partition too.
        await ctx.q(`INSERT INTO users (email, name) VALUES ('after-index@example.com', 'After')`);
      },
    },
    use: {},
  },
  ...extra,
});

const LISTED = { partitions: PARTITION_NAMES.join(',') };

export const PART_INDEX = partitionedIndexCase(
  'part_index',
  { columns: 'created_at' },
  'users_created_at_idx',
  'CREATE INDEX users_created_at_idx ON ONLY public.users USING btree (created_at)',
);

export const PART_INDEX_LISTED: Case = { ...partitionedIndexCase('part_index_listed', { columns: 'created_at', ...LISTED }, 'users_created_at_idx', 'CREATE INDEX users_created_at_idx ON ONLY public.users USING btree (created_at)') };

export const PART_UNIQUE = partitionedIndexCase(
  'part_unique',
  { columns: 'email,id', unique: true },
  'users_email_id_key',
  'CREATE UNIQUE INDEX users_email_id_key ON ONLY public.users USING btree (email, id)',
);

export const PART_UNIQUE_LISTED = partitionedIndexCase(
  'part_unique_listed',
  { columns: 'email,id', unique: true, ...LISTED },
  'users_email_id_key',
  'CREATE UNIQUE INDEX users_email_id_key ON ONLY public.users USING btree (email, id)',
);

/**
 * A partition created after generation, before the migration runs: Alembic and Rails read the
 * partitions when they run, so it is indexed like the others.
 */
export const PART_INDEX_LATE: Case = partitionedIndexCase(
  'part_index_late',
  { columns: 'created_at' },
  'users_created_at_idx',
  'CREATE INDEX users_created_at_idx ON ONLY public.users USING btree (created_at)',
);
PART_INDEX_LATE.phases.build.before = async (ctx) => {
  await ctx.q(`CREATE TABLE users_old PARTITION OF users FOR VALUES FROM (MINVALUE) TO (1)`);
  await ctx.q(`INSERT INTO users (id, email) VALUES (-5, 'old@example.org')`);
};
PART_INDEX_LATE.phases.build.after = async (ctx) => {
  await attachedEverywhere(ctx, 'users_created_at_idx', [...PARTITION_NAMES, 'users_old']);
};
PART_INDEX_LATE.afterRollback = { build: async (ctx) => void (await ctx.q('DROP TABLE users_old')) };

/** The same partition, with the partitions listed at generation: the first migration refuses. */
export const PART_INDEX_LISTED_LATE: Case = { ...PART_INDEX_LISTED, id: 'part_index_listed_late', phases: { ...PART_INDEX_LISTED.phases, build: { ...PART_INDEX_LISTED.phases.build, before: PART_INDEX_LATE.phases.build.before } } };

/** A unique index without the partition key (id): refused before anything is created. */
export const PART_UNIQUE_NO_KEY = partitionedIndexCase('part_unique_no_key', { columns: 'email', unique: true }, 'users_email_key', '');
export const PART_UNIQUE_NO_KEY_LISTED = partitionedIndexCase('part_unique_no_key_listed', { columns: 'email', unique: true, ...LISTED }, 'users_email_key', '');
