/**
 * Every language's backfill script on a partitioned table, run for real: `events`, range-partitioned
 * by id into 8 partitions plus a default one, seeded once into a template database that each test
 * copies. A row trigger on the parent (cloned to every partition, the ones attached later too) logs
 * which partitions each transaction updated, so "one partition per batch" is read from the database,
 * not from what the script says. Proved here:
 *   - the PostgreSQL 15 facts the scripts rely on (listed in docs/partitions.md);
 *   - every row of every partition is filled, a partition attached after generation included, and
 *     no transaction updated rows of two partitions (a negative control shows the check catches
 *     one that did: an UPDATE of the parent across a partition boundary);
 *   - a Ctrl-C prints a resume command naming the partition and the key after; it finishes the job
 *     without walking the partitions before that one again;
 *   - --workers 2 walks two runs of whole partitions at once and fills every row.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, inject, it } from 'vitest';
import { doneCount, generateBackfill, interpreter, INTERRUPTED, LANGUAGES, progress, resumeArgs, runBackfill, runBackfillWatching } from '../support/backfill.js';
import { killGroup } from '../support/lifecycle.js';
import { databaseUrl, dropDatabase, makeTempDir, query, quoteIdent, uniqueDbName, withClient } from '../support/pg.js';
import { runCommand } from '../support/tools.js';

const FLAGS = { table: 'events', column: 'label', type: 'text', backfill: 'upper(t.note)' };
const PARTITIONS = 8;
const PER_PARTITION = 4000;
/** Rows past the last range partition, in the default one. */
const IN_DEFAULT = 2000;
const ROWS = PARTITIONS * PER_PARTITION - 1 + IN_DEFAULT;

const SEED = [
  `CREATE TABLE events (id bigint PRIMARY KEY, note text, label text) PARTITION BY RANGE (id)`,
  ...Array.from({ length: PARTITIONS }, (_, k) => `CREATE TABLE events_p${k} PARTITION OF events FOR VALUES FROM (${k * PER_PARTITION}) TO (${(k + 1) * PER_PARTITION})`),
  `CREATE TABLE events_default PARTITION OF events DEFAULT`,
  `INSERT INTO events (id, note) SELECT g, 'n' || g FROM generate_series(1, ${ROWS}) g`,
  // Which partitions each transaction updated: one row per (transaction, partition).
  `CREATE TABLE touched (xid bigint, leaf text, PRIMARY KEY (xid, leaf))`,
  `CREATE FUNCTION log_touched() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     INSERT INTO touched VALUES (txid_current(), TG_TABLE_NAME) ON CONFLICT DO NOTHING;
     RETURN NULL;
   END $$`,
  `CREATE TRIGGER log_touched AFTER UPDATE ON events FOR EACH ROW EXECUTE FUNCTION log_touched()`,
].join(';\n');

let template = '';

beforeAll(async () => {
  const info = inject('pg');
  template = uniqueDbName('partitioned_template');
  await query(info.adminUrl, `CREATE DATABASE ${quoteIdent(template)}`);
  await query(databaseUrl(info, template), SEED);
  // Statistics for the scripts' row estimate (VACUUM cannot run in the seed's implicit transaction).
  await query(databaseUrl(info, template), 'VACUUM ANALYZE events');
});

afterAll(async () => {
  if (template) await dropDatabase(inject('pg'), template);
});

/** A copy of the seeded database (CREATE DATABASE ... TEMPLATE copies its files: no new seeding). */
async function setup(name: string) {
  const info = inject('pg');
  const db = uniqueDbName(name);
  await withClient(info.adminUrl, (c) => c.query(`CREATE DATABASE ${quoteIdent(db)} TEMPLATE ${quoteIdent(template)}`));
  const url = databaseUrl(info, db);
  const dir = await makeTempDir(info, name);
  return { url, dir, dispose: async () => (await dropDatabase(info, db), await rm(dir, { recursive: true, force: true })) };
}

/** Rows still without their label, per partition. */
async function unfilled(url: string): Promise<Record<string, number>> {
  const rows = await query<{ leaf: string; n: string }>(url, `SELECT tableoid::regclass::text AS leaf, count(*) AS n FROM events WHERE label IS DISTINCT FROM upper(note) GROUP BY 1`);
  return Object.fromEntries(rows.map((r) => [r.leaf, Number(r.n)]));
}

