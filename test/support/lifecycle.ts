/**
 * The lifecycle every generated migration set goes through in test/integration/generated-*.test.ts:
 *
 *   1. a database with a realistic `users` table (2,000 rows, an index on email); its schema dump;
 *   2. generate into a temp project with the real CLI entry point (`main` from src/cli/main.ts,
 *      real effects, `--out`, `--json`);
 *   3. every phase in checklist order: each migration id applied with the real tool, the backfill
 *      script run with its real interpreter (interrupted half way, resumed, run again), simulated
 *      "old code" / "new code" writes in between;
 *   4. after every phase: the table's catalog state (columns, types, nullability, defaults, indexes
 *      and their validity, constraints and their validation, triggers, functions) against the case's
 *      expected model, and the phase's verification queries from the plan (`expectValue`);
 *   5. every migration rolled back with the tool's own down, in reverse order, the catalog state
 *      checked after each phase's rollback, and the pg_dump of the schema compared with the start;
 *   6. everything applied again (and compared with the first forward pass).
 *
 * The SQL under test is only ever what the generator wrote: the harness reads the generated files and
 * the plan (for its verification queries), never its own copy of the recipes.
 */
import { spawn } from 'node:child_process';
import { copyFile, mkdir, readdir, readFile, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { inject, type ExpectStatic } from 'vitest';
import { findOperation } from '../../generators/index.js';
import { main } from '../../src/cli/main.js';
import { realEffects } from '../../src/effects.js';
import type { Answers } from '../../src/operation.js';
import { declaredTable, fromPrisma, fromSchemaRb } from '../../src/project/known-schema.js';
import type { OperationName, Phase, Plan, Verify } from '../../src/plan/types.js';
import {
  createDatabase,
  dropDatabase,
  makeTempDir,
  MIGRATION_BOOKKEEPING_TABLES,
  query,
  schemaDump,
  uniqueDbName,
} from './pg.js';
import {
  alembic,
  cleanEnv,
  dbmate,
  makeAlembicProject,
  prismaApply,
  prismaRollback,
  prismaValidate,
  PSQL_BIN,
  rails,
  REPO_ROOT,
  RUBY_BIN,
  runCommand,
  sqlApplyFile,
  SYSTEM_PYTHON,
  type RunResult,
} from './tools.js';
import { diffBothWays } from './prisma-engine.js';
import { applyChecklistHunks, checklistSchemaStep } from './checklist-schema.js';

/**
 * Concurrent tests must assert with their own `expect` (vitest attributes a global expect's failure to
 * whichever test is current): every function here takes the test's `expect`, or reads it from ctx.
 */
export type Expect = ExpectStatic;

export const ROWS = 2000;
export const TIMESTAMP = '20260115093000';
export const REV_ID = '0123456789ab';
/** What the CLI uses when no --lock-timeout / --batch-size / --pause-ms is given. */
const SETTINGS = { lockTimeout: '1s', batchSize: 1000, pauseMs: 0 };
const NO_BOOKKEEPING = { excludeTables: MIGRATION_BOOKKEEPING_TABLES };

export type DriverName = 'alembic' | 'prisma' | 'rails' | 'sql' | 'dbmate';
export const DRIVER_NAMES: readonly DriverName[] = ['alembic', 'prisma', 'rails', 'sql', 'dbmate'];

// ---------------------------------------------------------------------------------------------
// The starting table

export interface ExtraColumn {
  name: string;
  ddl: string;
  /** Seed value as SQL over `g` (1..ROWS). */
  seed: string;
}

export interface TableSpec {
  /**
   * Put this column last. PostgreSQL cannot put a re-added column back in its old position, so a
   * rollback that re-creates a dropped column (rename's contract, remove-column's drop) only gives
   * back an identical pg_dump when that column was the last one to begin with.
   */
  last?: string;
  extra?: ExtraColumn[];
  /** The key column instead of `id bigserial PRIMARY KEY` (the same name, another type). */
  key?: ExtraColumn;
  /** More statements of the starting schema, run after the table is created (indexes, constraints), beside users_email_idx. */
  ddl?: string[];
  /** Other tables the case needs from the start (a foreign key's referenced table). */
  tables?: ExtraTable[];
  /**
   * Range-partition users by id into this many partitions users_p0.. (the last one open-ended, the
   * first one starting at 1, so a test can add users_old FROM (MINVALUE) TO (1) later).
   */
  partitions?: number;
}

/** The partitions' DDL: users_p0 FROM (1), ..., the last TO (MAXVALUE); ROWS spread evenly. */
export function partitionDdl(n: number): string[] {
  const size = Math.ceil(ROWS / n);
  return Array.from({ length: n }, (_, k) => {
    const from = k * size + 1;
    const to = k === n - 1 ? 'MAXVALUE' : String((k + 1) * size + 1);
    return `CREATE TABLE users_p${k} PARTITION OF users FOR VALUES FROM (${from}) TO (${to});`;
  });
}

/**
 * A table created before users, as part of the starting schema: in the starting pg_dump every
 * rollback must come back to, in the Prisma project's baseline migration, and in its schema.prisma.
 */
export interface ExtraTable {
  /** CREATE TABLE (and its indexes), run before users is created. */
  ddl: string;
  /** SQL filling it, run before users is seeded. */
  seed?: string;
  /** Its model in the Prisma project's starting schema.prisma. */
  prismaModel: string;
}

const BASE_COLUMNS: ExtraColumn[] = [
  { name: 'id', ddl: 'id bigserial PRIMARY KEY', seed: '' },
  { name: 'email', ddl: 'email text NOT NULL', seed: `'user' || g || '@example.' || CASE WHEN g % 2 = 0 THEN 'com' ELSE 'org' END` },
  // A quote and a non-ASCII letter now and then: values must survive every copy byte for byte.
  { name: 'name', ddl: `name text NOT NULL DEFAULT 'anon'`, seed: `'User ' || g || CASE WHEN g % 100 = 0 THEN ' O''Brien-Müller' ELSE '' END` },
  { name: 'created_at', ddl: 'created_at timestamptz NOT NULL DEFAULT now()', seed: `timestamptz '2025-01-01 00:00:00+00' + g * interval '1 hour'` },
  { name: 'deprecated_flag', ddl: 'deprecated_flag boolean', seed: 'CASE WHEN g % 3 = 0 THEN NULL ELSE g % 3 = 1 END' },
];

function startingColumns(spec: TableSpec): ExtraColumn[] {
  const cols = [spec.key ?? BASE_COLUMNS[0], ...BASE_COLUMNS.slice(1), ...(spec.extra ?? [])];
  return spec.last ? [...cols.filter((c) => c.name !== spec.last), cols.find((c) => c.name === spec.last)!] : cols;
}

/** The starting table's DDL (also the Prisma project's baseline migration). */
export function startingDdl(spec: TableSpec = {}): string {
  const others = (spec.tables ?? []).map((t) => `${t.ddl.replace(/;?\s*$/, '')};\n`).join('');
  const ddl = ['CREATE INDEX users_email_idx ON users (email)', ...(spec.ddl ?? [])];
  const partitioned = spec.partitions ? ' PARTITION BY RANGE (id)' : '';
  const parts = spec.partitions ? partitionDdl(spec.partitions).map((d) => `${d}\n`).join('') : '';
  return `${others}CREATE TABLE users (\n  ${startingColumns(spec).map((c) => c.ddl).join(',\n  ')}\n)${partitioned};\n${parts}${ddl.map((d) => `${d};\n`).join('')}`;
}

export async function createStartingTable(url: string, spec: TableSpec = {}): Promise<void> {
  const seeded = startingColumns(spec).filter((c) => c.seed);
  await query(
    url,
    [
      startingDdl(spec),
      ...(spec.tables ?? []).flatMap((t) => (t.seed ? [t.seed] : [])),
      `INSERT INTO users (${seeded.map((c) => c.name).join(', ')}) SELECT ${seeded.map((c) => c.seed).join(', ')} FROM generate_series(1, ${ROWS}) AS g`,
      'ANALYZE users',
    ].join(';\n'),
  );
}

// ---------------------------------------------------------------------------------------------
// The catalog state of the table

export interface TableSnapshot {
  /** By name (sorted): the dump at the end checks the order. */
  columns: Record<string, { type: string; notNull: boolean; default: string | null }>;
  indexes: Record<string, { def: string; valid: boolean; ready: boolean }>;
  constraints: Record<string, { def: string; validated: boolean }>;
  triggers: Record<string, string>;
  /** Functions in schema public (the rename's sync function), with their definition. */
  functions: Record<string, string>;
}

export async function snapshot(client: pg.Client): Promise<TableSnapshot> {
  // to_regclass: a table that was renamed away (rename-table) reads as one with nothing in it.
  const t = `to_regclass('public.users')`;
  const cols = await client.query(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
            pg_get_expr(d.adbin, d.adrelid) AS def
       FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attrelid = ${t} AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attname`,
  );
  const idx = await client.query(
    `SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS def, i.indisvalid AS valid, i.indisready AS ready
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = ${t} ORDER BY 1`,
  );
  const cons = await client.query(
    `SELECT conname AS name, pg_get_constraintdef(oid) AS def, convalidated AS validated
       FROM pg_constraint WHERE conrelid = ${t} ORDER BY 1`,
  );
  const trg = await client.query(
    `SELECT tgname AS name, pg_get_triggerdef(oid) AS def FROM pg_trigger WHERE tgrelid = ${t} AND NOT tgisinternal ORDER BY 1`,
  );
  const fns = await client.query(
    `SELECT proname AS name, pg_get_functiondef(oid) AS def FROM pg_proc WHERE pronamespace = 'public'::regnamespace ORDER BY 1`,
  );
  return {
    columns: Object.fromEntries(cols.rows.map((r) => [r.name, { type: r.type, notNull: r.not_null, default: r.def }])),
    indexes: Object.fromEntries(idx.rows.map((r) => [r.name, { def: r.def, valid: r.valid, ready: r.ready }])),
    constraints: Object.fromEntries(cons.rows.map((r) => [r.name, { def: r.def, validated: r.validated }])),
    triggers: Object.fromEntries(trg.rows.map((r) => [r.name, r.def])),
    functions: Object.fromEntries(fns.rows.map((r) => [r.name, r.def])),
  };
}

// ---------------------------------------------------------------------------------------------
// Cases

export interface Ctx {
  /** The running test's own expect. */
  expect: Expect;
  url: string;
  dir: string;
  driver: DriverName;
  plan: Plan;
  /** Query on the case's connection (simple protocol when there are no params). */
  q<T extends pg.QueryResultRow = Record<string, any>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** First column of the first row. */
  val<T = any>(sql: string, params?: unknown[]): Promise<T>;
  /** Asserts that the statement fails with this SQLSTATE. */
  fails(sql: string, params: unknown[] | undefined, sqlstate: string): Promise<void>;
  /** Runs the generated backfill script to the end (throws on a non-zero exit). */
  backfill(opts?: BackfillOpts): Promise<RunResult>;
  /** Scratch space shared by a case's hooks. */
  notes: Record<string, any>;
}

export interface PhaseSpec {
  /** Expected catalog change made by this phase, applied to a copy of the state before it. */
  schema?: (s: TableSnapshot) => void;
  /** Simulated application writes / data checks before the phase's migrations run. */
  before?: (ctx: Ctx) => Promise<void>;
  /** Simulated application writes / data checks after the phase (and its checks). */
  after?: (ctx: Ctx) => Promise<void>;
}

export interface Case {
  /** Unique, used in test names and database names. */
  id: string;
  op: OperationName;
  /** The operation's flags, exactly as a user types them (`true` for a boolean flag). */
  flags: Record<string, string | true>;
  table?: TableSpec;
  /** Every phase of the plan, by key, in plan order (asserted). */
  phases: Record<string, PhaseSpec>;
  /** Before / after the rollback of the phase with this key. */
  beforeRollback?: Record<string, (ctx: Ctx) => Promise<void>>;
  afterRollback?: Record<string, (ctx: Ctx) => Promise<void>>;
  /**
   * Prisma target: field names for some columns in the project's starting schema.prisma (the others
   * are named after their column), so a field with @map is exercised.
   */
  prismaFields?: Record<string, string>;
  /** Prisma target: previewFeatures of the project's generator block. */
  prismaPreviewFeatures?: string[];
  /** Generate with `--database-url` (the case's database), so generation reads the columns from it. */
  introspect?: boolean;
  /** Files the project has before migscaffold runs (a db/schema.rb declaring the table), by path. */
  files?: Record<string, string>;
}

// ---------------------------------------------------------------------------------------------
// Generation through the real CLI entry point

interface CliJson {
  ok: boolean;
  answers: Answers;
  checklist: string;
  files: { path: string; status: string; role: string }[];
  phases: { number: number; key: string; kind: Phase['kind']; migrations: string[] }[];
}

export interface Generated {
  dir: string;
  json: CliJson;
  plan: Plan;
  /** Migration ids per phase key, in checklist order. */
  ids: Record<string, string[]>;
  migrationFiles: string[];
  backfillFile?: string;
  checklist: string;
}

function cliFlags(flags: Record<string, string | true>): string[] {
  return Object.entries(flags).flatMap(([k, v]) => (v === true ? [`--${k}`] : [`--${k}`, v]));
}

/**
 * The answers the CLI derives from the same flags: lists split on commas, then field defaults, then
 * what the project's declared schema (schema.prisma, db/schema.rb) completes.
 */
async function answersFor(op: OperationName, flags: Record<string, string | true>, driver: DriverName, dir: string): Promise<Answers> {
  const operation = findOperation(op)!;
  const answers: Answers = {};
  for (const f of operation.fields) {
    const raw = flags[f.name];
    if (raw !== undefined)
      answers[f.name] = f.kind === 'list' && typeof raw === 'string' ? raw.split(',').map((s) => s.trim()).filter(Boolean) : raw;
    else if (f.default !== undefined) answers[f.name] = f.default;
  }
  if (operation.complete) {
    const read = (path: string) => readFile(join(dir, path), 'utf8').catch(() => null);
    const prisma = driver === 'prisma' ? await read('prisma/schema.prisma') : null;
    const rb = driver === 'rails' ? await read('db/schema.rb') : null;
    const known = prisma !== null ? fromPrisma(prisma, 'prisma/schema.prisma') : rb !== null ? fromSchemaRb(rb, 'db/schema.rb') : null;
    operation.complete(answers, known && { source: known.source, table: declaredTable(known, operation, answers) });
  }
  return answers;
}

function generateArgv(c: Case, driver: Driver, dir: string, url?: string): string[] {
  const argv = [c.op, ...cliFlags(c.flags), ...driver.cliArgs, '--out', dir, '--yes', '--json', '--timestamp', TIMESTAMP, '--rev-id', REV_ID, '--all-phases'];
  if (c.introspect) argv.push('--database-url', url!);
  return argv;
}

export async function generate(expect: Expect, c: Case, driver: Driver, dir: string, url?: string): Promise<Generated> {
  const argv = generateArgv(c, driver, dir, url);
  // Before the run, which may edit schema.prisma: the declared schema as the CLI reads it.
  const answers = await answersFor(c.op, c.flags, driver.name, dir);
  const { code, stdout, stderr } = await runMigscaffold(argv);
  expect(code, `migscaffold ${argv.join(' ')}\n${stderr}`).toBe(0);
  const json = JSON.parse(stdout) as CliJson;
  expect(json.ok).toBe(true);
  expect(json.files.every((f) => f.status === (f.role === 'schema' ? 'update' : 'create')), JSON.stringify(json.files)).toBe(true);

  // The answers the CLI derived are these (and what it read from the database or a schema dump).
  expect(json.answers, 'answers of the CLI').toMatchObject(answers);
  const plan = findOperation(c.op)!.plan(json.answers, SETTINGS);
  // The plan we take verification queries from is the plan the CLI rendered.
  expect(json.phases.map((p) => [p.key, p.kind])).toEqual(plan.phases.map((p) => [p.key, p.kind]));
  expect(plan.phases.map((p) => p.key), 'phases of the plan (the case must describe each one)').toEqual(Object.keys(c.phases));
  const ids = Object.fromEntries(json.phases.map((p) => [p.key, p.migrations]));
  plan.phases.forEach((p) => expect(ids[p.key].length).toBe(p.kind === 'migrate' ? p.migrations.length : 0));

  // The checklist lists every migration id, in the order we apply them.
  const checklist = await readFile(join(dir, json.checklist), 'utf8');
  const all = json.phases.flatMap((p) => p.migrations);
  const positions = all.map((id) => checklist.indexOf(`Apply \`${id}\``));
  expect(positions.every((p) => p >= 0), `every migration id is in the checklist:\n${checklist}`).toBe(true);
  expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  // ...and every verification query we run, verbatim.
  for (const v of plan.phases.flatMap((p) => p.verify)) expect(checklist, 'verification query in the checklist').toContain(v.sql);

  return {
    dir,
    json,
    plan,
    ids,
    migrationFiles: json.files.filter((f) => f.role === 'migration').map((f) => join(dir, f.path)),
    backfillFile: json.files.find((f) => f.role === 'backfill') && join(dir, json.files.find((f) => f.role === 'backfill')!.path),
    checklist,
  };
}

