/**
 * One rehearsal, end to end, as a function: (seed,) measure a baseline of app traffic, run the plan's
 * phases under that traffic while watching locks, and return the measurements. The CLI (cli.ts) and
 * the benchmark (bench/) both call it.
 */
import type { Answers, Operation } from '../operation.js';
import type { Plan } from '../plan/types.js';
import type pg from 'pg';
import { label, qualified, regclass, tableOidSql, type TableRef } from '../plan/recipes/index.js';
import { errors } from '../messages/errors.js';
import { quoteLiteral } from '../sql/ident.js';
import { APP_NAME, closeQuietly, connect } from './connect.js';
import { LockMonitor, newLockSample, type PhaseLockSample } from './locks.js';
import { runPhases, type PhaseRun } from './runner.js';
import { ReplicaLagMonitor } from './replica-lag.js';
import { seedTable } from './seed.js';
import { newBucket, Traffic, type Bucket } from './traffic.js';
import { buildWorkload, introspect, keySource, tableOf } from './workload.js';
import { columnsToLearn, introspectColumns } from '../project/facts.js';

export interface RehearseOptions {
  url: string;
  /**
   * The plan, or how to build it from the answers once the table is seeded: then what generation would
   * learn from `--database-url` (the columns' types, indexes, constraints) is read from the table first.
   */
  plan: Plan | ((answers: Answers) => Plan);
  /** The operation whose plan this is (its rehearsal hooks seed the table and play the app). */
  operation: Operation;
  answers: Answers;
  /** Rows to seed when the table does not exist (0: never seed). */
  rows: number;
  /** Seed the table range-partitioned by its key into this many partitions. */
  partitions?: number;
  clients: number;
  /** Traffic measured before the first phase, ms. */
  baselineMs: number;
  dwellMs: number;
  /** Overall time limit, ms. */
  timeLimitMs: number;
  thinkMs?: number;
  /**
   * Sample the lag of the standbys streaming from this database per phase (rehearse --replica).
   * `ready` resolves once they have replayed the seeding (the CLI: Standby.caughtUp), before the
   * first phase.
   */
  replica?: { ready(): Promise<void> };
  log: (line: string) => void;
}

export interface RehearseResult {
  /** The plan that ran. */
  plan: Plan;
  serverVersion: string;
  seeded: boolean;
  rowsAtStart: number;
  workload: string;
  baseline: { bucket: Bucket; locks: PhaseLockSample; durationMs: number };
  phases: PhaseRun[];
  /** Wall time of all phases' work (no dwell, no verify), ms. */
  workMs: number;
}

/**
 * The answers with what generation's `--database-url` reads (on a connection of its own): whether the
 * table is partitioned, and the columns the operation plans from.
 */
async function withFacts(url: string, op: Operation, answers: Answers): Promise<Answers> {
  const c = await connect(url, { name: APP_NAME.setup, statementTimeoutMs: 60_000 });
  try {
    const db = { query: async (sql: string) => (await c.query(sql)).rows, close: async () => {} };
    const facts = await introspectColumns(db, tableOf(op, answers), columnsToLearn(op, answers), '--database-url');
    const out = { ...answers, facts };
    op.check?.(out);
    return out;
  } finally {
    await closeQuietly(c);
  }
}

/** Refuses --partitions on a table that exists and is not partitioned: rehearse seeds only a new table. */
async function checkPartitionsFlag(client: pg.Client, t: TableRef, partitions: number | undefined): Promise<void> {
  if (!partitions) return;
  const [row] = (await client.query<{ oid: string | null; partitioned: boolean | null }>(tableOidSql(t))).rows;
  if (row.oid !== null && row.partitioned !== true) throw errors.rehearsePartitionsOnPlainTable(label(t), partitions);
}

