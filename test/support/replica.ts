/**
 * A primary of its own with a real streaming standby: a throwaway cluster (startCluster, as the
 * harness's) and src/rehearse/standby.ts's standby of it (pg_basebackup, a second postmaster on
 * loopback). The primary is not the harness's shared cluster, so the WAL the tests measure is only
 * theirs. Lag is read on the primary as rehearse --replica reads it (REPLICATION_LAG_SQL).
 */
import { REPLICATION_LAG_SQL } from '../../src/rehearse/replica-lag.js';
import { startStandby } from '../../src/rehearse/standby.js';
import { PG_BIN, query, startCluster, stopCluster, type ClusterInfo } from './pg.js';

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
  let standby;
  try {
    standby = await startStandby({ port: primary.port, user: primary.user, binDir: PG_BIN });
  } catch (e) {
    await stopCluster(primary);
    throw e;
  }
  const lag = async () => (await query<{ bytes: number | null; lag_ms: number }>(primary.adminUrl, REPLICATION_LAG_SQL))[0];
  const s = standby;
  return {
    primary,
    standbyUrl: s.url('postgres'),
    url: (db, on = 'primary') => (on === 'primary' ? `postgresql://${primary.user}@127.0.0.1:${primary.port}/${encodeURIComponent(db)}` : s.url(db)),
    pause: () => s.pause(),
    resume: () => s.resume(),
    async unreplayedBytes() {
      const { bytes } = await lag();
      return bytes === null ? null : Number(bytes);
    },
    replayLagMs: async () => Number((await lag()).lag_ms),
    caughtUp: (timeoutMs) => s.caughtUp(timeoutMs),
    async stop() {
      await s.stop();
      await stopCluster(primary);
    },
  };
}
