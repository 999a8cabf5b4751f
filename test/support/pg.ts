/**
 * A throwaway PostgreSQL 15 cluster for integration tests.
 *
 * - Binaries come from /usr/lib/postgresql/15/bin explicitly (the ones in /usr/local/bin and the
 *   Debian pg_wrapper in /usr/bin may be wrappers).
 * - initdb/postgres refuse to run as root: when we are root every server-side command runs through
 *   `runuser -u postgres --` and the temp dir is chowned to postgres.
 * - The cluster listens on 127.0.0.1 only, on a free port, with its socket in the temp dir, trust auth,
 *   and fsync/full_page_writes/synchronous_commit off (startup is ~1-2 s).
 *
 * ClusterInfo is a plain JSON-serialisable object so vitest's globalSetup can `provide()` it.
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, chownSync, mkdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort, initdbArgs, scratchServerOptions } from '../../src/rehearse/cluster.js';

export const PG_BIN = '/usr/lib/postgresql/15/bin';
const RUNUSER = ['/usr/sbin/runuser', '/sbin/runuser', '/usr/bin/runuser'].find((p) => existsSync(p)) ?? 'runuser';

export interface ClusterInfo {
  /** Always 127.0.0.1. */
  host: string;
  port: number;
  /** Superuser name (trust auth, no password). */
  user: string;
  /** Temp dir holding everything below; removed by stopCluster. */
  baseDir: string;
  dataDir: string;
  socketDir: string;
  logFile: string;
  binDir: string;
  /** postmaster pid (from postmaster.pid). */
  pid: number;
  /** pid of the watchdog that stops the cluster if the test runner dies without cleaning up. */
  watchdogPid: number | null;
  /** Admin URL (database `postgres`). */
  adminUrl: string;
  /**
   * Root-owned scratch dir inside baseDir for test temp dirs (see makeTempDir): removed with the
   * cluster, so even a killed run leaves nothing behind.
   */
  scratchDir: string;
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function pgUserIds(): { uid: number; gid: number } {
  const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  if (!Number.isInteger(uid) || !Number.isInteger(gid) || uid <= 0) {
    throw new Error('startCluster: running as root but there is no `postgres` system user (install postgresql-15)');
  }
  return { uid, gid };
}

/** argv that runs a PostgreSQL server binary as the postgres user when we are root. */
function asPostgres(bin: string, args: string[]): [string, string[]] {
  const full = join(PG_BIN, bin);
  return isRoot ? [RUNUSER, ['-u', 'postgres', '--', full, ...args]] : [full, args];
}

const SERVER_ENV = (): NodeJS.ProcessEnv => ({
  PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
  LANG: 'C.UTF-8',
  LC_ALL: 'C.UTF-8',
  TZ: 'UTC',
});

interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<ExecResult> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      {
        env: opts.env ?? SERVER_ENV(),
        timeout: opts.timeoutMs ?? 60_000,
        killSignal: 'SIGKILL',
        maxBuffer: 64 * 1024 * 1024,
        encoding: 'utf8',
        cwd: tmpdir(),
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null) : 0;
        resolve({ code, stdout, stderr: stderr + (err && code === null ? `\n${err.message}` : '') });
      },
    );
  });
}

async function runChecked(what: string, cmd: string, args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<ExecResult> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) {
    throw new Error(`${what} failed (exit ${r.code}): ${cmd} ${args.join(' ')}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`);
  }
  return r;
}


function readLog(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '(no log)';
  }
}

/**
 * Starts a fresh cluster. Always pair with stopCluster (global-setup does, and also registers
 * exit/signal handlers plus a watchdog process so a crashed runner does not leave postgres running).
 */
