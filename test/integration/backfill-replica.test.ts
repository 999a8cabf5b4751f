/**
 * --max-replica-lag against a real streaming standby (its own primary: the WAL measured here is only
 * these tests'). Its replay is paused until the primary reports it more than the limit behind; then:
 *   - every language's backfill with the throttle waits before its first batch and writes nothing
 *     while the standby stays behind: the WAL the standby has yet to replay does not grow; once
 *     replay resumes it says so, and finishes every row;
 *   - negative control: the same backfill without the throttle runs to the end while the standby
 *     is stopped, and the WAL the standby has yet to replay grows by everything it wrote.
 * A paused standby's time lag grows whatever the primary does; what the throttle bounds is how much
 * the backfill adds to it, so that is what is measured (bytes of WAL not yet replayed).
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, inject, it } from 'vitest';
import { doneCount, generateBackfill, LANGUAGES, runBackfill, runBackfillWatching } from '../support/backfill.js';
import { makeTempDir, query } from '../support/pg.js';
import { startReplicated, type Replicated } from '../support/replica.js';

const ROWS = 4000;
const LIMIT = '300ms';
const FLAGS = { table: 'items', column: 'label', type: 'text', backfill: 'upper(t.note)' };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('backfills throttled by a real standby', () => {
  let rep: Replicated;
  beforeAll(async () => {
    rep = await startReplicated();
  }, 180_000);
  afterAll(async () => {
    await rep?.stop();
  });

  async function setup(name: string) {
    await query(rep.primary.adminUrl, `CREATE DATABASE ${name}`);
    const url = rep.url(name);
    await query(url, `CREATE TABLE items (id bigint PRIMARY KEY, note text); INSERT INTO items SELECT g, 'n' || g FROM generate_series(1, ${ROWS}) g; ALTER TABLE items ADD COLUMN label text; ANALYZE items; CREATE TABLE tick (n int)`);
    const dir = await makeTempDir(inject('pg'), name);
    await rep.caughtUp();
    return { url, dir, dispose: () => rm(dir, { recursive: true, force: true }) };
  }

  const done = (url: string) => query<{ n: string }>(url, 'SELECT count(*) AS n FROM items WHERE label IS NOT NULL').then((r) => Number(r[0].n));

  /** Pauses the standby's replay and writes a little until the primary reports it past LIMIT. */
  async function standbyBehind(url: string): Promise<void> {
    await rep.pause();
    for (let i = 0; (await rep.replayLagMs()) <= 2 * parseInt(LIMIT, 10); i++) {
      if (i > 300) throw new Error('the paused standby never showed replay lag');
      await query(url, 'INSERT INTO tick VALUES (1)');
      await sleep(100);
    }
  }

  for (const language of LANGUAGES) {
    it(`${language}: with --max-replica-lag it waits while the standby is behind, adds no WAL for it, then finishes`, async ({ expect }) => {
      const t = await setup(`replica_${language}`);
      try {
        const s = await generateBackfill(language, t.dir, FLAGS);
        await standbyBehind(t.url);
        const before = (await rep.unreplayedBytes())!;
        let waiting = { rows: -1, bytes: -1 };
        const r = await runBackfillWatching(s, t.url, { batchSize: 200, maxReplicaLag: LIMIT }, /waiting: a standby replays/, async () => {
          // It said it waits: nothing written yet, and nothing more while the standby stays paused.
          const rows0 = await done(t.url);
          await sleep(1500);
          waiting = { rows: Math.max(rows0, await done(t.url)), bytes: (await rep.unreplayedBytes())! - before };
          await rep.resume();
        });
        const out = r.stdout + r.stderr;
        expect(r.matched, out).toBe(true);
        expect(waiting.rows, 'rows updated while the standby was behind').toBe(0);
        expect(waiting.bytes, 'WAL added for the paused standby while waiting').toBeLessThan(64 * 1024);
        expect(out).toMatch(/standbys within 300ms again after [\d.]+s: resuming/);
        expect(r.code, out).toBe(0);
        expect(doneCount(out), out).toBe(ROWS);
        expect(await done(t.url)).toBe(ROWS);
      } finally {
        await rep.resume().catch(() => {});
        await t.dispose();
      }
    });
  }

  it('negative control: without --max-replica-lag the backfill runs on, and the standby falls behind by all it wrote', async ({ expect }) => {
    const t = await setup('replica_unthrottled');
    try {
      const s = await generateBackfill('alembic', t.dir, FLAGS);
      await standbyBehind(t.url);
      const before = (await rep.unreplayedBytes())!;
      const r = await runBackfill(s, t.url, { batchSize: 200 });
      const out = r.stdout + r.stderr;
      expect(r.code, out).toBe(0);
      expect(doneCount(out)).toBe(ROWS);
      const grown = (await rep.unreplayedBytes())! - before;
      // Each updated row is at least a heap update record in the WAL (about 70 bytes and more).
      expect(grown, 'WAL the standby has yet to replay, added by the backfill').toBeGreaterThan(ROWS * 50);
      expect(Number((await query<{ n: string }>(rep.url('replica_unthrottled', 'standby'), 'SELECT count(*) AS n FROM items WHERE label IS NOT NULL'))[0].n), 'the standby serves none of it').toBe(0);
    } finally {
      await rep.resume().catch(() => {});
      await t.dispose();
    }
  });
});

