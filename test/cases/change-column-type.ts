/**
 * change-column-type lifecycle cases.
 * What the database must look like after each phase, and what application code can and cannot do in
 * between; run against every target by test/integration/generated-*.test.ts through runLifecycle.
 * Schema expectations are written by hand from PostgreSQL's own catalog text.
 */
// Only for an asymmetric matcher (stateless); assertions use the running test's ctx.expect.
import { expect as matchers } from 'vitest';
import { ROWS, type Case, type Ctx, type TableSnapshot } from '../support/lifecycle.js';
import { columnComment, usesIndex } from './helpers.js';

const fnDef = (name: string) => matchers.stringContaining(`CREATE OR REPLACE FUNCTION public.${name}()`) as unknown as string;
const trgDef = (name: string) => `CREATE TRIGGER ${name} BEFORE INSERT OR UPDATE ON public.users FOR EACH ROW EXECUTE FUNCTION ${name}()`;

async function filenodes(ctx: Ctx): Promise<Record<string, string>> {
  const rows = await ctx.q(
    `SELECT c.relname, pg_relation_filenode(c.oid)::text AS f FROM pg_class c
      WHERE c.oid = 'users'::regclass OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = 'users'::regclass)`,
  );
  return Object.fromEntries(rows.map((r) => [r.relname, r.f]));
}

// -------------------------------------------------------------------------------------------------
// In place: varchar(40) -> varchar(100), the column indexed. The proof that nothing was rewritten:
// the table and every index keep their relfilenode.

const inPlace: Case = {
  id: 'type_in_place',
  op: 'change-column-type',
  flags: { table: 'users', column: 'nickname', type: 'varchar(100)' },
  introspect: true,
  table: {
    extra: [{ name: 'nickname', ddl: 'nickname varchar(40)', seed: `'nick' || g` }],
    ddl: ['CREATE INDEX users_nickname_idx ON users (nickname)'],
  },
  phases: {
    alter: {
      before: async (ctx) => {
        ctx.notes.files = await filenodes(ctx);
        await ctx.fails(`UPDATE users SET nickname = '${'n'.repeat(60)}' WHERE id = 1`, undefined, '22001');
      },
      schema: (s) => {
        s.columns.nickname.type = 'character varying(100)';
      },
      after: async (ctx) => {
        ctx.expect(await filenodes(ctx), 'no rewrite: the table and its indexes keep their files').toEqual(ctx.notes.files);
        await ctx.q(`UPDATE users SET nickname = '${'n'.repeat(60)}' WHERE id = 1`);
        ctx.expect(Number(await ctx.val(`SELECT count(*) FROM pg_stats WHERE tablename = 'users' AND attname = 'nickname'`)), 'statistics are back').toBe(1);
        await usesIndex(ctx, 'users_nickname_idx', `SELECT id FROM users WHERE nickname = 'nick7'`);
      },
    },
    use: {},
  },
  beforeRollback: {
    alter: async (ctx) => {
      await ctx.q(`UPDATE users SET nickname = 'nick1' WHERE id = 1`);
    },
  },
};

// -------------------------------------------------------------------------------------------------
// integer -> bigint, NOT NULL with a default, an index and a CHECK: the full path, one way.

const SHADOW = 'score_for_type_change';
const SYNC = 'users_score_type_change_sync';

async function scores(ctx: Ctx, column: string): Promise<Map<number, string>> {
  const rows = await ctx.q(`SELECT id, ${column}::text AS v FROM users ORDER BY id`);
  return new Map(rows.map((r) => [Number(r.id), r.v]));
}