// ---------------------------------------------------------------------------------------------
// Drivers: how each real tool applies and rolls back one migration id, and runs the backfill

export interface Start {
  ddl: string;
  snap: TableSnapshot;
  c: Case;
  opts: LifecycleOptions;
}

export interface BackfillOpts {
  batchSize?: number;
  pauseMs?: number;
  startAfter?: string;
  /** A partitioned table: the partition `startAfter` is a key of. */
  partition?: string;
  reverse?: boolean;
}

export interface Driver {
  name: DriverName;
  cliArgs: string[];
  /** The project before migscaffold runs; `start` is the starting table. */
  prepare(dir: string, start: Start): Promise<void>;
  afterGenerate?(gen: Generated): Promise<void>;
  apply(expect: Expect, url: string, gen: Generated, id: string): Promise<RunResult>;
  /**
   * Several migrations of one phase in one run of the tool (one deploy), where the tool can do that;
   * used by the re-apply pass. Default: one `apply` per id.
   */
  applyPhase?(expect: Expect, url: string, gen: Generated, ids: string[]): Promise<void>;
  rollback(expect: Expect, url: string, gen: Generated, id: string, previous: string | null): Promise<RunResult>;
  /**
   * The downs of one phase's migrations, in reverse order, in one run of the tool where it can do
   * that (`previous`: the migration before the phase). Default: one `rollback` per id.
   */
  rollbackPhase?(expect: Expect, url: string, gen: Generated, ids: string[], previous: string | null): Promise<void>;
  backfillCommand(url: string, file: string, o: BackfillOpts): { cmd: string; args: string[]; env: Record<string, string> };
  /** How the interrupted backfill run is stopped. */
  interrupt: NodeJS.Signals;
  /**
   * The documented command runs the script behind wrappers that relay the terminal's Ctrl-C
   * (`npx tsx`: npm exec and tsx's parent process each re-send it when the child has not
   * acknowledged it within 30 ms), so one keypress can reach the script more than once.
   */
  relayedSignals?: boolean;
  /** Exit code of the interrupted run. */
  interruptedExit: number;
  /** Whether the tool's bookkeeping records `id` as applied (null: the tool keeps none). */
  applied(url: string, id: string): Promise<boolean | null>;
}

