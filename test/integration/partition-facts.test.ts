/**
 * What PostgreSQL 15 allows on a partitioned table (8 partitions), and the locks it takes: the facts
 * the partitioned-table recipes and refusals rest on (src/plan/recipes/partitions.ts,
 * src/messages/guards.ts PARTITIONED_REFUSALS, docs/partitions.md). Each test is one fact.
 */
import { describe, it, inject } from 'vitest';
import pg from 'pg';
import { createDatabase, dropDatabase, uniqueDbName } from '../support/pg.js';

const N = 8;
const PARTS = Array.from({ length: N }, (_, k) => `ev_p${k}`);

/** A fresh database per fact: ev range-partitioned by id into 8 partitions, 800 rows; orgs beside it. */
async function withEvents(fn: (c: pg.Client, url: string) => Promise<void>): Promise<void> {
  const info = inject('pg');
  const name = uniqueDbName('facts');
  const url = await createDatabase(info, name);
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`CREATE TABLE orgs (id bigint PRIMARY KEY); INSERT INTO orgs SELECT g FROM generate_series(1, 10) g;
      CREATE TABLE ev (id bigint NOT NULL, org_id bigint, name text, PRIMARY KEY (id)) PARTITION BY RANGE (id);
      ${PARTS.map((p, k) => `CREATE TABLE ${p} PARTITION OF ev FOR VALUES FROM (${k * 100}) TO (${(k + 1) * 100});`).join('\n')}
      INSERT INTO ev SELECT g, 1 + g % 10, 'n' || g FROM generate_series(0, ${N * 100 - 1}) g;`);
    await fn(c, url);
  } finally {
    await c.end();
    await dropDatabase(info, name);
  }
}

/** The relation locks this session holds now (inside a transaction), relation -> sorted modes. */
async function locks(c: pg.Client): Promise<Record<string, string[]>> {
  const r = await c.query<{ rel: string; mode: string }>(
    `SELECT relation::regclass::text AS rel, mode FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'relation' AND relation::regclass::text NOT LIKE 'pg_%'`,
  );
  const out: Record<string, string[]> = {};
  for (const { rel, mode } of r.rows) (out[rel] ??= []).push(mode);
  for (const k of Object.keys(out)) out[k].sort();
  return out;
}

async function error(c: pg.Client, sql: string): Promise<{ code?: string; message?: string } | null> {
  return c.query(sql).then(
    () => null,
    (e: { code?: string; message?: string }) => ({ code: e.code, message: e.message }),
  );
}

async function valid(c: pg.Client, index: string): Promise<boolean> {
  return (await c.query(`SELECT indisvalid FROM pg_index WHERE indexrelid = $1::regclass`, [index])).rows[0].indisvalid;
}

