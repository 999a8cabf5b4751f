/**
 * set-not-null and add-check-constraint when things go wrong, with the real tools on PostgreSQL 15:
 *   - NULLs left when the tighten starts: its first migration refuses with the catalogue's message,
 *     before any lock, and changes nothing (with a backfill: "finish the backfill"; without one: the
 *     rows are NULL and how to fill them); once the rows have a value it goes through;
 *   - a long transaction holding the table: the SET NOT NULL migration gives up on lock_timeout,
 *     applies nothing (the validated check stays, the column stays nullable), then goes through;
 *   - rows that violate a new check: VALIDATE fails and changes nothing, the constraint stays NOT VALID
 *     and keeps refusing violating writes; the checklist's queries find the rows, and after the fix it
 *     says to make, the VALIDATE migration goes through;
 *   - negative controls in rehearse: the tighten replaced by a bare SET NOT NULL, and the check added
 *     validated at once, are caught scanning the table under ACCESS EXCLUSIVE.
 */
import pg from 'pg';
import { describe, inject, it } from 'vitest';
import { caseById } from '../cases/index.js';
import { findOperation } from '../../generators/index.js';
import { naivePlan } from '../../src/bench-scenario.js';
import type { Answers } from '../../src/operation.js';
import type { Plan } from '../../src/plan/types.js';
import { rehearse } from '../../src/rehearse/rehearse.js';
import { buildReport } from '../../src/rehearse/report.js';
import { DRIVER_NAMES, prepareCase, snapshot, type Prepared } from '../support/lifecycle.js';
import { applyError, openClient, resolveFailed } from '../support/failures.js';
import { createDatabase, query, uniqueDbName } from '../support/pg.js';

/** What each tool needs before a failed migration can be applied again (the checklist's lock_timeout advice). */
async function afterFailure(p: Prepared, id: string): Promise<void> {
  if (p.driver.name !== 'prisma') return;
  // `prisma migrate resolve --rolled-back <folder>`: without it `migrate deploy` refuses (P3009).
  await p.ctx.expect(p.driver.apply(p.ctx.expect, p.url, p.gen, id)).rejects.toThrow(/P3009/);
  await resolveFailed(p, id);
}

async function applyPhases(p: Prepared, keys: string[]): Promise<void> {
  for (const k of keys) for (const id of p.gen.ids[k]) await p.driver.apply(p.ctx.expect, p.url, p.gen, id);
}

