/** The rehearsal's findings: a table for people, JSON for machines, and the verdict (exit code). */
import type { RehearseResult } from './rehearse.js';
import type { PhaseRun } from './runner.js';
import { LockMonitor } from './locks.js';
import { percentile, type Bucket } from './traffic.js';

export interface AppSummary {
  queries: number;
  failed: number;
  p99Ms: number;
  maxMs: number;
  byCode: { old: number; new: number };
  errors: { message: string; count: number }[];
}

export function summarise(b: Bucket): AppSummary {
  const sorted = [...b.latencies].sort((x, y) => x - y);
  return {
    queries: b.queries,
    failed: b.failed,
    p99Ms: round(percentile(sorted, 99)),
    maxMs: round(sorted[sorted.length - 1] ?? 0),
    byCode: { ...b.byCode },
    errors: [...b.errors.entries()].sort((x, y) => y[1] - x[1]).map(([message, count]) => ({ message, count })),
  };
}

const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;

export interface PhaseReport {
  index: number;
  key: string;
  kind: string;
  title: string;
  durationMs: number;
  app: AppSummary;
  /** Longest heavyweight-lock wait of an app request (pg_stat_activity sampling), ms. */
  appLockWaitMaxMs: number;
  /** Longest migration transaction seen server side (sampled every 20 ms), ms: how long its locks were held. */
  migrationXactMaxMs: number;
  /** Table-level locks the migration held on the table and its indexes. */
  locks: string[];
  /** Statements that scanned the table while holding a lock that blocks traffic. */
  scansUnderLock: string[];
  retries: number;
  backfill?: { rows: number; batches: number; rowsPerSec: number; maxBatchMs: number; p99BatchMs: number };
  /**
   * rehearse --replica: the most WAL (bytes) a standby had not replayed, the longest replay_lag the
   * primary reported (ms), both sampled every ~100 ms, and the WAL the phase wrote (bytes).
   */
  replica?: { maxLagBytes: number; maxReplayLagMs: number; walBytes: number };
  verify: { sql: string; expect: string; got: unknown; ok: boolean | null }[];
  error?: string;
}

export interface Report {
  ok: boolean;
  operation: string;
  plan: string;
  title: string;
  table: string;
  postgres: string;
  rows: number;
  seeded: boolean;
  clients: number;
  maxStallMs: number;
  workload: string;
  baseline: AppSummary;
  phases: PhaseReport[];
  totals: { workMs: number; appQueries: number; appFailed: number; maxStallMs: number };
  problems: string[];
}

function phaseReport(r: PhaseRun, table: string): PhaseReport {
  return {
    index: r.index + 1,
    key: r.phase.key,
    kind: r.phase.kind,
    title: r.phase.title,
    durationMs: round(r.durationMs),
    app: summarise(r.bucket),
    appLockWaitMaxMs: round(r.locks.appLockWaitMs),
    migrationXactMaxMs: round(r.locks.migrationXactMaxMs),
    locks: LockMonitor.visible(r.locks.locks, table),
    scansUnderLock: r.scansUnderLock,
    retries: r.retries,
    backfill: r.backfill && {
      rows: r.backfill.rows,
      batches: r.backfill.batches,
      rowsPerSec: Math.round(r.backfill.rowsPerSec),
      maxBatchMs: round(r.backfill.maxBatchMs),
      p99BatchMs: round(r.backfill.p99BatchMs),
    },
    replica: r.replica && { maxLagBytes: r.replica.maxBytes, maxReplayLagMs: round(r.replica.maxReplayLagMs), walBytes: r.replica.walBytes },
    verify: r.verify,
    error: r.error,
  };
}

