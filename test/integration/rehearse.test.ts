/**
 * `migscaffold rehearse` against a database on the shared test cluster, for every operation: the
 * plan's phases run under concurrent app traffic with zero failed application queries, every verify
 * check passes, and the JSON report has one entry per phase. ~20,000 rows; no timing assertions
 * (--max-stall is set out of reach: machines running the suite are noisy).
 */
import { describe, expect, inject, it } from 'vitest';
import { OPERATIONS, findOperation } from '../../generators/index.js';
import type { Answers, Operation } from '../../src/operation.js';
import type { Phase } from '../../src/plan/types.js';
import { columnsToLearn, introspectColumns } from '../../src/project/facts.js';
import { seedTable } from '../../src/rehearse/seed.js';
import { tableOf } from '../../src/rehearse/workload.js';
import { runMigscaffold } from '../support/lifecycle.js';
import { createDatabase, uniqueDbName, query, withClient } from '../support/pg.js';

/** The CLI in-process, as `migscaffold rehearse ...`. */
const rehearse = (args: string[]) => runMigscaffold(['rehearse', ...args]);

// Every operation's rehearsal cases, from the registry.
const CASES = (OPERATIONS as readonly Operation[]).flatMap((op) =>
  op.rehearsal.cases.map((c) => ({ name: `${op.name}, ${c.name}`, args: [op.name, ...c.args] })),
);

/**
 * The plan for these answers (the report must list its phases), with what generation's
 * --database-url would read from a table seeded as rehearse seeds it (another, small one).
 */
async function planOf(args: string[]) {
  const op = findOperation(args[0])!;
  const answers: Record<string, unknown> = {};
  for (let i = 1; i < args.length; i++) {
    const name = args[i].slice(2);
    const field = op.fields.find((f) => f.name === name)!;
    if (field.kind === 'boolean') answers[name] = true;
    else answers[name] = field.kind === 'list' ? args[++i].split(',') : args[++i];
  }
  for (const f of op.fields) if (answers[f.name] === undefined && f.default !== undefined) answers[f.name] = f.default;
  const a = answers as Answers;
  if (!op.learnsColumns) return op.plan(a, { lockTimeout: '1s', batchSize: 1000, pauseMs: 0 });
  const url = await createDatabase(inject('pg'), uniqueDbName('rehearse_plan'));
  a.facts = await withClient(url, async (c) => {
    await seedTable(c, tableOf(op, a), { rows: 10, key: String(a.key ?? 'id'), extras: op.rehearsal.seed(a), log: () => {} });
    return introspectColumns({ query: async (sql) => (await c.query(sql)).rows, close: async () => {} }, tableOf(op, a), columnsToLearn(op, a), 'test');
  });
  return op.plan(a, { lockTimeout: '1s', batchSize: 1000, pauseMs: 0 });
}

/**
 * Whether the report must list the phase's locks whatever the machine's speed: a migration in a
 * transaction reads its own locks before COMMIT. Statements outside a transaction (CONCURRENTLY
 * builds and drops) are only sampled every 20 ms, and on 20,000 rows may finish between two
 * samples; the sampling itself is proved below with a statement held open on purpose.
 */
function locksReported(phase: Phase): boolean {
  return phase.kind === 'migrate' && phase.migrations.some((m) => m.transaction === 'transaction');
}