const intToBigint: Case = {
  id: 'type_int_to_bigint',
  op: 'change-column-type',
  flags: { table: 'users', column: 'score', type: 'bigint' },
  introspect: true,
  table: {
    last: 'score',
    extra: [{ name: 'score', ddl: 'score integer NOT NULL DEFAULT 0', seed: 'g * 7' }],
    ddl: [
      'CREATE INDEX users_score_idx ON users (score)',
      'ALTER TABLE users ADD CONSTRAINT users_score_check CHECK (score >= 0)',
      "COMMENT ON COLUMN users.score IS 'Points, never negative'",
    ],
  },
  phases: {
    expand: {
      before: async (ctx) => {
        ctx.notes.expected = await scores(ctx, 'score');
        ctx.notes.table = (await filenodes(ctx)).users;
      },
      schema: (s) => {
        s.columns[SHADOW] = { type: 'bigint', notNull: false, default: null };
        s.constraints.users_score_for_type_change_not_null = { def: `CHECK ((${SHADOW} IS NOT NULL)) NOT VALID`, validated: false };
        s.triggers[SYNC] = trgDef(SYNC);
        s.functions[SYNC] = fnDef(SYNC);
      },
      after: async (ctx) => {
        const exp: Map<number, string> = ctx.notes.expected;
        // Old code (integer values) works; the trigger converts each write.
        const [{ id }] = await ctx.q(`INSERT INTO users (email, score) VALUES ('old@example.com', 41) RETURNING id`);
        await ctx.q(`UPDATE users SET score = 5 WHERE id = 10`);
        exp.set(Number(id), '41').set(10, '5');
        ctx.expect((await ctx.q(`SELECT ${SHADOW}::text AS s FROM users WHERE id = $1`, [id]))[0].s).toBe('41');
        ctx.expect((await ctx.q(`SELECT ${SHADOW}::text AS s FROM users WHERE id = 10`))[0].s).toBe('5');
        // One way: a write of the shadow column alone is replaced by the conversion of score.
        await ctx.q(`UPDATE users SET ${SHADOW} = 99 WHERE id = 10`);
        ctx.expect((await ctx.q(`SELECT ${SHADOW}::text AS s FROM users WHERE id = 10`))[0].s).toBe('5');
        // An insert relying on the default works too.
        const [{ id: d }] = await ctx.q(`INSERT INTO users (email) VALUES ('default@example.com') RETURNING id`);
        exp.set(Number(d), '0');
        ctx.expect(Number(await ctx.val(`SELECT count(*) FROM users WHERE ${SHADOW} IS NULL`))).toBe(ROWS - 1);
        // Values the old type cannot hold still fail: new code waits for the swap.
        await ctx.fails(`UPDATE users SET score = 3000000000 WHERE id = 11`, undefined, '22003');
      },
    },
    backfill: {
      after: async (ctx) => {
        ctx.expect(await scores(ctx, SHADOW), `every row: ${SHADOW} = score`).toEqual(ctx.notes.expected);
      },
    },
    copy: {
      schema: (s) => {
        s.indexes.users_score_idx_for_type_change = {
          def: `CREATE INDEX users_score_idx_for_type_change ON public.users USING btree (${SHADOW})`,
          valid: true,
          ready: true,
        };
        s.constraints.users_score_check_for_type_change = { def: `CHECK ((${SHADOW} >= 0))`, validated: true };
      },
      after: async (ctx) => {
        // The copied CHECK holds on the shadow: a negative score is refused by both.
        await ctx.fails(`UPDATE users SET score = -1 WHERE id = 12`, undefined, '23514');
      },
    },
    tighten: {
      schema: (s) => {
        s.columns[SHADOW].notNull = true;
        delete s.constraints.users_score_for_type_change_not_null;
      },
    },
    swap: {
      schema: (s) => {
        s.columns.score = { type: 'bigint', notNull: true, default: '0' };
        delete s.columns[SHADOW];
        delete s.triggers[SYNC];
        delete s.functions[SYNC];
        s.indexes.users_score_idx = { def: 'CREATE INDEX users_score_idx ON public.users USING btree (score)', valid: true, ready: true };
        delete s.indexes.users_score_idx_for_type_change;
        s.constraints.users_score_check = { def: 'CHECK ((score >= 0))', validated: true };
        delete s.constraints.users_score_check_for_type_change;
      },
      after: async (ctx) => {
        ctx.expect((await filenodes(ctx)).users, 'no rewrite of users at any step: the table keeps its file').toBe(ctx.notes.table);
        const exp: Map<number, string> = ctx.notes.expected;
        ctx.expect(await scores(ctx, 'score'), 'no value was lost by the swap').toEqual(exp);
        ctx.expect(await columnComment(ctx, 'score'), 'the comment went with the name').toBe('Points, never negative');
        await usesIndex(ctx, 'users_score_idx', 'SELECT id FROM users WHERE score = 70');
        // Old code still writes integers; new code writes what only bigint holds.
        await ctx.q(`UPDATE users SET score = 6 WHERE id = 13`);
        await ctx.q(`UPDATE users SET score = 3000000000 WHERE id = 14`);
        await ctx.fails(`UPDATE users SET score = -5 WHERE id = 15`, undefined, '23514');
        const [{ id }] = await ctx.q(`INSERT INTO users (email) VALUES ('after@example.com') RETURNING id`);
        exp.set(13, '6').set(14, '3000000000').set(Number(id), '0');
        ctx.expect(await scores(ctx, 'score')).toEqual(exp);
      },
    },
    use: {},
  },
  beforeRollback: {
    // Rolling the swap back casts every value to integer: a value past 2^31 cannot go back (the
    // checklist says so); the application takes it out first.
    swap: async (ctx) => {
      await ctx.q(`UPDATE users SET score = 14 WHERE id = 14`);
      (ctx.notes.expected as Map<number, string>).set(14, '14');
    },
  },
  afterRollback: {
    swap: async (ctx) => {
      ctx.expect(await scores(ctx, 'score'), 'the old column is back with every value').toEqual(ctx.notes.expected);
      ctx.expect(await scores(ctx, SHADOW), 'and the shadow still agrees').toEqual(ctx.notes.expected);
      ctx.expect([await columnComment(ctx, 'score'), await columnComment(ctx, SHADOW)], 'the comment is back on score alone').toEqual(['Points, never negative', null]);
      // The trigger is back: old code's writes reach the shadow again.
      await ctx.q(`UPDATE users SET score = 8 WHERE id = 16`);
      ctx.expect((await ctx.q(`SELECT ${SHADOW}::text AS s FROM users WHERE id = 16`))[0].s).toBe('8');
      (ctx.notes.expected as Map<number, string>).set(16, '8');
    },
    expand: async (ctx) => {
      ctx.expect(await scores(ctx, 'score'), 'after the whole rollback, score holds every value').toEqual(ctx.notes.expected);
    },
  },
};

