/**
 * `npm run bench`: zero downtime, shown under load and measured against the naive way.
 *
 *   1. A throwaway PostgreSQL cluster (src/rehearse/cluster.ts) and a template database holding a
 *      1,000,000-row users table (src/rehearse/seed.ts); every run below gets a fresh copy.
 *   2. For each operation: our phases (the rehearse runner, exactly the plan's SQL) and the naive
 *      single-step way, each under 4 concurrent app clients: max app stall, failed app queries, time.
 *   3. The generated backfill scripts (SQL, Python, Ruby, TypeScript) against one single UPDATE on the
 *      same table: rows/s ratio and the longest batch.
 *   4. The generator's own cost next to `alembic revision`.
 * Writes bench/RESULTS.md and bench/results.json. Env: BENCH_ROWS (default 1000000), BENCH_CLIENTS (4),
 * BENCH_ONLY=name,name (scenarios), BENCH_SKIP=scripts,cost; BENCH_LARGE=1 adds the large-table section
 * (bench/large.ts, also `npm run bench:large` alone). A partial run (BENCH_ONLY or BENCH_SKIP) keeps the
 * previous results.json's figures for what it did not measure, so one row can be measured again alone.
 */
import { readFile, writeFile, mkdir, rm } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { findOperation } from '../generators/index.js';
import { startLocalCluster } from '../src/rehearse/cluster.js';
import { closeQuietly, connect } from '../src/rehearse/connect.js';
import { rehearse } from '../src/rehearse/rehearse.js';
import { buildReport, type Report } from '../src/rehearse/report.js';
import { runMigration } from '../src/rehearse/runner.js';
import { addedColumns, seedTable, type ExtraColumn } from '../src/rehearse/seed.js';
import { regclass } from '../src/plan/recipes/index.js';
import type { Answers, Operation } from '../src/operation.js';
import type { Plan } from '../src/plan/types.js';
import { SCENARIOS, type Scenario } from './naive.js';
import { REPO, SCRIPT_TARGETS, generate, runScript, type ScriptRun } from './backfill-scripts.js';
import { generatorCost, type Cost } from './generator-cost.js';
import { machine } from './machine.js';
import { runLarge } from './large.js';
import { runProc } from './proc.js';
import { renderResults, type BenchResults, type ScenarioResult, type SideResult } from './results.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 4);
const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',')) : null;
const SKIP = new Set((process.env.BENCH_SKIP ?? '').split(',').filter(Boolean));
const TEMPLATE = 'bench_template';
const SETTINGS = { lockTimeout: '1s', batchSize: 1000, pauseMs: 0 };
const started = Date.now();
const log = (line: string) => process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${line}\n`);

async function admin<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = await connect(url, { name: 'migscaffold-bench' });
  try {
    return await fn(c);
  } finally {
    await closeQuietly(c);
  }
}

let dbSeq = 0;
async function freshDb(adminUrl: string, port: number, template = TEMPLATE): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `bench_${++dbSeq}`;
  await admin(adminUrl, (c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${template}`));
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/${name}`,
    drop: () => admin(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => {}),
  };
}

function side(report: Report): SideResult {
  return {
    baseline: { p99Ms: report.baseline.p99Ms, maxMs: report.baseline.maxMs, queries: report.baseline.queries },
    maxStallMs: report.totals.maxStallMs,
    maxLockWaitMs: Math.max(0, ...report.phases.map((p) => p.appLockWaitMaxMs)),
    failed: report.totals.appFailed,
    queries: report.totals.appQueries,
    workMs: report.totals.workMs,
    phases: report.phases.map((p) => ({
      key: p.key,
      kind: p.kind,
      title: p.title,
      durationMs: p.durationMs,
      maxMs: p.app.maxMs,
      p99Ms: p.app.p99Ms,
      failed: p.app.failed,
      lockWaitMs: p.appLockWaitMaxMs,
      xactMaxMs: p.migrationXactMaxMs,
      locks: p.locks,
      rowsPerSec: p.backfill?.rowsPerSec,
      maxBatchMs: p.backfill?.maxBatchMs,
      error: p.error,
      firstError: p.app.errors[0]?.message,
    })),
    problems: report.problems,
  };
}

async function runSide(url: string, plan: Plan | ((a: Answers) => Plan), operation: Operation, answers: Answers, setup: string[] = []): Promise<Report> {
  await admin(url, async (c) => {
    for (const sql of setup) await c.query(sql);
    if (setup.length) await c.query('VACUUM ANALYZE users');
  });
  const res = await rehearse({ url, plan, operation, answers, rows: 0, clients: CLIENTS, baselineMs: 2000, dwellMs: 1000, timeLimitMs: 20 * 60_000, thinkMs: 5, log: (l) => log(`  ${l}`) });
  const p = res.plan;
  return buildReport(res, { operation: p.operation, plan: p.name, title: p.title, table: 'users', clients: CLIENTS, maxStallMs: 100, phaseCount: p.phases.length });
}

/**
 * The template a scenario starts from: the shared one, or, when its operation's rehearsal seed needs
 * columns the shared table lacks (a foreign key's referencing column), one of its own, seeded once, so
 * the other scenarios' table stays as it was.
 */
const templates = new Map<string, string>();
async function templateFor(extras: ExtraColumn[], adminUrl: string, port: number): Promise<string> {
  const added = addedColumns(extras, 'id');
  if (added.length === 0) return TEMPLATE;
  const key = JSON.stringify(added);
  const known = templates.get(key);
  if (known) return known;
  const name = `${TEMPLATE}_${templates.size + 1}`;
  log(`seeding ${ROWS.toLocaleString('en-US')} rows into ${name} (with ${added.map((c) => c.name).join(', ')})`);
  await admin(adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = `postgresql://postgres@127.0.0.1:${port}/${name}`;
  await admin(url, (c) => seedTable(c, { name: 'users' }, { rows: ROWS, key: 'id', extras: added, log: (l) => log(`  ${l}`) }));
  await admin(url, (c) => c.query('CHECKPOINT'));
  templates.set(key, name);
  return name;
}