export async function rehearse(o: RehearseOptions): Promise<RehearseResult> {
  const deadline = Date.now() + o.timeLimitMs;
  const t = tableOf(o.operation, o.answers);
  const key = String(o.answers.key ?? 'id');
  const setup = await connect(o.url, { name: APP_NAME.setup, statementTimeoutMs: o.timeLimitMs });
  let traffic: Traffic | undefined;
  let monitor: LockMonitor | undefined;
  let replica: ReplicaLagMonitor | undefined;
  let guard: NodeJS.Timeout | undefined;
  const migration = await connect(o.url, { name: APP_NAME.migration, statementTimeoutMs: o.timeLimitMs });
  try {
    const serverVersion = (await setup.query<{ v: string }>(`SELECT current_setting('server_version') AS v`)).rows[0].v;
    await checkPartitionsFlag(setup, t, o.partitions);
    const seeded =
      o.rows > 0 ? await seedTable(setup, t, { rows: o.rows, key, extras: o.operation.rehearsal.seed(o.answers), log: o.log, partitions: o.partitions }) : false;
    const info = await introspect(setup, t, key);
    const rowsAtStart = Number(
      (await setup.query<{ n: string }>(`SELECT greatest(reltuples, 0)::bigint AS n FROM pg_class WHERE oid = ${regclass(t)}`)).rows[0].n,
    );
    const answers = typeof o.plan === 'function' ? await withFacts(o.url, o.operation, o.answers) : o.answers;
    const plan = typeof o.plan === 'function' ? o.plan(answers) : o.plan;
    const workload = buildWorkload(o.operation, answers, info);
    const nextKey = await keySource(setup, info);
    // The table by its OID, and whatever holds its name now: a rename (rename-table) moves the name
    // to a view and then drops it, and the app waits on the locks of both. Then its partitions, as
    // they are whenever the expression is read: a partitioned build locks each of them in turn.
    const oid = (await setup.query<{ oid: string }>(`SELECT ${regclass(t)}::oid AS oid`)).rows[0].oid;
    const table = `(ARRAY[${oid}::oid, to_regclass(${quoteLiteral(qualified(t))})::oid] || ARRAY(SELECT relid::oid FROM pg_partition_tree(${oid}::oid::regclass) WHERE relid <> ${oid}::oid::regclass))`;
    await closeQuietly(setup);

    if (o.replica) {
      o.log('waiting for the standby to replay the seeding');
      await o.replica.ready();
      replica = new ReplicaLagMonitor(o.url);
      await replica.start();
    }
    monitor = new LockMonitor(o.url, table);
    monitor.migrationPid = (await migration.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    await monitor.start();
    const baseline = { bucket: newBucket(), locks: newLockSample(), durationMs: o.baselineMs };
    monitor.setSample(baseline.locks);
    traffic = new Traffic({ url: o.url, clients: o.clients, workload, nextKey, thinkMs: o.thinkMs });
    traffic.setBucket(baseline.bucket);
    o.log(`traffic: ${o.clients} app clients (${workload.describe})`);
    await traffic.start();
    await new Promise((r) => setTimeout(r, o.baselineMs));

    // Hard bound: at the deadline, cancel whatever statement the migration is running (a long build
    // or scan would otherwise only notice the limit when it ends).
    const migrationPid = monitor.migrationPid;
    guard = setTimeout(() => {
      o.log('time limit reached: cancelling the running migration statement');
      void connect(o.url, { name: APP_NAME.setup, statementTimeoutMs: 10_000 })
        .then(async (c) => {
          await c.query('SELECT pg_cancel_backend($1)', [migrationPid]).catch(() => {});
          await closeQuietly(c);
        })
        .catch(() => {});
    }, Math.max(0, deadline - Date.now()));
    const phases = await runPhases({
      migration,
      plan,
      tableRegclass: table,
      traffic,
      monitor,
      replica,
      workload,
      dwellMs: o.dwellMs,
      deadline,
      log: o.log,
    });
    clearTimeout(guard);
    const workMs = phases.reduce((s, p) => s + p.durationMs, 0);
    return { plan, serverVersion, seeded, rowsAtStart, workload: workload.describe, baseline, phases, workMs };
  } finally {
    clearTimeout(guard);
    await traffic?.stop().catch(() => {});
    await monitor?.stop().catch(() => {});
    await replica?.stop().catch(() => {});
    await closeQuietly(migration);
    await closeQuietly(setup);
  }
}