// -------------------------------------------------------------------------------------------------
// text -> integer with --using and --reverse-using: the trigger converts both ways.

const ZSHADOW = 'zip_for_type_change';
const ZSYNC = 'users_zip_type_change_sync';

const bothWays: Case = {
  id: 'type_both_ways',
  op: 'change-column-type',
  flags: { table: 'users', column: 'zip', type: 'integer', using: "NULLIF(zip, '')::integer", 'reverse-using': "lpad(zip::text, 5, '0')" },
  introspect: true,
  table: { last: 'zip', extra: [{ name: 'zip', ddl: 'zip text', seed: `CASE WHEN g % 10 = 0 THEN '' ELSE lpad((g * 13 % 99999)::text, 5, '0') END` }] },
  phases: {
    expand: {
      schema: (s: TableSnapshot) => {
        s.columns[ZSHADOW] = { type: 'integer', notNull: false, default: null };
        s.triggers[ZSYNC] = trgDef(ZSYNC);
        s.functions[ZSYNC] = fnDef(ZSYNC);
      },
      after: async (ctx) => {
        // Old code writes text; new code (or a fix) writes the integer column, which reaches zip.
        await ctx.q(`UPDATE users SET zip = '00042' WHERE id = 3`);
        ctx.expect((await ctx.q(`SELECT ${ZSHADOW} AS s FROM users WHERE id = 3`))[0].s).toBe(42);
        await ctx.q(`UPDATE users SET ${ZSHADOW} = 7 WHERE id = 4`);
        ctx.expect((await ctx.q(`SELECT zip FROM users WHERE id = 4`))[0].zip).toBe('00007');
        await ctx.q(`INSERT INTO users (email, ${ZSHADOW}) VALUES ('new@example.com', 123)`);
        ctx.expect((await ctx.q(`SELECT zip FROM users WHERE email = 'new@example.com'`))[0].zip).toBe('00123');
      },
    },
    backfill: {
      after: async (ctx) => {
        ctx.expect(Number(await ctx.val(`SELECT count(*) FROM users WHERE ${ZSHADOW} IS DISTINCT FROM NULLIF(zip, '')::integer`))).toBe(0);
        // The backfill wrote the shadow; it did not write zip back ('' stays '').
        ctx.expect(Number(await ctx.val(`SELECT count(*) FROM users WHERE zip = ''`))).toBe(ROWS / 10);
      },
    },
    tighten: {},
    swap: {
      schema: (s) => {
        s.columns.zip = { type: 'integer', notNull: false, default: null };
        delete s.columns[ZSHADOW];
        delete s.triggers[ZSYNC];
        delete s.functions[ZSYNC];
      },
      after: async (ctx) => {
        ctx.expect((await ctx.q(`SELECT zip FROM users WHERE id = 3`))[0].zip).toBe(42);
        await ctx.q(`UPDATE users SET zip = 99 WHERE id = 5`);
      },
    },
    use: {},
  },
  afterRollback: {
    swap: async (ctx) => {
      // Converted back with --reverse-using.
      ctx.expect((await ctx.q(`SELECT zip FROM users WHERE id = 5`))[0].zip).toBe('00099');
      ctx.expect((await ctx.q(`SELECT zip FROM users WHERE id = 3`))[0].zip).toBe('00042');
    },
  },
};

