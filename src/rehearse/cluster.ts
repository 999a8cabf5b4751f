/**
 * A throwaway local PostgreSQL cluster for a rehearsal when no --database-url is given: initdb into a
 * temp dir, listen on 127.0.0.1 (and a private socket dir) on a free port, trust auth, durability off
 * (it is thrown away). As root, server binaries run as the `postgres` user through runuser.
 * The cluster is stopped and its directory removed by stop(), on process exit and signals, and by a
 * detached watchdog if this process is killed outright.
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RehearseError } from './connect.js';

export interface LocalCluster {
  url: string;
  adminUrl: string;
  port: number;
  binDir: string;
  baseDir: string;
  stop(): Promise<void>;
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const RUNUSER = ['/usr/sbin/runuser', '/sbin/runuser', '/usr/bin/runuser'].find((p) => existsSync(p)) ?? 'runuser';

const SERVER_ENV = (): NodeJS.ProcessEnv => ({ PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', TZ: 'UTC' });

/** Directory holding initdb/pg_ctl/postgres: $MIGSCAFFOLD_PG_BIN, the newest /usr/lib/postgresql/N/bin, pg_config --bindir. */
export function findServerBinDir(env: Record<string, string | undefined> = process.env): string | null {
  const ok = (d: string) => ['initdb', 'pg_ctl', 'postgres'].every((b) => existsSync(join(d, b)));
  if (env.MIGSCAFFOLD_PG_BIN) return ok(env.MIGSCAFFOLD_PG_BIN) ? env.MIGSCAFFOLD_PG_BIN : null;
  try {
    const versions = readdirSync('/usr/lib/postgresql')
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const v of versions) if (ok(`/usr/lib/postgresql/${v}/bin`)) return `/usr/lib/postgresql/${v}/bin`;
  } catch {
    /* no Debian layout */
  }
  const r = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  const dir = r.status === 0 ? r.stdout.trim() : '';
  if (dir && ok(dir)) return dir;
  return null;
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env: SERVER_ENV(), timeout: timeoutMs, killSignal: 'SIGKILL', encoding: 'utf8', cwd: '/', maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null) : 0;
      resolve({ code, out: `${stdout}${stderr}${err && code === null ? err.message : ''}` });
    });
  });
}

/** A free TCP port on loopback for a throwaway server. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** initdb for a scratch cluster: no fsync at creation, trust auth, C locale. */
export function initdbArgs(dataDir: string): string[] {
  return ['-D', dataDir, '--no-sync', '--no-instructions', '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C'];
}

/**
 * Server settings of a throwaway cluster (also the test harness's): loopback only, durability off
 * (nothing here must survive a crash), UTC. `extra` adds or overrides settings.
 */
export function scratchServerOptions(port: number, socketDir: string, extra: string[] = []): string {
  return [
    '-c listen_addresses=127.0.0.1',
    `-c port=${port}`,
    `-c unix_socket_directories=${socketDir}`,
    '-c fsync=off',
    '-c full_page_writes=off',
    '-c synchronous_commit=off',
    '-c timezone=UTC',
    ...extra,
  ].join(' ');
}

/** The postgres user's uid and gid when we are root (PostgreSQL refuses to run as root); null otherwise. */
export function serverUser(): { uid: number; gid: number } | null {
  if (!isRoot) return null;
  const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  if (!Number.isInteger(uid) || uid <= 0 || !Number.isInteger(gid))
    throw new RehearseError('running as root, PostgreSQL refuses to run as root and there is no `postgres` user to run it as: pass --database-url');
  return { uid, gid };
}

/** argv running a server binary of binDir, as the postgres user when we are root. */
export function serverCommand(binDir: string, bin: string, args: string[]): [string, string[]] {
  return isRoot ? [RUNUSER, ['-u', 'postgres', '--', join(binDir, bin), ...args]] : [join(binDir, bin), args];
}

/** Runs a server binary of binDir (as serverCommand says): its exit code and output. */
export function runServerTool(binDir: string, bin: string, args: string[], timeoutMs: number): Promise<{ code: number | null; out: string }> {
  const [cmd, argv] = serverCommand(binDir, bin, args);
  return run(cmd, argv, timeoutMs);
}

/**
 * A temp directory for one server: the data directory's path, a private socket directory and the log
 * file's path, owned by the user the server runs as.
 */
export function serverDirs(prefix: string): { baseDir: string; dataDir: string; socketDir: string; logFile: string } {
  const pgUid = serverUser();
  const baseDir = mkdtempSync(join(tmpdir(), prefix));
  const socketDir = join(baseDir, 'sock');
  mkdirSync(socketDir, { mode: 0o700 });
  if (pgUid) {
    chownSync(baseDir, pgUid.uid, pgUid.gid);
    chownSync(socketDir, pgUid.uid, pgUid.gid);
  }
  return { baseDir, dataDir: join(baseDir, 'data'), socketDir, logFile: join(baseDir, 'postgres.log') };
}

