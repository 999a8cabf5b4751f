/**
 * add-index on a partitioned table (users range-partitioned by id into 8 partitions), on every target
 * with its real tool, and the PostgreSQL 15 facts the recipe in src/plan/recipes/partitions.ts rests on.
 */
import { describe, it } from 'vitest';
import {
  PART_INDEX,
  PART_INDEX_LATE,
  PART_INDEX_LISTED,
  PART_INDEX_LISTED_LATE,
  PART_UNIQUE,
  PART_UNIQUE_LISTED,
  PART_UNIQUE_NO_KEY,
  PART_UNIQUE_NO_KEY_LISTED,
  PARTITION_NAMES,
  attachedEverywhere,
} from '../cases/partitions.js';
import { DRIVER_NAMES, createStartingTable, prepareCase, refusedGeneration, runLifecycle, snapshot, type Case, type DriverName } from '../support/lifecycle.js';
import { caseById } from '../cases/index.js';

const HOST: DriverName[] = ['alembic', 'rails'];
const ONE_QUERY: DriverName[] = ['prisma', 'sql', 'dbmate'];

describe.concurrent('add-index on a partitioned table: lifecycle on every target', () => {
  for (const d of HOST) {
    it(`${d}: partitions found when the migration runs`, ({ expect }) => runLifecycle(expect, PART_INDEX, d));
    it(`${d}: unique index with the partition key, partitions found when it runs`, ({ expect }) => runLifecycle(expect, PART_UNIQUE, d));
    it(`${d}: a partition created after generation is indexed too`, ({ expect }) => runLifecycle(expect, PART_INDEX_LATE, d));
  }
  for (const d of DRIVER_NAMES) {
    it(`${d}: partitions listed at generation, a migration each`, ({ expect }) => runLifecycle(expect, PART_INDEX_LISTED, d));
    it(`${d}: unique index with the partition key, listed`, ({ expect }) => runLifecycle(expect, PART_UNIQUE_LISTED, d));
  }
});

/** Applies the build phase's migrations one by one; returns the first failure's text, or null. */
async function applyBuild(expect: Parameters<typeof prepareCase>[0], c: Parameters<typeof prepareCase>[1], d: DriverName, between?: (k: number, q: (sql: string) => Promise<unknown>) => Promise<void>) {
  const p = await prepareCase(expect, c, d);
  try {
    const ids = p.gen.ids.build;
    let failure: string | null = null;
    await c.phases.build.before?.(p.ctx);
    for (let k = 0; k < ids.length; k++) {
      await between?.(k, (sql) => p.ctx.q(sql));
      const r = await p.driver.apply(expect, p.url, p.gen, ids[k]).then(
        () => null,
        (e: Error) => e.message,
      );
      if (r !== null) {
        failure = r;
        break;
      }
    }
    const indexes = await p.ctx.q<{ relname: string }>(
      `SELECT c.relname FROM pg_class c WHERE c.relkind IN ('i', 'I') AND (c.relname LIKE '%email_key' OR c.relname LIKE '%created_at_idx') ORDER BY 1`,
    );
    return { failure, indexes: indexes.map((r) => r.relname), ctx: p.ctx, ids, dispose: p.dispose };
  } catch (e) {
    await p.dispose();
    throw e;
  }
}

describe.concurrent('add-index on a partitioned table: refusals, before anything is created', () => {
  const NO_KEY = /migscaffold: a unique index on a partitioned table must contain every partition key column, and \(email\) does not cover the partition key of users \(RANGE \(id\)\)/;
  for (const d of HOST)
    it(`${d}: unique index without the partition key (found when it runs)`, async ({ expect }) => {
      const r = await applyBuild(expect, PART_UNIQUE_NO_KEY, d);
      try {
        expect(r.failure).toMatch(NO_KEY);
        expect(r.indexes).toEqual([]);
      } finally {
        await r.dispose();
      }
    });
  for (const d of DRIVER_NAMES) {
    it(`${d}: unique index without the partition key (listed)`, async ({ expect }) => {
      const r = await applyBuild(expect, PART_UNIQUE_NO_KEY_LISTED, d);
      try {
        expect(r.failure).toMatch(NO_KEY);
        expect(r.indexes).toEqual([]);
      } finally {
        await r.dispose();
      }
    });
    it(`${d}: a partition created between generation and deploy fails the first migration loudly`, async ({ expect }) => {
      const r = await applyBuild(expect, PART_INDEX_LISTED_LATE, d);
      try {
        expect(r.failure).toMatch(/migscaffold: the partitions of users are not the ones listed at generation \(not listed: users_old\)/);
        expect(r.indexes).toEqual([]);
      } finally {
        await r.dispose();
      }
    });
    it(`${d}: a partition created after the first migration gets the index from PostgreSQL`, async ({ expect }) => {
      const r = await applyBuild(expect, PART_INDEX_LISTED, d, async (k, q) => {
        if (k === 1) await q(`CREATE TABLE users_old PARTITION OF users FOR VALUES FROM (MINVALUE) TO (1)`);
      });
      try {
        expect(r.failure).toBeNull();
        await attachedEverywhere(r.ctx, 'users_created_at_idx', [...PARTITION_NAMES, 'users_old']);
      } finally {
        await r.dispose();
      }
    });
  }
});