export async function startCluster(): Promise<ClusterInfo> {
  for (const bin of ['initdb', 'pg_ctl', 'postgres']) {
    if (!existsSync(join(PG_BIN, bin))) {
      throw new Error(`startCluster: ${join(PG_BIN, bin)} is missing; run scripts/install-deps.sh (needs postgresql-15)`);
    }
  }
  const baseDir = mkdtempSync(join(tmpdir(), 'migscaffold-pg-'));
  const dataDir = join(baseDir, 'data');
  const socketDir = join(baseDir, 'sock');
  const logFile = join(baseDir, 'postgres.log');
  const scratchDir = join(baseDir, 'scratch');
  try {
    mkdirSync(socketDir, { mode: 0o700 });
    mkdirSync(scratchDir, { mode: 0o755 });
    if (isRoot) {
      const { uid, gid } = pgUserIds();
      chownSync(baseDir, uid, gid);
      chownSync(socketDir, uid, gid);
    }
    const [initCmd, initArgs] = asPostgres('initdb', initdbArgs(dataDir));
    await runChecked('initdb', initCmd, initArgs, { timeoutMs: 120_000 });

    let lastErr: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      const port = await freePort();
      // No autovacuum: it starts at random moments and holds SHARE UPDATE EXCLUSIVE, and PostgreSQL
      // cancels it for a waiting DDL only after deadlock_timeout (1 s), which equals the plans' default
      // lock_timeout, so a migration behind it fails 55P03 by chance (bench/RESULTS.md). Rehearse and
      // bench clusters keep it, as production does.
      const serverOpts = scratchServerOptions(port, socketDir, ['-c max_connections=200', '-c autovacuum=off']);
      const [ctlCmd, ctlArgs] = asPostgres('pg_ctl', ['-D', dataDir, '-l', logFile, '-w', '-t', '60', '-o', serverOpts, 'start']);
      const r = await run(ctlCmd, ctlArgs, { timeoutMs: 90_000 });
      if (r.code === 0) {
        const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
        const info: ClusterInfo = {
          host: '127.0.0.1',
          port,
          user: 'postgres',
          baseDir,
          dataDir,
          socketDir,
          logFile,
          binDir: PG_BIN,
          pid,
          watchdogPid: null,
          adminUrl: `postgresql://postgres@127.0.0.1:${port}/postgres`,
          scratchDir,
        };
        info.watchdogPid = spawnWatchdog(info);
        return info;
      }
      const log = readLog(logFile);
      lastErr = new Error(`pg_ctl start failed (exit ${r.code})\n${r.stdout}\n${r.stderr}\n--- server log ---\n${log}`);
      // Port raced away: retry with another one. Anything else: give up now.
      if (!/could not (bind|create listen socket)|Address already in use/i.test(log)) break;
    }
    throw lastErr;
  } catch (err) {
    stopClusterSync({ baseDir, dataDir });
    throw err;
  }
}

/**
 * A detached `sh` loop that waits for this process to die and then stops the cluster and removes its
 * directory. Covers SIGKILL of the runner, where no exit handler can run. stopCluster kills it.
 */
function spawnWatchdog(info: ClusterInfo): number | null {
  const [ctlCmd, ctlArgs] = asPostgres('pg_ctl', ['-D', info.dataDir, '-m', 'immediate', '-w', 'stop']);
  const script =
    'parent="$1"; base="$2"; shift 2; ' +
    'while kill -0 "$parent" 2>/dev/null; do sleep 2; done; ' +
    '"$@" >/dev/null 2>&1; rm -rf -- "$base"';
  try {
    const child = spawn('/bin/sh', ['-c', script, 'migscaffold-pg-watchdog', String(process.pid), info.baseDir, ctlCmd, ...ctlArgs], {
      detached: true,
      stdio: 'ignore',
      env: SERVER_ENV(),
      cwd: '/',
    });
    child.unref();
    return child.pid ?? null;
  } catch {
    return null;
  }
}