async function recorded(url: string, table: string, where: string, id: string): Promise<boolean> {
  if ((await one(url, 'SELECT to_regclass($1)::text', [table])) === null) return false;
  return Number(await one(url, `SELECT count(*) FROM ${table} WHERE ${where}`, [id])) > 0;
}

const PY_ENV = { PYTHONDONTWRITEBYTECODE: '1', PYTHONNOUSERSITE: '1', PYTHONUNBUFFERED: '1' };

function scriptArgs(o: BackfillOpts): string[] {
  return [
    ...(o.batchSize ? ['--batch-size', String(o.batchSize)] : []),
    ...(o.pauseMs ? ['--pause-ms', String(o.pauseMs)] : []),
    ...(o.partition ? ['--partition', o.partition] : []),
    ...(o.startAfter ? ['--start-after', o.startAfter] : []),
    ...(o.reverse ? ['--reverse'] : []),
  ];
}

function onlyFile(expect: Expect, gen: Generated, prefix: string, suffix: string): string {
  const hits = gen.migrationFiles.filter((f) => f.startsWith(prefix) && f.endsWith(suffix));
  expect(hits, `exactly one file ${prefix}*${suffix}`).toHaveLength(1);
  return hits[0];
}

async function one(url: string, sql: string, params?: unknown[]): Promise<any> {
  const rows = await query(url, sql, params);
  return rows.length ? Object.values(rows[0])[0] : undefined;
}

