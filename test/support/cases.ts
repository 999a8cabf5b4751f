/**
 * Every operation x flag variant that changes the generated SQL, with what the database must look
 * like after each phase and what application code can and cannot do in between. Run against every
 * target by test/integration/generated-*.test.ts through runLifecycle.
 *
 * Schema expectations are written by hand from PostgreSQL's own catalog text (format_type,
 * pg_get_expr, pg_get_indexdef, pg_get_constraintdef): a generator change that alters the result
 * must show up here.
 */
// Only for an asymmetric matcher (stateless); assertions use the running test's ctx.expect.
import { expect as matchers } from 'vitest';
import { ROWS, type Case, type Ctx, type TableSnapshot } from './lifecycle.js';

const TRIGGER = 'users_name_to_full_name_sync';

/** Old code: knows only the columns of the starting table. */
async function oldCodeInsert(ctx: Ctx, email: string, name?: string): Promise<number> {
  const r = name === undefined
    ? await ctx.q<{ id: string }>('INSERT INTO users (email) VALUES ($1) RETURNING id', [email])
    : await ctx.q<{ id: string }>('INSERT INTO users (email, name) VALUES ($1, $2) RETURNING id', [email, name]);
  return Number(r[0].id);
}

async function row(ctx: Ctx, id: number, cols: string): Promise<Record<string, any>> {
  const r = await ctx.q(`SELECT ${cols} FROM users WHERE id = $1`, [id]);
  ctx.expect(r, `row ${id}`).toHaveLength(1);
  return r[0];
}

/**
 * The query must be answered from this index (sequential scans disabled, as on a big table; the
 * starting table's own index on email dropped inside the rolled-back transaction, so that it cannot
 * stand in for a new index on the same column).
 */
async function usesIndex(ctx: Ctx, index: string, sql: string): Promise<void> {
  await ctx.q('BEGIN');
  try {
    await ctx.q('SET LOCAL enable_seqscan = off');
    await ctx.q('DROP INDEX users_email_idx');
    const plan = await ctx.q(`EXPLAIN (COSTS OFF) ${sql}`);
    ctx.expect(plan.map((r) => r['QUERY PLAN']).join('\n')).toContain(index);
  } finally {
    await ctx.q('ROLLBACK');
  }
}

const addIndexSchema = (name: string, def: string) => (s: TableSnapshot) => {
  s.indexes[name] = { def, valid: true, ready: true };
};

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

// -------------------------------------------------------------------------------------------------
// rename-column (NOT NULL, with a default). `name` is not indexed: the generator documents that
// indexes on the renamed column are not copied.

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
  table: { last: 'name' },
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
      },
      after: async (ctx) => {
        const exp: Map<number, string> = ctx.notes.expected;
        const [{ id: a }] = await ctx.q(`INSERT INTO users (email) VALUES ('new2@example.com') RETURNING id`);
        const [{ id: b }] = await ctx.q(`INSERT INTO users (email, full_name) VALUES ('new3@example.com', 'Post Contract') RETURNING id`);
        await ctx.q(`UPDATE users SET full_name = 'Changed after contract' WHERE id = 30`);
        exp.set(Number(a), 'anon').set(Number(b), 'Post Contract').set(30, 'Changed after contract');
        ctx.expect(await namesById(ctx, 'full_name'), 'no value was lost by the contract').toEqual(exp);
      },
    },
  },
  afterRollback: {
    contract: async (ctx) => {
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
export const CASES: readonly Case[] = [
  rename,
  addBackfillNotNull,
  addVolatileDefault,
  removeNotNull,
  addNullable,
  addConstantDefaultNotNull,
  removePlain,
  indexPlain,
  indexUnique,
  indexPartial,
  indexBrin,
  indexGin,
];

/**
 * Prisma only: the rename of a column whose field has its own name (`displayName @map("name")`),
 * so the field keeps its name and its @map switches to the new column.
 */
export const PRISMA_CASES: readonly Case[] = [
  { ...rename, id: 'rename_mapped', prismaFields: { name: 'displayName', created_at: 'createdAt', deprecated_flag: 'deprecatedFlag' } },
  // With the partialIndexes preview feature, the partial index is in schema.prisma (where: raw(...)).
  { ...indexPartial, id: 'index_partial_preview', prismaPreviewFeatures: ['partialIndexes'] },
  { ...indexUniquePartial, id: 'index_unique_partial_preview', prismaPreviewFeatures: ['partialIndexes'] },
];

export function caseById(id: string): Case {
  const c = [...CASES, ...PRISMA_CASES].find((x) => x.id === id);
  if (!c) throw new Error(`no case ${id}`);
  return c;
}