// -------------------------------------------------------------------------------------------------
// integer -> bigint on the primary key (a serial): the key's index copied as a unique index, the key
// swapped USING INDEX, the sequence moved to the new column and made bigint.

const ID_SHADOW = 'id_for_type_change';
const ID_SYNC = 'users_id_type_change_sync';
const INT_MAX = 2147483647;

/** The type of the serial sequence of users.<column> (<column>'s own, users_<column>_seq), and who owns it. */
async function sequence(ctx: Ctx, column = 'id'): Promise<{ type: string; owner: string | null }> {
  const [r] = await ctx.q(
    `SELECT data_type AS type, pg_get_serial_sequence('users', $1) AS owner FROM information_schema.sequences WHERE sequence_name = 'users_' || $1 || '_seq'`,
    [column],
  );
  return r as { type: string; owner: string | null };
}

interface PkExtra {
  ddl?: string[];
  /** More before the expand, after the base case's own. */
  expandBefore?: (ctx: Ctx) => Promise<void>;
  /** More after the swap, after the base case's checks. */
  swapAfter?: (ctx: Ctx) => Promise<void>;
}

function pkCase(id: string, extra: PkExtra = {}): Case {
  return {
    id,
    op: 'change-column-type',
    flags: { table: 'users', column: 'id', type: 'bigint' },
    introspect: true,
    table: { key: { name: 'id', ddl: 'id serial PRIMARY KEY', seed: '' }, last: 'id', ddl: extra.ddl },
    phases: {
      expand: {
        before: async (ctx) => {
          ctx.notes.count = Number(await ctx.val('SELECT count(*) FROM users'));
          ctx.expect(await sequence(ctx)).toEqual({ type: 'integer', owner: 'public.users_id_seq' });
          await extra.expandBefore?.(ctx);
        },
        schema: (s) => {
          s.columns[ID_SHADOW] = { type: 'bigint', notNull: false, default: null };
          s.constraints.users_id_for_type_change_not_null = { def: `CHECK ((${ID_SHADOW} IS NOT NULL)) NOT VALID`, validated: false };
          s.triggers[ID_SYNC] = trgDef(ID_SYNC);
          s.functions[ID_SYNC] = fnDef(ID_SYNC);
        },
        after: async (ctx) => {
          // Old code inserts with the sequence's next value; the trigger copies it.
          const [{ id: n }] = await ctx.q(`INSERT INTO users (email) VALUES ('old@example.com') RETURNING id`);
          ctx.expect((await ctx.q(`SELECT ${ID_SHADOW}::text AS s FROM users WHERE id = $1`, [n]))[0].s).toBe(String(n));
        },
      },
      backfill: {
        after: async (ctx) => {
          ctx.expect(Number(await ctx.val(`SELECT count(*) FROM users WHERE ${ID_SHADOW} IS DISTINCT FROM id`))).toBe(0);
        },
      },
      copy: {
        schema: (s) => {
          s.indexes.users_pkey_for_type_change = {
            def: `CREATE UNIQUE INDEX users_pkey_for_type_change ON public.users USING btree (${ID_SHADOW})`,
            valid: true,
            ready: true,
          };
        },
      },
      tighten: {
        schema: (s) => {
          s.columns[ID_SHADOW].notNull = true;
          delete s.constraints.users_id_for_type_change_not_null;
        },
      },
      swap: {
        schema: (s) => {
          s.columns.id = { ...s.columns.id, type: 'bigint' };
          delete s.columns[ID_SHADOW];
          delete s.triggers[ID_SYNC];
          delete s.functions[ID_SYNC];
          delete s.indexes.users_pkey_for_type_change;
        },
        after: async (ctx) => {
          ctx.expect(await sequence(ctx), 'the sequence follows the key and counts in bigint').toEqual({ type: 'bigint', owner: 'public.users_id_seq' });
          ctx.expect(Number(await ctx.val('SELECT count(*) FROM users'))).toBe(ctx.notes.count + 1);
          // Past 2^31: the sequence and the key hold it, the key still refuses a duplicate.
          await ctx.q(`SELECT setval('users_id_seq', ${INT_MAX + 10})`);
          const [{ id: big }] = await ctx.q(`INSERT INTO users (email) VALUES ('big@example.com') RETURNING id`);
          ctx.expect(Number(big)).toBeGreaterThan(INT_MAX);
          await ctx.fails(`INSERT INTO users (id, email) VALUES (${big}, 'dup@example.com')`, undefined, '23505');
          await usesIndex(ctx, 'users_pkey', `SELECT email FROM users WHERE id = ${big}`);
          await extra.swapAfter?.(ctx);
        },
      },
      use: {},
    },
    beforeRollback: {
      // The sequence and the keys go back to integer: what only bigint holds goes first.
      swap: async (ctx) => {
        await ctx.q(`DELETE FROM users WHERE id > ${INT_MAX}`);
        await ctx.q(`SELECT setval('users_id_seq', (SELECT max(id) FROM users))`);
      },
    },
    afterRollback: {
      swap: async (ctx) => {
        ctx.expect(await sequence(ctx)).toEqual({ type: 'integer', owner: 'public.users_id_seq' });
        const [{ id: n }] = await ctx.q(`INSERT INTO users (email) VALUES ('after-rollback@example.com') RETURNING id`);
        ctx.expect((await ctx.q(`SELECT ${ID_SHADOW}::text AS s FROM users WHERE id = $1`, [n]))[0].s).toBe(String(n));
      },
    },
  };
}

