/**
 * A primary of its own with a real streaming standby: a throwaway cluster (startCluster, as the
 * harness's), `pg_basebackup -R -X stream` of it, and a second postmaster on another loopback port
 * replaying its WAL. The primary is not the harness's shared cluster, so the WAL the tests measure
 * is only theirs.
 *
 * The standby reports its replay position every second (wal_receiver_status_interval = 1s), so the
 * primary's pg_stat_replication.replay_lag follows within about a second; while replay is paused
 * (pg_wal_replay_pause) and WAL keeps arriving, that lag keeps growing.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from '../../src/rehearse/cluster.js';
import { PG_BIN, query, startCluster, stopCluster, type ClusterInfo } from './pg.js';

const RUNUSER = ['/usr/sbin/runuser', '/sbin/runuser', '/usr/bin/runuser'].find((p) => existsSync(p)) ?? 'runuser';
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', TZ: 'UTC' };

function run(bin: string, args: string[]): Promise<string> {
  const full = join(PG_BIN, bin);
  const [cmd, argv] = isRoot ? [RUNUSER, ['-u', 'postgres', '--', full, ...args]] : [full, args];
  return new Promise((resolve, reject) =>
    execFile(cmd, argv, { env: ENV, cwd: '/', timeout: 120_000, killSignal: 'SIGKILL' }, (err, stdout, stderr) =>
      err ? reject(new Error(`${bin} ${args.join(' ')}: ${err.message}\n${stdout}\n${stderr}`)) : resolve(stdout),
    ),
  );
}

export interface Replicated {
  primary: ClusterInfo;
  /** Admin URL of the standby (read-only). */
  standbyUrl: string;
  /** URL of a database on the primary, or on the standby. */
  url(db: string, on?: 'primary' | 'standby'): string;
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Bytes of WAL the primary has written that the standby has not replayed (null: not connected). */
  unreplayedBytes(): Promise<number | null>;
  /** replay_lag as the primary reports it, in ms (0 when caught up). */
  replayLagMs(): Promise<number>;
  /** Waits until the standby has replayed everything the primary has written so far. */
  caughtUp(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startReplicated(): Promise<Replicated> {
  const primary = await startCluster();
  const standbyDir = join(primary.baseDir, 'standby');
  const standbyPort = await freePort();
  const stopAll = async () => {
    await run('pg_ctl', ['-D', standbyDir, '-m', 'immediate', '-w', 'stop']).catch(() => {});
    await rm(standbyDir, { recursive: true, force: true });
    await stopCluster(primary);
  };
  try {
    await run('pg_basebackup', ['-h', '127.0.0.1', '-p', String(primary.port), '-U', primary.user, '-D', standbyDir, '-R', '-X', 'stream', '--checkpoint=fast', '--no-sync']);
    const opts = [
      '-c listen_addresses=127.0.0.1',
      `-c port=${standbyPort}`,
      `-c unix_socket_directories=${primary.socketDir}`,
      '-c hot_standby=on',
      '-c wal_receiver_status_interval=1s',
      '-c fsync=off',
      // A hot standby needs at least the primary's (the harness's) max_connections.
      '-c max_connections=200',
    ].join(' ');
    await run('pg_ctl', ['-D', standbyDir, '-l', join(primary.baseDir, 'standby.log'), '-w', '-t', '60', '-o', opts, 'start']);
  } catch (e) {
    await stopAll();
    throw e;
  }
  const url = (db: string, on: 'primary' | 'standby' = 'primary') =>
    `postgresql://${primary.user}@127.0.0.1:${on === 'primary' ? primary.port : standbyPort}/${encodeURIComponent(db)}`;
  const one = async (u: string, sql: string) => Object.values((await query(u, sql))[0] ?? {})[0];
  const r: Replicated = {
    primary,
    standbyUrl: url('postgres', 'standby'),
    url,
    pause: () => query(url('postgres', 'standby'), 'SELECT pg_wal_replay_pause()').then(() => {}),
    resume: () => query(url('postgres', 'standby'), 'SELECT pg_wal_replay_resume()').then(() => {}),
    async unreplayedBytes() {
      const v = await one(primary.adminUrl, `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint FROM pg_stat_replication WHERE state = 'streaming'`);
      return v === undefined || v === null ? null : Number(v);
    },
    async replayLagMs() {
      return Number((await one(primary.adminUrl, `SELECT coalesce(max(extract(epoch FROM replay_lag) * 1000), 0)::float8 FROM pg_stat_replication`)) ?? 0);
    },
    async caughtUp(timeoutMs = 30_000) {
      const target = await one(primary.adminUrl, 'SELECT pg_current_wal_lsn()::text');
      const t0 = Date.now();
      for (;;) {
        const done = await one(url('postgres', 'standby'), `SELECT pg_last_wal_replay_lsn() >= '${target}'::pg_lsn`);
        if (done === true) return;
        if (Date.now() - t0 > timeoutMs) throw new Error(`the standby did not replay up to ${target} within ${timeoutMs} ms`);
        await new Promise((res) => setTimeout(res, 100));
      }
    },
    stop: stopAll,
  };
  // Streaming, not just started: the primary lists it.
  for (let i = 0; (await r.unreplayedBytes()) === null; i++) {
    if (i > 300) {
      await stopAll();
      throw new Error('the standby never started streaming');
    }
    await new Promise((res) => setTimeout(res, 100));
  }
  return r;
}