/** The Prisma project's baseline migration: the starting table. */
export const PRISMA_BASELINE = '0_init';

export const DRIVERS: Record<DriverName, Driver> = {
  alembic: {
    name: 'alembic',
    cliArgs: ['--target', 'alembic'],
    async prepare(dir) {
      // The generator writes alembic/versions/ (its default script location): a project laid out so.
      const p = await makeAlembicProject(dir);
      await rename(p.scriptLocation, join(dir, 'alembic'));
      const ini = await readFile(p.ini, 'utf8');
      await writeFile(p.ini, ini.replace(/^script_location = migrations$/m, 'script_location = alembic'));
    },
    async apply(expect, url, gen, id) {
      const r = await alembic(gen.dir, ['upgrade', id], url);
      expect(await one(url, 'SELECT version_num FROM alembic_version')).toBe(id);
      return r;
    },
    async applyPhase(expect, url, gen, ids) {
      const r = await alembic(gen.dir, ['upgrade', ids[ids.length - 1]], url);
      for (const id of ids) expect(r.stderr).toContain(`-> ${id},`);
      expect(await one(url, 'SELECT version_num FROM alembic_version')).toBe(ids[ids.length - 1]);
    },
    async rollbackPhase(expect, url, gen, ids, previous) {
      const r = await alembic(gen.dir, ['downgrade', previous ?? 'base'], url);
      const order = [...ids].reverse().map((id) => r.stderr.indexOf(`Running downgrade ${id} ->`));
      expect(order.every((i) => i >= 0) && order.every((i, k) => k === 0 || i > order[k - 1]), r.stderr).toBe(true);
      expect(await one(url, 'SELECT version_num FROM alembic_version')).toBe(previous ?? undefined);
    },
    async rollback(expect, url, gen, id, previous) {
      const r = await alembic(gen.dir, ['downgrade', previous ?? 'base'], url);
      expect(await one(url, 'SELECT version_num FROM alembic_version')).toBe(previous ?? undefined);
      return r;
    },
    backfillCommand: (url, file, o) => ({ cmd: SYSTEM_PYTHON, args: [file, ...scriptArgs(o)], env: { ...PY_ENV, DATABASE_URL: url } }),
    interrupt: 'SIGINT',
    interruptedExit: 130,
    applied: (url, id) => recorded(url, 'alembic_version', 'version_num = $1', id),
  },
  rails: {
    name: 'rails',
    cliArgs: ['--target', 'rails', '--rails-version', '6.1'],
    async prepare(dir) {
      await mkdir(join(dir, 'db', 'migrate'), { recursive: true });
    },
    async apply(expect, url, gen, id) {
      const r = await rails(gen.dir, ['up', id], url);
      expect(await one(url, 'SELECT count(*)::int FROM schema_migrations WHERE version = $1', [id])).toBe(1);
      return r;
    },
    async applyPhase(expect, url, gen, ids) {
      await rails(gen.dir, ['migrate', ids[ids.length - 1]], url);
      for (const id of ids) expect(await one(url, 'SELECT count(*)::int FROM schema_migrations WHERE version = $1', [id])).toBe(1);
    },
    async rollbackPhase(expect, url, gen, ids) {
      const r = await rails(gen.dir, ['rollback', String(ids.length)], url);
      const order = [...ids].reverse().map((id) => r.stdout.indexOf(`== ${id} `));
      expect(order.every((i) => i >= 0) && order.every((i, k) => k === 0 || i > order[k - 1]), r.stdout).toBe(true);
      for (const id of ids) expect(await one(url, 'SELECT count(*)::int FROM schema_migrations WHERE version = $1', [id])).toBe(0);
    },
    async rollback(expect, url, gen, id) {
      const r = await rails(gen.dir, ['down', id], url);
      expect(await one(url, 'SELECT count(*)::int FROM schema_migrations WHERE version = $1', [id])).toBe(0);
      return r;
    },
    // `ruby script/x.rb` outside Rails: the script connects through DATABASE_URL itself.
    backfillCommand: (url, file, o) => ({ cmd: RUBY_BIN, args: [file, ...scriptArgs(o)], env: { DATABASE_URL: url } }),
    interrupt: 'SIGTERM',
    interruptedExit: 130,
    applied: (url, id) => recorded(url, 'schema_migrations', 'version = $1', id),
  },
  prisma: {
    name: 'prisma',
    cliArgs: ['--target', 'prisma'],
    async prepare(dir, start) {
      // The backfill imports `pg`: the project's node_modules is the repository's.
      await symlink(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
      // A project whose schema.prisma and migrations describe the starting table: a baseline
      // migration (as `prisma migrate diff --from-empty` makes one) and the schema it leads to.
      await mkdir(join(dir, 'prisma', 'migrations', PRISMA_BASELINE), { recursive: true });
      await writeFile(join(dir, 'prisma', 'migrations', 'migration_lock.toml'), 'provider = "postgresql"\n');
      await writeFile(join(dir, 'prisma', 'migrations', PRISMA_BASELINE, 'migration.sql'), start.opts.baseline ? start.opts.baseline(start.ddl) : start.ddl);
      const models = (start.c.table?.tables ?? []).map((t) => `\n${t.prismaModel.replace(/\n*$/, '\n')}`).join('');
      const schema = prismaSchema(start.snap, [], start.c.prismaFields, start.c.prismaPreviewFeatures) + models;
      await writeFile(join(dir, 'prisma', 'schema.prisma'), start.opts.startSchema ? start.opts.startSchema(schema) : schema);
    },
    async apply(expect, url, gen, id) {
      const r = await prismaApply(url, join(gen.dir, 'prisma', 'migrations', id));
      expect(r.skipped).toBe(false);
      return r;
    },
    async rollback(expect, url, gen, id) {
      return prismaRollback(url, join(gen.dir, 'prisma', 'migrations', id));
    },
    backfillCommand: (url, file, o) => ({
      cmd: process.execPath,
      args: [join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), file, ...scriptArgs(o)],
      env: { DATABASE_URL: url },
    }),
    interrupt: 'SIGINT',
    relayedSignals: true,
    interruptedExit: 130,
    applied: (url, id) => recorded(url, '_prisma_migrations', 'migration_name = $1 AND finished_at IS NOT NULL AND rolled_back_at IS NULL', id),
  },
  sql: {
    name: 'sql',
    cliArgs: ['--target', 'sql'],
    async prepare() {},
    apply: (expect, url, gen, id) => sqlApplyFile(url, onlyFile(expect, gen, join(gen.dir, 'db', 'migrations', `${id}_`), '.up.sql')),
    rollback: (expect, url, gen, id) => sqlApplyFile(url, onlyFile(expect, gen, join(gen.dir, 'db', 'migrations', `${id}_`), '.down.sql')),
    backfillCommand: (url, file, o) => psqlBackfill(url, file, o),
    interrupt: 'SIGINT',
    // psql sends a cancel for the running DO block; ON_ERROR_STOP makes it exit with 3.
    interruptedExit: 3,
    applied: async () => null,
  },
  dbmate: {
    name: 'dbmate',
    cliArgs: ['--target', 'sql', '--sql-style', 'dbmate'],
    async prepare() {},
    // Each phase ships from a commit holding only the files so far: the generated files wait in
    // db/pending/ and enter db/migrations/ one at a time, each followed by `dbmate migrate`.
    async afterGenerate(gen) {
      const from = join(gen.dir, 'db', 'migrations');
      await mkdir(join(gen.dir, 'db', 'pending'), { recursive: true });
      for (const f of await readdir(from)) await rename(join(from, f), join(gen.dir, 'db', 'pending', f));
    },
    async apply(expect, url, gen, id) {
      const f = (await readdir(join(gen.dir, 'db', 'pending'))).filter((x) => x.startsWith(`${id}_`));
      expect(f).toHaveLength(1);
      await copyFile(join(gen.dir, 'db', 'pending', f[0]), join(gen.dir, 'db', 'migrations', f[0]));
      const r = await dbmate(gen.dir, ['migrate', '--strict'], url);
      expect(r.stdout).toContain(`Applying: ${f[0]}`);
      expect(await one(url, 'SELECT count(*)::int FROM schema_migrations WHERE version = $1', [id])).toBe(1);
      return r;
    },
    async applyPhase(expect, url, gen, ids) {
      const pending = await readdir(join(gen.dir, 'db', 'pending'));
      const files = ids.map((id) => pending.find((x) => x.startsWith(`${id}_`))!);
      for (const f of files) await copyFile(join(gen.dir, 'db', 'pending', f), join(gen.dir, 'db', 'migrations', f));
      const r = await dbmate(gen.dir, ['migrate', '--strict'], url);
      for (const f of files) expect(r.stdout).toContain(`Applying: ${f}`);
    },
    async rollback(expect, url, gen, id) {
      const r = await dbmate(gen.dir, ['rollback'], url);
      expect(r.stdout).toContain(`Rolling back: ${id}_`);
      expect(await one(url, 'SELECT count(*)::int FROM schema_migrations WHERE version = $1', [id])).toBe(0);
      const f = (await readdir(join(gen.dir, 'db', 'migrations'))).filter((x) => x.startsWith(`${id}_`));
      await unlink(join(gen.dir, 'db', 'migrations', f[0]));
      return r;
    },
    backfillCommand: (url, file, o) => psqlBackfill(url, file, o),
    interrupt: 'SIGKILL',
    interruptedExit: 128 + osConstants.signals.SIGKILL,
    applied: (url, id) => recorded(url, 'schema_migrations', 'version = $1', id),
  },
};