async function scenario(s: Scenario, adminUrl: string, port: number): Promise<ScenarioResult> {
  const op = s.operation;
  const answers: Answers = { ...s.answers };
  for (const f of op.fields) if (answers[f.name] === undefined && f.default !== undefined) answers[f.name] = f.default;
  const template = await templateFor(op.rehearsal.seed(answers), adminUrl, port);
  // Our plan is built on the copy, from what it shows (as generation's --database-url would read it).
  log(`${s.name}: ours`);
  const loadOurs = loadavg()[0];
  const a = await freshDb(adminUrl, port, template);
  const oursReport = await runSide(a.url, (x) => op.plan(x, SETTINGS), op, answers, s.setup).finally(() => a.drop());
  log(`${s.name}: naive`);
  const loadNaive = loadavg()[0];
  const b = await freshDb(adminUrl, port, template);
  const naiveReport = await runSide(b.url, s.naive, op, answers, s.setup).finally(() => b.drop());
  return { name: s.name, operation: op.name, label: s.label, args: s.args, naiveSummary: s.naiveSummary, ours: { ...side(oursReport), loadAvg: loadOurs }, naive: { ...side(naiveReport), loadAvg: loadNaive } };
}

/** Fresh copy of the table with the rename's expand migration applied (new column + sync trigger). */
async function expandedCopy(adminUrl: string, port: number) {
  const db = await freshDb(adminUrl, port);
  const op = findOperation('rename-column')!;
  const plan = op.plan({ table: 'users', from: 'name', to: 'full_name', key: 'id' }, SETTINGS);
  const expand = plan.phases[0];
  if (expand.kind !== 'migrate') throw new Error('rename plan: first phase is not a migration');
  await admin(db.url, async (c) => {
    for (const m of expand.migrations) await runMigration(c, m, { lockTimeout: '1s', tableRegclass: `ARRAY[${regclass({ name: 'users' })}::oid]` });
    await c.query('CHECKPOINT');
  });
  return db;
}

async function singleUpdate(adminUrl: string, port: number): Promise<ScriptRun> {
  const db = await expandedCopy(adminUrl, port);
  try {
    return await admin(db.url, async (c) => {
      const t0 = performance.now();
      const r = await c.query('UPDATE users SET full_name = name');
      const secs = (performance.now() - t0) / 1000;
      return {
        target: 'single UPDATE',
        language: 'one `UPDATE users SET full_name = name` (autocommit)',
        ok: true,
        rows: r.rowCount ?? 0,
        rowsPerSec: (r.rowCount ?? 0) / secs,
        loopSec: secs,
        wallSec: secs,
        batches: 1,
        maxBatchGapMs: secs * 1000,
        p99BatchGapMs: secs * 1000,
        maxXactMs: Math.round(secs * 1000),
      };
    });
  } finally {
    await db.drop();
  }
}

/**
 * The figures of this partial run, with the previous run's for what this one skipped (rows sharing a
 * table must come from the same row count and settings, so a previous file with others is not kept).
 */
