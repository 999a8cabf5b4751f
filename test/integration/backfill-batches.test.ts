/**
 * How every language's backfill script walks a table, run for real:
 *   - --workers N: N key ranges, each on its own connection; progress counts all of them; one Ctrl-C
 *     stops them all and each unfinished range prints how to resume it; those commands finish the job;
 *   - adaptive batches: sizes shrink when batches take longer than --batch-ms (each row made to cost
 *     at least 2 ms with pg_sleep, so a 100-row batch cannot be under 200 ms), and grow to
 *     --batch-size, never past it, when every batch is far under the target;
 *   - the snapshot bound: rows inserted after the start (by code that already fills the column) are
 *     not walked; the run ends at the highest key present when it started.
 * No assertion depends on how fast anything runs: only on what the scripts print and what the
 * database holds.
 */
import { rm } from 'node:fs/promises';
import pg from 'pg';
import { describe, inject, it } from 'vitest';
import { doneCount, endKey, generateBackfill, interpreter, INTERRUPTED, LANGUAGES, progress, REFUSED, resumeArgs, runBackfill, runBackfillWatching } from '../support/backfill.js';
import { killGroup } from '../support/lifecycle.js';
import { createDatabase, dropDatabase, makeTempDir, query, uniqueDbName } from '../support/pg.js';
import { runCommand } from '../support/tools.js';

const FLAGS = { table: 'items', column: 'label', type: 'text', backfill: 'upper(t.note)' };

async function setup(name: string, rows: number) {
  const info = inject('pg');
  const db = uniqueDbName(name);
  const url = await createDatabase(info, db);
  const dir = await makeTempDir(info, name);
  // Sparse ids: ranges are cut by rows, not by key values.
  await query(url, `CREATE TABLE items (id bigint PRIMARY KEY, note text); INSERT INTO items SELECT g * g, 'n' || g FROM generate_series(1, ${rows}) g; ALTER TABLE items ADD COLUMN label text; ANALYZE items`);
  return { url, db, dir, dispose: async () => (await dropDatabase(info, db), await rm(dir, { recursive: true, force: true })) };
}