function psqlBackfill(url: string, file: string, o: BackfillOpts) {
  const vars: string[] = [];
  if (o.batchSize) vars.push('-v', `batch_size=${o.batchSize}`);
  if (o.pauseMs) vars.push('-v', `pause_ms=${o.pauseMs}`);
  if (o.partition) vars.push('-v', `partition=${o.partition}`);
  if (o.startAfter) vars.push('-v', `start_after=${o.startAfter}`);
  if (o.reverse) vars.push('-v', 'reverse=1');
  return { cmd: PSQL_BIN, args: ['-X', '-v', 'ON_ERROR_STOP=1', ...vars, '-d', url, '-f', file], env: { DATABASE_URL: url, PGCONNECT_TIMEOUT: '15' } };
}

/** The CLI in this process, on the real file system, with its output captured (no prompts). */
export async function runMigscaffold(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    ...realEffects(),
    cwd: REPO_ROOT,
    interactive: false,
    env: {},
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
  });
  return { code, stdout, stderr };
}

/**
 * Runs a command (own process group, clean environment) and calls `onMatch` once, the first time its
 * output matches `pattern`; resolves when the command ends, whatever its exit code.
 */
export function runWatching(
  cmd: string,
  args: string[],
  env: Record<string, string>,
  cwd: string,
  pattern: RegExp,
  onMatch: (pid: number) => void | Promise<void>,
  timeoutMs = 90_000,
): Promise<RunResult & { matched: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    let matched = false;
    // Settled before the result: what onMatch did (an insert, a signal) is complete when the caller looks.
    let reaction: Promise<void> = Promise.resolve();
    const check = () => {
      if (!matched && pattern.test(stdout + stderr)) {
        matched = true;
        reaction = Promise.resolve(onMatch(child.pid!));
        reaction.catch(reject);
      }
    };
    child.stdout.setEncoding('utf8').on('data', (d: string) => ((stdout += d), check()));
    child.stderr.setEncoding('utf8').on('data', (d: string) => ((stderr += d), check()));
    const timer = setTimeout(() => {
      killGroup(child.pid!, 'SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')}: still running after ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      reaction.then(
        () => resolve({ code: code ?? 128 + (sig ? osConstants.signals[sig] : 0), stdout, stderr, matched }),
        reject,
      );
    });
  });
}