/**
 * A postmaster's directory kept from outliving us: once `arm`ed, stop() (and process exit, SIGINT,
 * SIGTERM, SIGHUP) stops the server of dataDir at once and removes baseDir, and a detached watchdog
 * does the same if this process is killed outright. Shared by the throwaway cluster and its standby.
 */
export function serverLifecycle(binDir: string, dataDir: string, baseDir: string): { arm(): void; stop(): void } {
  const stopArgs = ['-D', dataDir, '-m', 'immediate', '-w', 'stop'];
  let watchdogPid: number | null = null;
  let stopped = false;
  const stopSync = () => {
    if (stopped) return;
    stopped = true;
    removeHandlers();
    if (existsSync(join(dataDir, 'postmaster.pid'))) {
      const [c, a] = serverCommand(binDir, 'pg_ctl', stopArgs);
      spawnSync(c, a, { stdio: 'ignore', env: SERVER_ENV(), timeout: 30_000, cwd: '/' });
    }
    if (watchdogPid) {
      try {
        process.kill(-watchdogPid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    rmSync(baseDir, { recursive: true, force: true });
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const onSignal = (s: NodeJS.Signals) => {
    stopSync();
    if (process.listenerCount(s) === 0) process.kill(process.pid, s);
  };
  const removeHandlers = () => {
    process.off('exit', stopSync);
    for (const s of signals) process.off(s, onSignal);
  };
  process.on('exit', stopSync);
  for (const s of signals) process.on(s, onSignal);
  return {
    arm: () => {
      watchdogPid ??= spawnWatchdog(serverCommand(binDir, 'pg_ctl', stopArgs), baseDir);
    },
    stop: stopSync,
  };
}

export async function startLocalCluster(opts: { log?: (line: string) => void; database?: string } = {}): Promise<LocalCluster> {
  const binDir = findServerBinDir();
  if (!binDir)
    throw new RehearseError(
      'no --database-url and no PostgreSQL server binaries (initdb, pg_ctl) to start a throwaway cluster: ' +
        'pass --database-url postgresql://user@127.0.0.1:5432/scratch_db, or install the server ' +
        '(Debian/Ubuntu: apt-get install postgresql; or set MIGSCAFFOLD_PG_BIN to the directory holding initdb)',
    );
  const { baseDir, dataDir, socketDir, logFile } = serverDirs('migscaffold-rehearse-');
  const life = serverLifecycle(binDir, dataDir, baseDir);

  try {
    opts.log?.('initdb (throwaway cluster)');
    const init = await runServerTool(binDir, 'initdb', initdbArgs(dataDir), 120_000);
    if (init.code !== 0) throw new RehearseError(`initdb failed (exit ${init.code}):\n${init.out}`);
    let lastErr = '';
    for (let attempt = 0; attempt < 5; attempt++) {
      const port = await freePort();
      const serverOpts = scratchServerOptions(port, socketDir, ['-c shared_buffers=256MB', '-c max_wal_size=4GB', '-c max_connections=100']);
      const r = await runServerTool(binDir, 'pg_ctl', ['-D', dataDir, '-l', logFile, '-w', '-t', '60', '-o', serverOpts, 'start'], 90_000);
      if (r.code === 0) {
        life.arm();
        const adminUrl = `postgresql://postgres@127.0.0.1:${port}/postgres`;
        const db = opts.database ?? 'rehearse';
        const { default: pg } = await import('pg');
        const c = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 15_000 });
        await c.connect();
        try {
          if (db !== 'postgres') await c.query(`CREATE DATABASE "${db.replace(/"/g, '""')}"`);
        } finally {
          await c.end();
        }
        return {
          url: `postgresql://postgres@127.0.0.1:${port}/${encodeURIComponent(db)}`,
          adminUrl,
          port,
          binDir,
          baseDir,
          async stop() {
            life.stop();
          },
        };
      }
      let log = '';
      try {
        log = readFileSync(logFile, 'utf8');
      } catch {
        /* none */
      }
      lastErr = `pg_ctl start failed (exit ${r.code}): ${r.out}\n${log}`;
      if (!/could not (bind|create listen socket)|Address already in use/i.test(log)) break;
    }
    throw new RehearseError(lastErr);
  } catch (err) {
    life.stop();
    throw err;
  }
}

/** Stops the cluster and removes its directory once this process is gone, however it died. */
function spawnWatchdog([cmd, args]: [string, string[]], baseDir: string): number | null {
  const script =
    'parent="$1"; base="$2"; shift 2; while kill -0 "$parent" 2>/dev/null; do sleep 2; done; "$@" >/dev/null 2>&1; rm -rf -- "$base"';
  try {
    const child = spawn('/bin/sh', ['-c', script, 'migscaffold-rehearse-watchdog', String(process.pid), baseDir, cmd, ...args], {
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