describe.concurrent('negative control: the plain build on a partitioned table', () => {
  // Without --partitions, targets that send a file as one query write the plain CREATE INDEX
  // CONCURRENTLY, which PostgreSQL refuses on the parent: the harness must see that failure.
  for (const d of ONE_QUERY)
    it(`${d}: CREATE INDEX CONCURRENTLY on the parent fails`, async ({ expect }) => {
      await expect(runLifecycle(expect, PART_INDEX, d)).rejects.toThrow(/cannot create index on partitioned table "users" concurrently/);
    });
});

/** A case of another operation, on users partitioned into 8 partitions. */
function onPartitions(id: string): Case {
  const c = caseById(id);
  return { ...c, id: `${c.id}_part`, table: { ...c.table, partitions: 8 } };
}

describe.concurrent('every other operation on a partitioned table: works, lifecycle and rollback', () => {
  // PostgreSQL 15 runs these on a partitioned table as on a plain one, recursing to every partition
  // (the facts are proved in partition-facts.test.ts): the same plans, the same lifecycle.
  // rename and change-column-type copy the column's indexes: refused below.
  const WORKING = ['add_nullable', 'add_const_default', 'snn_no_nulls', 'snn_backfill', 'check_default_name', 'remove_plain', 'rename_table'];
  for (const d of ['sql', 'alembic'] as DriverName[]) for (const id of WORKING) it(`${d}: ${id}`, ({ expect }) => runLifecycle(expect, onPartitions(id), d));
});

describe.concurrent('rename-column and change-column-type on a partitioned table: the index copies are refused, never half-applied', () => {
  // Their copies are built CONCURRENTLY on the table, which PostgreSQL refuses on a partitioned one;
  // the refusal is migscaffold's, in one line, before anything is written or locked.
  const COPIES = [
    { id: 'rename', column: 'name', final: 'full_name', copies: 'index users_lookup, index users_name_idx' },
    { id: 'type_int_to_bigint', column: 'score', final: 'score', copies: 'index users_score_idx' },
  ];
  const refusal = (x: (typeof COPIES)[number], tail: string) =>
    new RegExp(
      `users(?: is a|\\.${x.column} is in a) partitioned table, and PostgreSQL 15 refuses CREATE INDEX CONCURRENTLY \\(and ADD FOREIGN KEY \\.\\.\\. NOT VALID\\) on one, ` +
        `so this plan cannot copy what depends on (?:${x.column}|it) \\(${x.copies}\\): nothing was ${tail}\\. .* build them again on ${x.final} with migscaffold add-index --partitions`,
    );
  for (const d of ['sql', 'alembic'] as DriverName[])
    for (const x of COPIES) {
      it(`${d}: ${x.id}, the database says partitioned: generation refuses in one line, writes nothing`, async ({ expect }) => {
        const r = await refusedGeneration(onPartitions(x.id), d);
        expect(r.code, r.stdout + r.stderr).toBe(1);
        const line = r.stderr.trim();
        expect(line.split('\n'), line).toHaveLength(1);
        expect(line).toMatch(refusal(x, 'written'));
        expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, exitCode: 1, error: expect.stringMatching(refusal(x, 'written')) });
        expect(r.filesAfter).toEqual(r.filesBefore);
      });
      it(`${d}: ${x.id}, partitioned after generation: the expand refuses first, changes nothing`, async ({ expect }) => {
        // Generated against the plain table (what a schema dump or a stale database tells), applied
        // to the same table partitioned into 8.
        const c = caseById(x.id);
        const p = await prepareCase(expect, c, d);
        try {
          await p.ctx.q('DROP TABLE users CASCADE');
          await createStartingTable(p.url, { ...c.table, partitions: 8 });
          const before = await snapshot(p.client);
          const [expand] = p.gen.ids[p.gen.plan.phases[0].key];
          const err = await p.driver.apply(expect, p.url, p.gen, expand).then(() => null, (e: Error) => e.message);
          expect(err).not.toBeNull();
          const line = err!.split('\n').find((l) => l.includes('migscaffold: users is a partitioned table'));
          expect(line, err!).toMatch(refusal(x, 'changed'));
          expect(err).not.toMatch(/cannot create index on partitioned table/);
          expect(await snapshot(p.client), 'nothing changed').toEqual(before);
          // Nothing left waiting for a lock, nothing half-built.
          expect(await p.ctx.val(`SELECT count(*)::int FROM pg_class WHERE relname LIKE '%full_name%' OR relname LIKE '%for_type_change%'`)).toBe(0);
        } finally {
          await p.dispose();
        }
      });
    }
});