describe.concurrent('PostgreSQL 15 on a partitioned table', () => {
  it('CREATE INDEX CONCURRENTLY on the parent is refused (0A000), IF NOT EXISTS too', ({ expect }) =>
    withEvents(async (c) => {
      for (const sql of ['CREATE INDEX CONCURRENTLY ev_name_idx ON ev (name)', 'CREATE INDEX CONCURRENTLY IF NOT EXISTS ev_name_idx ON ev (name)'])
        expect(await error(c, sql)).toEqual({ code: '0A000', message: 'cannot create index on partitioned table "ev" concurrently' });
    }));

  it('CREATE INDEX ... ON ONLY makes an INVALID parent index under SHARE on the parent alone; on a plain table it builds a valid index', ({ expect }) =>
    withEvents(async (c) => {
      await c.query('BEGIN');
      await c.query('CREATE INDEX ev_name_idx ON ONLY ev (name)');
      const held = await locks(c);
      await c.query('COMMIT');
      expect(held.ev).toEqual(['ShareLock']);
      for (const p of PARTS) expect(held[p], p).toBeUndefined();
      expect(await valid(c, 'ev_name_idx')).toBe(false);
      await c.query('CREATE TABLE plain (a int); CREATE INDEX plain_a_idx ON ONLY plain (a)');
      expect(await valid(c, 'plain_a_idx')).toBe(true);
    }));

  it('ATTACH PARTITION takes SHARE UPDATE EXCLUSIVE on the parent index and ACCESS EXCLUSIVE on the child index; again is a no-op; valid after the last', ({ expect }) =>
    withEvents(async (c) => {
      await c.query('CREATE INDEX ev_name_idx ON ONLY ev (name)');
      for (const p of PARTS) await c.query(`CREATE INDEX CONCURRENTLY ${p}_name_idx ON ${p} (name)`);
      await c.query('BEGIN');
      await c.query('ALTER INDEX ev_name_idx ATTACH PARTITION ev_p0_name_idx');
      const held = await locks(c);
      await c.query('COMMIT');
      expect(held).toMatchObject({ ev_name_idx: ['ShareUpdateExclusiveLock'], ev_p0_name_idx: ['AccessExclusiveLock'], ev: ['AccessShareLock'], ev_p0: ['AccessShareLock'] });
      await c.query('ALTER INDEX ev_name_idx ATTACH PARTITION ev_p0_name_idx');
      for (const p of PARTS.slice(1, -1)) await c.query(`ALTER INDEX ev_name_idx ATTACH PARTITION ${p}_name_idx`);
      expect(await valid(c, 'ev_name_idx')).toBe(false);
      await c.query(`ALTER INDEX ev_name_idx ATTACH PARTITION ${PARTS[N - 1]}_name_idx`);
      expect(await valid(c, 'ev_name_idx')).toBe(true);
    }));

  it('a partition created after the parent index (still INVALID) gets its own copy, attached', ({ expect }) =>
    withEvents(async (c) => {
      await c.query('CREATE INDEX ev_name_idx ON ONLY ev (name)');
      await c.query('CREATE TABLE ev_late PARTITION OF ev FOR VALUES FROM (10000) TO (20000)');
      const r = await c.query(`SELECT count(*)::int AS n FROM pg_inherits i JOIN pg_index x ON x.indexrelid = i.inhrelid WHERE i.inhparent = 'ev_name_idx'::regclass AND x.indrelid = 'ev_late'::regclass`);
      expect(r.rows[0].n).toBe(1);
    }));

  it('a unique index must contain the partition key (0A000), even ON ONLY', ({ expect }) =>
    withEvents(async (c) => {
      expect(await error(c, 'CREATE UNIQUE INDEX ev_name_key ON ONLY ev (name)')).toMatchObject({ code: '0A000', message: expect.stringMatching(/must include all partitioning columns/) });
      expect(await error(c, 'CREATE UNIQUE INDEX ev_name_id_key ON ONLY ev (name, id)')).toBeNull();
    }));

  it('DROP INDEX CONCURRENTLY of a partitioned index is refused (0A000); DROP INDEX takes ACCESS EXCLUSIVE on the table and every partition', ({ expect }) =>
    withEvents(async (c) => {
      await c.query('CREATE INDEX ev_name_idx ON ev (name)');
      expect(await error(c, 'DROP INDEX CONCURRENTLY ev_name_idx')).toEqual({ code: '0A000', message: 'cannot drop partitioned index "ev_name_idx" concurrently' });
      await c.query('BEGIN');
      await c.query('DROP INDEX ev_name_idx');
      const held = await locks(c);
      await c.query('ROLLBACK');
      for (const t of ['ev', ...PARTS]) expect(held[t], t).toContain('AccessExclusiveLock');
    }));

  it('CHECK ... NOT VALID works (ACCESS EXCLUSIVE on every partition, no scan); VALIDATE takes SHARE UPDATE EXCLUSIVE on every partition and validates each', ({ expect }) =>
    withEvents(async (c) => {
      await c.query('BEGIN');
      await c.query(`ALTER TABLE ev ADD CONSTRAINT ev_name_check CHECK (name <> '') NOT VALID`);
      const added = await locks(c);
      await c.query('COMMIT');
      for (const t of ['ev', ...PARTS]) expect(added[t], t).toEqual(['AccessExclusiveLock']);
      const state = async () => (await c.query(`SELECT bool_or(convalidated) AS any, bool_and(convalidated) AS all, count(*)::int AS n FROM pg_constraint WHERE conname = 'ev_name_check'`)).rows[0];
      expect(await state()).toEqual({ any: false, all: false, n: N + 1 });
      await c.query('BEGIN');
      await c.query('ALTER TABLE ev VALIDATE CONSTRAINT ev_name_check');
      const validated = await locks(c);
      await c.query('COMMIT');
      for (const t of ['ev', ...PARTS]) expect(validated[t], t).toEqual(['ShareUpdateExclusiveLock']);
      expect(await state()).toEqual({ any: true, all: true, n: N + 1 });
    }));

  it('SET NOT NULL after a validated CHECK (col IS NOT NULL) skips the scan of every partition', ({ expect }) =>
    withEvents(async (c) => {
      await c.query('ALTER TABLE ev ADD CONSTRAINT ev_org_id_not_null CHECK (org_id IS NOT NULL) NOT VALID');
      await c.query('ALTER TABLE ev VALIDATE CONSTRAINT ev_org_id_not_null');
      const notices: string[] = [];
      c.on('notice', (n) => notices.push(n.message ?? ''));
      await c.query('SET client_min_messages = debug1');
      await c.query('ALTER TABLE ev ALTER COLUMN org_id SET NOT NULL');
      await c.query('RESET client_min_messages');
      for (const t of ['ev', ...PARTS])
        expect(notices, t).toContain(`existing constraints on column "${t}.org_id" are sufficient to prove that it does not contain nulls`);
    }));

  it('a foreign key FROM a partitioned table cannot be NOT VALID (42809); on a partition (a plain table) it can, and VALIDATE works there', ({ expect }) =>
    withEvents(async (c) => {
      expect(await error(c, 'ALTER TABLE ev ADD CONSTRAINT ev_org_id_fkey FOREIGN KEY (org_id) REFERENCES orgs (id) NOT VALID')).toMatchObject({
        code: '42809',
        message: 'cannot add NOT VALID foreign key on partitioned table "ev" referencing relation "orgs"',
      });
      await c.query('ALTER TABLE ev_p0 ADD CONSTRAINT ev_p0_org_id_fkey FOREIGN KEY (org_id) REFERENCES orgs (id) NOT VALID');
      await c.query('ALTER TABLE ev_p0 VALIDATE CONSTRAINT ev_p0_org_id_fkey');
      expect((await c.query(`SELECT convalidated FROM pg_constraint WHERE conname = 'ev_p0_org_id_fkey'`)).rows[0].convalidated).toBe(true);
    }));

  it('a foreign key TO a partitioned table can be NOT VALID, then VALIDATE', ({ expect }) =>
    withEvents(async (c) => {
      await c.query('CREATE TABLE refs (id int PRIMARY KEY, ev_id bigint); INSERT INTO refs VALUES (1, 5)');
      await c.query('ALTER TABLE refs ADD CONSTRAINT refs_ev_id_fkey FOREIGN KEY (ev_id) REFERENCES ev (id) NOT VALID');
      await c.query('ALTER TABLE refs VALIDATE CONSTRAINT refs_ev_id_fkey');
      expect((await c.query(`SELECT convalidated FROM pg_constraint WHERE conname = 'refs_ev_id_fkey'`)).rows[0].convalidated).toBe(true);
    }));

  it('ADD CONSTRAINT ... UNIQUE USING INDEX is refused on a partitioned table, even with a valid partitioned index', ({ expect }) =>
    withEvents(async (c) => {
      await c.query('CREATE UNIQUE INDEX ev_name_id_key ON ev (name, id)');
      expect(await valid(c, 'ev_name_id_key')).toBe(true);
      expect(await error(c, 'ALTER TABLE ev ADD CONSTRAINT ev_name_id_key UNIQUE USING INDEX ev_name_id_key')).toMatchObject({
        code: '0A000',
        message: 'ALTER TABLE / ADD CONSTRAINT USING INDEX is not supported on partitioned tables',
      });
    }));

  it('a row trigger on a partitioned table is cloned to every partition and fires for rows routed there', ({ expect }) =>
    withEvents(async (c) => {
      await c.query(`CREATE FUNCTION up_name() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.name := upper(NEW.name); RETURN NEW; END $$`);
      await c.query('CREATE TRIGGER ev_up_name BEFORE INSERT OR UPDATE ON ev FOR EACH ROW EXECUTE FUNCTION up_name()');
      const r = await c.query(`SELECT count(*)::int AS n FROM pg_trigger WHERE tgname = 'ev_up_name'`);
      expect(r.rows[0].n).toBe(N + 1);
      await c.query(`UPDATE ev SET name = 'x' WHERE id = 750`);
      expect((await c.query('SELECT name FROM ev_p7 WHERE id = 750')).rows[0].name).toBe('X');
    }));

  it('a view over a partitioned table is updatable: an insert through it is routed to its partition', ({ expect }) =>
    withEvents(async (c) => {
      await c.query('DELETE FROM ev WHERE id = 350');
      await c.query('CREATE VIEW ev_view AS SELECT * FROM ev');
      await c.query(`INSERT INTO ev_view (id, name) VALUES (350, 'via view')`);
      expect((await c.query('SELECT name FROM ev_p3 WHERE id = 350')).rows[0].name).toBe('via view');
    }));

  it('ADD COLUMN, RENAME COLUMN, DROP COLUMN and RENAME recurse to every partition; ADD COLUMN takes ACCESS EXCLUSIVE on each', ({ expect }) =>
    withEvents(async (c) => {
      await c.query('BEGIN');
      await c.query('ALTER TABLE ev ADD COLUMN nick text');
      const held = await locks(c);
      await c.query('COMMIT');
      for (const t of ['ev', ...PARTS]) expect(held[t], t).toEqual(['AccessExclusiveLock']);
      await c.query('ALTER TABLE ev RENAME COLUMN nick TO nickname');
      const cols = async (col: string) => (await c.query(`SELECT count(*)::int AS n FROM pg_attribute WHERE attname = $1 AND NOT attisdropped AND attrelid::regclass::text LIKE 'ev%'`, [col])).rows[0].n;
      expect(await cols('nickname')).toBe(N + 1);
      await c.query('ALTER TABLE ev DROP COLUMN nickname');
      expect(await cols('nickname')).toBe(0);
      await c.query('ALTER TABLE ev RENAME TO events');
      expect((await c.query(`SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'events'::regclass`)).rows[0].n).toBe(N);
    }));

  it('SET LOCAL in a query of several statements holds for that query only (how host code runs a step in a transaction)', ({ expect }) =>
    withEvents(async (c) => {
      await c.query(`SET lock_timeout = '7s'`);
      const r = (await c.query(`SET LOCAL lock_timeout = '2s'; SELECT current_setting('lock_timeout') AS inside`)) as unknown as pg.QueryResult[];
      expect(r[1].rows[0].inside).toBe('2s');
      expect((await c.query('SHOW lock_timeout')).rows[0].lock_timeout).toBe('7s');
    }));
});

