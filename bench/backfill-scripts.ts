/**
 * The generated backfill scripts (rename users.name -> full_name) of every target, run for real
 * against a fresh copy of the 1M-row table after the expand migration, next to one single UPDATE on
 * the same table. No app traffic here: this compares raw throughput. Generated with the CLI
 * (node bin/migscaffold.js ... --target <t> --yes --out <dir>), run with DATABASE_URL.
 */
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runProc, type ProcResult } from './proc.js';
import { closeQuietly, connect } from '../src/rehearse/connect.js';

export const REPO = join(import.meta.dirname, '..');

export interface ScriptTarget {
  target: 'sql' | 'alembic' | 'rails' | 'prisma';
  language: string;
  file: string; // relative to the generated project root
  command: (file: string) => [string, string[]];
}

const PSQL = ['/usr/lib/postgresql/15/bin/psql', '/usr/bin/psql'].find((p) => existsSync(p)) ?? 'psql';

export const SCRIPT_TARGETS: ScriptTarget[] = [
  { target: 'sql', language: 'SQL (psql)', file: 'db/backfills/backfill_users_full_name.sql', command: (f) => [PSQL, ['-X', '-v', 'ON_ERROR_STOP=1', '-d', process.env.BENCH_DATABASE_URL ?? '', '-f', f]] },
  { target: 'alembic', language: 'Python (/usr/bin/python3, SQLAlchemy)', file: 'alembic/backfills/backfill_users_full_name.py', command: (f) => ['/usr/bin/python3', [f]] },
  { target: 'rails', language: 'Ruby (ActiveRecord 6.1)', file: 'script/backfill_users_full_name.rb', command: (f) => [existsSync('/usr/bin/ruby') ? '/usr/bin/ruby' : 'ruby', [f]] },
  { target: 'prisma', language: 'TypeScript (tsx, pg)', file: 'prisma/backfills/backfill_users_full_name.ts', command: (f) => [process.execPath, [join(REPO, 'node_modules', '.bin', 'tsx'), f]] },
];

export const RENAME_ARGS = ['rename-column', '--table', 'users', '--from', 'name', '--to', 'full_name'];

/** Generates the target's files under .tmp/ in the repo (so the TypeScript script resolves `pg`). */
export async function generate(t: ScriptTarget, root: string): Promise<string> {
  const dir = join(root, t.target);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const r = await runProc(process.execPath, [join(REPO, 'bin', 'migscaffold.js'), ...RENAME_ARGS, '--target', t.target, '--yes', '--out', dir, '--timestamp', '20260101000000', ...(t.target === 'rails' ? ['--rails-version', '6.1'] : [])], { cwd: REPO, timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`generating ${t.target} failed: ${r.stderr}`);
  const file = join(dir, t.file);
  if (!existsSync(file)) throw new Error(`generated ${t.target} has no ${t.file}`);
  return file;
}

export interface ScriptRun {
  target: string;
  language: string;
  ok: boolean;
  rows: number;
  /** rows / the script's own loop time (its "Done: ... in X s" line). */
  rowsPerSec: number;
  loopSec: number;
  wallSec: number;
  batches: number;
  /** Longest gap between two consecutive batch progress lines: an upper bound on one batch's transaction (its row locks), ms. */
  maxBatchGapMs: number;
  p99BatchGapMs: number;
  /**
   * Longest writing transaction of the script seen by the server (clock_timestamp() - xact_start of
   * its backend while it has an xid, sampled every 10 ms): how long one batch held its row locks.
   * May be short by one interval.
   */
  maxXactMs: number;
  error?: string;
  /** 1-minute load average when it started (the machine may be shared). */
  loadAvg?: number;
  /** Rate of the single UPDATE run right before it (paired reference). */
  refRowsPerSec?: number;
}

export async function runScript(t: ScriptTarget, file: string, url: string): Promise<ScriptRun> {
  process.env.BENCH_DATABASE_URL = url;
  const [cmd, args] = t.command(file);
  const sampler = await xactSampler(url);
  let r: ProcResult;
  try {
    r = await runProc(cmd, args, { cwd: REPO, env: { DATABASE_URL: url, PGCONNECT_TIMEOUT: '15' }, timeoutMs: 20 * 60_000 });
  } finally {
    await sampler.stop();
  }
  const progress = r.lines.filter((l) => /rows scanned/.test(l.text)).map((l) => l.at);
  const gaps: number[] = [];
  for (let i = 1; i < progress.length; i++) gaps.push(progress[i] - progress[i - 1]);
  gaps.sort((a, b) => a - b);
  const done = /Done: (\d+) rows updated in ([\d.]+) ?s/.exec(`${r.stdout}\n${r.stderr}`);
  const rows = done ? Number(done[1]) : 0;
  const loopSec = done ? Number(done[2]) : r.wallMs / 1000;
  return {
    target: t.target,
    language: t.language,
    ok: r.code === 0 && Boolean(done),
    rows,
    rowsPerSec: rows / Math.max(loopSec, 1e-3),
    loopSec,
    wallSec: r.wallMs / 1000,
    batches: progress.length,
    maxBatchGapMs: gaps[gaps.length - 1] ?? 0,
    maxXactMs: sampler.maxMs(),
    p99BatchGapMs: gaps[Math.max(0, Math.ceil(0.99 * gaps.length) - 1)] ?? 0,
    error: r.code === 0 ? undefined : `exit ${r.code}: ${r.stderr.split('\n').slice(-5).join(' ')}`,
  };
}

/**
 * Polls pg_stat_activity every 10 ms for the longest open *writing* transaction (backend_xid set: it
 * has updated rows, so it holds row locks) of another client in this database. Read-only transactions,
 * such as the scripts' final count of remaining rows, hold no row locks and are not counted; nor is
 * the closing VACUUM (ANALYZE), whose statistics update takes an xid but locks no user rows.
 */
export async function xactSampler(url: string): Promise<{ stop(): Promise<void>; maxMs(): number }> {
  const c = await connect(url, { name: 'migscaffold-bench-sampler', statementTimeoutMs: 5000 });
  let max = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const r = await c.query<{ ms: number | null }>(
          `SELECT max(extract(epoch FROM clock_timestamp() - xact_start) * 1000)::float8 AS ms FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
              AND xact_start IS NOT NULL AND backend_xid IS NOT NULL AND state <> 'idle'
              AND query NOT ILIKE 'VACUUM%'`,
        );
        if (r.rows[0].ms !== null && r.rows[0].ms > max) max = r.rows[0].ms;
      } catch {
        /* keep sampling */
      }
      await new Promise((res) => setTimeout(res, 10));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      await closeQuietly(c);
    },
    maxMs: () => Math.round(max),
  };
}
