/**
 * The large-table section of the bench (optional: `npm run bench:large`, or BENCH_LARGE=1 with
 * `npm run bench`). Writes bench/LARGE.md and bench/large.json. BENCH_LARGE_SECTIONS picks what runs
 * (default `backfill,partitioned-index`); a section not run keeps its figures from large.json.
 *
 * On a primary with a real streaming standby (test/support/replica.ts: pg_basebackup plus a second
 * postmaster on loopback), for each size in BENCH_LARGE_ROWS (default 1,000,000 and 10,000,000):
 *   1. a template database with a `users` table of that many rows and the new, empty column
 *      `email_lower`; every run below gets a fresh FILE_COPY of it;
 *   2. the ceiling: one `UPDATE users SET email_lower = lower(email)`;
 *   3. the generated TypeScript backfill (add-column --backfill 'lower(email)', default batch
 *      settings: at most 1,000 rows, about 100 ms each) with 1, 2 and 4 workers, and with one worker
 *      and batches of up to 20,000 rows: rows/s of its loop, the longest batch;
 *   4. the same backfill with 4 workers under 4 application clients (point reads and updates by
 *      random id), while the standby replays only 100 ms of every 500 (a standby that cannot keep
 *      up), with --max-replica-lag 1s and without, for BENCH_LARGE_WINDOW_S seconds each (default
 *      60): the longest application query, and the largest replay lag the primary reported.
 *   5. (section partitioned-index, bench/large-partitioned.ts) an index on the table range-partitioned
 *      into BENCH_LARGE_PARTITIONS partitions (default 8), ours against CREATE INDEX on the parent.
 * The cluster is a scratch one (fsync, full_page_writes and synchronous_commit off), as in the rest
 * of the bench: absolute numbers are optimistic; the ratios and how they change with size are what
 * to read.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { sql } from './sql.js';
import { main as cli } from '../src/cli/main.js';
import { realEffects } from '../src/effects.js';
import { startReplicated, type Replicated } from '../test/support/replica.js';
import { machine, type Machine } from './machine.js';
import { cleanEnv } from './proc.js';
import { REPO, xactSampler } from './backfill-scripts.js';
import { renderPartitionedIndex, runPartitionedIndex, type PartitionedResults } from './large-partitioned.js';

const SIZES = (process.env.BENCH_LARGE_ROWS ?? '1000000,10000000').split(',').map(Number);
const WINDOW_S = Number(process.env.BENCH_LARGE_WINDOW_S ?? 60);
const SECTIONS = new Set((process.env.BENCH_LARGE_SECTIONS ?? 'backfill,partitioned-index').split(',').filter(Boolean));
const PARTITIONS = Number(process.env.BENCH_LARGE_PARTITIONS ?? 8);
for (const section of SECTIONS)
  if (section !== 'backfill' && section !== 'partitioned-index') throw new Error(`BENCH_LARGE_SECTIONS: unknown section ${section} (backfill, partitioned-index)`);
const APP_CLIENTS = 4;
const started = Date.now();
const log = (line: string) => process.stderr.write(`[bench large ${((Date.now() - started) / 1000).toFixed(0).padStart(5)}s] ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Run {
  label: string;
  rows: number;
  /** Rows per second of the work itself (the script's loop; the UPDATE's statement). */
  rowsPerSec: number;
  seconds: number;
  /** Whole command, the script's closing VACUUM (ANALYZE) and count included. */
  wallSeconds: number;
  /** Longest batch the script reported, ms (its row locks are held that long at most). */
  maxBatchMs?: number;
  /** Longest writing transaction the server showed (sampled every 10 ms), ms. */
  maxXactMs: number;
  loadAvg: number;
  /** Rows/s over the first and the last tenth of the table, within this one run. */
  tenths?: { first: number; last: number };
  /** CPU the database server spent on the run, per row (load-independent, unlike the rates). */
  serverCpuUsPerRow?: number;
  /** WAL the run wrote, per row. */
  walBytesPerRow?: number;
}