/** Transactions that updated rows of more than one partition, and the partitions updated at all. */
async function touched(url: string): Promise<{ spanning: string[]; leaves: string[]; transactions: number }> {
  const spanning = await query<{ leaves: string }>(url, `SELECT string_agg(leaf, ', ' ORDER BY leaf) AS leaves FROM touched GROUP BY xid HAVING count(*) > 1`);
  const leaves = await query<{ leaf: string }>(url, 'SELECT DISTINCT leaf FROM touched ORDER BY 1');
  const [{ n }] = await query<{ n: string }>(url, 'SELECT count(DISTINCT xid) AS n FROM touched');
  return { spanning: spanning.map((r) => r.leaves), leaves: leaves.map((r) => r.leaf), transactions: Number(n) };
}

const ALL_LEAVES = ['events_default', ...Array.from({ length: PARTITIONS }, (_, k) => `events_p${k}`)].sort();

/** The partition a progress line names (`last key 1234 in public.events_p3`). */
const partitionOf = (lastKey: string) => /^.* in public\.(\w+)$/.exec(lastKey)?.[1] ?? null;

describe('PostgreSQL 15 facts the scripts rest on, and the negative control of the one-partition check', () => {
  it('facts: pg_partition_tree lists no row for a plain table; an UPDATE of a leaf cannot move a row out; autovacuum-style leaf ANALYZE leaves the parent at reltuples -1', async ({ expect }) => {
    const t = await setup('partitioned_facts');
    try {
      await query(t.url, 'CREATE TABLE plain (id int PRIMARY KEY)');
      expect(await query(t.url, `SELECT * FROM pg_partition_tree('plain')`), 'so the leaves query adds a plain table itself').toEqual([]);
      // A batch's UPDATE names its leaf: it can only ever write that partition.
      const moved = await query(t.url, `UPDATE events_p0 SET id = ${PER_PARTITION + 1} WHERE id = 1`).then(() => null, (e: { code?: string }) => e.code);
      expect(moved, 'check_violation: new row violates partition constraint').toBe('23514');
      await query(t.url, `CREATE TABLE fresh (id int PRIMARY KEY) PARTITION BY RANGE (id); CREATE TABLE fresh_p0 PARTITION OF fresh FOR VALUES FROM (0) TO (100); INSERT INTO fresh SELECT generate_series(0, 99)`);
      await query(t.url, 'VACUUM ANALYZE fresh_p0');
      const reltuples = await query<{ relname: string; reltuples: number }>(t.url, `SELECT relname, reltuples FROM pg_class WHERE relname IN ('fresh', 'fresh_p0') ORDER BY 1`);
      expect(reltuples, 'so the estimate sums the leaves').toEqual([
        { relname: 'fresh', reltuples: -1 },
        { relname: 'fresh_p0', reltuples: 100 },
      ]);
    } finally {
      await t.dispose();
    }
  });

  it('control: an UPDATE of the parent across a partition boundary is caught', async ({ expect }) => {
    const t = await setup('partitioned_control');
    try {
      await query(t.url, `UPDATE events SET label = upper(note) WHERE id BETWEEN ${PER_PARTITION - 5} AND ${PER_PARTITION + 5}`);
      expect((await touched(t.url)).spanning).toEqual(['events_p0, events_p1']);
    } finally {
      await t.dispose();
    }
  });
});