describe.concurrent('set-not-null: the tighten refuses while NULLs are left, through every tool', () => {
  for (const d of DRIVER_NAMES) {
    it(`${d}: without --backfill, the guard says the rows are NULL and how to fill them`, async ({ expect }) => {
      const p = await prepareCase(expect, caseById('snn_no_nulls'), d);
      try {
        const [first] = p.gen.ids.tighten;
        // Some rows are NULL after all (the plan said there would be none).
        await p.ctx.q(`UPDATE users SET country_code = NULL WHERE id IN (7, 8)`);
        const message = await applyError(p, first);
        expect(message).toMatch(
          /migscaffold: some rows of users have country_code NULL, so it cannot be made NOT NULL yet: give each of them a value first \(UPDATE users SET country_code = \.\.\. WHERE country_code IS NULL, in batches on a big table, or generate the plan again with --backfill <SQL expression> for a batched backfill script\), then apply this migration again/,
        );
        expect(await snapshot(p.client), 'nothing was applied: no check constraint').toEqual(p.startSnap);
        expect(await p.driver.applied(p.url, first)).not.toBe(true);
        // Nothing refuses an update of the NULL rows, as the NOT VALID check would have.
        await p.ctx.q(`UPDATE users SET name = 'still writable' WHERE id = 7`);
        await afterFailure(p, first);
        // What the message says: give the rows a value, apply again.
        await p.ctx.q(`UPDATE users SET country_code = 'NL' WHERE country_code IS NULL`);
        await applyPhases(p, ['tighten']);
        expect((await snapshot(p.client)).columns.country_code.notNull).toBe(true);
      } finally {
        await p.dispose();
      }
    });

    it(`${d}: with --backfill, the guard says to finish the backfill first`, async ({ expect }) => {
      const p = await prepareCase(expect, caseById('snn_backfill'), d);
      try {
        const [first] = p.gen.ids.tighten;
        // The backfill skipped: the tighten applied straight after the write deploy.
        const message = await applyError(p, first);
        expect(message).toMatch(
          /migscaffold: rows of users still need the backfill \(locale = 'en' where it is NULL\): finish "Backfill locale where it is NULL" first \(run the backfill script to the end\), then apply this migration again/,
        );
        expect(await snapshot(p.client), 'nothing was applied: no check constraint').toEqual(p.startSnap);
        expect(await p.driver.applied(p.url, first)).not.toBe(true);
        await afterFailure(p, first);
        const r = await p.ctx.backfill();
        expect(r.stdout + r.stderr).toMatch(/Done: 1800 rows updated/);
        await applyPhases(p, ['tighten']);
        expect((await snapshot(p.client)).columns.locale.notNull).toBe(true);
      } finally {
        await p.dispose();
      }
    });

    it(`${d}: SET NOT NULL behind a long transaction gives up on lock_timeout, applies nothing, then goes through`, async ({ expect }) => {
      const p = await prepareCase(expect, caseById('snn_no_nulls'), d);
      try {
        const [add, validate, setNotNull] = p.gen.ids.tighten;
        await p.driver.apply(expect, p.url, p.gen, add);
        await p.driver.apply(expect, p.url, p.gen, validate);
        const before = await snapshot(p.client);
        expect(before.constraints.users_country_code_not_null).toEqual({ def: 'CHECK ((country_code IS NOT NULL))', validated: true });
        const h = await openClient(p.url);
        await h.query('BEGIN');
        await h.query('SELECT count(*) FROM users'); // ACCESS SHARE until the end of the transaction
        const t0 = Date.now();
        const message = await applyError(p, setNotNull);
        const elapsed = Date.now() - t0;
        await h.query('ROLLBACK');
        await h.end();
        expect(message).toMatch(/canceling statement due to lock timeout/);
        expect(elapsed, 'it gave up instead of waiting for the transaction').toBeLessThan(20_000);
        expect(await snapshot(p.client), 'nothing of the migration was applied: the check is there, the column nullable').toEqual(before);
        expect(await p.driver.applied(p.url, setNotNull)).not.toBe(true);
        await afterFailure(p, setNotNull);
        await p.driver.apply(expect, p.url, p.gen, setNotNull);
        const after = await snapshot(p.client);
        expect(after.columns.country_code.notNull).toBe(true);
        expect(after.constraints).toEqual(p.startSnap.constraints);
      } finally {
        await p.dispose();
      }
    });
  }
});

describe.concurrent('add-check-constraint: rows that violate the check, through every tool', () => {
  for (const d of DRIVER_NAMES) {
    it(`${d}: VALIDATE fails and changes nothing; the checklist finds the rows; after the fix it goes through`, async ({ expect }) => {
      const p = await prepareCase(expect, caseById('check_default_name'), d);
      try {
        const [add] = p.gen.ids.add;
        const [validate] = p.gen.ids.validate;
        const bad = (await p.ctx.q<{ id: string }>(`INSERT INTO users (email) VALUES ('no-at-1'), ('no-at-2') RETURNING id`)).map((r) => Number(r.id));
        await p.driver.apply(expect, p.url, p.gen, add);
        const notValid = { def: "CHECK ((email ~~ '%@%'::text)) NOT VALID", validated: false };
        expect((await snapshot(p.client)).constraints.users_email_check).toEqual(notValid);
        // The hazard the checklist warns of: an old violating row cannot be updated at all now.
        await p.ctx.fails(`UPDATE users SET name = 'x' WHERE id = $1`, [bad[0]], '23514');

        const message = await applyError(p, validate);
        expect(message).toMatch(/check constraint "users_email_check" of relation "users" is violated by some row/);
        expect(await p.driver.applied(p.url, validate)).not.toBe(true);
        expect((await snapshot(p.client)).constraints.users_email_check, 'still there, still NOT VALID').toEqual(notValid);
        await p.ctx.fails(`INSERT INTO users (email) VALUES ('no-at-3')`, undefined, '23514');
        await p.ctx.q(`INSERT INTO users (email) VALUES ('fine@example.com')`);

        // The checklist's queries, verbatim, find exactly those rows, and it says how to fix them.
        const [count, list] = p.gen.plan.phases[0].verify;
        for (const v of [count, list]) expect(p.gen.checklist).toContain(`${v.sql};`);
        expect(p.gen.checklist).toContain('Each row listed violates the check: UPDATE it to a value the check accepts (or delete it), then apply the VALIDATE migration (again, if it failed)');
        expect(Number(await p.ctx.val(count.sql))).toBe(2);
        const listed = await p.ctx.q<{ id: string; email: string }>(list.sql);
        expect(listed.map((r) => Number(r.id)).sort()).toEqual(bad);
        for (const r of listed) await p.ctx.q(`UPDATE users SET email = $2 WHERE id = $1`, [r.id, `${r.email}@example.com`]);
        expect(Number(await p.ctx.val(count.sql))).toBe(0);

        await afterFailure(p, validate);
        await p.driver.apply(expect, p.url, p.gen, validate);
        expect((await snapshot(p.client)).constraints.users_email_check).toEqual({ def: "CHECK ((email ~~ '%@%'::text))", validated: true });
      } finally {
        await p.dispose();
      }
    });
  }
});

