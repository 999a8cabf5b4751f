/**
 * Prisma's own schema engine (the Rust migration engine compiled to WebAssembly,
 * `@prisma/schema-engine-wasm`), driven from Node through `@prisma/adapter-pg`, offline: the same
 * code that decides what `prisma migrate dev` would write, asked whether a schema agrees with a
 * database.
 *
 * `diffBothWays` answers with two SQL scripts, both empty when all is well:
 *   - live:       the live database -> the schema (what `migrate dev` would write to fix drift);
 *   - migrations: the migration folders replayed on a shadow database -> the schema (what
 *                 `migrate dev` would write as the next migration).
 *
 * Rough edges of the wasm engine with adapter-pg 7.10, and how they are worked around here:
 *   - The wasm module imports `./schema_engine_bg.wasm` as an ES module, which Node 20 cannot load
 *     without --experimental-wasm-modules: it is instantiated by hand with the package's own JS glue
 *     as its import object (what a bundler does), once per test worker.
 *   - `--from-url` / `--to-url` targets are refused by this engine build ("no longer supported"): the
 *     live database is reached as `schemaDatasource`, through the adapter the engine was built with,
 *     so each check builds its own engine (cheap: the compiled module is shared).
 *   - adapter-pg cannot describe PostgreSQL's internal `"char"` type (oid 18), which the engine's
 *     catalog queries return (relkind, contype, ...): "Column type 'char' could not be deserialized".
 *     The native engine reads it as text; a pg.Client subclass reports it as text to the adapter.
 *   - adapter-pg's `executeScript` splits scripts on every `;`, which breaks `DO $$ ... $$` bodies and
 *     runs each piece as its own transaction. The native engine sends a migration script as ONE simple
 *     query (one implicit transaction); `executeScript` does that here.
 *   - adapter-pg's shadow database is dropped while its own pool is still connected (DROP DATABASE
 *     fails, the database is left behind) and the connection used to create it is never closed. Here
 *     the pool is ended first, then the database is dropped WITH (FORCE) from a separate connection.
 */
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import {
  bindMigrationAwareSqlAdapterFactory,
  ColumnTypeEnum,
  type SqlDriverAdapter,
  type SqlQueryable,
  type SqlResultSet,
} from '@prisma/driver-adapter-utils';
import * as glue from '@prisma/schema-engine-wasm/schema_engine_bg';
import type { MigrationList, SchemaEngine as Engine, SchemaFilter } from '@prisma/schema-engine-wasm';

let loaded: Promise<typeof glue> | null = null;

/** Where the engine's Rust panics leave their message (the Prisma CLI installs the same global). */
const panics = { message: '', set_message(m: string) { panics.message = m; } };
(globalThis as { PRISMA_WASM_PANIC_REGISTRY?: typeof panics }).PRISMA_WASM_PANIC_REGISTRY = panics;

/** The wasm engine module, compiled and started once per worker. */
function engineModule(): Promise<typeof glue> {
  loaded ??= (async () => {
    const dir = dirname(fileURLToPath(import.meta.resolve('@prisma/schema-engine-wasm/schema_engine_bg')));
    const bytes = await readFile(join(dir, 'schema_engine_bg.wasm'));
    const { instance } = await WebAssembly.instantiate(bytes, { './schema_engine_bg.js': glue as unknown as WebAssembly.ModuleImports });
    (glue as unknown as { __wbg_set_wasm(e: unknown): void }).__wbg_set_wasm(instance.exports);
    (instance.exports as { __wbindgen_start(): void }).__wbindgen_start();
    return glue;
  })();
  return loaded;
}

/**
 * PostgreSQL's internal `"char"` type (oid 18), which the engine's catalog queries return (relkind,
 * contype, ...), is unknown to adapter-pg ("Column type 'char' could not be deserialized"); the native
 * engine reads it as a character. The client below reports it to adapter-pg as text, with a marker on
 * the column name, and `queryRaw` turns marked columns into the adapter protocol's Character type.
 */
const CHAR_OID = 18;
const TEXT_OID = 25;
const CHAR_MARK = '\u0000char';
const CHARACTER = ColumnTypeEnum.Character;

function markChars<T>(result: T): T {
  for (const r of (Array.isArray(result) ? result : [result]) as { fields?: { dataTypeID: number; name: string }[] }[])
    for (const f of r?.fields ?? [])
      if (f.dataTypeID === CHAR_OID) {
        f.dataTypeID = TEXT_OID;
        f.name += CHAR_MARK;
      }
  return result;
}

function unmarkChars(rs: SqlResultSet): SqlResultSet {
  rs.columnNames.forEach((n, i) => {
    if (!n.endsWith(CHAR_MARK)) return;
    rs.columnNames[i] = n.slice(0, -CHAR_MARK.length);
    rs.columnTypes[i] = CHARACTER;
  });
  return rs;
}

function withChars<Q extends SqlQueryable>(q: Q): Q {
  const queryRaw = q.queryRaw.bind(q);
  q.queryRaw = async (query) => unmarkChars(await queryRaw(query));
  return q;
}