export function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    /* gone */
  }
}

/** Waits until no other client is connected to the case's database (a killed client's backend ends). */
export async function waitForOtherBackends(ctx: Ctx): Promise<void> {
  for (let i = 0; ; i++) {
    const others = Number(
      await ctx.val(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`),
    );
    if (others === 0) return;
    if (i > 300) throw new Error('another backend is still connected after 30 s');
    await new Promise((r) => setTimeout(r, 100));
  }
}

// ---------------------------------------------------------------------------------------------
// The lifecycle

export interface LifecycleOptions {
  /** Edit the generated files before anything runs (negative controls). */
  mutate?: (gen: Generated) => Promise<void>;
  /** Prisma: edit the project's schema.prisma before migscaffold runs (negative controls). */
  startSchema?: (text: string) => string;
  /** Prisma: edit the project's baseline migration (negative controls). */
  baseline?: (sql: string) => string;
  /**
   * Filled with the pg_dump --schema-only after every migrate phase and after rolling back each one
   * (`after <key>` / `rolled back <key>`), to compare the targets' databases step by step.
   */
  dumps?: [string, string][];
}

/** Verification queries of a phase, from the plan; those with `expectValue` must return it. */
async function runVerify(ctx: Ctx, phase: Phase, verify: Verify[]): Promise<void> {
  const { expect } = ctx;
  for (const v of verify) {
    const rows = await ctx.q(v.sql);
    if (v.expectValue === undefined) continue;
    const got = rows.length ? Object.values(rows[0])[0] : undefined;
    const norm = typeof v.expectValue === 'number' ? Number(got) : got;
    expect(norm, `phase ${phase.key}: ${v.sql}\n(expect: ${v.expect})`).toEqual(v.expectValue);
  }
}

function clone<T>(x: T): T {
  return structuredClone(x);
}

/** A case's database, project and generated files, ready for phases to be applied. */
export interface Prepared {
  url: string;
  dir: string;
  driver: Driver;
  gen: Generated;
  ctx: Ctx;
  client: pg.Client;
  startDump: string;
  startSnap: TableSnapshot;
  /** Prisma: the project's schema.prisma before migscaffold ran. */
  startPrismaSchema?: string;
  dispose(): Promise<void>;
}

export async function prepareCase(expect: Expect, c: Case, driverName: DriverName, opts: LifecycleOptions = {}): Promise<Prepared> {
  const info = inject('pg');
  const driver = DRIVERS[driverName];
  const dbName = uniqueDbName(`${driverName}_${c.id}`);
  const url = await createDatabase(info, dbName);
  const dir = await makeTempDir(info, `${driverName}-${c.id}`);
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  const dispose = async () => {
    await client.end().catch(() => {});
    await dropDatabase(info, dbName).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await client.connect();
    await createStartingTable(url, c.table);
    const startDump = await schemaDump(url, NO_BOOKKEEPING);
    const startSnap = await snapshot(client);

    await driver.prepare(dir, { ddl: startingDdl(c.table), snap: startSnap, c, opts });
    for (const [path, text] of Object.entries(c.files ?? {})) {
      await mkdir(join(dir, path, '..'), { recursive: true });
      await writeFile(join(dir, path), text);
    }
    const startPrismaSchema = driverName === 'prisma' ? await readFile(join(dir, 'prisma', 'schema.prisma'), 'utf8') : undefined;
    const gen = await generate(expect, c, driver, dir, url);
    await opts.mutate?.(gen);
    await driver.afterGenerate?.(gen);

    const ctx: Ctx = {
      expect,
      url,
      dir,
      driver: driverName,
      plan: gen.plan,
      q: async (sql, params) => (await client.query(sql, params)).rows,
      val: async <T>(sql: string, params?: unknown[]) => {
        const r = await client.query(sql, params);
        return (r.rows.length ? Object.values(r.rows[0])[0] : undefined) as T;
      },
      fails: async (sql, params, sqlstate) => {
        const err = await client.query(sql, params).then(
          () => null,
          (e: { code?: string; message?: string }) => e,
        );
        expect(err?.code, `${sql} must fail with SQLSTATE ${sqlstate} (got: ${err?.message ?? 'success'})`).toBe(sqlstate);
      },
      backfill: async (o = {}) => {
        const { cmd, args, env } = driver.backfillCommand(url, gen.backfillFile!, o);
        return runCommand(cmd, args, { cwd: dir, env });
      },
      notes: {},
    };
    return { url, dir, driver, gen, ctx, client, startDump, startSnap, startPrismaSchema, dispose };
  } catch (e) {
    await dispose();
    throw e;
  }
}

/** Every file under `dir` (relative path -> content), to tell whether a run wrote anything. */
async function filesUnder(dir: string, sub = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(join(dir, sub), { withFileTypes: true })) {
    const rel = sub ? join(sub, e.name) : e.name;
    if (e.isDirectory()) Object.assign(out, await filesUnder(dir, rel));
    else if (e.isFile()) out[rel] = await readFile(join(dir, rel), 'utf8');
  }
  return out;
}

/**
 * Runs the CLI for a case that generation must refuse: the project and the database as for the
 * lifecycle, then the same command line. Its exit code, its stderr, and whether the project changed.
 */
export async function refusedGeneration(c: Case, driverName: DriverName): Promise<{ code: number; stdout: string; stderr: string; filesBefore: Record<string, string>; filesAfter: Record<string, string> }> {
  const info = inject('pg');
  const driver = DRIVERS[driverName];
  const dbName = uniqueDbName(`${driverName}_${c.id}`);
  const url = await createDatabase(info, dbName);
  const dir = await makeTempDir(info, `${driverName}-${c.id}`);
  try {
    await createStartingTable(url, c.table);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const startSnap = await snapshot(client).finally(() => client.end());
    await driver.prepare(dir, { ddl: startingDdl(c.table), snap: startSnap, c, opts: {} });
    const filesBefore = await filesUnder(dir);
    const { code, stdout, stderr } = await runMigscaffold(generateArgv(c, driver, dir, url));
    return { code, stdout, stderr, filesBefore, filesAfter: await filesUnder(dir) };
  } finally {
    await dropDatabase(info, dbName).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The per-test timeout of a lifecycle. The integration project's default (vitest.config.ts) is 120 s;
 * the operations whose lifecycle runs an expand, a backfill, index copies and a contract through the
 * real tool, then rolls all of it back and applies it again, came close to it on Rails and Prisma under
 * load on a shared 2-core machine (rename-column): these get three times that margin.
 */
const HEAVY_LIFECYCLE_OPS: ReadonlySet<OperationName> = new Set<OperationName>(['rename-column', 'change-column-type']);
export const HEAVY_LIFECYCLE_TIMEOUT_MS = 360_000;

export function lifecycleTimeout(c: Case): number | undefined {
  return HEAVY_LIFECYCLE_OPS.has(c.op) ? HEAVY_LIFECYCLE_TIMEOUT_MS : undefined;
}

export async function runLifecycle(expect: Expect, c: Case, driverName: DriverName, opts: LifecycleOptions = {}): Promise<void> {
  const p = await prepareCase(expect, c, driverName, opts);
  const { url, dir, driver, gen, ctx, client } = p;
  try {
    // -- forward, phase by phase, in checklist order --------------------------------------------
    const expected = clone(p.startSnap);
    const before: Record<string, TableSnapshot> = {};
    const prisma = driverName === 'prisma' ? await prismaSchemaChecker(expect, p) : null;
    for (const phase of gen.plan.phases) {
      const spec = c.phases[phase.key];
      before[phase.key] = await snapshot(client);
      await spec.before?.(ctx);
      if (phase.kind === 'migrate') for (const id of gen.ids[phase.key]) await driver.apply(expect, url, gen, id);
      if (phase.kind === 'backfill') await interruptedBackfill(ctx, driver, gen, phase);
      if (phase.kind === 'migrate') opts.dumps?.push([`after ${phase.key}`, await schemaDump(url, NO_BOOKKEEPING)]);
      spec.schema?.(expected);
      expect(await snapshot(client), `schema after phase ${phase.key}`).toEqual(expected);
      await runVerify(ctx, phase, phase.verify);
      await spec.after?.(ctx);
      await prisma?.afterPhase(phase);
    }
    const finalSnap = await snapshot(client);

    // -- roll everything back with the tool's own down, in reverse order ------------------------
    const allIds = gen.plan.phases.flatMap((ph) => gen.ids[ph.key]);
    for (const phase of [...gen.plan.phases].reverse()) {
      await c.beforeRollback?.[phase.key]?.(ctx);
      const ids = gen.ids[phase.key];
      if (ids.length && driver.rollbackPhase) {
        const i = allIds.indexOf(ids[0]);
        await driver.rollbackPhase(expect, url, gen, ids, i > 0 ? allIds[i - 1] : null);
      } else
        for (const id of [...ids].reverse()) {
          const i = allIds.indexOf(id);
          await driver.rollback(expect, url, gen, id, i > 0 ? allIds[i - 1] : null);
        }
      if (phase.kind === 'migrate') opts.dumps?.push([`rolled back ${phase.key}`, await schemaDump(url, NO_BOOKKEEPING)]);
      expect(await snapshot(client), `schema after rolling back phase ${phase.key} equals the schema before it`).toEqual(before[phase.key]);
      await c.afterRollback?.[phase.key]?.(ctx);
    }
    expect(await schemaDump(url, NO_BOOKKEEPING), 'schema after rolling back every phase equals the starting schema (pg_dump)').toBe(p.startDump);

    // -- apply everything again, each phase in one run of the tool where it can ----------------------
    for (const phase of gen.plan.phases) {
      if (phase.kind === 'migrate') {
        if (driver.applyPhase) await driver.applyPhase(expect, url, gen, gen.ids[phase.key]);
        else for (const id of gen.ids[phase.key]) await driver.apply(expect, url, gen, id);
      }
      if (phase.kind === 'backfill') {
        const r = await ctx.backfill();
        expect(r.stdout + r.stderr).toMatch(/Done: \d+ rows updated/);
      }
      await runVerify(ctx, phase, phase.verify);
    }
    expect(await snapshot(client), 'schema after re-applying everything equals the first forward pass').toEqual(finalSnap);
  } finally {
    await p.dispose();
  }
}

/**
 * Prisma: after every phase, schema.prisma is what migscaffold wrote (phase 1) or what the checklist's
 * edits make of it, word for word; it passes `prisma validate`; and Prisma's own schema engine finds
 * nothing to change, neither from the live database nor from the migrations so far replayed on a
 * shadow database: `prisma migrate dev` run at that point would write no migration.
 */
async function prismaSchemaChecker(expect: Expect, p: Prepared) {
  const { gen, dir, url } = p;
  const file = join(dir, 'prisma', 'schema.prisma');
  const original = p.startPrismaSchema!;
  const applied: string[] = [PRISMA_BASELINE];
  let current = original;
  return {
    async afterPhase(phase: Phase): Promise<void> {
      applied.push(...gen.ids[phase.key]);
      const step = checklistSchemaStep(gen.checklist, gen.plan.phases.indexOf(phase) + 1);
      if (step) {
        const next = applyChecklistHunks(current, step.hunks);
        expect(next, `the checklist's schema.prisma edit for phase ${phase.key} applies to\n${current}\n${step.hunks}`).not.toBeNull();
        current = next!;
        if (step.done) expect(await readFile(file, 'utf8'), `schema.prisma as migscaffold wrote it is the checklist's phase ${phase.key} edit`).toBe(current);
        else await writeFile(file, current);
      }
      expect(await readFile(file, 'utf8')).toBe(current);
      const r = await prismaValidate(file, { check: false });
      expect(r.code, `prisma validate of\n${current}\n${r.stdout}${r.stderr}`).toBe(0);
      const d = await diffBothWays(url, [{ path: file, content: current }], join(dir, 'prisma', 'migrations'), applied);
      expect(d.live, `after phase ${phase.key}, schema.prisma disagrees with the live database; prisma migrate dev would write:\n${d.live}\n--- schema.prisma ---\n${current}`).toBe('');
      expect(d.migrations, `after phase ${phase.key}, schema.prisma disagrees with the migrations so far; prisma migrate dev would write:\n${d.migrations}\n--- schema.prisma ---\n${current}`).toBe('');
    },
  };
}