export interface Throttle {
  label: string;
  windowSeconds: number;
  rowsDone: number;
  rowsPerSec: number;
  appQueries: number;
  appBaselineMaxMs: number;
  appMaxMs: number;
  appP99Ms: number;
  maxReplayLagMs: number;
  maxUnreplayedMiB: number;
  loadAvg: number;
}

export interface SizeResult {
  rows: number;
  tableSize: string;
  /** The UPDATE before the backfills and after them: the machine is shared. */
  ceilings: Run[];
  /** Their mean rate: what each backfill's rate is compared with. */
  ceiling: Run;
  workers: Run[];
  throttle: Throttle[];
}

export interface LargeResults {
  date: string;
  machine: Machine;
  postgres: string;
  totalSeconds: number;
  windowSeconds: number;
  sizes: SizeResult[];
  /** Absent in results written before the section existed. */
  partitionedIndex?: PartitionedResults;
}


async function template(rep: Replicated, rows: number): Promise<string> {
  const name = `large_${rows}`;
  await sql(rep.primary.adminUrl, `CREATE DATABASE ${name}`);
  const url = rep.url(name);
  await sql(url, `CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`);
  // In slices of a million, so no single transaction holds the whole table.
  for (let from = 1; from <= rows; from += 1_000_000) {
    const to = Math.min(rows, from + 999_999);
    await sql(url, `INSERT INTO users (email, name) SELECT 'User' || g || '@Example.com', 'User ' || g FROM generate_series(${from}, ${to}) g`);
    log(`  seeded ${to.toLocaleString('en-US')} rows`);
  }
  await sql(url, `ALTER TABLE users ADD COLUMN email_lower text`);
  await sql(url, `VACUUM (ANALYZE) users`);
  await sql(rep.primary.adminUrl, 'CHECKPOINT');
  await rep.caughtUp(30 * 60_000);
  return name;
}

/** CPU seconds (user + system) a process has used, from /proc: the server runs on this machine. */
function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the command name.
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return null;
  }
}
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/**
 * The work a run costs the server, whatever else the shared machine is doing: CPU seconds of the
 * database's other client backends (sampled every 100 ms, so a backend's last 100 ms may be missed)
 * and bytes of WAL written.
 */
async function serverCost(url: string): Promise<{ stop(): Promise<{ cpuSeconds: number; walBytes: number }> }> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const lsn = async () => (await c.query<{ l: string }>('SELECT pg_current_wal_insert_lsn()::text AS l')).rows[0].l;
  const startLsn = await lsn();
  const cpu = new Map<number, { first: number; last: number }>();
  let running = true;
  const sample = async () => {
    const r = await c.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend'
         AND pid <> pg_backend_pid() AND application_name NOT LIKE 'migscaffold-bench%'`,
    );
    for (const { pid } of r.rows) {
      const v = cpuSeconds(pid);
      if (v === null) continue;
      // Every backend here was started by the run (a fresh database): all of its CPU counts.
      cpu.set(pid, { first: 0, last: v });
    }
  };
  const loop = (async () => {
    while (running) {
      await sample().catch(() => {});
      await sleep(100);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      const walBytes = Number((await c.query<{ d: string }>(`SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '${startLsn}')::bigint AS d`)).rows[0].d);
      await c.end();
      return { cpuSeconds: [...cpu.values()].reduce((a, x) => a + (x.last - x.first), 0), walBytes };
    },
  };
}

let copies = 0;
async function copy(rep: Replicated, tpl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${tpl}_run${++copies}`;
  await sql(rep.primary.adminUrl, `CREATE DATABASE ${name} TEMPLATE ${tpl} STRATEGY FILE_COPY`);
  return { url: rep.url(name), drop: () => sql(rep.primary.adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).then(() => {}) };
}