describe('migscaffold rehearse (20,000 rows, 4 app clients)', () => {
  it.each(CASES)('$name: no failed app query, one JSON entry per phase, every check passes', async ({ args }) => {
    const url = await createDatabase(inject('pg'), uniqueDbName('rehearse'));
    const res = await rehearse([...args, '--database-url', url, '--rows', '20000', '--clients', '4', '--dwell', '150', '--max-stall', '600000', '--time-limit', '100', '--json']);
    const report = JSON.parse(res.stdout);
    const context = `${res.stderr}\n${JSON.stringify(report.problems ?? report, null, 2)}`;
    expect(report.problems, context).toEqual([]);
    expect(res.code, context).toBe(0);
    expect(report.seeded).toBe(true);
    const plan = await planOf(args);
    expect(report.phases.map((p: { key: string }) => p.key)).toEqual(plan.phases.map((p) => p.key));
    for (const [i, p] of report.phases.entries()) {
      expect(p.app.failed, `${p.key}: ${JSON.stringify(p.app.errors)}`).toBe(0);
      expect(p.error).toBeUndefined();
      for (const v of p.verify) expect(v.ok, `${p.key}: ${v.sql} -> ${JSON.stringify(v.got)}`).not.toBe(false);
      if (locksReported(plan.phases[i])) expect(p.locks.length).toBeGreaterThan(0);
    }
    expect(report.totals.appQueries).toBeGreaterThan(0);
    expect(report.totals.appFailed).toBe(0);
    for (const p of report.phases.filter((x: { kind: string }) => x.kind === 'backfill')) expect(p.backfill.rows).toBeGreaterThan(0);
    // Progress goes to stderr, one line per phase at least.
    expect(res.stderr).toMatch(/seeding users: 20,000\/20,000 rows/);
    expect((res.stderr.match(/phase \d+\/\d+/g) ?? []).length).toBe(report.phases.length);
  });

  it('fails (exit 1) and says why when old code still runs against a renamed column', async () => {
    // The naive way, as a plan: RENAME COLUMN while old code runs. Proves failures are seen and reported.
    const url = await createDatabase(inject('pg'), uniqueDbName('rehearse_naive'));
    const { rehearse: run } = await import('../../src/rehearse/rehearse.js');
    const { buildReport } = await import('../../src/rehearse/report.js');
    const answers = { table: 'users', from: 'name', to: 'full_name', key: 'id' };
    const plan = {
      operation: 'rename-column' as const,
      name: 'naive_rename',
      title: 'Naive rename',
      table: 'users',
      hazards: [],
      settings: { lockTimeout: '1s', batchSize: 1000, pauseMs: 0 },
      phases: [
        {
          kind: 'migrate' as const,
          key: 'rename',
          title: 'RENAME COLUMN',
          why: '',
          verify: [],
          migrations: [{ name: 'rename', transaction: 'transaction' as const, up: [{ sql: 'ALTER TABLE users RENAME COLUMN name TO full_name;', lock: 'ACCESS EXCLUSIVE' as const, comment: '' }], down: [] }],
        },
      ],
    };
    const result = await run({ url, plan, operation: findOperation('rename-column')!, answers, rows: 5000, clients: 2, baselineMs: 200, dwellMs: 400, timeLimitMs: 60_000, log: () => {} });
    const report = buildReport(result, { operation: 'rename-column', plan: plan.name, title: plan.title, table: 'users', clients: 2, maxStallMs: 600000, phaseCount: 1 });
    expect(report.ok).toBe(false);
    expect(report.totals.appFailed).toBeGreaterThan(0);
    expect(report.phases[0].app.errors[0].message).toMatch(/old code .*column "name" does not exist/);
    expect(await query(url, `SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'full_name'`)).toEqual([{ n: 1 }]);
  });

  it('samples the locks of a statement run outside a transaction', async () => {
    const url = await createDatabase(inject('pg'), uniqueDbName('rehearse_sampled'));
    const { rehearse: run } = await import('../../src/rehearse/rehearse.js');
    const { buildReport } = await import('../../src/rehearse/report.js');
    // Autocommit, like CREATE INDEX CONCURRENTLY, but holding its lock for 1.5 s: dozens of samples.
    const held = `DO $$ BEGIN LOCK TABLE users IN SHARE UPDATE EXCLUSIVE MODE; PERFORM pg_sleep(1.5); END $$;`;
    const plan = {
      operation: 'add-index' as const,
      name: 'held_lock',
      title: 'Held lock',
      table: 'users',
      hazards: [],
      settings: { lockTimeout: '1s', batchSize: 1000, pauseMs: 0 },
      phases: [
        {
          kind: 'migrate' as const,
          key: 'hold',
          title: 'hold a lock outside a transaction',
          why: '',
          verify: [],
          migrations: [{ name: 'hold', transaction: 'none' as const, up: [{ sql: held, lock: 'SHARE UPDATE EXCLUSIVE' as const, comment: '', long: true }], down: [] }],
        },
      ],
    };
    const answers = { table: 'users', columns: ['name'], key: 'id' };
    const result = await run({ url, plan, operation: findOperation('add-index')!, answers, rows: 1000, clients: 1, baselineMs: 100, dwellMs: 100, timeLimitMs: 60_000, log: () => {} });
    const report = buildReport(result, { operation: 'add-index', plan: plan.name, title: plan.title, table: 'users', clients: 1, maxStallMs: 600000, phaseCount: 1 });
    expect(report.phases[0].locks).toContain('SHARE UPDATE EXCLUSIVE on users');
  });

  it('refuses a non-local --database-url and explains usage errors (exit 2)', async () => {
    const remote = await rehearse(['rename-column', '--table', 'users', '--from', 'a', '--to', 'b', '--database-url', 'postgresql://u@db.example.com/x']);
    expect(remote.code).toBe(2);
    expect(remote.stderr).toMatch(/only runs against a local scratch database/);
    const missing = await rehearse(['rename-column', '--table', 'users']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/missing --from, --to/);
    const composite = await rehearse(['add-column', '--table', 'users', '--column', 'c', '--type', 'text', '--backfill', "'x'", '--key', 'org_id,user_id', '--database-url', 'postgresql://u@localhost/x']);
    expect(composite.code).toBe(2);
    expect(composite.stderr).toMatch(/^migscaffold rehearse: invalid --key "org_id,user_id": rehearse seeds and drives its table by a one-column key/);
    const help = await rehearse(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/covers all targets at once/);
  });
});
