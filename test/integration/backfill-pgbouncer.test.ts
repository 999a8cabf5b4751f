/**
 * Every language's backfill through a real PgBouncer in transaction pooling mode, with ONE server
 * connection per pool, so whatever a client leaves on its server connection is what the next client
 * of the pool gets:
 *   - while the backfill runs, another client of the same pool keeps asking its connection for
 *     lock_timeout and statement_timeout: it never sees the backfill's values (they are set for each
 *     batch's transaction only);
 *   - a batch blocked by a row lock (held outside the pooler) gives up after the backfill's
 *     lock_timeout, is retried, and the run finishes once the lock is gone: the setting reached the
 *     statement it is meant for;
 *   - negative control: a plain session SET through the same pooler is seen by the next client.
 * psql's run is one DO statement per range, which holds its server connection until it ends: the
 * probe only gets in between psql's statements there, and after the run.
 */
import { rm } from 'node:fs/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, inject, it } from 'vitest';
import { doneCount, generateBackfill, LANGUAGES, runBackfill, runBackfillWatching } from '../support/backfill.js';
import { createDatabase, dropDatabase, makeTempDir, query, uniqueDbName } from '../support/pg.js';
import { probeSettings, startPgbouncer, type Bouncer } from '../support/pgbouncer.js';

const ROWS = 1500;
const FLAGS = { table: 'items', column: 'label', type: 'text', backfill: 'upper(t.note)' };

async function setup(name: string) {
  const info = inject('pg');
  const db = uniqueDbName(name);
  const url = await createDatabase(info, db);
  const dir = await makeTempDir(info, name);
  await query(url, `CREATE TABLE items (id bigint PRIMARY KEY, note text); INSERT INTO items SELECT g, 'n' || g FROM generate_series(1, ${ROWS}) g; ALTER TABLE items ADD COLUMN label text; ANALYZE items`);
  return { url, db, dir, dispose: async () => (await dropDatabase(info, db), await rm(dir, { recursive: true, force: true })) };
}

const left = (url: string) => query<{ n: string }>(url, 'SELECT count(*) AS n FROM items WHERE label IS DISTINCT FROM upper(note)').then((r) => Number(r[0].n));

describe('backfills through PgBouncer in transaction pooling mode', () => {
  let bouncer: Bouncer;
  beforeAll(async () => {
    bouncer = await startPgbouncer(inject('pg'), { poolSize: 1 });
  });
  afterAll(async () => {
    await bouncer?.stop();
  });

  it('negative control: a session-level SET through the pooler reaches the next client of the pool', async ({ expect }) => {
    const t = await setup('bouncer_leak');
    try {
      const leaky = new pg.Client({ connectionString: bouncer.url(t.db) });
      await leaky.connect();
      await leaky.query(`SET lock_timeout = '1s'`);
      await leaky.end();
      const probe = probeSettings(bouncer.url(t.db));
      await new Promise((r) => setTimeout(r, 200));
      const { probes, leaks } = await probe.stop();
      expect(probes).toBeGreaterThan(0);
      expect(leaks[0], 'the probe sees what another client left behind').toBe('lock_timeout=1s statement_timeout=0');
    } finally {
      await t.dispose();
    }
  });

  for (const language of LANGUAGES) {
    it(`${language}: the backfill's lock_timeout and statement_timeout never reach another client of the pool`, async ({ expect }) => {
      const t = await setup(`bouncer_probe_${language}`);
      try {
        const s = await generateBackfill(language, t.dir, FLAGS);
        const probe = probeSettings(bouncer.url(t.db));
        const r = await runBackfill(s, bouncer.url(t.db), {
          batchSize: 50,
          lockTimeout: '1234ms',
          ...(language === 'sql' ? {} : { statementTimeout: '43s' }),
          workers: 2,
        });
        const { probes, leaks } = await probe.stop();
        const out = r.stdout + r.stderr;
        expect(r.code, out).toBe(0);
        expect(await left(t.url)).toBe(0);
        // psql's batches run inside one DO statement, which keeps its server connection to the end:
        // the probe gets it only between psql's statements and after the run.
        expect(probes, 'the probe ran between the batches').toBeGreaterThan(language === 'sql' ? 0 : 10);
        expect(leaks, 'settings other clients of the pool saw').toEqual([]);
      } finally {
        await t.dispose();
      }
    });

    it(`${language}: through the pooler, a batch blocked by a row lock gives up after lock_timeout, is retried, and the run finishes`, async ({ expect }) => {
      const t = await setup(`bouncer_lock_${language}`);
      const holder = new pg.Client({ connectionString: t.url });
      try {
        const s = await generateBackfill(language, t.dir, FLAGS);
        await holder.connect();
        await holder.query('BEGIN');
        await holder.query('SELECT id FROM items WHERE id = 700 FOR UPDATE');
        let released = false;
        // Released only once the script reports a retry: a batch without its lock_timeout would wait
        // for the lock forever and the run would time out.
        const r = await runBackfillWatching(s, bouncer.url(t.db), { batchSize: 100, lockTimeout: '200ms' }, /retry 1\/5/, async () => {
          released = true;
          await holder.query('ROLLBACK');
        }, 60_000);
        const out = r.stdout + r.stderr;
        expect(r.matched, `a batch timed out on the lock and was retried:\n${out}`).toBe(true);
        expect(released).toBe(true);
        expect(out).toMatch(/lock|55P03/i);
        expect(r.code, out).toBe(0);
        expect(doneCount(out), out).toBe(ROWS);
        expect(await left(t.url)).toBe(0);
      } finally {
        await holder.end().catch(() => {});
        await t.dispose();
      }
    });
  }
});

