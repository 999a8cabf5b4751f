/**
 * The partitioned-index scenario of the large-table bench: an index on a table range-partitioned by
 * its key (seeded as `rehearse --partitions` seeds it), built our way (add-index's plan: the parent
 * ON ONLY, each partition CONCURRENTLY, attached) against the naive `CREATE INDEX ON parent (col)`,
 * which takes SHARE on the parent and every partition, so writes to all of them wait for the whole
 * build. Both run through the rehearse machinery (src/rehearse/rehearse.ts) under the same
 * application clients, each on a fresh FILE_COPY of one seeded template, on the bench's primary with
 * its streaming standby (the replica lag of the build phase is reported too).
 */
import { loadavg } from 'node:os';
import pg from 'pg';
import { sql } from './sql.js';
import { findOperation } from '../generators/index.js';
import { naiveDeploy, naiveMigrate, naivePlan } from '../src/bench-scenario.js';
import type { Answers } from '../src/operation.js';
import type { Plan } from '../src/plan/types.js';
import { rehearse } from '../src/rehearse/rehearse.js';
import { buildReport } from '../src/rehearse/report.js';
import { seedTable } from '../src/rehearse/seed.js';
import type { Replicated } from '../test/support/replica.js';

export interface PartitionedSide {
  label: string;
  /** The build phase's own time, s. */
  buildSeconds: number;
  /** Longest application query before the first phase (the machine's noise), ms. */
  appBaselineMaxMs: number;
  /** Longest application query during the whole run (phases and their dwell), ms. */
  appMaxMs: number;
  appP99Ms: number;
  /** Longest wait of an application query on a heavyweight lock (sampled), ms. */
  appLockWaitMaxMs: number;
  appQueries: number;
  appFailed: number;
  /** Partitions with a valid index attached to the parent's at the end, and the parent's validity. */
  partitionsIndexed: number;
  parentValid: boolean;
  /** Most WAL the standby had not replayed during the build phase, MiB. */
  maxUnreplayedMiB: number | null;
  problems: string[];
  loadAvg: number;
}

export interface PartitionedSize {
  rows: number;
  partitions: number;
  tableSize: string;
  ours: PartitionedSide;
  naive: PartitionedSide;
}

export interface PartitionedResults {
  date: string;
  postgres: string;
  clients: number;
  totalSeconds: number;
  sizes: PartitionedSize[];
}

const INDEX = 'users_name_idx';
const ANSWERS: Answers = { table: 'users', columns: ['name'], unique: false, using: 'btree', key: 'id' };
const SETTINGS = { lockTimeout: '1s', batchSize: 1000, pauseMs: 0 };


/** The naive way, as a plan the runner runs: one CREATE INDEX on the parent in one transaction. */
function naive(): Plan {
  return naivePlan('add-index', 'naive_create_index_on_parent', [
    naiveMigrate('create-index', 'CREATE INDEX on the parent', `CREATE INDEX ${INDEX} ON users (name);`, 'SHARE'),
    naiveDeploy('use', 'Deploy code that relies on the index', { kind: 'use-index', table: 'users', index: INDEX }),
  ]);
}

async function side(rep: Replicated, db: string, label: string, plan: Plan | ((a: Answers) => Plan), clients: number, log: (l: string) => void): Promise<PartitionedSide> {
  const url = rep.url(db);
  const op = findOperation('add-index')!;
  const load = loadavg()[0];
  const res = await rehearse({
    url,
    plan,
    operation: op,
    answers: ANSWERS,
    rows: 0,
    clients,
    baselineMs: 2000,
    dwellMs: 1000,
    timeLimitMs: 60 * 60_000,
    thinkMs: 5,
    replica: { ready: () => rep.caughtUp(30 * 60_000) },
    log: (l) => log(`  ${l}`),
  });
  const p = res.plan;
  const report = buildReport(res, { operation: p.operation, plan: p.name, title: p.title, table: 'users', clients, maxStallMs: 100, phaseCount: p.phases.length });
  const build = report.phases[0];
  const [state] = await sql<{ indexed: number; valid: boolean | null }>(
    url,
    `SELECT (SELECT count(*)::int FROM pg_inherits i JOIN pg_index x ON x.indexrelid = i.inhrelid
              WHERE i.inhparent = to_regclass('${INDEX}') AND x.indisvalid) AS indexed,
            (SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('${INDEX}')) AS valid`,
  );
  const all = report.phases.map((x) => x.app);
  const latencies = all.map((a) => a.p99Ms);
  return {
    label,
    buildSeconds: build.durationMs / 1000,
    appBaselineMaxMs: report.baseline.maxMs,
    appMaxMs: report.totals.maxStallMs,
    appP99Ms: Math.max(0, ...latencies),
    appLockWaitMaxMs: Math.max(0, ...report.phases.map((x) => x.appLockWaitMaxMs)),
    appQueries: report.totals.appQueries,
    appFailed: report.totals.appFailed,
    partitionsIndexed: state.indexed,
    parentValid: state.valid === true,
    maxUnreplayedMiB: build.replica ? build.replica.maxLagBytes / 2 ** 20 : null,
    // The stall limit given is the bench's yardstick, not a pass mark: the figures are the result.
    problems: report.problems.filter((x) => !/an application query took/.test(x)),
    loadAvg: load,
  };
}