const primaryKey = pkCase('type_primary_key');

/**
 * The same with a table that references the key: its foreign key is re-pointed at the new key in the
 * swap (NOT VALID, validated by the next migration). Not for Prisma: a relation's two sides must have
 * one type there, so generation refuses to change one of them (test/integration/prisma-schema.test.ts).
 */
export const PRIMARY_KEY_REFERENCED: Case = pkCase('type_primary_key_referenced', {
  ddl: ['CREATE TABLE orders (id bigserial PRIMARY KEY, user_id bigint NOT NULL REFERENCES users (id))'],
  expandBefore: async (ctx) => {
    await ctx.q('INSERT INTO orders (user_id) SELECT id FROM users WHERE id % 10 = 0');
  },
  swapAfter: async (ctx) => {
    const fk = await ctx.q(`SELECT pg_get_constraintdef(oid) AS def, convalidated FROM pg_constraint WHERE conname = 'orders_user_id_fkey'`);
    ctx.expect(fk, 'the foreign key references the new key, validated').toEqual([{ def: 'FOREIGN KEY (user_id) REFERENCES users(id)', convalidated: true }]);
    await ctx.fails(`INSERT INTO orders (user_id) VALUES (${INT_MAX + 999})`, undefined, '23503');
    await ctx.fails(`DELETE FROM users WHERE id = 10`, undefined, '23503');
  },
});