describe.concurrent('backfill scripts on a partitioned table: one partition at a time', () => {
  for (const language of LANGUAGES) {
    it(`${language}: fills every partition, one partition per batch, a partition attached after generation too`, async ({ expect }) => {
      const t = await setup(`partitioned_${language}`);
      try {
        const s = await generateBackfill(language, t.dir, FLAGS);
        // Attached after the script was written: it is read when the script runs.
        await query(
          t.url,
          `CREATE TABLE events_late (LIKE events INCLUDING DEFAULTS);
           INSERT INTO events_late (id, note) SELECT g, 'late' || g FROM generate_series(40001, 40300) g;
           ALTER TABLE events ATTACH PARTITION events_late FOR VALUES FROM (40000) TO (44000)`,
        );
        const r = await runBackfill(s, t.url, { batchSize: 1500 });
        const out = r.stdout + r.stderr;
        expect(r.code, out).toBe(0);
        expect(out).toMatch(/about \d+ rows in 10 partitions, walked one at a time/);
        expect(await unfilled(t.url), 'every row of every partition').toEqual({});
        const log = await touched(t.url);
        expect(log.spanning, 'no transaction updated two partitions').toEqual([]);
        expect(log.leaves).toEqual([...ALL_LEAVES, 'events_late'].sort());
        // Batches of up to 1500 rows over 4000-row partitions: many batches, each in one partition.
        expect(log.transactions).toBeGreaterThanOrEqual(20);
        const lines = progress(out);
        expect(new Set(lines.map((l) => partitionOf(l.lastKey))).size, out).toBe(10);
        expect(doneCount(out)).toBe(ROWS + 300);
      } finally {
        await t.dispose();
      }
    });

    it(`${language}: a Ctrl-C prints the partition and key to resume from; that command finishes the job`, async ({ expect }) => {
      const t = await setup(`partitioned_stop_${language}`);
      try {
        const s = await generateBackfill(language, t.dir, FLAGS);
        // Stopped in the fourth partition walked (names in order: events_default, events_p0, p1, p2).
        const stopped = await runBackfillWatching(s, t.url, { batchSize: 1000, pauseMs: 100 }, /last key \d+ in public\.events_p2\b/, (pid) => {
          killGroup(pid, 'SIGINT');
          if (language === 'prisma') setTimeout(() => killGroup(pid, 'SIGINT'), 20);
        });
        const out1 = stopped.stdout + stopped.stderr;
        expect(stopped.matched, out1).toBe(true);
        expect(stopped.code, out1).toBe(INTERRUPTED[language]);
        const left = await unfilled(t.url);
        expect(left.events_default ?? 0, 'the partitions before it are done').toBe(0);
        expect(Object.keys(left).length, `stopped before the end:\n${out1}`).toBeGreaterThan(0);
        const resumes = resumeArgs(language, out1);
        expect(resumes.length, out1).toBe(1);
        const words = resumes[0].join(' ');
        // Stopped in events_p2 or, on a loaded machine where the signal lands a few batches late, a
        // partition after it; between two batches, or before the next partition's first.
        expect(words, 'the partition and the key after').toMatch(/^(--partition |-v partition=)public\.events_p[2-7]( (--start-after |-v start_after=)\d+)?$/);
        const named = /events_p\d/.exec(words)![0];
        const { cmd, args, env } = interpreter(s, t.url, resumes[0]);
        const r = await runCommand(cmd, args, { cwd: s.dir, env, check: false });
        const out2 = r.stdout + r.stderr;
        expect(r.code, out2).toBe(0);
        const walked = new Set(progress(out2).map((l) => partitionOf(l.lastKey)!));
        expect([...walked].filter((l) => l < named), 'none of the partitions before it again').toEqual([]);
        expect(ALL_LEAVES.filter((l) => l > named && !walked.has(l)), 'every one after it').toEqual([]);
        expect(await unfilled(t.url)).toEqual({});
        expect((await touched(t.url)).spanning).toEqual([]);
      } finally {
        await t.dispose();
      }
    });

    it(`${language}: --workers 2 walks two runs of whole partitions at once and fills every row`, async ({ expect }) => {
      const t = await setup(`partitioned_workers_${language}`);
      try {
        const s = await generateBackfill(language, t.dir, FLAGS);
        const r = await runBackfill(s, t.url, { workers: 2, batchSize: 2000 });
        const out = r.stdout + r.stderr;
        expect(r.code, out).toBe(0);
        expect(await unfilled(t.url)).toEqual({});
        const log = await touched(t.url);
        expect(log.spanning).toEqual([]);
        expect(log.leaves).toEqual(ALL_LEAVES);
        // Each range walks whole partitions: no partition appears in both ranges' progress.
        const byRange = new Map<number, Set<string>>();
        for (const l of progress(out)) {
          const set = byRange.get(l.range ?? 0) ?? new Set();
          set.add(partitionOf(l.lastKey)!);
          byRange.set(l.range ?? 0, set);
        }
        expect([...byRange.keys()].sort(), out).toEqual([1, 2]);
        const [a, b] = [...byRange.values()];
        expect([...a].filter((x) => b.has(x)), 'no partition shared').toEqual([]);
        if (language === 'sql') {
          const totals = [...out.matchAll(/Range \d\/2 done: (\d+) rows updated/g)].map((m) => Number(m[1]));
          expect(totals.reduce((x, y) => x + y, 0), out).toBe(ROWS);
        } else expect(doneCount(out), out).toBe(ROWS);
      } finally {
        await t.dispose();
      }
    });
  }
});
