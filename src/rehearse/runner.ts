/**
 * Runs a plan's phases against the database, exactly as the plan gives them:
 *   migrate   each migration's `up` statements. `transaction` migrations: BEGIN; SET LOCAL timeouts
 *             (timeoutSettings); statements; read pg_locks; COMMIT. Retried as a whole, a bounded
 *             number of times with backoff and jitter, on lock_timeout (55P03) only. `none`
 *             migrations: alone in autocommit, after their cleanup check, with session timeouts.
 *             A migration with a partitioned form (Migration.partitioned) whose `detect` finds the
 *             table partitioned runs that form instead, as Alembic and Rails do (runPartitionedBuild).
 *   backfill  the plan's batch SQL in a keyset loop (:last_key/:batch_size bound as $n), one leaf
 *             partition after another as the scripts walk them (a plain table is its own only leaf),
 *             one transaction per batch, retried on 55P03/40001/40P01; timed batch by batch.
 *   deploy    moves the simulated app to the new code.
 * After its work each phase keeps the traffic going for a short dwell, then runs its verify queries.
 */
import type pg from 'pg';
import { BLOCKING_LOCKS, type Backfill, type Migration, type Phase, type Plan } from '../plan/types.js';
import { quoteLiteral } from '../sql/ident.js';
import { oneQuery, timeoutSettings, type PartitionedIndexBuild } from '../plan/recipes/index.js';
import { prepareBatches } from './backfill-batches.js';
import { errorText, sqlState } from './connect.js';
import { heldLocksSql, lockModeName, newLockSample, pgLockMode, scanProbeSql, type LockMonitor, type PhaseLockSample } from './locks.js';
import { newBucket, type Bucket, type Traffic } from './traffic.js';
import { newReplicaSample, type PhaseReplicaSample, type ReplicaLagMonitor } from './replica-lag.js';
import type { Workload } from './workload.js';

export interface BackfillStats {
  rows: number;
  batches: number;
  rowsPerSec: number;
  maxBatchMs: number;
  p99BatchMs: number;
  retries: number;
}

export interface VerifyResult {
  sql: string;
  expect: string;
  got: unknown;
  ok: boolean | null; // null: nothing machine-checkable
}

export interface PhaseRun {
  index: number;
  phase: Phase;
  /** Time of the phase's own work (migrations, batches), ms. */
  durationMs: number;
  bucket: Bucket;
  locks: PhaseLockSample;
  retries: number;
  /** Statements that scanned the table while holding a lock that blocks traffic (one line each). */
  scansUnderLock: string[];
  backfill?: BackfillStats;
  /** How far the standbys fell behind (rehearse --replica). */
  replica?: PhaseReplicaSample;
  verify: VerifyResult[];
  error?: string;
}

