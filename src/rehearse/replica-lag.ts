/**
 * How far the standbys of the rehearsal's primary fall behind while each phase runs: from a
 * connection of its own, every ~100 ms, the primary's pg_stat_replication (the largest over its
 * streaming standbys) of
 *   - bytes of WAL written but not yet replayed (pg_current_wal_lsn() - replay_lsn), and
 *   - replay_lag, the time the primary reports between flushing WAL and the standby replaying it
 *     (NULL once a standby has caught up and nothing more comes: counted as 0).
 * At each phase change one more sample is taken for the phase that ends, with the WAL it wrote
 * (pg_current_wal_lsn() then against its value when the phase began), in the same query, so a
 * standby replaying nothing of a phase shows at least that phase's WAL as not replayed.
 */
import type pg from 'pg';
import { errors } from '../messages/errors.js';
import { APP_NAME, closeQuietly, connect } from './connect.js';

/** One row: the WAL position now, and the largest lag over the streaming standbys (NULL: none). */
export const REPLICATION_LAG_SQL = `WITH now AS (SELECT pg_current_wal_lsn() AS lsn)
SELECT now.lsn::text AS lsn,
       (SELECT max(pg_wal_lsn_diff(now.lsn, r.replay_lsn))::float8 FROM pg_stat_replication r WHERE r.state = 'streaming') AS bytes,
       (SELECT coalesce(max(extract(epoch FROM r.replay_lag) * 1000), 0)::float8 FROM pg_stat_replication r WHERE r.state = 'streaming') AS lag_ms,
       (SELECT count(*)::int FROM pg_stat_replication r WHERE r.state = 'streaming') AS standbys
  FROM now`;

export interface PhaseReplicaSample {
  /** Most bytes of WAL not yet replayed by a standby, seen during the phase. */
  maxBytes: number;
  /** Longest replay_lag the primary reported during the phase, ms. */
  maxReplayLagMs: number;
  /** WAL the primary wrote during the phase (its work, dwell and checks), bytes. */
  walBytes: number;
  samples: number;
}

export function newReplicaSample(): PhaseReplicaSample {
  return { maxBytes: 0, maxReplayLagMs: 0, walBytes: 0, samples: 0 };
}

/** `16/B374D848` as a byte position. */
function lsnBytes(lsn: string): bigint {
  const [hi, lo] = lsn.split('/');
  return (BigInt(`0x${hi}`) << 32n) + BigInt(`0x${lo}`);
}

interface Row {
  lsn: string;
  bytes: number | null;
  lag_ms: number;
  standbys: number;
}

export class ReplicaLagMonitor {
  private client?: pg.Client;
  private timer?: NodeJS.Timeout;
  private current: PhaseReplicaSample | null = null;
  private startLsn = '';
  /** Every query goes through this chain: a tick and a phase change never interleave. */
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly url: string,
    private readonly intervalMs = 100,
  ) {}

  /** Connects; refuses when no standby is streaming from this server. */
  async start(): Promise<void> {
    this.client = await connect(this.url, { name: APP_NAME.monitor, statementTimeoutMs: 5_000 });
    const row = await this.read();
    if (!row.standbys || row.bytes === null)
      throw errors.rehearseNoStandby();
    this.timer = setInterval(() => void this.enqueue(async () => this.record(await this.read())), this.intervalMs);
  }

  /** Closes the phase sampled so far (one last sample, its WAL) and samples `next` from now on. */
  switchTo(next: PhaseReplicaSample | null): Promise<void> {
    return this.enqueue(async () => {
      let row: Row | null = null;
      try {
        row = await this.read();
      } finally {
        // Switched whatever the read did: a phase never takes the next one's samples.
        if (row) this.record(row);
        if (row && this.current && this.startLsn) this.current.walBytes = Number(lsnBytes(row.lsn) - lsnBytes(this.startLsn));
        this.current = next;
        this.startLsn = row?.lsn ?? '';
      }
    });
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.chain;
    await closeQuietly(this.client);
    this.client = undefined;
  }

  private enqueue(f: () => Promise<void>): Promise<void> {
    const next = this.chain.then(f);
    // A failed sample (a busy server, a standby reconnecting) is skipped; the chain goes on.
    this.chain = next.catch(() => {});
    return next;
  }

  private async read(): Promise<Row> {
    return (await this.client!.query<Row>(REPLICATION_LAG_SQL)).rows[0];
  }

  private record(row: Row): void {
    const s = this.current;
    if (!s) return;
    s.samples++;
    if (row.bytes !== null && row.bytes > s.maxBytes) s.maxBytes = row.bytes;
    if (row.lag_ms > s.maxReplayLagMs) s.maxReplayLagMs = row.lag_ms;
  }
}
