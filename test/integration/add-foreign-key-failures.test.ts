/**
 * add-foreign-key when things go wrong, with the real tools on PostgreSQL 15, and the lock facts the
 * recipe rests on:
 *   - rows that reference nothing: the NOT VALID step goes through, VALIDATE fails, the constraint
 *     stays NOT VALID and keeps refusing new dangling writes; the checklist's query finds the rows,
 *     and once they are fixed the same validate migration goes through;
 *   - a long transaction that wrote to the referenced table: ADD CONSTRAINT gives up after
 *     lock_timeout, applies nothing, the checklist's "who is blocking" query names the transaction,
 *     and the migration goes through once it is gone;
 *   - an INVALID index of the index's name (a failed earlier build): Alembic and Rails drop it before
 *     building; elsewhere CREATE INDEX ... IF NOT EXISTS skips it and the NOT VALID migration's guard
 *     refuses, with advice that works;
 *   - the table locks each statement takes on both tables (pg_locks), and what they block;
 *   - negative controls: validated at once (no NOT VALID), a dangling row stops the constraint itself,
 *     so nothing checks new writes; and under rehearse's load, the lock monitor sees SHARE ROW EXCLUSIVE
 *     held through the whole scan, with app writes waiting.
 */
import { readdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { describe, inject, it, type ExpectStatic } from 'vitest';
import { caseById } from '../cases/index.js';
import { findOperation } from '../../generators/index.js';
import { createStartingTable, DRIVER_NAMES, prepareCase, snapshot, type Generated, type Prepared } from '../support/lifecycle.js';
import { applyError, openClient, resolveFailed } from '../support/failures.js';
import { createDatabase, query, uniqueDbName } from '../support/pg.js';
import type { Migration, Statement } from '../../src/plan/types.js';
import { rehearse } from '../../src/rehearse/rehearse.js';
import { buildReport, type Report } from '../../src/rehearse/report.js';

const ORPHAN = 999_999;

/** dbmate: takes a migration file back out of db/migrations (as a commit without it would). */
async function unlinkMigration(p: Prepared, id: string): Promise<void> {
  const dir = join(p.dir, 'db', 'migrations');
  for (const f of await readdir(dir)) if (f.startsWith(`${id}_`)) await unlink(join(dir, f));
}

/** A verification query of a phase, as the checklist prints it (and the plan holds it). */
function checklistQuery(expect: ExpectStatic, gen: Generated, phase: string, matching: RegExp): string {
  const v = gen.plan.phases.find((x) => x.key === phase)!.verify.find((x) => matching.test(x.expect));
  expect(v, `a verification query of ${phase} matching ${matching}`).toBeDefined();
  expect(gen.checklist).toContain(v!.sql);
  return v!.sql;
}

/**
 * A dangling row written before the constraint: NOT VALID goes through, VALIDATE fails and leaves the
 * constraint NOT VALID but enforced; the checklist's orphan query, its `c.*` variant as the hazard says,
 * fixes them (key set to NULL), and the same validate migration then goes through.
 */
async function orphanPath(p: Prepared): Promise<void> {
  const { expect } = p.ctx;
  const [orphan] = await p.ctx.q<{ id: string }>(`INSERT INTO users (email, org_id) VALUES ('orphan@example.com', $1) RETURNING id`, [ORPHAN]);
  for (const id of [...p.gen.ids.index, ...p.gen.ids.constrain]) await p.driver.apply(expect, p.url, p.gen, id);
  const orphans = checklistQuery(expect, p.gen, 'constrain', /VALIDATE fails/);
  expect(Number(await p.ctx.val(orphans))).toBe(1);

  const [validate] = p.gen.ids.validate;
  const message = await applyError(p, validate);
  expect(message).toMatch(/violates foreign key constraint "users_org_id_fkey"/);
  expect(await p.driver.applied(p.url, validate)).not.toBe(true);
  expect((await snapshot(p.client)).constraints.users_org_id_fkey, 'the constraint stays, NOT VALID').toEqual({
    def: 'FOREIGN KEY (org_id) REFERENCES orgs(id) ON DELETE CASCADE NOT VALID',
    validated: false,
  });
  await p.ctx.fails(`INSERT INTO users (email, org_id) VALUES ('another@example.com', $1)`, [ORPHAN], '23503');

  // The hazard's advice: see them (c.* instead of count(*)), then set their key to NULL.
  expect(p.gen.checklist).toContain('replace `count(*)` by `c.*` to see them');
  const rows = await p.ctx.q(orphans.replace('SELECT count(*)', 'SELECT c.*'));
  expect(rows.map((r) => [String(r.id), String(r.org_id)])).toEqual([[orphan.id, String(ORPHAN)]]);
  await p.ctx.q(`UPDATE users SET org_id = NULL WHERE id IN (${orphans.replace('SELECT count(*)', 'SELECT c.id')})`);
  expect(Number(await p.ctx.val(orphans))).toBe(0);

  await resolveFailed(p, validate);
  await p.driver.apply(expect, p.url, p.gen, validate);
  const validated = checklistQuery(expect, p.gen, 'validate', /validated|checked/);
  expect(await p.ctx.val(validated)).toBe(true);
}

describe.concurrent('add-foreign-key: dangling rows and lock contention under the real tools', () => {
  for (const d of DRIVER_NAMES) {
    it(`${d}: a row that references nothing makes VALIDATE fail; the constraint stays NOT VALID and enforced; fixed, the same migration goes through`, async ({ expect }) => {
      const p = await prepareCase(expect, caseById('fk_orgs_cascade'), d);
      try {
        await orphanPath(p);
      } finally {
        await p.dispose();
      }
    });
  }

  // The lock is the referenced table's, whatever the tool: two of them (one simple query; Prisma's
  // failed-migration bookkeeping). Every tool's own lock_timeout path is in generated-failures.test.ts.
  for (const d of ['sql', 'prisma'] as const) {
    it(`${d}: a long transaction writing to the referenced table makes ADD CONSTRAINT give up after lock_timeout; nothing applied; then it goes through`, async ({ expect }) => {
      const p = await prepareCase(expect, caseById('fk_orgs_cascade'), d);
      try {
        for (const id of p.gen.ids.index) await p.driver.apply(expect, p.url, p.gen, id);
        const before = await snapshot(p.client);
        const [id] = p.gen.ids.constrain;
        const h = await openClient(p.url);
        await h.query('BEGIN');
        await h.query(`UPDATE orgs SET name = name WHERE id = 1`); // ROW EXCLUSIVE on orgs until the end
        const holder = (await h.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
        const t0 = Date.now();
        const message = await applyError(p, id);
        const elapsed = Date.now() - t0;
        // The checklist's "who is blocking" query covers the referenced table too.
        const blockers = /Who is blocking:\n\n```sql\n([\s\S]*?);\n```/.exec(p.gen.checklist)![1];
        expect(blockers).toContain(`'orgs'::regclass`);
        expect((await p.ctx.q(blockers)).map((r) => r.pid)).toContain(holder);
        await h.query('ROLLBACK');
        await h.end();
        expect(message).toMatch(/canceling statement due to lock timeout/);
        expect(elapsed, 'it gave up instead of waiting for the transaction').toBeLessThan(20_000);
        expect(await snapshot(p.client), 'nothing of the migration was applied').toEqual(before);
        expect(await p.driver.applied(p.url, id)).not.toBe(true);
        await resolveFailed(p, id);
        await p.driver.apply(expect, p.url, p.gen, id);
        expect((await snapshot(p.client)).constraints.users_org_id_fkey?.validated).toBe(false);
      } finally {
        await p.dispose();
      }
    });
  }

  for (const d of DRIVER_NAMES) {
    it(`${d}: an INVALID index of that name (a failed earlier build) is never taken for the index: dropped first, or refused by the guard`, async ({ expect }) => {
      const p = await prepareCase(expect, caseById('fk_orgs_cascade'), d);
      try {
        // A failed build of the same name: unique on a column full of duplicates.
        await p.ctx.fails('CREATE UNIQUE INDEX CONCURRENTLY users_org_id_idx ON users (org_id)', undefined, '23505');
        const valid = async () => p.ctx.q(`SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('users_org_id_idx')`);
        expect(await valid()).toEqual([{ indisvalid: false }]);
        const [index] = p.gen.ids.index;
        const [constrain] = p.gen.ids.constrain;
        await p.driver.apply(expect, p.url, p.gen, index);
        if (d === 'alembic' || d === 'rails') {
          // Their migration finds the leftover in the catalogue and drops it before building.
          expect(await valid()).toEqual([{ indisvalid: true }]);
        } else {
          // IF NOT EXISTS skipped it; the next migration's guard refuses before taking any lock...
          expect(await valid()).toEqual([{ indisvalid: false }]);
          const message = await applyError(p, constrain);
          expect(message).toMatch(/no valid btree index on users leads with \(org_id\)/);
          expect(message).toMatch(/If users_org_id_idx is INVALID .* roll that phase back/);
          expect((await snapshot(p.client)).constraints.users_org_id_fkey).toBeUndefined();
          await resolveFailed(p, constrain);
          // dbmate applies every file present: the failed one waits outside until the index is fixed.
          if (d === 'dbmate') await unlinkMigration(p, constrain);
          // ...and its advice works: roll the index phase back (the down drops the leftover), apply again.
          await p.driver.rollback(expect, p.url, p.gen, index, null);
          await p.driver.apply(expect, p.url, p.gen, index);
          expect(await valid()).toEqual([{ indisvalid: true }]);
        }
        await p.driver.apply(expect, p.url, p.gen, constrain);
        expect((await snapshot(p.client)).constraints.users_org_id_fkey?.validated).toBe(false);
      } finally {
        await p.dispose();
      }
    });
  }

  it('negative control: validated at once (NOT VALID removed), a dangling row stops the constraint migration itself, so no write is checked', async ({ expect }) => {
    const p = await prepareCase(expect, caseById('fk_orgs_cascade'), 'sql');
    try {
      const file = p.gen.migrationFiles.find((f) => f.endsWith('_add_users_org_id_fkey_not_valid.up.sql'))!;
      const text = await readFile(file, 'utf8');
      const oneStep = text.replace(/ NOT VALID;\n/, ';\n');
      expect(oneStep).not.toBe(text);
      await writeFile(file, oneStep);
      await expect(orphanPath(p)).rejects.toThrow(/violates foreign key constraint/);
      expect((await snapshot(p.client)).constraints.users_org_id_fkey, 'no constraint at all').toBeUndefined();
      await p.ctx.q(`INSERT INTO users (email, org_id) VALUES ('unchecked@example.com', $1)`, [ORPHAN]);
    } finally {
      await p.dispose();
    }
  });
});

// -------------------------------------------------------------------------------------------------
// The locks, by experiment: each statement of the plan in a transaction left open, pg_locks read from
// another session, and what a second application session can still do meanwhile.

type Probe = 'read users' | 'read orgs' | 'write users' | 'write orgs';
const PROBES: Record<Probe, string> = {
  'read users': 'SELECT count(*) FROM users WHERE id = 1',
  'read orgs': 'SELECT count(*) FROM orgs WHERE id = 1',
  'write users': `UPDATE users SET name = name WHERE id = 1`,
  'write orgs': `INSERT INTO orgs (name) VALUES ('probe')`,
};

async function locksAndProbes(url: string, statements: Statement[]) {
  const mig = await openClient(url);
  const app = await openClient(url);
  try {
    await mig.query('BEGIN');
    for (const s of statements) await mig.query(s.sql);
    const pid = (await mig.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    const locks = await app.query<{ relname: string; mode: string }>(
      `SELECT c.relname, l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
        WHERE l.pid = $1 AND l.granted AND c.relname IN ('users', 'orgs') ORDER BY 1, 2`,
      [pid],
    );
    const blocked: Probe[] = [];
    await app.query(`SET lock_timeout = '200ms'`);
    for (const [name, sql] of Object.entries(PROBES) as [Probe, string][]) {
      await app.query('BEGIN');
      const err = await app.query(sql).then(
        () => null,
        (e: { code?: string }) => e,
      );
      await app.query('ROLLBACK');
      if (err && err.code !== '55P03') throw err;
      if (err) blocked.push(name);
    }
    await mig.query('COMMIT');
    const byTable: Record<string, string[]> = {};
    for (const l of locks.rows) (byTable[l.relname] ??= []).push(l.mode);
    return { locks: byTable, blocked };
  } finally {
    await mig.query('ROLLBACK').catch(() => {});
    await mig.end();
    await app.end();
  }
}

describe('add-foreign-key: the table locks of each statement, on PostgreSQL 15 (pg_locks)', () => {
  it('NOT VALID: SHARE ROW EXCLUSIVE on both tables (writes wait, reads go on); VALIDATE: SHARE UPDATE EXCLUSIVE + ROW SHARE (nothing waits); DROP: ACCESS EXCLUSIVE on both', async ({ expect }) => {
    const url = await createDatabase(inject('pg'), uniqueDbName('fk_locks'));
    const c = caseById('fk_orgs_cascade');
    await createStartingTable(url, c.table);
    const plan = findOperation('add-foreign-key')!.plan({ table: 'users', columns: ['org_id'], references: 'orgs(id)', 'on-delete': 'cascade' }, { lockTimeout: '1s', batchSize: 1000, pauseMs: 0 });
    const migration = (key: string): Migration => {
      const ph = plan.phases.find((x) => x.key === key);
      if (ph?.kind !== 'migrate') throw new Error(`no migrate phase ${key}`);
      return ph.migrations[0];
    };
    const [, guard, add] = migration('constrain').up;
    const [validate] = migration('validate').up;
    const [drop] = migration('constrain').down;
    expect([add.lock, validate.lock, drop.lock]).toEqual(['SHARE ROW EXCLUSIVE', 'SHARE UPDATE EXCLUSIVE', 'ACCESS EXCLUSIVE']);
    expect(guard.lock).toBe('ACCESS SHARE');
    expect(add.comment).toMatch(/SHARE ROW EXCLUSIVE on users and on orgs/);
    expect(plan.hazards).toContain('foreign-key-locks-both-tables');
    await query(url, 'CREATE INDEX users_org_id_idx ON users (org_id)');

    const added = await locksAndProbes(url, [add]);
    expect(added.locks).toEqual({ orgs: ['AccessShareLock', 'ShareRowExclusiveLock'], users: ['AccessShareLock', 'ShareRowExclusiveLock'] });
    expect(added.blocked).toEqual(['write users', 'write orgs']);

    const validated = await locksAndProbes(url, [validate]);
    expect(validated.locks).toEqual({ orgs: ['AccessShareLock', 'RowShareLock'], users: ['AccessShareLock', 'ShareUpdateExclusiveLock'] });
    expect(validated.blocked).toEqual([]);

    const dropped = await locksAndProbes(url, [drop]);
    expect(dropped.locks).toEqual({ orgs: ['AccessExclusiveLock'], users: ['AccessExclusiveLock'] });
    expect(dropped.blocked).toEqual(['read users', 'read orgs', 'write users', 'write orgs']);

    // The naive form: validated at once, it holds SHARE ROW EXCLUSIVE on both through its scan.
    const oneStep = await locksAndProbes(url, [{ ...add, sql: add.sql.replace(' NOT VALID;', ';') }]);
    expect(oneStep.locks).toEqual({ orgs: ['AccessShareLock', 'RowShareLock', 'ShareRowExclusiveLock'], users: ['AccessShareLock', 'ShareRowExclusiveLock'] });
    expect(oneStep.blocked).toEqual(['write users', 'write orgs']);
  });
});

// -------------------------------------------------------------------------------------------------
// Negative control under load: rehearse's lock monitor on our plan and on the one-step form.

describe('add-foreign-key under rehearse: the lock monitor tells the one-step form apart', () => {
  it('validated at once, SHARE ROW EXCLUSIVE is held through the scan and app writes wait; ours holds it only for the catalog change', async ({ expect }) => {
    const url = await createDatabase(inject('pg'), uniqueDbName('fk_rehearse'));
    const op = findOperation('add-foreign-key')!;
    const answers = { table: 'users', columns: ['manager_id'], references: 'users(id)', 'on-delete': 'no action', 'no-index': false };
    const ours = op.plan(answers, { lockTimeout: '1s', batchSize: 1000, pauseMs: 0 });
    const constrain = ours.phases.find((p) => p.key === 'constrain')!;
    if (constrain.kind !== 'migrate') throw new Error('constrain is a migrate phase');
    // The one-step form: the same statement without NOT VALID, and nothing left to validate.
    const up = constrain.migrations[0].up;
    const add = up[up.length - 1];
    const naive = {
      ...ours,
      name: 'one_step',
      phases: [
        ours.phases[0],
        { ...constrain, migrations: [{ ...constrain.migrations[0], up: [...up.slice(0, -1), { ...add, sql: add.sql.replace(' NOT VALID;', ';') }] }] },
        ours.phases[3],
      ],
    };
    const run = async (plan: typeof ours) => {
      const res = await rehearse({ url, plan, operation: op, answers, rows: 200_000, clients: 4, baselineMs: 300, dwellMs: 300, timeLimitMs: 120_000, log: () => {} });
      return buildReport(res, { operation: op.name, plan: plan.name, title: plan.title, table: 'users', clients: 4, maxStallMs: 600_000, phaseCount: plan.phases.length });
    };
    const heldShareRowExclusive = (r: Report) => r.phases.filter((p) => p.locks.includes('SHARE ROW EXCLUSIVE on users'));

    const a = await run(ours);
    expect(a.problems, JSON.stringify(a.phases, null, 2)).toEqual([]);
    const scan = a.phases.find((p) => p.key === 'validate')!;
    expect(scan.locks).not.toContain('SHARE ROW EXCLUSIVE on users');
    await query(url, 'ALTER TABLE users DROP CONSTRAINT users_manager_id_fkey; DROP INDEX users_manager_id_idx');

    const b = await run(naive);
    expect(b.problems, JSON.stringify(b.phases, null, 2)).toEqual([]);
    const [oursHold] = heldShareRowExclusive(a);
    const [naiveHold] = heldShareRowExclusive(b);
    const context = JSON.stringify({ ours: a.phases, naive: b.phases }, null, 2);
    // The one-step form holds the write-blocking lock through its scan of 200,000 rows; ours only for
    // a catalog change. No absolute figure: how long either takes depends on the machine's load.
    expect(naiveHold.migrationXactMaxMs, context).toBeGreaterThan(oursHold.migrationXactMaxMs);
  });
});