/** Count of rows the backfill still has to do: the plan's own remaining query. */
async function remaining(ctx: Ctx, phase: Extract<Phase, { kind: 'backfill' }>): Promise<number> {
  return Number(await ctx.val(phase.backfill.remainingSql));
}

function updatedCount(expect: Expect, out: string, what: RegExp): number {
  const m = what.exec(out);
  expect(m, `${what} in:\n${out}`).not.toBeNull();
  return Number(m![1]);
}

/**
 * The backfill phase: a run with tiny batches stopped after its first progress line (SIGINT / SIGTERM:
 * it stops after the batch and prints where to resume; SIGKILL: it just dies), a second run that
 * finishes every row, and a third that finds nothing left to do.
 */
async function interruptedBackfill(ctx: Ctx, driver: Driver, gen: Generated, phase: Extract<Phase, { kind: 'backfill' }>): Promise<void> {
  const { expect } = ctx;
  const pending = await remaining(ctx, phase);
  expect(pending, 'rows for the backfill to do').toBeGreaterThan(ROWS / 2);

  const { cmd, args, env } = driver.backfillCommand(ctx.url, gen.backfillFile!, { batchSize: 40, pauseMs: 100 });
  // Stopped after its first progress line, the way Ctrl-C does it (the whole process group), or
  // killed outright.
  const stopped = await runWatching(cmd, args, env, gen.dir, /rows scanned/, (pid) => {
    killGroup(pid, driver.interrupt);
    if (driver.relayedSignals) setTimeout(() => killGroup(pid, driver.interrupt), 20);
  });
  const out1 = stopped.stdout + stopped.stderr;
  // A killed client's server backend runs on until it notices the closed socket (psql's DO block
  // can commit another batch or two): wait until it is gone before counting.
  await waitForOtherBackends(ctx);
  expect(stopped.matched, `the backfill printed progress:\n${out1}`).toBe(true);
  expect(stopped.code, `exit code of the interrupted backfill:\n${out1}`).toBe(driver.interruptedExit);
  const left = await remaining(ctx, phase);
  expect(left, 'after the interruption some rows are done').toBeLessThan(pending);
  expect(left, 'after the interruption some rows are still to do').toBeGreaterThan(0);

  let resume: BackfillOpts = {};
  if (driver.interrupt !== 'SIGKILL') {
    if (driver.name === 'sql') {
      // psql: Ctrl-C cancels the running batch; every committed batch printed its resume key (and,
      // on a partitioned table, its partition).
      const keys = [...out1.matchAll(/resume: (?:-v partition=(\S+) )?-v start_after=(\d+)/g)];
      expect(keys.length, out1).toBeGreaterThan(0);
      const [, partition, startAfter] = keys[keys.length - 1];
      resume = { startAfter, ...(partition ? { partition } : {}) };
    } else {
      // Graceful stop after the current batch: the count it prints is what the database shows.
      expect(out1).toMatch(/Stopping after the current batch/);
      expect(updatedCount(expect, out1, /Stopped after key \d+(?: in \S+)?: (\d+) rows updated/)).toBe(pending - left);
      const m = /(?:--partition (\S+) )?--start-after (\d+)/.exec(out1);
      expect(m, `resume hint in:\n${out1}`).not.toBeNull();
      resume = { startAfter: m![2], ...(m![1] ? { partition: m![1] } : {}) };
    }
  }
  const second = await ctx.backfill(resume);
  const out2 = second.stdout + second.stderr;
  expect(updatedCount(expect, out2, /Done: (\d+) rows updated/), out2).toBe(left);
  expect(await remaining(ctx, phase)).toBe(0);

  const third = await ctx.backfill();
  expect(updatedCount(expect, third.stdout + third.stderr, /Done: (\d+) rows updated/), 'a finished backfill run again updates nothing').toBe(0);
}