export async function runPartitionedIndex(
  rep: Replicated,
  o: { sizes: number[]; partitions: number; clients: number; log: (l: string) => void },
): Promise<PartitionedResults> {
  const started = Date.now();
  const postgres = (await sql<{ v: string }>(rep.primary.adminUrl, 'SELECT version() AS v'))[0].v;
  const sizes: PartitionedSize[] = [];
  for (const rows of o.sizes) {
    const tpl = `part_${rows}`;
    o.log(`partitioned index, ${rows.toLocaleString('en-US')} rows in ${o.partitions} partitions: seeding the template`);
    await sql(rep.primary.adminUrl, `CREATE DATABASE ${tpl}`);
    const c = new pg.Client({ connectionString: rep.url(tpl) });
    await c.connect();
    try {
      const extras = findOperation('add-index')!.rehearsal.seed(ANSWERS);
      await seedTable(c, { name: 'users' }, { rows, key: 'id', extras, partitions: o.partitions, log: (l) => o.log(`  ${l}`) });
    } finally {
      await c.end();
    }
    await sql(rep.primary.adminUrl, 'CHECKPOINT');
    const tableSize = (
      await sql<{ s: string }>(rep.url(tpl), `SELECT pg_size_pretty(sum(pg_total_relation_size(inhrelid))) AS s FROM pg_inherits WHERE inhparent = 'users'::regclass`)
    )[0].s;
    const run = async (n: string, label: string, plan: Plan | ((a: Answers) => Plan)) => {
      const db = `${tpl}_${n}`;
      await sql(rep.primary.adminUrl, `CREATE DATABASE ${db} TEMPLATE ${tpl} STRATEGY FILE_COPY`);
      try {
        o.log(`partitioned index, ${rows.toLocaleString('en-US')} rows: ${label}`);
        const s = await side(rep, db, label, plan, o.clients, o.log);
        o.log(`  build ${s.buildSeconds.toFixed(1)} s, app max ${s.appMaxMs.toFixed(0)} ms, ${s.appFailed} failed`);
        return s;
      } finally {
        await sql(rep.primary.adminUrl, `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
      }
    };
    const op = findOperation('add-index')!;
    const ours = await run('ours', 'migscaffold add-index (ON ONLY, each partition CONCURRENTLY, ATTACH)', (a) => op.plan(a, SETTINGS));
    const naiveSide = await run('naive', 'CREATE INDEX ON users (name) (the parent)', naive());
    sizes.push({ rows, partitions: o.partitions, tableSize, ours, naive: naiveSide });
    await sql(rep.primary.adminUrl, `DROP DATABASE ${tpl}`);
  }
  return { date: new Date().toISOString(), postgres, clients: o.clients, totalSeconds: (Date.now() - started) / 1000, sizes };
}

export function renderPartitionedIndex(r: PartitionedResults): string[] {
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  const lines = [
    `## An index on a partitioned table: ours against \`CREATE INDEX\` on the parent (${r.clients} app clients)`,
    '',
    `${r.date}, ${r.postgres.split(',')[0]}; whole section ${n(r.totalSeconds)} s. The table is \`users\` range-partitioned by id (as`,
    '`rehearse --partitions` seeds it), the index is on `name`; both ways run through the rehearse runner under the same',
    'application clients (reads by key, updates of name and updated_at, inserts), each on a fresh copy of one seeded table.',
    'Ours: the parent index `ON ONLY`, then each partition `CREATE INDEX CONCURRENTLY` and `ATTACH` (as Alembic and Rails run',
    'it). Naive: one `CREATE INDEX ON users (name)`, which holds SHARE on the parent and every partition for the whole build.',
    '"app max" is the longest application query of the whole run (the build, a 1 s dwell after each phase, the deploy);',
    '"before" is the longest in the 2 s before the first phase, the machine\'s own noise.',
    '',
    '| rows | partitions | way | build s | app max ms before | app max ms | app p99 ms (worst phase) | longest app lock wait ms | app queries | failed app queries | partitions indexed | parent valid | max WAL not replayed MiB | load |',
    '|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|',
  ];
  for (const s of r.sizes)
    for (const x of [s.ours, s.naive])
      lines.push(
        `| ${n(s.rows)} | ${s.partitions} | ${x.label} | ${x.buildSeconds.toFixed(1)} | ${x.appBaselineMaxMs.toFixed(0)} | ${x.appMaxMs.toFixed(0)} | ${x.appP99Ms.toFixed(1)} | ${x.appLockWaitMaxMs.toFixed(0)} | ${n(x.appQueries)} | ${x.appFailed} | ${x.partitionsIndexed} | ${x.parentValid ? 'yes' : 'no'} | ${x.maxUnreplayedMiB === null ? '-' : x.maxUnreplayedMiB.toFixed(1)} | ${x.loadAvg.toFixed(1)} |`,
      );
  const problems = r.sizes.flatMap((s) => [s.ours, s.naive].flatMap((x) => x.problems.map((p) => `${n(s.rows)} rows, ${x.label}: ${p}`)));
  if (problems.length) lines.push('', 'Problems the runs reported:', '', ...problems.map((p) => `- ${p}`));
  lines.push('', `Table sizes (all partitions, with indexes): ${r.sizes.map((s) => `${n(s.rows)} rows: ${s.tableSize}`).join('; ')}.`);
  return lines;
}
