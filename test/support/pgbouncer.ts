/**
 * A real PgBouncer (Debian's /usr/sbin/pgbouncer, installed by scripts/install-deps.sh) in transaction
 * pooling mode, on loopback, in front of the test cluster: every database name maps to the same one
 * upstream, trust auth, and by default ONE server connection per database/user pool, so a setting a
 * client leaves on its server connection is seen by the next client of the pool, every time.
 *
 * As root it runs as the `postgres` user (PgBouncer refuses to run as root), from a directory that
 * user owns. stop() kills it and removes the directory.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../../src/rehearse/cluster.js';
import type { ClusterInfo } from './pg.js';

export const PGBOUNCER_BIN = '/usr/sbin/pgbouncer';
const RUNUSER = ['/usr/sbin/runuser', '/sbin/runuser', '/usr/bin/runuser'].find((p) => existsSync(p)) ?? 'runuser';
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

export interface Bouncer {
  port: number;
  /** URL of `db` through the pooler. */
  url(db: string): string;
  log(): Promise<string>;
  stop(): Promise<void>;
}

export async function startPgbouncer(cluster: ClusterInfo, opts: { poolSize?: number } = {}): Promise<Bouncer> {
  if (!existsSync(PGBOUNCER_BIN)) throw new Error(`${PGBOUNCER_BIN} is missing: run scripts/install-deps.sh (Debian package pgbouncer)`);
  const dir = await mkdtemp(join(cluster.scratchDir, 'pgbouncer-'));
  const port = await freePort();
  await writeFile(join(dir, 'users.txt'), `"${cluster.user}" ""\n`);
  await writeFile(
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = host=${cluster.host} port=${cluster.port}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${join(dir, 'users.txt')}`,
      'pool_mode = transaction',
      `default_pool_size = ${opts.poolSize ?? 1}`,
      'max_client_conn = 200',
      // What transaction pooling does in production: nothing resets a server connection between
      // clients, so a session-level SET stays for whoever gets it next.
      'server_reset_query =',
      'ignore_startup_parameters = extra_float_digits,options',
      `logfile = ${join(dir, 'pgbouncer.log')}`,
      `pidfile = ${join(dir, 'pgbouncer.pid')}`,
      '',
    ].join('\n'),
  );
  if (isRoot) {
    const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    for (const f of ['', 'users.txt', 'pgbouncer.ini']) chownSync(join(dir, f), uid, gid);
  }
  const [cmd, args] = isRoot ? [RUNUSER, ['-u', 'postgres', '--', PGBOUNCER_BIN, join(dir, 'pgbouncer.ini')]] : [PGBOUNCER_BIN, [join(dir, 'pgbouncer.ini')]];
  const child: ChildProcess = spawn(cmd, args, { stdio: 'ignore', detached: true, cwd: dir });
  const stop = async () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
    await rm(dir, { recursive: true, force: true });
  };
  process.once('exit', () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  });
  const url = (db: string) => `postgresql://${cluster.user}@127.0.0.1:${port}/${encodeURIComponent(db)}`;
  for (let i = 0; ; i++) {
    const c = new pg.Client({ connectionString: url('postgres'), connectionTimeoutMillis: 2000 });
    c.on('error', () => {});
    try {
      await c.connect();
      await c.query('SELECT 1');
      await c.end();
      break;
    } catch (e) {
      await c.end().catch(() => {});
      if (i > 100) {
        const log = await readFile(join(dir, 'pgbouncer.log'), 'utf8').catch(() => '(no log)');
        await stop();
        throw new Error(`pgbouncer did not start on port ${port}: ${(e as Error).message}\n${log}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { port, url, log: () => readFile(join(dir, 'pgbouncer.log'), 'utf8').catch(() => ''), stop };
}

/**
 * A client of the pool that asks, over and over, what lock_timeout and statement_timeout its server
 * connection has, until stopped. Every answer other than the server default is a setting another
 * client left behind.
 */
export function probeSettings(url: string): { stop(): Promise<{ probes: number; leaks: string[] }> } {
  let running = true;
  let probes = 0;
  const leaks: string[] = [];
  const loop = (async () => {
    const c = new pg.Client({ connectionString: url });
    c.on('error', () => {});
    await c.connect();
    try {
      while (running) {
        const r = await c.query<{ lock_timeout: string; statement_timeout: string }>(
          `SELECT current_setting('lock_timeout') AS lock_timeout, current_setting('statement_timeout') AS statement_timeout`,
        );
        probes++;
        const { lock_timeout, statement_timeout } = r.rows[0];
        if (lock_timeout !== '0' || statement_timeout !== '0') leaks.push(`lock_timeout=${lock_timeout} statement_timeout=${statement_timeout}`);
        await new Promise((res) => setTimeout(res, 5));
      }
    } finally {
      await c.end().catch(() => {});
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { probes, leaks };
    },
  };
}