function killWatchdog(info: Pick<ClusterInfo, 'watchdogPid'>): void {
  if (info.watchdogPid) {
    try {
      // detached => it leads its own process group; take its `sleep` child with it.
      process.kill(-info.watchdogPid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

/** Synchronous stop + remove; safe to call from a process 'exit' handler and more than once. */
export function stopClusterSync(info: Pick<ClusterInfo, 'baseDir' | 'dataDir'> & Partial<Pick<ClusterInfo, 'watchdogPid'>>): void {
  if (existsSync(join(info.dataDir, 'postmaster.pid'))) {
    const [cmd, args] = asPostgres('pg_ctl', ['-D', info.dataDir, '-m', 'immediate', '-w', 'stop']);
    spawnSync(cmd, args, { stdio: 'ignore', env: SERVER_ENV(), timeout: 30_000, cwd: '/' });
  }
  killWatchdog({ watchdogPid: info.watchdogPid ?? null });
  rmSync(info.baseDir, { recursive: true, force: true });
}

/** pg_ctl stop -m immediate, then remove the temp dir. Idempotent. */
export async function stopCluster(info: ClusterInfo): Promise<void> {
  if (existsSync(join(info.dataDir, 'postmaster.pid'))) {
    const [cmd, args] = asPostgres('pg_ctl', ['-D', info.dataDir, '-m', 'immediate', '-w', 'stop']);
    const r = await run(cmd, args, { timeoutMs: 30_000 });
    if (r.code !== 0 && existsSync(join(info.dataDir, 'postmaster.pid'))) {
      // Last resort: SIGQUIT is what `-m immediate` sends.
      try {
        process.kill(info.pid, 'SIGQUIT');
      } catch {
        /* gone */
      }
    }
  }
  killWatchdog(info);
  rmSync(info.baseDir, { recursive: true, force: true });
}

/**
 * A fresh temp dir for a test, under the cluster's scratch dir (inside os.tmpdir()). Remove it when
 * done; whatever is left is removed by stopCluster / the exit handlers / the watchdog anyway.
 */
export async function makeTempDir(info: Pick<ClusterInfo, 'scratchDir'>, prefix = 'tmp'): Promise<string> {
  return mkdtemp(join(info.scratchDir, `${prefix.replace(/[^\w.-]+/g, '_')}-`));
}

/** Quote an SQL identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Connection URL for a database on the cluster. */
export function databaseUrl(info: ClusterInfo, name: string): string {
  return `postgresql://${info.user}@${info.host}:${info.port}/${encodeURIComponent(name)}`;
}

let dbCounter = 0;
/** A database name unique within this cluster (process id + counter + random suffix). */
export function uniqueDbName(prefix = 't'): string {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9_]+/g, '_').slice(0, 30);
  return `${clean}_${process.pid}_${++dbCounter}_${Math.random().toString(36).slice(2, 8)}`;
}

/** CREATE DATABASE <name>; returns `postgresql://postgres@127.0.0.1:<port>/<name>`. */
export async function createDatabase(info: ClusterInfo, name: string): Promise<string> {
  await withClient(info.adminUrl, (c) => c.query(`CREATE DATABASE ${quoteIdent(name)}`));
  return databaseUrl(info, name);
}

/** DROP DATABASE IF EXISTS <name> WITH (FORCE) (terminates open connections). */
export async function dropDatabase(info: ClusterInfo, name: string): Promise<void> {
  await withClient(info.adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`));
}

/** Opens a pg.Client on url, runs fn, always closes the client. */
export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 15_000 });
  // A server-side termination (e.g. DROP DATABASE ... FORCE) must not become an unhandled 'error' event.
  client.on('error', () => {});
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** One-shot query convenience. */
export async function query<R extends pg.QueryResultRow = Record<string, unknown>>(url: string, text: string, values?: unknown[]): Promise<R[]> {
  return withClient(url, async (c) => (await c.query<R>(text, values)).rows);
}

/** Bookkeeping tables of the migration tools, for `schemaDump(url, { excludeTables: MIGRATION_BOOKKEEPING_TABLES })`. */
export const MIGRATION_BOOKKEEPING_TABLES = [
  'public.alembic_version',
  'public.schema_migrations', // Rails, dbmate, golang-migrate
  'public.ar_internal_metadata',
  'public._prisma_migrations',
];

export interface SchemaDumpOptions {
  /** pg_dump --exclude-table patterns (e.g. MIGRATION_BOOKKEEPING_TABLES). */
  excludeTables?: string[];
}

/**
 * Normalised `pg_dump --schema-only --no-owner --no-privileges`: SQL comments, blank lines, SET lines,
 * the search_path set_config, and pg_dump 15.14+'s random `\restrict <key>` / `\unrestrict <key>` lines
 * are removed and trailing whitespace trimmed, so two equal schemas give equal strings.
 */
export async function schemaDump(url: string, opts: SchemaDumpOptions = {}): Promise<string> {
  const args = ['--schema-only', '--no-owner', '--no-privileges', '--no-tablespaces'];
  for (const t of opts.excludeTables ?? []) args.push(`--exclude-table=${t}`);
  args.push(`--dbname=${url}`);
  const r = await runChecked('pg_dump', join(PG_BIN, 'pg_dump'), args, {
    env: { ...SERVER_ENV(), PGCONNECT_TIMEOUT: '15' },
  });
  return normaliseDump(r.stdout);
}

export function normaliseDump(text: string): string {
  return text
    .split('\n')
    .map((l) => l.replace(/\s+$/, ''))
    .filter((l) => l !== '')
    .filter((l) => !l.startsWith('--'))
    .filter((l) => !/^SET\s/.test(l))
    .filter((l) => !/^SELECT pg_catalog\.set_config\('search_path'/.test(l))
    .filter((l) => !/^\\(un)?restrict\b/.test(l))
    .join('\n');
}