async function ceiling(rep: Replicated, tpl: string, rows: number): Promise<Run> {
  const db = await copy(rep, tpl);
  try {
    const sampler = await xactSampler(db.url);
    const load = loadavg()[0];
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    const pid = (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    const lsn = async () => (await c.query<{ l: string }>('SELECT pg_current_wal_insert_lsn()::text AS l')).rows[0].l;
    const [cpu0, lsn0] = [cpuSeconds(pid) ?? 0, await lsn()];
    const t0 = performance.now();
    await c.query('UPDATE users SET email_lower = lower(email)');
    const s = (performance.now() - t0) / 1000;
    const cpu = (cpuSeconds(pid) ?? 0) - cpu0;
    const wal = Number((await c.query<{ d: string }>(`SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '${lsn0}')::bigint AS d`)).rows[0].d);
    await c.end();
    await sampler.stop();
    return {
      label: 'one UPDATE of the whole table',
      rows,
      rowsPerSec: rows / s,
      seconds: s,
      wallSeconds: s,
      maxXactMs: sampler.maxMs(),
      loadAvg: load,
      serverCpuUsPerRow: (cpu * 1e6) / rows,
      walBytesPerRow: wal / rows,
    };
  } finally {
    await db.drop();
  }
}

async function generateScript(dir: string): Promise<string> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  let err = '';
  const code = await cli(
    ['add-column', '--table', 'users', '--column', 'email_lower', '--type', 'text', '--backfill', 'lower(email)', '--target', 'prisma', '--out', dir, '--yes', '--all-phases', '--timestamp', '20260101000000'],
    { ...realEffects(), cwd: REPO, interactive: false, env: {}, stdout: () => {}, stderr: (t) => void (err += t) },
  );
  if (code !== 0) throw new Error(`generating the backfill failed: ${err}`);
  return join(dir, 'prisma', 'backfills', 'backfill_users_email_lower.ts');
}

interface Spawned {
  done: Promise<{ code: number; out: string; wallMs: number; progress: { at: number; scanned: number }[] }>;
  stop(): void;
}

function script(file: string, url: string, args: string[]): Spawned {
  const t0 = performance.now();
  const child = spawn(process.execPath, [join(REPO, 'node_modules', '.bin', 'tsx'), file, ...args], { cwd: REPO, env: cleanEnv({ DATABASE_URL: url }), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  let partial = '';
  // When each progress line arrived: the rate over any stretch of the table, from one run.
  const progress: { at: number; scanned: number }[] = [];
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    const lines = (partial + d).split('\n');
    partial = lines.pop()!;
    for (const l of lines) {
      const m = /^ {2}(\d+)(?:\/\d+)? rows scanned/.exec(l);
      if (m) progress.push({ at: performance.now(), scanned: Number(m[1]) });
    }
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  return {
    done: new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? 1, out, wallMs: performance.now() - t0, progress }))),
    stop: () => {
      try {
        process.kill(-child.pid!, 'SIGINT');
      } catch {
        /* gone */
      }
    },
  };
}

/** Rows per second over the first and the last tenth of the rows, from when the progress lines came. */
function tenths(progress: { at: number; scanned: number }[], rows: number): { first: number; last: number } | undefined {
  const at = (n: number) => progress.find((p) => p.scanned >= n);
  const a = at(rows * 0.1);
  const b = at(rows * 0.9);
  const end = progress[progress.length - 1];
  if (!a || !b || !end || a.at <= progress[0].at || end.at <= b.at) return undefined;
  return { first: (a.scanned - progress[0].scanned) / ((a.at - progress[0].at) / 1000), last: (end.scanned - b.scanned) / ((end.at - b.at) / 1000) };
}

function maxBatchMs(out: string): number {
  return Math.max(0, ...[...out.matchAll(/batch of \d+ rows in (\d+) ms/g)].map((m) => Number(m[1])));
}