class EngineClient extends pg.Client {
  // pg.Pool calls query with a callback, adapter-pg's transactions without one.
  override query(...args: unknown[]): any {
    const cb = typeof args[args.length - 1] === 'function' ? (args.pop() as (e: unknown, r?: unknown) => void) : undefined;
    const p = (super.query as (...a: unknown[]) => Promise<unknown>)(...args);
    if (!cb) return p.then(markChars);
    p.then((r) => cb(null, markChars(r)), (e) => cb(e));
    return undefined;
  }
}

function poolFor(url: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, Client: EngineClient, max: 2 });
  pool.on('error', () => {});
  return pool;
}

/** The adapter with the work-arounds: `"char"` columns, and scripts sent as one simple query. */
function engineAdapter(adapter: SqlDriverAdapter, pool: pg.Pool): SqlDriverAdapter {
  withChars(adapter);
  const startTransaction = adapter.startTransaction.bind(adapter);
  adapter.startTransaction = async (level) => withChars(await startTransaction(level));
  adapter.executeScript = async (script: string) => {
    await pool.query(script);
  };
  return adapter;
}

class EngineAdapterFactory extends PrismaPg {
  readonly pools: pg.Pool[] = [];
  constructor(private readonly url: string) {
    const pool = poolFor(url);
    super(pool);
    this.pools.push(pool);
  }
  override async connect() {
    return engineAdapter(await super.connect(), this.pools[0]) as Awaited<ReturnType<PrismaPg['connect']>>;
  }
  override async connectToShadowDb() {
    const name = `prisma_shadow_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
    await this.pools[0].query(`CREATE DATABASE "${name}"`);
    const u = new URL(this.url);
    u.pathname = `/${name}`;
    const pool = poolFor(u.toString());
    const adapter = engineAdapter(await new PrismaPg(pool).connect(), pool);
    adapter.dispose = async () => {
      await pool.end();
      await this.pools[0].query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    };
    return adapter as Awaited<ReturnType<PrismaPg['connectToShadowDb']>>;
  }
  async end(): Promise<void> {
    await Promise.all(this.pools.map((p) => p.end().catch(() => {})));
  }
}

export interface SchemaFile {
  path: string;
  content: string;
}

const FILTERS: SchemaFilter = { externalTables: [], externalEnums: [] };

/**
 * Migration folders as the engine reads them (only `migration.sql`, in name order); `only`: the
 * folders a commit holds at that point (the later ones are not there yet).
 */
export async function migrationList(dir: string, only?: string[]): Promise<MigrationList> {
  const names = (await readdir(dir, { withFileTypes: true }))
    .filter((d) => d.isDirectory() && (!only || only.includes(d.name)))
    .map((d) => d.name)
    .sort();
  const lock = await readFile(join(dir, 'migration_lock.toml'), 'utf8').catch(() => null);
  return {
    baseDir: dir,
    lockfile: { path: 'migration_lock.toml', content: lock },
    shadowDbInitScript: '',
    migrationDirectories: await Promise.all(
      names.map(async (name) => ({
        path: name,
        migrationFile: { path: 'migration.sql', content: { tag: 'ok' as const, value: await readFile(join(dir, name, 'migration.sql'), 'utf8') } },
      })),
    ),
  };
}

export interface BothWays {
  /** live database -> schema; '' when they agree. */
  live: string;
  /** migrations replayed on a shadow database -> schema; '' when they agree. */
  migrations: string;
}

/** The engine's SQL script without its comment lines: empty when there is nothing to do. */
function statements(stdout: string | null): string {
  return (stdout ?? '')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('--'))
    .join('\n');
}

/** Runs `fn` with an engine connected to `url` (its shadow databases go on the same cluster). */
export async function withEngine<T>(url: string, files: SchemaFile[], fn: (engine: Engine) => Promise<T>): Promise<T> {
  const mod = await engineModule();
  const factory = new EngineAdapterFactory(url);
  let engine: Engine | null = null;
  try {
    engine = await mod.SchemaEngine.new(
      { datamodels: files.map((f) => [f.path, f.content] as [string, string]) },
      () => {},
      bindMigrationAwareSqlAdapterFactory(factory),
    );
    return await fn(engine);
  } finally {
    engine?.free();
    await factory.end();
  }
}

/** Prisma's diff, both ways round, of the schema against the live database and against the migrations. */
export async function diffBothWays(url: string, files: SchemaFile[], migrationsDir: string, only?: string[]): Promise<BothWays> {
  return withEngine(url, files, async (engine) => {
    const schema = { tag: 'schemaDatamodel' as const, files };
    const live = await engine.diff({
      from: { tag: 'schemaDatasource', files, configDir: dirname(files[0].path) },
      to: schema,
      script: true,
      exitCode: true,
      filters: FILTERS,
    });
    const migrations = await engine.diff({
      from: { tag: 'migrations', ...(await migrationList(migrationsDir, only)) },
      to: schema,
      script: true,
      exitCode: true,
      filters: FILTERS,
    });
    return { live: statements(live.stdout), migrations: statements(migrations.stdout) };
  });
}