export function buildReport(
  res: RehearseResult,
  meta: { operation: string; plan: string; title: string; table: string; clients: number; maxStallMs: number; phaseCount: number },
): Report {
  const phases = res.phases.map((p) => phaseReport(p, meta.table.split('.').pop()!));
  const problems: string[] = [];
  for (const p of phases) {
    const name = `phase ${p.index} (${p.key})`;
    if (p.error) problems.push(`${name}: ${p.error}`);
    if (p.app.failed) problems.push(`${name}: ${p.app.failed} application queries failed (${p.app.errors[0]?.message ?? ''})`);
    if (p.app.maxMs > meta.maxStallMs) problems.push(`${name}: an application query took ${p.app.maxMs} ms (--max-stall ${meta.maxStallMs})`);
    for (const f of p.scansUnderLock) problems.push(`${name}: ${f}`);
    for (const v of p.verify) if (v.ok === false) problems.push(`${name}: verify expected ${v.expect}, got ${JSON.stringify(v.got)}`);
  }
  if (res.phases.length < meta.phaseCount) problems.push(`only ${res.phases.length} of ${meta.phaseCount} phases ran`);
  const all = phases.map((p) => p.app);
  return {
    ok: problems.length === 0,
    operation: meta.operation,
    plan: meta.plan,
    title: meta.title,
    table: meta.table,
    postgres: res.serverVersion,
    rows: res.rowsAtStart,
    seeded: res.seeded,
    clients: meta.clients,
    maxStallMs: meta.maxStallMs,
    workload: res.workload,
    baseline: summarise(res.baseline.bucket),
    phases,
    totals: {
      workMs: round(res.workMs),
      appQueries: all.reduce((s, a) => s + a.queries, 0),
      appFailed: all.reduce((s, a) => s + a.failed, 0),
      maxStallMs: Math.max(0, ...all.map((a) => a.maxMs)),
    },
    problems,
  };
}

function ms(n: number): string {
  return n >= 10_000 ? `${(n / 1000).toFixed(1)} s` : `${n >= 100 ? Math.round(n) : n.toFixed(1)} ms`;
}

function bytes(n: number): string {
  return n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : n >= 1024 ? `${Math.round(n / 1024)} KiB` : `${n} B`;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r, j) => {
    const line = r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
    return j === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
  }).join('\n');
}

export function renderText(r: Report): string {
  const replica = r.phases.some((p) => p.replica);
  const head = [
    `Rehearsal: ${r.title} (${r.plan})`,
    `PostgreSQL ${r.postgres}, table ${r.table} with ~${r.rows.toLocaleString('en-US')} rows${r.seeded ? ' (seeded)' : ''}, ${r.clients} app clients`,
    `App: ${r.workload}`,
    `Baseline (before phase 1): ${r.baseline.queries} queries, p99 ${ms(r.baseline.p99Ms)}, max ${ms(r.baseline.maxMs)}`,
    ...(replica
      ? ['Replica: a streaming standby; "replica lag" is the most WAL it had not replayed and the longest replay_lag the primary reported, per phase']
      : []),
    '',
  ];
  const rows: string[][] = [
    ['#', 'phase', 'kind', 'time', 'app q', 'failed', 'p99', 'max', 'lock wait', 'rows/s', ...(replica ? ['WAL', 'replica lag'] : []), 'migration locks'],
  ];
  for (const p of r.phases)
    rows.push([
      String(p.index),
      p.key,
      p.kind,
      ms(p.durationMs),
      String(p.app.queries),
      String(p.app.failed),
      ms(p.app.p99Ms),
      ms(p.app.maxMs),
      ms(p.appLockWaitMaxMs),
      p.backfill ? p.backfill.rowsPerSec.toLocaleString('en-US') : '',
      ...(replica ? (p.replica ? [bytes(p.replica.walBytes), `${bytes(p.replica.maxLagBytes)} / ${ms(p.replica.maxReplayLagMs)}`] : ['', '']) : []),
      p.locks.join(', ') || (p.kind === 'deploy' ? '' : '-'),
    ]);
  const notes: string[] = [];
  for (const p of r.phases) {
    if (p.backfill)
      notes.push(
        `phase ${p.index}: ${p.backfill.batches} batches, longest ${ms(p.backfill.maxBatchMs)} client side (p99 ${ms(p.backfill.p99BatchMs)}), ` +
          `longest batch transaction seen by the server ${ms(p.migrationXactMaxMs)}`,
      );
    if (p.retries) notes.push(`phase ${p.index}: ${p.retries} retr${p.retries > 1 ? 'ies' : 'y'} after lock_timeout / serialization failures`);
  }
  const verdict = r.ok
    ? `OK: no failed application query, no stall over ${r.maxStallMs} ms (longest ${ms(r.totals.maxStallMs)}), every check passed.`
    : `FAILED:\n${r.problems.map((p) => `  - ${p}`).join('\n')}`;
  return [...head, table(rows), '', ...notes, ...(notes.length ? [''] : []), verdict, ''].join('\n');
}

export function renderJson(r: Report): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}