describe.concurrent('every other operation on a partitioned table: refusals, before any lock', () => {
  /** Applies the migrations of the plan in order until one fails; its error text. */
  async function firstFailure(expect: Parameters<typeof prepareCase>[0], c: Case, d: DriverName): Promise<{ failure: string | null; constraints: string[] }> {
    const p = await prepareCase(expect, c, d);
    try {
      for (const phase of p.gen.plan.phases)
        for (const id of p.gen.ids[phase.key] ?? []) {
          const err = await p.driver.apply(expect, p.url, p.gen, id).then(() => null, (e: Error) => e.message);
          if (err !== null) {
            const cons = await p.ctx.q<{ conname: string }>(`SELECT conname FROM pg_constraint WHERE conrelid = 'users'::regclass AND contype IN ('u', 'f') ORDER BY 1`);
            return { failure: err, constraints: cons.map((r) => r.conname) };
          }
        }
      return { failure: null, constraints: [] };
    } finally {
      await p.dispose();
    }
  }
  for (const d of DRIVER_NAMES) {
    it(`${d}: add-unique-constraint (ADD CONSTRAINT ... USING INDEX is refused on a partitioned table)`, async ({ expect }) => {
      const r = await firstFailure(expect, onPartitions('unique_constraint_plain'), d);
      expect(r.failure).toMatch(/migscaffold: users is a partitioned table, and PostgreSQL 15 refuses ADD CONSTRAINT \.\.\. UNIQUE USING INDEX on one/);
      expect(r.constraints).toEqual([]);
    });
    it(`${d}: drop-index, the database says partitioned: generation refuses in one line, writes nothing`, async ({ expect }) => {
      const r = await refusedGeneration({ ...onPartitions('drop_index_plain'), introspect: true }, d);
      expect(r.code, r.stdout + r.stderr).toBe(1);
      const line = r.stderr.trim();
      expect(line.split('\n'), line).toHaveLength(1);
      expect(line).toMatch(/^migscaffold: users_email_idx on users is a partitioned index, and PostgreSQL 15 refuses DROP INDEX CONCURRENTLY on one: drop it with a plain DROP INDEX under a short lock_timeout .*\. Nothing was written$/);
      expect(r.filesAfter).toEqual(r.filesBefore);
    });
    it(`${d}: add-unique-constraint and add-foreign-key, the database says partitioned: generation refuses in one line, writes nothing`, async ({ expect }) => {
      const fk = onPartitions('fk_orgs_cascade');
      for (const [c, refusal] of [
        [onPartitions('unique_constraint_plain'), /^migscaffold: users is a partitioned table, and PostgreSQL 15 refuses ADD CONSTRAINT \.\.\. UNIQUE USING INDEX on one .*\. Nothing was written$/],
        [{ ...fk, flags: { ...fk.flags, 'no-index': true } }, /^migscaffold: users is a partitioned table, and PostgreSQL 15 refuses ADD FOREIGN KEY \.\.\. NOT VALID on one .*\. Nothing was written$/],
      ] as const) {
        const r = await refusedGeneration({ ...c, introspect: true }, d);
        expect(r.code, r.stdout + r.stderr).toBe(1);
        expect(r.stderr.trim()).toMatch(refusal);
        expect(r.filesAfter).toEqual(r.filesBefore);
      }
    });
    it(`${d}: change-column-type of a partitioned table's primary key: refused at generation, and by the expand's guard when generated without knowing`, async ({ expect }) => {
      const keyRefusal = /migscaffold: users is a partitioned table, and id is in its primary key users_pkey, which PostgreSQL 15 can build there only with every partition locked .* make this change with a plain ALTER TABLE in a maintenance window instead/;
      const r = await refusedGeneration(onPartitions('type_primary_key'), d);
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(keyRefusal);
      expect(r.filesAfter).toEqual(r.filesBefore);
      // Generated against the plain table (a stale dump), applied to the partitioned one.
      const c = caseById('type_primary_key');
      const p = await prepareCase(expect, c, d);
      try {
        await p.ctx.q('DROP TABLE users CASCADE');
        await createStartingTable(p.url, { ...c.table, partitions: 8 });
        const [expand] = p.gen.ids[p.gen.plan.phases[0].key];
        const err = await p.driver.apply(expect, p.url, p.gen, expand).then(() => null, (e: Error) => e.message);
        expect(err).toMatch(keyRefusal);
        expect(await p.ctx.val(`SELECT count(*)::int FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'id_for_type_change'`)).toBe(0);
      } finally {
        await p.dispose();
      }
    });
    it(`${d}: drop-index generated without knowing: PostgreSQL refuses the concurrent drop before it changes anything`, async ({ expect }) => {
      const r = await firstFailure(expect, onPartitions('drop_index_plain'), d);
      expect(r.failure).toMatch(/cannot drop partitioned index "users_email_idx" concurrently/);
    });
    it(`${d}: add-foreign-key from a partitioned table (NOT VALID is refused there)`, async ({ expect }) => {
      const c = onPartitions('fk_orgs_cascade');
      const phases = Object.fromEntries(Object.entries(c.phases).filter(([k]) => k !== 'index'));
      const r = await firstFailure(expect, { ...c, flags: { ...c.flags, 'no-index': true }, phases }, d);
      expect(r.failure).toMatch(/migscaffold: users is a partitioned table, and PostgreSQL 15 refuses ADD FOREIGN KEY \.\.\. NOT VALID on one/);
      expect(r.constraints).toEqual([]);
    });
  }
});
