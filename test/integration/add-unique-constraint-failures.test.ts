/**
 * add-unique-constraint when things go wrong, with every real tool on PostgreSQL 15:
 *   - duplicates already there: the guard migration refuses with its catalogue message (and the query
 *     that lists them) before any index exists; once they are fixed it goes through;
 *   - a duplicate written after the guard passed: the build fails with PostgreSQL's own error and
 *     leaves an INVALID index; the retry the checklist documents removes that leftover (the build
 *     then fails on the duplicate again, not on "already exists"), and after the duplicate is fixed
 *     the retry builds a valid index and the constraint follows;
 *   - a long transaction on the table: ADD CONSTRAINT ... USING INDEX gives up after lock_timeout,
 *     changes nothing (the index stays valid), and goes through once the transaction ends.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { describe, it } from 'vitest';
import { caseById } from '../cases/index.js';
import { DRIVER_NAMES, prepareCase, snapshot, type DriverName, type Prepared } from '../support/lifecycle.js';
import { applyError, openClient, resolveFailed } from '../support/failures.js';
import { query } from '../support/pg.js';
import { runPsql, sqlApplyFile } from '../support/tools.js';

const INDEX = 'users_email_key';
const DUPLICATE = `INSERT INTO users (email, name) VALUES ('user1@example.org', 'Duplicate') RETURNING id`;

async function indexState(p: Prepared): Promise<{ indisvalid: boolean }[]> {
  return p.ctx.q(`SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('${INDEX}')`);
}

/**
 * The retry the checklist documents after a failed build: Alembic and Rails apply the migration again
 * (it drops the INVALID leftover itself); elsewhere the build's down runs first.
 */
async function documentedRetry(p: Prepared, d: DriverName, id: string): Promise<string | null> {
  const { expect } = p.ctx;
  if (d === 'prisma') {
    // down.sql, then `migrate resolve --rolled-back` of the failed migration, then deploy.
    const rb = await p.driver.rollback(expect, p.url, p.gen, id, null);
    expect((rb as { realResolve?: string }).realResolve).toBe('ok');
  } else if (d === 'sql') {
    await sqlApplyFile(p.url, p.gen.migrationFiles.find((f) => f.includes(`${id}_`) && f.endsWith('.down.sql'))!);
  } else if (d === 'dbmate') {
    // dbmate cannot run the down of a migration it never recorded: its down section by hand.
    const [name] = (await readdir(join(p.dir, 'db', 'migrations'))).filter((f) => f.startsWith(`${id}_`));
    const down = (await readFile(join(p.dir, 'db', 'migrations', name), 'utf8')).split(/^-- migrate:down.*$/m)[1];
    const file = join(p.dir, 'down-by-hand.sql');
    await writeFile(file, down);
    await runPsql(p.url, file);
  }
  return p.driver.apply(expect, p.url, p.gen, id).then(
    () => null,
    (e: unknown) => String(e instanceof Error ? e.message : e),
  );
}

describe.concurrent('add-unique-constraint under duplicates and lock contention', () => {
  for (const d of DRIVER_NAMES) {
    it(`${d}: duplicates present: the guard refuses before any index exists, with the query that lists them; fixed, it goes through`, async ({ expect }) => {
      const p = await prepareCase(expect, caseById('unique_constraint_plain'), d);
      try {
        const [check, build, constrain] = p.gen.ids.add;
        const [{ id: dup }] = await p.ctx.q(DUPLICATE);
        const message = await applyError(p, check);
        expect(message).toMatch(/migscaffold: rows of users share values of \(email\), so the unique index users_email_key cannot be built/);
        expect(message).toMatch(/list them with SELECT email, count\(\*\) FROM users WHERE email IS NOT NULL GROUP BY email HAVING count\(\*\) > 1/);
        expect(await indexState(p), 'no index was created').toEqual([]);
        expect(await snapshot(p.client)).toEqual(p.startSnap);
        expect(await p.driver.applied(p.url, check)).not.toBe(true);

        await p.ctx.q('DELETE FROM users WHERE id = $1', [dup]);
        await resolveFailed(p, check);
        for (const id of [check, build, constrain]) await p.driver.apply(expect, p.url, p.gen, id);
        for (const v of p.gen.plan.phases[0].verify) expect(Number(await p.ctx.val(v.sql))).toBe(v.expectValue);
      } finally {
        await p.dispose();
      }
    });

    it(`${d}: a duplicate written after the guard fails the build with PostgreSQL's error; the documented retry removes the INVALID leftover and, once fixed, builds it`, async ({ expect }) => {
      const p = await prepareCase(expect, caseById('unique_constraint_plain'), d);
      try {
        const [check, build, constrain] = p.gen.ids.add;
        await p.driver.apply(expect, p.url, p.gen, check);
        const [{ id: dup }] = await p.ctx.q(DUPLICATE);
        const message = await applyError(p, build);
        expect(message).toMatch(/could not create unique index "users_email_key"/);
        // dbmate prints only the message line of PostgreSQL's error, without its DETAIL.
        if (d !== 'dbmate') expect(message).toMatch(/Key \(email\)=\(user1@example\.org\) is duplicated/);
        expect(await indexState(p), 'the failed build left an INVALID index').toEqual([{ indisvalid: false }]);
        expect(await p.driver.applied(p.url, build)).not.toBe(true);

        // Retried before the fix: the leftover is gone first, so the build meets the duplicate again
        // (without the cleanup it would stop at "relation already exists").
        const again = await documentedRetry(p, d, build);
        expect(again).toMatch(/could not create unique index "users_email_key"/);
        expect(again).not.toMatch(/already exists/);

        await p.ctx.q('DELETE FROM users WHERE id = $1', [dup]);
        expect(await documentedRetry(p, d, build)).toBeNull();
        expect(await indexState(p)).toEqual([{ indisvalid: true }]);
        await p.driver.apply(expect, p.url, p.gen, constrain);
        for (const v of p.gen.plan.phases[0].verify) expect(Number(await p.ctx.val(v.sql))).toBe(v.expectValue);
      } finally {
        await p.dispose();
      }
    });

    it(`${d}: ADD CONSTRAINT ... USING INDEX gives up after lock_timeout behind a long transaction, changes nothing, then goes through`, async ({ expect }) => {
      const p = await prepareCase(expect, caseById('unique_constraint_plain'), d);
      try {
        const [check, build, constrain] = p.gen.ids.add;
        await p.driver.apply(expect, p.url, p.gen, check);
        await p.driver.apply(expect, p.url, p.gen, build);
        const before = await snapshot(p.client);
        const holder = await openClient(p.url);
        await holder.query('BEGIN');
        await holder.query('SELECT count(*) FROM users'); // ACCESS SHARE until the transaction ends
        const t0 = Date.now();
        const message = await applyError(p, constrain);
        const elapsed = Date.now() - t0;
        await holder.query('ROLLBACK');
        await holder.end();
        expect(message).toMatch(/canceling statement due to lock timeout/);
        expect(elapsed, 'it gave up instead of waiting for the transaction').toBeLessThan(20_000);
        expect(await snapshot(p.client), 'no constraint, the index still there and valid').toEqual(before);
        expect(await indexState(p)).toEqual([{ indisvalid: true }]);
        expect(await p.driver.applied(p.url, constrain)).not.toBe(true);

        await resolveFailed(p, constrain);
        await p.driver.apply(expect, p.url, p.gen, constrain);
        for (const v of p.gen.plan.phases[0].verify) expect(Number(await p.ctx.val(v.sql))).toBe(v.expectValue);
      } finally {
        await p.dispose();
      }
    });
  }
});
