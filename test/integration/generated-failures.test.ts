/**
 * The generated files when things go wrong, with the real tools on PostgreSQL 15:
 *   - a migration that needs a strong lock while a long transaction holds the table gives up after
 *     lock_timeout (instead of queueing every query behind it), applies nothing, and goes through
 *     once the blocker is gone;
 *   - a backfill batch that waits on a locked row times out, is retried, and the run completes;
 *   - a unique index build that fails on a duplicate leaves an INVALID index, and the retry each
 *     target documents (automatic cleanup in Alembic / Rails, the down first elsewhere) builds it;
 *   - rolling back remove-column's relax step without the data keeps NULLs allowed and says so.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { describe, it } from 'vitest';
import { caseById } from '../cases/index.js';
import { DRIVER_NAMES, prepareCase, runWatching, snapshot, waitForOtherBackends, type Prepared } from '../support/lifecycle.js';
import { applyError, openClient, resolveFailed } from '../support/failures.js';
import { query } from '../support/pg.js';
import { runPsql, sqlApplyFile } from '../support/tools.js';

/** Apply the migrate phases that come before the phase with this key. */
async function applyUntil(p: Prepared, key: string): Promise<void> {
  for (const phase of p.gen.plan.phases) {
    if (phase.key === key) return;
    for (const id of p.gen.ids[phase.key]) await p.driver.apply(p.ctx.expect, p.url, p.gen, id);
  }
}