/** Whether the process still runs (signal 0 only checks that it exists). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const left = (url: string) => query<{ n: string }>(url, 'SELECT count(*) AS n FROM items WHERE label IS DISTINCT FROM upper(note)').then((r) => Number(r[0].n));

/** Most client connections to the database at once while `during` runs (sampled every 50 ms). */
async function peakConnections<T>(url: string, during: Promise<T>): Promise<{ result: T; peak: number }> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  let peak = 0;
  let done = false;
  const sampling = (async () => {
    while (!done) {
      const r = await c.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()`);
      peak = Math.max(peak, r.rows[0].n);
      await new Promise((res) => setTimeout(res, 50));
    }
  })();
  try {
    const result = await during;
    return { result, peak };
  } finally {
    done = true;
    await sampling;
    await c.end();
  }
}

describe.concurrent('backfill scripts at scale: workers, adaptive batches, the snapshot bound', () => {
  for (const language of LANGUAGES) {
    it(`${language}: --workers 3 walks three ranges on their own connections; progress counts them all`, async ({ expect }) => {
      const t = await setup(`workers_${language}`, 600);
      try {
        const s = await generateBackfill(language, t.dir, FLAGS);
        // Ten batches a range with 200 ms pauses: the three walks overlap for seconds, long enough for
        // the 50 ms sampler to see them together on a loaded machine (30 ms pauses were not, once).
        const { result: r, peak } = await peakConnections(t.url, runBackfill(s, t.url, { workers: 3, batchSize: 20, pauseMs: 200 }));
        const out = r.stdout + r.stderr;
        expect(r.code, out).toBe(0);
        expect(peak, 'three walks at once, each on a connection of its own').toBeGreaterThanOrEqual(3);
        const lines = progress(out);
        expect(new Set(lines.map((l) => l.range)), out).toEqual(new Set([1, 2, 3]));
        if (language === 'sql') {
          // One psql per range: each counts its own rows; the ranges' totals add up.
          const totals = [...out.matchAll(/Range \d\/3 done: (\d+) rows updated/g)].map((m) => Number(m[1]));
          expect(totals.reduce((a, b) => a + b, 0), out).toBe(600);
        } else {
          expect(Math.max(...lines.map((l) => l.scanned)), 'the last progress line counts the rows of every range').toBe(600);
          expect(doneCount(out), out).toBe(600);
        }
        expect(await left(t.url)).toBe(0);
      } finally {
        await t.dispose();
      }
    });

    it(`${language}: one Ctrl-C stops every worker; each range prints its resume command, and those finish the job`, async ({ expect }) => {
      const t = await setup(`workers_stop_${language}`, 600);
      try {
        const s = await generateBackfill(language, t.dir, FLAGS);
        const stopped = await runBackfillWatching(s, t.url, { workers: 3, batchSize: 10, pauseMs: 150 }, /rows scanned[^\n]*range 3\/3|range 3\/3 starts/, (pid) => {
          killGroup(pid, 'SIGINT');
          if (language === 'prisma') setTimeout(() => killGroup(pid, 'SIGINT'), 20);
        });
        const out1 = stopped.stdout + stopped.stderr;
        expect(stopped.matched, out1).toBe(true);
        expect(stopped.code, out1).toBe(INTERRUPTED[language]);
        const before = await left(t.url);
        expect(before, out1).toBeGreaterThan(0);
        const resumes = resumeArgs(language, out1);
        expect(resumes.length, `one resume command per unfinished range:\n${out1}`).toBe(3);
        let updated = 0;
        const runs = await Promise.all(
          resumes.map((args) => {
            const { cmd, args: argv, env } = interpreter(s, t.url, args);
            return runCommand(cmd, argv, { cwd: s.dir, env, check: false });
          }),
        );
        for (const r of runs) {
          const out = r.stdout + r.stderr;
          expect(r.code, out).toBe(0);
          updated += doneCount(out) ?? Number(/Range \d\/\d done: (\d+)/.exec(out)?.[1]);
        }
        expect(updated, 'the resumed ranges did exactly what was left').toBe(before);
        expect(await left(t.url)).toBe(0);
      } finally {
        await t.dispose();
      }
    });

    it(`${language}: batches shrink when they take longer than --batch-ms`, async ({ expect }) => {
      const t = await setup(`adaptive_slow_${language}`, 240);
      try {
        // At least 2 ms per row: a batch of 100 (the first) takes at least 200 ms, ten times the target.
        const s = await generateBackfill(language, t.dir, { ...FLAGS, backfill: 'upper(t.note) || pg_sleep(0.002)::text' });
        const r = await runBackfill(s, t.url, { batchMs: 20, batchSize: 1000 });
        const out = r.stdout + r.stderr;
        expect(r.code, out).toBe(0);
        const sizes = progress(out).map((l) => l.batch);
        expect(sizes[0], out).toBe(100);
        expect(sizes[1], 'halved at most per batch').toBe(50);
        expect(Math.min(...sizes), out).toBeLessThanOrEqual(25);
        expect(await left(t.url)).toBe(0);
      } finally {
        await t.dispose();
      }
    });

    it(`${language}: batches grow to --batch-size and never past it when they are far under --batch-ms`, async ({ expect }) => {
      const t = await setup(`adaptive_fast_${language}`, 3000);
      try {
        const s = await generateBackfill(language, t.dir, FLAGS);
        // A ten-minute target: every batch is far under it, whatever the machine's load.
        const r = await runBackfill(s, t.url, { batchMs: 600_000, batchSize: 400 });
        const out = r.stdout + r.stderr;
        expect(r.code, out).toBe(0);
        const sizes = progress(out).map((l) => l.batch);
        expect(sizes.slice(0, 4), out).toEqual([100, 200, 400, 400]);
        expect(Math.max(...sizes)).toBe(400);
        expect(doneCount(out)).toBe(3000);
      } finally {
        await t.dispose();
      }
    });

    it(`${language}: bad flags are refused with what to pass instead, before any row changes`, async ({ expect }) => {
      const t = await setup(`badflags_${language}`, 50);
      try {
        const s = await generateBackfill(language, t.dir, FLAGS);
        const workers = await runBackfill(s, t.url, { workers: 0 });
        expect(workers.code, workers.stdout + workers.stderr).toBe(REFUSED[language]);
        expect(workers.stdout + workers.stderr).toMatch(/(--workers|-v workers) must be a whole number of at least 1/);
        const lag = await runBackfill(s, t.url, { maxReplicaLag: 'soon' });
        expect(lag.code, lag.stdout + lag.stderr).toBe(REFUSED[language]);
        expect(lag.stdout + lag.stderr).toMatch(/(--max-replica-lag |-v max_replica_lag=)soon is not a duration: pass e\.g\. /);
        for (const r of [workers, lag]) expect(r.stdout + r.stderr).not.toMatch(/rows scanned|Traceback|\.rb:\d+:in /);
        expect(await left(t.url)).toBe(50);
      } finally {
        await t.dispose();
      }
    });

    it(`${language}: rows inserted after the start are not walked; the run ends at the key that was highest then`, async ({ expect }) => {
      const t = await setup(`snapshot_${language}`, 400);
      try {
        const s = await generateBackfill(language, t.dir, FLAGS);
        // New code is deployed: the rows it inserts come with their label.
        const insert = `INSERT INTO items (id, note, label) SELECT 1000000 + g, 'new' || g, upper('new' || g) FROM generate_series(1, 300) g`;
        // The insert starts at the first progress line and must commit while the walk goes on: 19 more
        // batches with 300 ms pauses leave it more than five seconds, however loaded the machine.
        let runningAfterInsert = false;
        const r = await runBackfillWatching(s, t.url, { batchSize: 20, pauseMs: 300 }, /rows scanned/, async (pid) => {
          await query(t.url, insert);
          runningAfterInsert = alive(pid);
        });
        const out = r.stdout + r.stderr;
        expect(r.code, out).toBe(0);
        const end = endKey(out);
        expect(end, 'the highest key when it started').toBe('160000');
        const lines = progress(out);
        expect(lines[lines.length - 1].lastKey, 'the walk stopped there').toBe(end);
        expect(Math.max(...lines.map((l) => l.scanned)), 'only the rows that existed at the start').toBe(400);
        expect(doneCount(out)).toBe(400);
        const [{ max }] = await query<{ max: string }>(t.url, 'SELECT max(id)::text AS max FROM items');
        expect(Number(max), 'rows were inserted past it').toBeGreaterThan(Number(end));
        expect(runningAfterInsert, 'the insert committed while the backfill was still walking').toBe(true);
        expect(await left(t.url)).toBe(0);
      } finally {
        await t.dispose();
      }
    });
  }
});
