/**
 * A streaming standby of a local scratch primary: `pg_basebackup -R -X stream` of it into a temp
 * dir, and a second postmaster on another loopback port replaying its WAL (hot standby, so it can be
 * queried, paused and resumed). Used by `rehearse --replica`, the tests and the bench.
 *
 * The standby reports its replay position at least every second (wal_receiver_status_interval =
 * 1s) and whenever WAL arrives, so the primary's pg_stat_replication follows it closely; while replay
 * is paused (pg_wal_replay_pause) and WAL keeps arriving, the lag keeps growing.
 */
import { readFileSync } from 'node:fs';
import { freePort, runServerTool, scratchServerOptions, serverDirs, serverLifecycle } from './cluster.js';
import { RehearseError } from './connect.js';

export interface Standby {
  port: number;
  /** URL of a database on the standby (read-only). */
  url(db: string): string;
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Waits until the standby has replayed everything the primary has written so far. */
  caughtUp(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface PrimaryServer {
  port: number;
  /** A superuser (pg_basebackup connects for replication as it). */
  user: string;
  /** Directory of the server binaries (pg_basebackup, pg_ctl), the primary's own version. */
  binDir: string;
}

async function one(url: string, sql: string): Promise<unknown> {
  const { default: pg } = await import('pg');
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 15_000 });
  await c.connect();
  try {
    return Object.values((await c.query(sql)).rows[0] ?? {})[0];
  } finally {
    await c.end().catch(() => {});
  }
}

/** Starts a standby of `primary` and waits until the primary lists it as streaming. */
export async function startStandby(primary: PrimaryServer, opts: { log?: (line: string) => void } = {}): Promise<Standby> {
  const primaryUrl = `postgresql://${primary.user}@127.0.0.1:${primary.port}/postgres`;
  // A hot standby refuses to start with fewer connections than its primary allows.
  const maxConnections = Number(await one(primaryUrl, 'SHOW max_connections'));
  const { baseDir, dataDir, socketDir, logFile } = serverDirs('migscaffold-standby-');
  const life = serverLifecycle(primary.binDir, dataDir, baseDir);
  const fail = (what: string, r: { code: number | null; out: string }) => {
    let log = '';
    try {
      log = readFileSync(logFile, 'utf8');
    } catch {
      /* none */
    }
    return new RehearseError(`${what} failed (exit ${r.code}): ${r.out}\n${log}`);
  };
  try {
    opts.log?.('pg_basebackup (streaming standby)');
    const backup = await runServerTool(
      primary.binDir,
      'pg_basebackup',
      ['-h', '127.0.0.1', '-p', String(primary.port), '-U', primary.user, '-D', dataDir, '-R', '-X', 'stream', '--checkpoint=fast', '--no-sync'],
      300_000,
    );
    if (backup.code !== 0) throw fail('pg_basebackup', backup);
    const port = await freePort();
    const options = scratchServerOptions(port, socketDir, ['-c hot_standby=on', '-c wal_receiver_status_interval=1s', `-c max_connections=${maxConnections}`]);
    const started = await runServerTool(primary.binDir, 'pg_ctl', ['-D', dataDir, '-l', logFile, '-w', '-t', '60', '-o', options, 'start'], 90_000);
    if (started.code !== 0) throw fail('starting the standby', started);
    life.arm();
    const url = (db: string) => `postgresql://${primary.user}@127.0.0.1:${port}/${encodeURIComponent(db)}`;
    // Streaming, not just started: the primary lists it.
    for (let i = 0; Number(await one(primaryUrl, `SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'`)) === 0; i++) {
      if (i > 300) throw new RehearseError(`the standby never started streaming:\n${readFileSync(logFile, 'utf8')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return {
      port,
      url,
      pause: () => one(url('postgres'), 'SELECT pg_wal_replay_pause()').then(() => {}),
      resume: () => one(url('postgres'), 'SELECT pg_wal_replay_resume()').then(() => {}),
      async caughtUp(timeoutMs = 30_000) {
        const target = String(await one(primaryUrl, 'SELECT pg_current_wal_lsn()::text'));
        const t0 = Date.now();
        for (;;) {
          if ((await one(url('postgres'), `SELECT pg_last_wal_replay_lsn() >= '${target}'::pg_lsn`)) === true) return;
          if (Date.now() - t0 > timeoutMs) throw new RehearseError(`the standby did not replay up to ${target} within ${timeoutMs} ms`);
          await new Promise((r) => setTimeout(r, 100));
        }
      },
      async stop() {
        life.stop();
      },
    };
  } catch (e) {
    life.stop();
    throw e;
  }
}