export interface RunnerOptions {
  migration: pg.Client;
  plan: Plan;
  tableRegclass: string;
  traffic?: Traffic;
  monitor?: LockMonitor;
  /** Standbys' lag, sampled per phase (rehearse --replica). */
  replica?: ReplicaLagMonitor;
  workload?: Workload;
  /** Traffic kept running after each phase's work, ms. */
  dwellMs: number;
  /** Wall-clock deadline (Date.now() ms); work stops with an error past it. */
  deadline: number;
  log: (line: string) => void;
  /** Max attempts of one migration or batch on a retryable error. */
  maxAttempts?: number;
  /** Run verify queries (default true). */
  verify?: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const backoff = (attempt: number) => Math.min(5000, 100 * 2 ** attempt) * (0.5 + Math.random());

class DeadlineError extends Error {}

function checkDeadline(deadline: number): void {
  if (Date.now() > deadline) throw new DeadlineError('time limit reached (--time-limit): stopped');
}

/** Runs one migration; returns the retries it needed. */
export async function runMigration(
  client: pg.Client,
  m: Migration,
  o: {
    lockTimeout: string;
    tableRegclass: string;
    onLocks?: (rows: { mode: string; relname: string }[]) => void;
    /** Told of every statement that scanned the table under a lock that blocks traffic. */
    onScanUnderLock?: (finding: string) => void;
    maxAttempts?: number;
    deadline?: number;
  },
): Promise<number> {
  const maxAttempts = o.maxAttempts ?? 6;
  for (let attempt = 0; ; attempt++) {
    if (o.deadline) checkDeadline(o.deadline);
    try {
      if (m.partitioned && (await client.query(m.partitioned.detect)).rows.length) {
        await runPartitionedBuild(client, m.partitioned, o.lockTimeout);
      } else if (m.transaction === 'transaction') {
        await client.query('BEGIN');
        // The relations as they are before the statements run: a name they drop resolves to nothing after.
        const rels = (await client.query<{ rels: string }>(`SELECT (${o.tableRegclass})::text AS rels`)).rows[0].rels;
        // The table itself is the array's first element; its scans are the ones that stall the app.
        const probe = o.onScanUnderLock ? scanProbeSql(`(${quoteLiteral(rels)}::oid[])[1]`, [...BLOCKING_LOCKS].map(pgLockMode)) : null;
        for (const s of timeoutSettings(m.up, o.lockTimeout, 'local').set) await client.query(s);
        const findings: string[] = [];
        let scans = probe ? Number((await client.query<{ scans: string }>(probe)).rows[0].scans) : 0;
        for (const s of m.up) {
          await client.query(s.sql);
          if (!probe) continue;
          const r = (await client.query<{ scans: string; blocking: string | null }>(probe)).rows[0];
          if (Number(r.scans) > scans && r.blocking)
            findings.push(`${firstLine(s.sql)} scanned the table under ${r.blocking.split(', ').map(lockModeName).join(', ')}: every query on it waited for the scan`);
          scans = Number(r.scans);
        }
        const held = await client.query<{ mode: string; relname: string }>(heldLocksSql(`${quoteLiteral(rels)}::oid[]`));
        o.onLocks?.(held.rows);
        await client.query('COMMIT');
        // Reported once committed: a retried attempt reports its own findings only.
        for (const f of findings) o.onScanUnderLock?.(f);
      } else {
        if (m.cleanup) {
          const leftover = await client.query(m.cleanup.when);
          if (leftover.rows.length) await client.query(m.cleanup.statement.sql);
        }
        const t = timeoutSettings(m.up, o.lockTimeout, 'session');
        try {
          for (const s of t.set) await client.query(s);
          for (const s of m.up) await client.query(s.sql);
        } finally {
          for (const s of t.reset) await client.query(s).catch(() => {});
        }
      }
      return attempt;
    } catch (err) {
      if (m.transaction === 'transaction') await client.query('ROLLBACK').catch(() => {});
      if (sqlState(err) !== '55P03' || attempt + 1 >= maxAttempts) throw err;
      await sleep(backoff(attempt));
    }
  }
}

/**
 * The partitioned form of an index build, as the Alembic and Rails migrations run it (see
 * src/targets/alembic.ts, partitionedBranch): the prepare steps as one query (one implicit
 * transaction, SET LOCAL lock_timeout), then each partition still without the index: a leftover
 * INVALID build dropped, its own CREATE INDEX CONCURRENTLY and the ATTACH query, each in autocommit
 * as PostgreSQL wrote them, with no statement_timeout; last, the guard that the parent is valid.
 * Every step is idempotent (IF NOT EXISTS, partitions already attached are not listed), so a retry
 * after a lock_timeout picks up where it stopped.
 */
async function runPartitionedBuild(client: pg.Client, p: PartitionedIndexBuild, lockTimeout: string): Promise<void> {
  await client.query(oneQuery(p.prepare, lockTimeout));
  await client.query('SET statement_timeout = 0');
  try {
    const rows = (await client.query<{ drop_leftover: string | null; build: string; attach: string }>(p.partitions)).rows;
    for (const row of rows) {
      if (row.drop_leftover !== null) await client.query(row.drop_leftover);
      await client.query(row.build);
      await client.query(row.attach);
    }
  } finally {
    await client.query('RESET statement_timeout').catch(() => {});
  }
  await client.query(p.finish.sql);
}

function firstLine(sql: string): string {
  const line = sql.split('\n')[0];
  return line.length > 100 ? `${line.slice(0, 97)}...` : line;
}

const RETRYABLE = new Set(['55P03', '40001', '40P01']);

export async function runBackfill(
  client: pg.Client,
  b: Backfill,
  o: { batchSize?: number; deadline: number; log: (line: string) => void; maxAttempts?: number },
): Promise<BackfillStats> {
  try {
    const stats = await backfillLoop(client, b, o);
    await client.query('RESET lock_timeout');
    await client.query(b.finishSql);
    return stats;
  } finally {
    // The lock_timeout below is the script's session setting: it must not leak into later migrations.
    await client.query('RESET lock_timeout').catch(() => {});
  }
}

async function backfillLoop(
  client: pg.Client,
  b: Backfill,
  o: { batchSize?: number; deadline: number; log: (line: string) => void; maxAttempts?: number },
): Promise<BackfillStats> {
  const batchSize = o.batchSize ?? b.batchSize;
  await client.query(`SELECT set_config('lock_timeout', $1, false)`, [b.lockTimeout]);
  const batch = await prepareBatches(client, b);
  const estimate = Number((await client.query<{ estimate: string }>(b.estimateSql)).rows[0]?.estimate ?? 0);
  let rows = 0;
  let batches = 0;
  let retries = 0;
  const batchMs: number[] = [];
  const started = performance.now();
  let lastLog = Date.now();
  for (;;) {
    checkDeadline(o.deadline);
    let row: { updated: number } | null;
    for (let attempt = 0; ; attempt++) {
      const t0 = performance.now();
      try {
        // One transaction per batch, as the generated scripts run it.
        row = await batch.next(batchSize);
        batchMs.push(performance.now() - t0);
        break;
      } catch (err) {
        if (!RETRYABLE.has(sqlState(err) ?? '') || attempt + 1 >= (o.maxAttempts ?? 6)) throw err;
        retries++;
        await sleep(backoff(attempt));
      }
    }
    if (!row) break;
    rows += Number(row.updated);
    batches++;
    if (b.pauseMs > 0) await sleep(b.pauseMs);
    if (Date.now() - lastLog > 5000) {
      lastLog = Date.now();
      const rate = (batches * batchSize) / ((performance.now() - started) / 1000);
      o.log(`  backfill: ${rows.toLocaleString('en-US')} rows updated, ~${Math.min(100, Math.round((100 * batches * batchSize) / Math.max(estimate, 1)))}%, ${Math.round(rate).toLocaleString('en-US')} rows/s`);
    }
  }
  const secs = (performance.now() - started) / 1000;
  const sorted = [...batchMs].sort((a, c) => a - c);
  return {
    rows,
    batches,
    rowsPerSec: rows / Math.max(secs, 1e-6),
    maxBatchMs: sorted[sorted.length - 1] ?? 0,
    p99BatchMs: sorted[Math.max(0, Math.ceil(0.99 * sorted.length) - 1)] ?? 0,
    retries,
  };
}

function matches(got: unknown, expect: string | number | boolean): boolean {
  if (typeof expect === 'boolean') return got === expect || String(got) === String(expect);
  return String(got) === String(expect);
}

async function runVerify(client: pg.Client, phase: Phase): Promise<VerifyResult[]> {
  const out: VerifyResult[] = [];
  for (const v of phase.verify) {
    try {
      const r = await client.query({ text: v.sql, rowMode: 'array' });
      const got = r.rows[0]?.[0] ?? null;
      out.push({ sql: v.sql, expect: v.expect, got, ok: v.expectValue === undefined ? null : matches(got, v.expectValue) });
    } catch (err) {
      out.push({ sql: v.sql, expect: v.expect, got: `error: ${errorText(err)}`, ok: v.expectValue === undefined ? null : false });
    }
  }
  return out;
}

/** Runs every phase in order; stops at the first phase whose work fails (its run carries the error). */
export async function runPhases(o: RunnerOptions): Promise<PhaseRun[]> {
  const runs: PhaseRun[] = [];
  const total = o.plan.phases.length;
  for (const [index, phase] of o.plan.phases.entries()) {
    const run: PhaseRun = { index, phase, durationMs: 0, bucket: newBucket(), locks: newLockSample(), retries: 0, scansUnderLock: [], verify: [] };
    runs.push(run);
    o.traffic?.setBucket(run.bucket);
    o.monitor?.setSample(run.locks);
    if (o.replica) {
      run.replica = newReplicaSample();
      await o.replica.switchTo(run.replica).catch(() => {});
    }
    o.log(`phase ${index + 1}/${total} [${phase.kind}] ${phase.title}`);
    if (o.traffic && o.workload) {
      const share = o.workload.newShareAt(phase, 'start');
      if (share !== undefined) o.traffic.newShare = share;
    }
    const t0 = performance.now();
    if (o.monitor) o.monitor.recordLocks = true;
    try {
      checkDeadline(o.deadline);
      if (phase.kind === 'migrate') {
        for (const m of phase.migrations) {
          run.retries += await runMigration(o.migration, m, {
            lockTimeout: o.plan.settings.lockTimeout,
            tableRegclass: o.tableRegclass,
            onLocks: (rows) => o.monitor?.addLocks(rows),
            onScanUnderLock: (finding) => run.scansUnderLock.push(finding),
            maxAttempts: o.maxAttempts,
            deadline: o.deadline,
          });
        }
      } else if (phase.kind === 'backfill') {
        run.backfill = await runBackfill(o.migration, phase.backfill, { deadline: o.deadline, log: o.log, maxAttempts: o.maxAttempts, batchSize: o.plan.settings.batchSize });
        run.retries += run.backfill.retries;
      }
    } catch (err) {
      run.error = errorText(err);
    }
    run.durationMs = performance.now() - t0;
    if (o.monitor) o.monitor.recordLocks = false;
    if (o.traffic && o.workload && !run.error) {
      const share = o.workload.newShareAt(phase, 'end');
      if (share !== undefined) o.traffic.newShare = share;
    }
    if (o.dwellMs > 0) await sleep(o.dwellMs);
    if (o.verify !== false && !run.error) run.verify = await runVerify(o.migration, phase);
    o.log(
      `  done in ${(run.durationMs / 1000).toFixed(2)} s` +
        (run.backfill ? `, ${run.backfill.rows.toLocaleString('en-US')} rows at ${Math.round(run.backfill.rowsPerSec).toLocaleString('en-US')} rows/s` : '') +
        (run.error ? `: FAILED ${run.error}` : ''),
    );
    if (run.error) break;
  }
  await o.replica?.switchTo(null).catch(() => {});
  return runs;
}