// ---------------------------------------------------------------------------------------------
// schema.prisma for a table state

const PRISMA_TYPES: Record<string, string> = {
  bigint: 'BigInt',
  integer: 'Int',
  text: 'String',
  boolean: 'Boolean',
  'timestamp with time zone': 'DateTime @db.Timestamptz(6)',
  uuid: 'String @db.Uuid',
  'text[]': 'String[]',
};

function prismaField(column: string, col: TableSnapshot['columns'][string], ignored: boolean, name = column): string {
  const varchar = /^character varying\((\d+)\)$/.exec(col.type);
  const t = varchar ? `String @db.VarChar(${varchar[1]})` : PRISMA_TYPES[col.type];
  if (!t) throw new Error(`no Prisma type for ${col.type}`);
  const [base, ...attrs] = t.split(' ');
  const parts = [name, base + (col.notNull || base.endsWith('[]') ? '' : '?'), ...attrs];
  if (column === 'id') parts.push('@id');
  const d = col.default;
  if (d) {
    if (/^nextval\(/.test(d)) parts.push('@default(autoincrement())');
    else if (d === 'now()') parts.push('@default(now())');
    else if (/^'\{\}'::/.test(d)) parts.push('@default([])');
    else if (/^-?\d+$/.test(d)) parts.push(`@default(${d})`);
    else if (/^'(.*)'::(text|character varying)$/.test(d)) parts.push(`@default(${JSON.stringify(/^'(.*)'::/.exec(d)![1]!.replace(/''/g, "'"))})`);
    else parts.push(`@default(dbgenerated(${JSON.stringify(d)}))`);
  }
  if (name !== column) parts.push(`@map(${JSON.stringify(column)})`);
  if (ignored) parts.push('@ignore');
  return `  ${parts.join(' ')}`;
}

/** A schema.prisma for a table state; `names`: field names for some columns (with @map). */
export function prismaSchema(s: TableSnapshot, ignore: string[] = [], names: Record<string, string> = {}, preview: string[] = []): string {
  const fields = Object.entries(s.columns).map(([n, c]) => prismaField(n, c, ignore.includes(n), names[n]));
  let partial = false;
  const blocks: string[] = [];
  for (const [name, ix] of Object.entries(s.indexes)) {
    if (name === 'users_pkey') continue;
    const m = /^CREATE (UNIQUE )?INDEX (\S+) ON (?:ONLY )?public\.users USING (\w+) \(([^)]*)\)(?: WHERE \((.*)\))?$/.exec(ix.def);
    if (!m) throw new Error(`cannot express in Prisma: ${ix.def}`);
    const cols = m[4].split(', ').map((c) => names[c] ?? c).join(', ');
    const args = [`[${cols}]`, `map: ${JSON.stringify(name)}`];
    if (m[3] !== 'btree') args.push(`type: ${m[3][0].toUpperCase()}${m[3].slice(1)}`);
    if (m[5]) {
      partial = true;
      args.push(`where: raw(${JSON.stringify(m[5])})`);
    }
    blocks.push(`  ${m[1] ? '@@unique' : '@@index'}(${args.join(', ')})`);
  }
  const features = [...new Set([...preview, ...(partial ? ['partialIndexes'] : [])])];
  const generator = features.length
    ? `generator client {\n  provider        = "prisma-client"\n  output          = "./generated"\n  previewFeatures = ${JSON.stringify(features)}\n}\n\n`
    : '';
  return `${generator}datasource db {\n  provider = "postgresql"\n}\n\nmodel User {\n${fields.join('\n')}\n\n${blocks.join('\n')}${blocks.length ? '\n' : ''}  @@map("users")\n}\n`;
}