async function backfill(rep: Replicated, tpl: string, file: string, rows: number, workers: number, batchSize?: number): Promise<Run> {
  const db = await copy(rep, tpl);
  try {
    const sampler = await xactSampler(db.url);
    const cost = await serverCost(db.url);
    const load = loadavg()[0];
    const r = await script(file, db.url, ['--workers', String(workers), ...(batchSize ? ['--batch-size', String(batchSize)] : [])]).done;
    const spent = await cost.stop();
    await sampler.stop();
    const m = /Done: (\d+) rows updated in ([\d.]+)s; 0 rows left/.exec(r.out);
    if (r.code !== 0 || !m) throw new Error(`backfill with ${workers} workers failed (exit ${r.code}):\n${r.out.slice(-2000)}`);
    const s = Number(m[2]);
    return {
      label: `backfill, ${workers} worker${workers > 1 ? 's' : ''}${batchSize ? `, --batch-size ${batchSize}` : ''}`,
      rows: Number(m[1]),
      rowsPerSec: Number(m[1]) / s,
      seconds: s,
      wallSeconds: r.wallMs / 1000,
      maxBatchMs: maxBatchMs(r.out),
      maxXactMs: sampler.maxMs(),
      loadAvg: load,
      tenths: tenths(r.progress, rows),
      // The closing VACUUM (ANALYZE) and count are in these two, as in the wall time.
      serverCpuUsPerRow: (spent.cpuSeconds * 1e6) / rows,
      walBytesPerRow: spent.walBytes / rows,
    };
  } finally {
    await db.drop();
  }
}

/** Application clients: point reads and updates by random id; every query's latency. */
function appLoad(url: string, rows: number): { stop(): Promise<number[]>; mark(): number[] } {
  let running = true;
  const latencies: number[] = [];
  const loops = Array.from({ length: APP_CLIENTS }, async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      while (running) {
        const id = 1 + Math.floor(Math.random() * rows);
        const t0 = performance.now();
        if (Math.random() < 0.7) await c.query('SELECT name, email_lower FROM users WHERE id = $1', [id]);
        else await c.query('UPDATE users SET created_at = now() WHERE id = $1', [id]);
        latencies.push(performance.now() - t0);
        await sleep(5);
      }
    } finally {
      await c.end();
    }
  });
  return {
    mark: () => latencies.splice(0),
    async stop() {
      running = false;
      await Promise.all(loops);
      return latencies.splice(0);
    },
  };
}

