/**
 * change-column-type on a primary key that another table references: the foreign key is dropped and
 * re-created against the new key inside the swap (found in the catalogue when the swap runs), then
 * validated; the swap's down points it back. Lifecycle on every target but Prisma, which requires both
 * sides of a relation to have one type, so it refuses a plan that changes one side (proven with prisma
 * validate in prisma-schema.test.ts). Then the refusals at generation, and
 * rehearse telling the naive one-ALTER type change from the generated plan.
 */
import { describe, inject, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { realEffects } from '../../src/effects.js';
import { createDatabase, query, uniqueDbName } from '../support/pg.js';
import { PRIMARY_KEY_REFERENCED } from '../cases/change-column-type.js';
import { runLifecycle } from '../support/lifecycle.js';
import { findOperation } from '../../generators/index.js';
import { naivePlan } from '../../src/bench-scenario.js';
import { rehearse } from '../../src/rehearse/rehearse.js';
import { buildReport } from '../../src/rehearse/report.js';
import type { Answers } from '../../src/operation.js';
import type { Plan } from '../../src/plan/types.js';

describe.concurrent('change-column-type: a referenced primary key', () => {
  for (const d of ['sql', 'dbmate', 'alembic', 'rails'] as const) it(`${d}: ${PRIMARY_KEY_REFERENCED.id}`, ({ expect }) => runLifecycle(expect, PRIMARY_KEY_REFERENCED, d));
});

describe('refusals at generation, from what --database-url shows', () => {
  async function generateAgainst(ddl: string, args: string[]): Promise<{ code: number; stderr: string }> {
    const url = await createDatabase(inject('pg'), uniqueDbName('refuse'));
    await query(url, ddl);
    let stderr = '';
    const code = await main([...args, '--target', 'sql', '--yes', '--dry-run', '--database-url', url], {
      ...realEffects(),
      interactive: false,
      env: {},
      stdout: () => {},
      stderr: (t) => void (stderr += t),
    });
    return { code, stderr };
  }

  it('a key referenced by integer columns: change those first, with the commands to do it', async ({ expect }) => {
    const r = await generateAgainst(
      'CREATE TABLE users (id serial PRIMARY KEY); CREATE TABLE orders (id bigserial PRIMARY KEY, user_id integer REFERENCES users (id))',
      ['change-column-type', '--table', 'users', '--column', 'id', '--type', 'bigint'],
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/public\.orders\.user_id \(integer\) references users\.id and cannot hold every bigint value: change it first \(migscaffold change-column-type --table public\.orders --column user_id --type bigint\)/);
  });

  it('rename-column on a column with a UNIQUE constraint', async ({ expect }) => {
    const r = await generateAgainst('CREATE TABLE users (id bigserial PRIMARY KEY, handle text UNIQUE)', ['rename-column', '--table', 'users', '--from', 'handle', '--to', 'login']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/users\.handle is part of the UNIQUE constraint users_handle_key, which this operation does not copy/);
  });
});

describe('negative control: rehearse catches the naive ALTER COLUMN ... TYPE', () => {
  it('the bench naive form (integer -> bigint in one ALTER) fails with the scan under ACCESS EXCLUSIVE; the generated plan on the same table does not', async ({ expect }) => {
    const op = findOperation('change-column-type')!;
    const scenario = op.bench[0];
    const settings = { lockTimeout: '1s', batchSize: 1000, pauseMs: 0 };
    const run = async (name: string, plan: Plan | ((a: Answers) => Plan)) => {
      const url = await createDatabase(inject('pg'), uniqueDbName(name));
      const res = await rehearse({ url, plan, operation: op, answers: scenario.answers, rows: 20_000, clients: 2, baselineMs: 200, dwellMs: 100, timeLimitMs: 100_000, log: () => {} });
      return buildReport(res, { operation: op.name, plan: res.plan.name, title: res.plan.title, table: 'users', clients: 2, maxStallMs: 600_000, phaseCount: res.plan.phases.length });
    };
    // Ours is built from the seeded table, as generation's --database-url would read it.
    const [bad, good] = await Promise.all([run('type_naive', naivePlan('change-column-type', 'naive_type', scenario.naive)), run('type_safe', (a) => op.plan(a, settings))]);
    expect(bad.ok).toBe(false);
    // The rewrite reads the whole table under ACCESS EXCLUSIVE; the index rebuilt with it adds SHARE.
    expect(bad.problems).toContain(
      'phase 1 (alter): ALTER TABLE users ALTER COLUMN login_count TYPE bigint; scanned the table under ACCESS EXCLUSIVE, SHARE: every query on it waited for the scan',
    );
    expect(good.problems, JSON.stringify(good.phases, null, 2)).toEqual([]);
    for (const p of good.phases) expect(p.scansUnderLock, p.key).toEqual([]);
    expect(good.totals.appFailed).toBe(0);
  });
});