// -------------------------------------------------------------------------------------------------
// integer -> bigint with the current type unknown at generation (no --database-url, --from-type or
// declared schema that says it): the full path, the old type kept as the shadow's comment by the
// expand, read back by the swap's down. A serial column: its sequence widens at the swap and narrows
// back with the swap's down, both decided from the catalogue when they run.

const VSHADOW = 'visits_for_type_change';
const VSYNC = 'users_visits_type_change_sync';
const VSEQ = 'users_visits_seq';


const unknownType: Case = {
  id: 'type_unknown',
  op: 'change-column-type',
  flags: { table: 'users', column: 'visits', type: 'bigint' },
  table: { last: 'visits', extra: [{ name: 'visits', ddl: 'visits serial', seed: '' }] },
  phases: {
    expand: {
      schema: (s) => {
        s.columns[VSHADOW] = { type: 'bigint', notNull: false, default: null };
        s.constraints.users_visits_for_type_change_not_null = { def: `CHECK ((${VSHADOW} IS NOT NULL)) NOT VALID`, validated: false };
        s.triggers[VSYNC] = trgDef(VSYNC);
        s.functions[VSYNC] = fnDef(VSYNC);
      },
      after: async (ctx) => {
        // Prisma's schema.prisma declares the type (Int), so that plan knows it and keeps nothing.
        ctx.expect(await ctx.val(`SELECT col_description('users'::regclass, (SELECT attnum FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = '${VSHADOW}'))`)).toBe(
          ctx.driver === 'prisma' ? null : 'migscaffold change-column-type: the type before was integer',
        );
      },
    },
    backfill: {
      after: async (ctx) => {
        ctx.expect(Number(await ctx.val(`SELECT count(*) FROM users WHERE ${VSHADOW} IS DISTINCT FROM visits`))).toBe(0);
      },
    },
    tighten: {
      schema: (s) => {
        s.columns[VSHADOW].notNull = true;
        delete s.constraints.users_visits_for_type_change_not_null;
      },
    },
    swap: {
      schema: (s) => {
        s.columns.visits = { ...s.columns.visits, type: 'bigint' };
        delete s.columns[VSHADOW];
        delete s.triggers[VSYNC];
        delete s.functions[VSYNC];
      },
      after: async (ctx) => {
        ctx.expect(await sequence(ctx, 'visits'), 'the sequence follows the column and counts in bigint').toEqual({ type: 'bigint', owner: `public.${VSEQ}` });
        await ctx.q(`SELECT setval('${VSEQ}', ${INT_MAX + 10})`);
        const [{ visits }] = await ctx.q(`INSERT INTO users (email) VALUES ('big@example.com') RETURNING visits`);
        ctx.expect(Number(visits)).toBeGreaterThan(INT_MAX);
      },
    },
    use: {},
  },
  beforeRollback: {
    swap: async (ctx) => {
      await ctx.q(`DELETE FROM users WHERE visits > ${INT_MAX}`);
      await ctx.q(`SELECT setval('${VSEQ}', (SELECT max(visits) FROM users))`);
    },
  },
  afterRollback: {
    swap: async (ctx) => {
      ctx.expect(await sequence(ctx, 'visits'), 'the column is integer again, and its sequence with it').toEqual({ type: 'integer', owner: `public.${VSEQ}` });
      ctx.expect(await ctx.val(`SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'visits'`)).toBe('integer');
      ctx.expect(Number(await ctx.val(`SELECT count(*) FROM users WHERE ${VSHADOW} IS DISTINCT FROM visits`)), 'every value is back').toBe(0);
    },
  },
};

export const CHANGE_COLUMN_TYPE_CASES: readonly Case[] = [intToBigint, bothWays, primaryKey, inPlace, unknownType];