describe.concurrent('generated files under lock contention and failed builds', () => {
  for (const d of DRIVER_NAMES) {
    it(`${d}: the rename's expand gives up after lock_timeout behind a long transaction, applies nothing, then goes through`, async ({ expect }) => {
      const p = await prepareCase(expect, caseById('rename'), d);
      try {
        const [id] = p.gen.ids.expand;
        const h = await openClient(p.url);
        await h.query('BEGIN');
        await h.query('SELECT count(*) FROM users'); // ACCESS SHARE until the end of the transaction
        const t0 = Date.now();
        const message = await applyError(p, id);
        const elapsed = Date.now() - t0;
        await h.query('ROLLBACK');
        await h.end();
        expect(message).toMatch(/canceling statement due to lock timeout/);
        expect(elapsed, 'it gave up instead of waiting for the transaction').toBeLessThan(20_000);
        expect(await snapshot(p.client), 'nothing of the migration was applied').toEqual(p.startSnap);
        expect(await p.driver.applied(p.url, id)).not.toBe(true);
        if (d === 'prisma') {
          // What `prisma migrate resolve --rolled-back` does for the failed migration (the
          // checklist's lock_timeout advice); without it `migrate deploy` refuses (P3009).
          await expect(p.driver.apply(expect, p.url, p.gen, id)).rejects.toThrow(/P3009/);
          await resolveFailed(p, id);
        }
        await p.driver.apply(expect, p.url, p.gen, id);
        expect(Object.keys((await snapshot(p.client)).columns)).toContain('full_name');
        for (const v of p.gen.plan.phases[0].verify) expect(Number(await p.ctx.val(v.sql))).toBe(v.expectValue);
      } finally {
        await p.dispose();
      }
    });

    it(`${d}: a backfill batch blocked by a locked row times out, is retried and the run completes`, async ({ expect }) => {
      const p = await prepareCase(expect, caseById('add_backfill_not_null'), d);
      try {
        await applyUntil(p, 'backfill');
        const h = await openClient(p.url);
        await h.query('BEGIN');
        await h.query('SELECT id FROM users WHERE id = 500 FOR UPDATE');
        const { cmd, args, env } = p.driver.backfillCommand(p.url, p.gen.backfillFile!, {});
        // The row lock is released only once the script reported a retry.
        const r = await runWatching(cmd, args, env, p.dir, /retry 1\/5/, async () => {
          await h.query('ROLLBACK');
        });
        await h.end().catch(() => {});
        const out = r.stdout + r.stderr;
        expect(r.matched, `the batch was retried:\n${out}`).toBe(true);
        expect(out).toMatch(/lock|55P03/i);
        expect(r.code, out).toBe(0);
        expect(out).toMatch(new RegExp(`Done: ${2000} rows updated`));
        await waitForOtherBackends(p.ctx);
        expect(Number(await p.ctx.val(`SELECT count(*) FROM users WHERE handle IS NULL`))).toBe(0);
      } finally {
        await p.dispose();
      }
    });

    it(`${d}: a unique build failing on a duplicate leaves an INVALID index; the documented retry builds a valid one`, async ({ expect }) => {
      const p = await prepareCase(expect, caseById('index_unique'), d);
      try {
        const [id] = p.gen.ids.build;
        const [{ id: dup }] = await p.ctx.q(`INSERT INTO users (email, name) VALUES ('user1@example.org', 'Duplicate') RETURNING id`);
        const message = await applyError(p, id);
        expect(message).toMatch(/could not create unique index "users_email_key"/);
        const invalid = async () => p.ctx.q(`SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('users_email_key')`);
        expect(await invalid(), 'the failed build left an INVALID index').toEqual([{ indisvalid: false }]);
        expect(await p.driver.applied(p.url, id)).not.toBe(true);
        await p.ctx.q('DELETE FROM users WHERE id = $1', [dup]);

        if (d === 'prisma') {
          // Checklist: run the down (it drops the leftover), resolve the failed migration, deploy.
          const rb = await p.driver.rollback(expect, p.url, p.gen, id, null);
          expect((rb as { realResolve?: string }).realResolve).toBe('ok');
        } else if (d === 'sql') {
          await sqlApplyFile(p.url, p.gen.migrationFiles.find((f) => f.endsWith('.down.sql'))!);
        } else if (d === 'dbmate') {
          // dbmate cannot run the down of a migration it never recorded: run its down section by hand.
          const [name] = (await readdir(join(p.dir, 'db', 'migrations'))).filter((f) => f.startsWith(`${id}_`));
          const file = join(p.dir, 'db', 'migrations', name);
          const down = (await readFile(file, 'utf8')).split(/^-- migrate:down.*$/m)[1];
          const downFile = join(p.dir, 'down-by-hand.sql');
          await writeFile(downFile, down);
          await runPsql(p.url, downFile);
        }
        // Alembic and Rails find the INVALID leftover themselves and drop it before building.
        await p.driver.apply(expect, p.url, p.gen, id);
        expect(await invalid()).toEqual([{ indisvalid: true }]);
        for (const v of p.gen.plan.phases[0].verify) expect(await p.ctx.val(v.sql)).toEqual(typeof v.expectValue === 'number' ? String(v.expectValue) : v.expectValue);
      } finally {
        await p.dispose();
      }
    });
  }

  for (const d of DRIVER_NAMES)
    it(`${d}: an index made on the renamed column after generation: the expand refuses, names it, and changes nothing`, async ({ expect }) => {
      const p = await prepareCase(expect, caseById('rename'), d);
      try {
        await p.ctx.q(`CREATE INDEX users_name_late_idx ON users (name) WHERE name <> ''`);
        const before = await snapshot(p.client);
        const message = await applyError(p, p.gen.ids.expand[0]);
        expect(message).toMatch(/users\.name has indexes or constraints this plan was not written for \(users_name_late_idx\)/);
        expect(await snapshot(p.client), 'nothing was applied').toEqual(before);
      } finally {
        await p.dispose();
      }
    });

  it('sql: an in-place type change refuses when an expression index on the column appeared after generation', async ({ expect }) => {
    const p = await prepareCase(expect, caseById('type_in_place'), 'sql');
    try {
      await p.ctx.q('CREATE INDEX users_nickname_lower_idx ON users (lower(nickname))');
      const before = await snapshot(p.client);
      const message = await applyError(p, p.gen.ids.alter[0]);
      expect(message).toMatch(/in place would rebuild or check again index users_nickname_lower_idx/);
      expect(await snapshot(p.client), 'nothing was applied').toEqual(before);
    } finally {
      await p.dispose();
    }
  });

  it('sql: rolling back the relax step of remove-column without the data keeps NULLs allowed, with a warning', async ({ expect }) => {
    const p = await prepareCase(expect, caseById('remove_not_null'), 'sql');
    try {
      const [relax] = p.gen.ids.relax;
      const [drop] = p.gen.ids.drop;
      await p.driver.apply(expect, p.url, p.gen, relax);
      await p.driver.apply(expect, p.url, p.gen, drop);
      await p.driver.rollback(expect, p.url, p.gen, drop, relax);
      const r = await p.driver.rollback(expect, p.url, p.gen, relax, null);
      expect(r.stdout).toMatch(/WARNING: column legacy_code of users keeps allowing NULL: some rows are NULL/);
      expect((await snapshot(p.client)).columns.legacy_code).toEqual({ type: 'text', notNull: false, default: null });
    } finally {
      await p.dispose();
    }
  });
});