describe.concurrent('negative controls: rehearse catches a scan under ACCESS EXCLUSIVE', () => {
  const settings = { lockTimeout: '1s', batchSize: 1000, pauseMs: 0 };
  const run = async (name: string, plan: Plan, answers: Answers) => {
    const url = await createDatabase(inject('pg'), uniqueDbName(name));
    const operation = findOperation(plan.operation)!;
    const res = await rehearse({ url, plan, operation, answers, rows: 20_000, clients: 2, baselineMs: 200, dwellMs: 100, timeLimitMs: 60_000, log: () => {} });
    return buildReport(res, { operation: plan.operation, plan: plan.name, title: plan.title, table: 'users', clients: 2, maxStallMs: 600_000, phaseCount: plan.phases.length });
  };

  it('set-not-null with its tighten replaced by a bare SET NOT NULL fails; the plan as generated passes', async ({ expect }) => {
    const answers: Answers = { table: 'users', column: 'nickname', key: 'id' };
    const plan = findOperation('set-not-null')!.plan(answers, settings);
    const tighten = plan.phases.find((ph) => ph.kind === 'migrate')!;
    const naive: Plan = {
      ...plan,
      phases: plan.phases.map((ph) =>
        ph === tighten
          ? {
              ...tighten,
              migrations: [
                {
                  name: 'bare_set_not_null',
                  transaction: 'transaction' as const,
                  up: [{ sql: 'ALTER TABLE users ALTER COLUMN nickname SET NOT NULL;', lock: 'ACCESS EXCLUSIVE' as const, comment: '' }],
                  down: [],
                },
              ],
            }
          : ph,
      ),
    };
    const [bad, good] = await Promise.all([run('snn_naive', naive, answers), run('snn_safe', plan, answers)]);
    expect(bad.ok).toBe(false);
    expect(bad.problems).toContain(
      'phase 1 (tighten): ALTER TABLE users ALTER COLUMN nickname SET NOT NULL; scanned the table under ACCESS EXCLUSIVE: every query on it waited for the scan',
    );
    // The same end state otherwise: the column is NOT NULL, every verify query agrees.
    expect(bad.phases[0].verify.every((v) => v.ok !== false)).toBe(true);
    expect(good.problems, JSON.stringify(good.phases, null, 2)).toEqual([]);
    expect(good.phases[0].scansUnderLock).toEqual([]);
    expect(good.phases[0].locks).toContain('ACCESS EXCLUSIVE on users');
  });

  it('a check added and validated at once (the bench naive form) fails', async ({ expect }) => {
    const scenario = findOperation('add-check-constraint')!.bench[0];
    const report = await run('check_naive', naivePlan('add-check-constraint', 'naive_check', scenario.naive), scenario.answers);
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([
      'phase 1 (add-check): ALTER TABLE users ADD CONSTRAINT users_login_count_check CHECK (login_count >= 0); scanned the table under ACCESS EXCLUSIVE: every query on it waited for the scan',
    ]);
  });
});