/** A standby that cannot keep up: replay runs 100 ms of every 500. */
function slowStandby(rep: Replicated): { stop(): Promise<void> } {
  let running = true;
  const loop = (async () => {
    while (running) {
      await rep.pause();
      await sleep(400);
      await rep.resume();
      await sleep(100);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      await rep.resume();
    },
  };
}

function replicaSampler(rep: Replicated): { stop(): Promise<{ lagMs: number; bytes: number }> } {
  let running = true;
  let lagMs = 0;
  let bytes = 0;
  const loop = (async () => {
    while (running) {
      lagMs = Math.max(lagMs, await rep.replayLagMs());
      bytes = Math.max(bytes, (await rep.unreplayedBytes()) ?? 0);
      await sleep(100);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { lagMs, bytes };
    },
  };
}

async function throttled(rep: Replicated, tpl: string, file: string, rows: number, maxLag: string | null): Promise<Throttle> {
  const db = await copy(rep, tpl);
  try {
    await rep.caughtUp(30 * 60_000);
    const app = appLoad(db.url, rows);
    await sleep(3000);
    const baseline = app.mark();
    const slow = slowStandby(rep);
    const replica = replicaSampler(rep);
    const load = loadavg()[0];
    const run = script(file, db.url, ['--workers', '4', ...(maxLag ? ['--max-replica-lag', maxLag] : [])]);
    const t0 = performance.now();
    await Promise.race([run.done, sleep(WINDOW_S * 1000)]);
    const window = (performance.now() - t0) / 1000;
    run.stop();
    const r = await run.done;
    const during = await app.stop();
    const rep2 = await replica.stop();
    await slow.stop();
    const done = Number((await sql<{ n: string }>(db.url, 'SELECT count(*) AS n FROM users WHERE email_lower IS NOT NULL'))[0].n);
    const sorted = [...during].sort((a, b) => a - b);
    if (r.code !== 0 && r.code !== 130) throw new Error(`throttle run failed (exit ${r.code}):\n${r.out.slice(-2000)}`);
    return {
      label: maxLag ? `4 workers, --max-replica-lag ${maxLag}` : '4 workers, no throttle',
      windowSeconds: window,
      rowsDone: done,
      rowsPerSec: done / window,
      appQueries: during.length,
      appBaselineMaxMs: Math.max(0, ...baseline),
      appMaxMs: sorted[sorted.length - 1] ?? 0,
      appP99Ms: sorted[Math.max(0, Math.ceil(0.99 * sorted.length) - 1)] ?? 0,
      maxReplayLagMs: rep2.lagMs,
      maxUnreplayedMiB: rep2.bytes / 2 ** 20,
      loadAvg: load,
    };
  } finally {
    await rep.resume().catch(() => {});
    await db.drop();
  }
}

const n = (x: number) => Math.round(x).toLocaleString('en-US');

/**
 * What the cost-per-row table says, from its own figures: whether the growth is work the server does
 * per row (CPU, WAL) or time spent waiting, and whether the backfill grows faster than the UPDATE.
 */
function reading(a: SizeResult, b: SizeResult, nproc: number): string[] {
  const pct = (x: number, y: number) => `${((y / x - 1) * 100).toFixed(0)}%`;
  const range = (xs: string[]) => (xs.length ? `${xs.reduce((m, x) => (parseFloat(x) < parseFloat(m) ? x : m))} to ${xs.reduce((m, x) => (parseFloat(x) > parseFloat(m) ? x : m))}` : '-');
  const runs = [a.ceiling, ...a.workers].map((x, i) => [x, [b.ceiling, ...b.workers][i]] as const).filter(([, y]) => y);
  const cpu = runs.filter(([x, y]) => x.serverCpuUsPerRow && y.serverCpuUsPerRow).map(([x, y]) => pct(x.serverCpuUsPerRow!, y.serverCpuUsPerRow!));
  const wal = runs.filter(([x, y]) => x.walBytesPerRow && y.walBytesPerRow).map(([x, y]) => pct(x.walBytesPerRow!, y.walBytesPerRow!));
  const wall = runs.map(([x, y]) => pct(y.rowsPerSec, x.rowsPerSec));
  const ratio = (s: SizeResult, x: Run) => (x.rowsPerSec / s.ceiling.rowsPerSec).toFixed(2);
  const worst = b.workers.reduce((m, x) => (x.rowsPerSec / b.ceiling.rowsPerSec < m.rowsPerSec / b.ceiling.rowsPerSec ? x : m));
  const worstAt1 = a.workers.find((x) => x.label === worst.label);
  const others = b.workers.filter((x) => x !== worst && x.serverCpuUsPerRow).map((x) => x.serverCpuUsPerRow!.toFixed(1));
  return [
    '**Reading it.** ' +
      `From ${n(a.rows)} to ${n(b.rows)} rows, the time per row grew ${range(wall)}, but the server's CPU per row grew only ${range(cpu)} ` +
      `and its WAL per row ${range(wal)}: the extra time is not more work per row but waiting, whether for I/O on a table ten ` +
      'times larger or for a CPU on this shared machine (see the load column). The single UPDATE, which has no batches and no ' +
      `keyset walk, slowed by ${pct(b.ceiling.rowsPerSec, a.ceiling.rowsPerSec)} too. So the fair measure of the backfill is its ` +
      `ratio to the UPDATE of the same size ("of the UPDATE"), and that stays put for one worker (${ratio(a, a.workers[0])}x, then ` +
      `${ratio(b, b.workers[0])}x): each batch is one index descent to its first key and a short range, whatever the table's size.`,
    '',
    `Workers share the machine's ${nproc} CPUs with the server's backends and the app clients. More workers overlap one ` +
      "worker's round trips and commits with another's work, which is all they can win here. Where they lose " +
      `(${worst.label} at ${n(b.rows)}: ${ratio(b, worst)}x${worstAt1 ? `, against ${ratio(a, worstAt1)}x at ${n(a.rows)}` : ''}, ` +
      `load ${worst.loadAvg.toFixed(1)} at its start), its server CPU per row (${worst.serverCpuUsPerRow?.toFixed(1) ?? '-'} µs) was ` +
      `in the range of the other runs (${range(others)} µs): the time went to waiting, not to work. Whether workers pay off depends on ` +
      'spare cores on the database server, which this machine does not have; the tests show that the ranges split, stop and resume correctly.',
  ];
}

function render(r: LargeResults): string {
  const us = (rowsPerSec: number) => (1e6 / rowsPerSec).toFixed(2);
  const lines = [
    '# Large tables: backfill rate, workers, replica lag; an index on a partitioned table (`npm run bench:large`)',
    '',
    `${r.date}, ${r.machine.nproc} CPUs (${r.machine.cpuModel}), ${r.machine.memoryGiB} GiB, Node ${r.machine.node}; ${r.postgres.split(',')[0]};`,
    `a scratch primary (fsync, full_page_writes, synchronous_commit off) with a streaming standby on the same machine. Whole section: ${n(r.totalSeconds)} s.`,
    'The machine is shared: the 1-minute load average when each run started is in its row.',
    '',
    '## Rate: the generated TypeScript backfill against one UPDATE of the whole table',
    '',
    'Each backfill is compared with the mean of the two UPDATEs of its size (one before the backfills, one after).',
    '"first / last tenth": rows/s over the first and the last 10% of the table within that one run.',
    '',
    '"server CPU µs/row" and "WAL bytes/row" are what the database server spent, whatever the rest of the shared machine did.',
    '',
    '| rows | run | rows/s | µs per row | of the UPDATE | first / last tenth rows/s | server CPU µs/row | WAL bytes/row | loop s | wall s | longest batch ms | longest writing transaction ms | load |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const s of r.sizes)
    for (const x of [...s.ceilings, ...s.workers])
      lines.push(
        `| ${n(s.rows)} | ${x.label} | ${n(x.rowsPerSec)} | ${us(x.rowsPerSec)} | ${(x.rowsPerSec / s.ceiling.rowsPerSec).toFixed(2)}x | ${x.tenths ? `${n(x.tenths.first)} / ${n(x.tenths.last)}` : '-'} | ${x.serverCpuUsPerRow?.toFixed(1) ?? '-'} | ${x.walBytesPerRow?.toFixed(0) ?? '-'} | ${x.seconds.toFixed(1)} | ${x.wallSeconds.toFixed(1)} | ${x.maxBatchMs ?? '-'} | ${x.maxXactMs} | ${x.loadAvg.toFixed(1)} |`,
      );
  lines.push(
    '',
    `## Application stall and replica lag, with and without --max-replica-lag (4 workers, ${APP_CLIENTS} app clients, a standby replaying 100 ms of every 500, ${r.windowSeconds} s window)`,
    '',
    '| rows | run | rows done | rows/s | app queries | app max ms before | app max ms during | app p99 ms | max replay lag s | max WAL not replayed MiB | load |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const s of r.sizes)
    for (const t of s.throttle)
      lines.push(
        `| ${n(s.rows)} | ${t.label} | ${n(t.rowsDone)} | ${n(t.rowsPerSec)} | ${n(t.appQueries)} | ${t.appBaselineMaxMs.toFixed(0)} | ${t.appMaxMs.toFixed(0)} | ${t.appP99Ms.toFixed(1)} | ${(t.maxReplayLagMs / 1000).toFixed(1)} | ${t.maxUnreplayedMiB.toFixed(1)} | ${t.loadAvg.toFixed(1)} |`,
      );
  if (r.sizes.length > 1) {
    const [a, b] = [r.sizes[0], r.sizes[r.sizes.length - 1]];
    lines.push(
      '',
      `## From ${n(a.rows)} to ${n(b.rows)} rows: cost per row`,
      '',
      `| run | µs per row at ${n(a.rows)} | at ${n(b.rows)} | change | of the UPDATE at ${n(a.rows)} | at ${n(b.rows)} | server CPU µs/row at ${n(a.rows)} | at ${n(b.rows)} | WAL bytes/row at ${n(a.rows)} | at ${n(b.rows)} |`,
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    );
    for (const [i, x] of [a.ceiling, ...a.workers].entries()) {
      const y = [b.ceiling, ...b.workers][i];
      if (!y) continue;
      lines.push(
        `| ${x.label} | ${us(x.rowsPerSec)} | ${us(y.rowsPerSec)} | ${((x.rowsPerSec / y.rowsPerSec - 1) * 100).toFixed(0)}% | ${(x.rowsPerSec / a.ceiling.rowsPerSec).toFixed(2)}x | ${(y.rowsPerSec / b.ceiling.rowsPerSec).toFixed(2)}x | ${x.serverCpuUsPerRow?.toFixed(1) ?? '-'} | ${y.serverCpuUsPerRow?.toFixed(1) ?? '-'} | ${x.walBytesPerRow?.toFixed(0) ?? '-'} | ${y.walBytesPerRow?.toFixed(0) ?? '-'} |`,
      );
    }
  }
  if (r.sizes.length > 1) lines.push('', ...reading(r.sizes[0], r.sizes[r.sizes.length - 1], r.machine.nproc));
  lines.push('', `Table sizes: ${r.sizes.map((s) => `${n(s.rows)} rows: ${s.tableSize}`).join('; ')}.`);
  if (r.partitionedIndex) lines.push('', ...renderPartitionedIndex(r.partitionedIndex));
  lines.push('');
  return lines.join('\n');
}

/** The backfill section at each size (steps 1 to 4 above). */
async function runBackfillSection(rep: Replicated): Promise<SizeResult[]> {
  const file = await generateScript(join(REPO, '.tmp', 'bench-large'));
  const sizes: SizeResult[] = [];
  for (const rows of SIZES) {
    log(`${rows.toLocaleString('en-US')} rows: seeding the template`);
    const tpl = await template(rep, rows);
    const tableSize = (await sql<{ s: string }>(rep.url(tpl), `SELECT pg_size_pretty(pg_total_relation_size('users')) AS s`))[0].s;
    log(`${rows.toLocaleString('en-US')} rows: one UPDATE`);
    const first = await ceiling(rep, tpl, rows);
    log(`  ${Math.round(first.rowsPerSec)} rows/s`);
    const workers: Run[] = [];
    // The default batches (at most 1,000 rows) stay far under 100 ms here; the last run lets them
    // grow to the target.
    for (const [w, size] of [[1], [2], [4], [1, 20_000]]) {
      log(`${rows.toLocaleString('en-US')} rows: backfill, ${w} worker(s)${size ? `, --batch-size ${size}` : ''}`);
      workers.push(await backfill(rep, tpl, file, rows, w, size));
      log(`  ${Math.round(workers[workers.length - 1].rowsPerSec)} rows/s`);
    }
    log(`${rows.toLocaleString('en-US')} rows: one UPDATE again`);
    const second = { ...(await ceiling(rep, tpl, rows)), label: 'one UPDATE of the whole table, again' };
    log(`  ${Math.round(second.rowsPerSec)} rows/s`);
    const mean = (f: (r: Run) => number | undefined) => ((f(first) ?? 0) + (f(second) ?? 0)) / 2;
    const top: Run = {
      ...first,
      label: 'one UPDATE (mean of the two)',
      rowsPerSec: mean((r) => r.rowsPerSec),
      seconds: mean((r) => r.seconds),
      serverCpuUsPerRow: mean((r) => r.serverCpuUsPerRow),
      walBytesPerRow: mean((r) => r.walBytesPerRow),
    };
    const throttle: Throttle[] = [];
    for (const lag of [null, '1s']) {
      log(`${rows.toLocaleString('en-US')} rows: app load and a slow standby, ${lag ? `--max-replica-lag ${lag}` : 'no throttle'}`);
      throttle.push(await throttled(rep, tpl, file, rows, lag));
      const t = throttle[throttle.length - 1];
      log(`  app max ${t.appMaxMs.toFixed(0)} ms, replay lag max ${(t.maxReplayLagMs / 1000).toFixed(1)} s, ${Math.round(t.rowsPerSec)} rows/s`);
    }
    sizes.push({ rows, tableSize, ceilings: [first, second], ceiling: top, workers, throttle });
    await sql(rep.primary.adminUrl, `DROP DATABASE ${tpl}`);
  }
  return sizes;
}

function previousResults(): LargeResults | null {
  try {
    return JSON.parse(readFileSync(join(REPO, 'bench', 'large.json'), 'utf8')) as LargeResults;
  } catch {
    return null;
  }
}

export async function runLarge(): Promise<LargeResults> {
  const previous = previousResults();
  if (!SECTIONS.has('backfill') && !previous) throw new Error('BENCH_LARGE_SECTIONS without backfill needs bench/large.json to keep that section from');
  log('starting a primary and a streaming standby');
  const rep = await startReplicated();
  try {
    const version = (await sql<{ v: string }>(rep.primary.adminUrl, 'SELECT version() AS v'))[0].v;
    const backfillPart = SECTIONS.has('backfill')
      ? { date: new Date().toISOString(), machine: machine(), postgres: version, windowSeconds: WINDOW_S, sizes: await runBackfillSection(rep), totalSeconds: (Date.now() - started) / 1000 }
      : { date: previous!.date, machine: previous!.machine, postgres: previous!.postgres, windowSeconds: previous!.windowSeconds, sizes: previous!.sizes, totalSeconds: previous!.totalSeconds };
    const partitionedIndex = SECTIONS.has('partitioned-index')
      ? await runPartitionedIndex(rep, { sizes: SIZES, partitions: PARTITIONS, clients: APP_CLIENTS, log })
      : previous?.partitionedIndex;
    const results: LargeResults = { ...backfillPart, ...(partitionedIndex ? { partitionedIndex } : {}) };
    await writeFile(join(REPO, 'bench', 'large.json'), `${JSON.stringify(results, null, 2)}\n`);
    await writeFile(join(REPO, 'bench', 'LARGE.md'), render(results));
    log(`wrote bench/LARGE.md and bench/large.json in ${Math.round((Date.now() - started) / 1000)} s`);
    return results;
  } finally {
    await rep.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}` && process.argv[2] === '--render') {
  // Rewrites LARGE.md from large.json (after a change to the page, without a 15-minute run).
  const results = JSON.parse(readFileSync(join(REPO, 'bench', 'large.json'), 'utf8')) as LargeResults;
  void writeFile(join(REPO, 'bench', 'LARGE.md'), render(results));
} else if (import.meta.url === `file://${process.argv[1]}`) {
  runLarge().catch((e) => {
    process.stderr.write(`bench large failed: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exitCode = 1;
  });
}