async function keepPrevious(fresh: BenchResults): Promise<BenchResults> {
  let prev: BenchResults;
  try {
    prev = JSON.parse(await readFile(join(REPO, 'bench', 'results.json'), 'utf8')) as BenchResults;
  } catch {
    return fresh;
  }
  if (prev.rows !== fresh.rows || prev.clients !== fresh.clients || JSON.stringify(prev.settings) !== JSON.stringify(fresh.settings)) {
    log('previous bench/results.json used other rows, clients or settings: not kept');
    return fresh;
  }
  const measured = new Set(fresh.scenarios.map((s) => s.name));
  const order = SCENARIOS.map((s) => s.name);
  const scenarios = [...prev.scenarios.filter((s) => !measured.has(s.name)), ...fresh.scenarios].sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  const kept = prev.scenarios.filter((s) => !measured.has(s.name)).map((s) => s.name);
  if (kept.length) log(`kept the previous figures of ${kept.join(', ')}`);
  return {
    ...fresh,
    loadAvg: prev.loadAvg,
    date: prev.date,
    totalSec: prev.totalSec,
    updated: [...(prev.updated ?? []), { date: fresh.date, what: [...measured, ...(SKIP.has('scripts') ? [] : ['scripts']), ...(SKIP.has('cost') ? [] : ['cost'])], sec: fresh.totalSec }],
    scenarios,
    scripts: SKIP.has('scripts') ? prev.scripts : fresh.scripts,
    cost: SKIP.has('cost') ? prev.cost : fresh.cost,
  };
}

async function main(): Promise<void> {
  const startLoad = loadavg();
  log(`building dist/ (the CLI the scripts are generated with)`);
  const build = await runProc(process.execPath, [join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: REPO, timeoutMs: 5 * 60_000 });
  if (build.code !== 0) log(`warning: build failed, using the existing dist/: ${build.stdout.slice(0, 500)}`);

  log('starting a throwaway PostgreSQL cluster');
  const cluster = await startLocalCluster({ log, database: TEMPLATE });
  try {
    const version = await admin(cluster.url, async (c) => (await c.query<{ v: string }>('SELECT version() AS v')).rows[0].v);
    log(`seeding ${ROWS.toLocaleString('en-US')} rows into the template database`);
    await admin(cluster.url, (c) => seedTable(c, { name: 'users' }, { rows: ROWS, key: 'id', extras: [], log: (l) => log(`  ${l}`) }));
    await admin(cluster.url, (c) => c.query('CHECKPOINT'));
    const tableSize = await admin(cluster.url, async (c) => (await c.query<{ s: string }>(`SELECT pg_size_pretty(pg_total_relation_size('users')) AS s`)).rows[0].s);

    const scenarios: ScenarioResult[] = [];
    for (const s of SCENARIOS) if (!ONLY || ONLY.has(s.name)) scenarios.push(await scenario(s, cluster.adminUrl, cluster.port));

    const scripts: ScriptRun[] = [];
    if (!SKIP.has('scripts')) {
      const root = join(REPO, '.tmp', 'bench-scripts');
      await mkdir(root, { recursive: true });
      // Bracketed: a single UPDATE on a fresh copy before the first script, between every two and
      // after the last; each script's reference is the mean of the UPDATEs on either side of it, so
      // load from other processes on this shared machine hits both sides of each ratio alike.
      const refs: ScriptRun[] = [];
      const runRef = async (label: string) => {
        log(`backfill scripts: single UPDATE (${label})`);
        const x = { ...(await singleUpdate(cluster.adminUrl, cluster.port)), target: `single UPDATE (${label})`, loadAvg: loadavg()[0] };
        refs.push(x);
        scripts.push(x);
        return x;
      };
      let before = await runRef('reference 1');
      for (const [i, t] of SCRIPT_TARGETS.entries()) {
        const file = await generate(t, root);
        const db = await expandedCopy(cluster.adminUrl, cluster.port);
        log(`backfill scripts: ${t.language}`);
        let run: ScriptRun;
        try {
          const load = loadavg()[0];
          run = { ...(await runScript(t, file, db.url)), loadAvg: load };
        } finally {
          await db.drop();
        }
        scripts.push(run);
        const after = await runRef(`reference ${i + 2}`);
        run.refRowsPerSec = (before.rowsPerSec + after.rowsPerSec) / 2;
        before = after;
      }
      await rm(root, { recursive: true, force: true });
    }

    let cost: Cost[] = [];
    if (!SKIP.has('cost')) {
      log('generator cost');
      cost = await generatorCost(10);
    }

    const endLoad = loadavg();
    const fresh: BenchResults = {
      loadAvg: { start: startLoad, end: endLoad },
      date: new Date().toISOString(),
      machine: machine(),
      postgres: version,
      rows: ROWS,
      tableSize,
      clients: CLIENTS,
      settings: SETTINGS,
      totalSec: Math.round((Date.now() - started) / 1000),
      scenarios,
      scripts,
      cost,
    };
    const results = ONLY || SKIP.size ? await keepPrevious(fresh) : fresh;
    await writeFile(join(REPO, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
    await writeFile(join(REPO, 'bench', 'RESULTS.md'), renderResults(results));
    log(`wrote bench/RESULTS.md and bench/results.json in ${fresh.totalSec} s`);
  } finally {
    await cluster.stop();
  }
}

main().catch((e) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exitCode = 1;
});
