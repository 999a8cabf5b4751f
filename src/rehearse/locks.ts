/**
 * Watches the database while a phase runs, from a connection of its own, every ~20 ms:
 *   - the table-level locks the migration's backend holds on the table and its indexes (pg_locks);
 *   - the longest wait on a heavyweight lock of any app request (pg_stat_activity, wait_event_type
 *     'Lock': relation, tuple and transactionid waits, i.e. DDL and row locks alike).
 * Migrations in a transaction also report the locks they hold just before COMMIT (heldLocksSql),
 * which catches locks too brief for sampling.
 */
import type pg from 'pg';
import { APP_NAME, closeQuietly, connect } from './connect.js';

/** `AccessExclusiveLock` -> `ACCESS EXCLUSIVE`. */
export function lockModeName(mode: string): string {
  return mode
    .replace(/Lock$/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toUpperCase();
}

/**
 * `relations`: a SQL array of the OIDs the application uses (the table, and whatever holds its old
 * name during a rename); their indexes count too.
 */
function onRelations(relations: string): string {
  return `(l.relation = ANY (${relations}) OR l.relation IN (SELECT indexrelid FROM pg_index WHERE indrelid = ANY (${relations})))`;
}

/** Locks on the table and its indexes held by this backend: run inside the migration transaction. */
export function heldLocksSql(relations: string): string {
  // LEFT JOIN: a relation this transaction dropped (a view) has no catalog row left to name it.
  return `SELECT l.mode, coalesce(c.relname, l.relation::text) AS relname FROM pg_locks l LEFT JOIN pg_class c ON c.oid = l.relation
   WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted
     AND ${onRelations(relations)}`;
}

/**
 * Inside a migration's transaction, after each statement: the sequential scans of the table this
 * transaction has made so far, and the blocking table locks it holds. A scan made by a statement
 * that ends holding one of those locks ran under it (ALTER TABLE takes its lock before it scans):
 * every query on the table waited for the whole scan. Settled on PostgreSQL 15: the verification
 * scans of SET NOT NULL, ADD CONSTRAINT ... CHECK and VALIDATE, and table rewrites, all count in
 * pg_stat_get_xact_numscans; ADD ... NOT VALID, SET NOT NULL proven by a valid check, and DROP
 * CONSTRAINT count none. Index scans are not counted (they touch only the rows they find).
 */
export function scanProbeSql(tableRegclass: string, blockingModes: string[]): string {
  return `SELECT pg_stat_get_xact_numscans(${tableRegclass}) AS scans,
     (SELECT string_agg(l.mode, ', ' ORDER BY l.mode) FROM pg_locks l
       WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted AND l.relation = ${tableRegclass}
         AND l.mode IN (${blockingModes.map((m) => `'${m}'`).join(', ')})) AS blocking`;
}

/** `ACCESS EXCLUSIVE` -> `AccessExclusiveLock`, as pg_locks names it. */
export function pgLockMode(lock: string): string {
  return `${lock
    .toLowerCase()
    .split(' ')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('')}Lock`;
}

export interface PhaseLockSample {
  /** `ACCESS EXCLUSIVE on users` etc. */
  locks: Set<string>;
  /** Longest lock wait seen for an app request, ms. */
  appLockWaitMs: number;
  /** Times the migration was seen waiting for a lock. */
  migrationWaits: number;
  /**
   * Longest-running writing migration transaction seen (server side: clock_timestamp() - xact_start
   * of its backend while it has an xid, i.e. has changed rows or the catalog), ms. For a backfill, how long one batch held its row locks; for DDL, how
   * long its locks were held. Sampled, so it may be short of the truth by one interval.
   */
  migrationXactMaxMs: number;
  samples: number;
}

export function newLockSample(): PhaseLockSample {
  return { locks: new Set(), appLockWaitMs: 0, migrationWaits: 0, migrationXactMaxMs: 0, samples: 0 };
}

export class LockMonitor {
  private client?: pg.Client;
  private timer?: NodeJS.Timeout;
  private busy = false;
  private current: PhaseLockSample = newLockSample();
  /** Backend pid of the migration connection. */
  migrationPid = 0;

  constructor(
    private readonly url: string,
    private readonly tableRegclass: string,
    private readonly intervalMs = 20,
  ) {}

  async start(): Promise<void> {
    this.client = await connect(this.url, { name: APP_NAME.monitor, statementTimeoutMs: 5_000 });
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
  }

  setSample(s: PhaseLockSample): void {
    this.current = s;
    this.generation++;
  }

  /** Sample the migration's locks only while a phase's own work runs (not its verify queries). */
  get recordLocks(): boolean {
    return this.recording;
  }
  set recordLocks(on: boolean) {
    this.recording = on;
    this.generation++;
  }
  private recording = false;
  /** Bumped at every phase or recording change: a sample that straddles one is dropped. */
  private generation = 0;

  /** Also records locks reported by the migration itself. */
  addLocks(rows: { mode: string; relname: string }[]): void {
    for (const r of rows) this.current.locks.add(`${lockModeName(r.mode)} on ${r.relname}`);
  }

  /** The locks worth showing: everything on the table, and locks stronger than ROW EXCLUSIVE on its indexes. */
  static visible(locks: Set<string>, table: string): string[] {
    const weak = new Set(['ACCESS SHARE', 'ROW SHARE', 'ROW EXCLUSIVE']);
    return [...locks]
      .filter((l) => l.endsWith(` on ${table}`) || !weak.has(l.replace(/ on .*$/, '')))
      .sort();
  }

  private async tick(): Promise<void> {
    if (this.busy || !this.client) return;
    this.busy = true;
    const sample = this.current;
    const generation = this.generation;
    const recording = this.recording;
    try {
      const r = await this.client.query<{ wait_ms: number | null; xact_ms: number | null; locks: { mode: string; relname: string; granted: boolean }[] | null }>(
        `SELECT
           (SELECT (extract(epoch FROM clock_timestamp() - a.xact_start) * 1000)::float8 FROM pg_stat_activity a
             WHERE a.pid = $1 AND a.xact_start IS NOT NULL AND a.backend_xid IS NOT NULL AND a.state <> 'idle'
               AND a.query NOT ILIKE 'VACUUM%' /* the backfill's closing VACUUM locks no rows */) AS xact_ms,
           (SELECT max(extract(epoch FROM clock_timestamp() - a.query_start) * 1000)::float8 FROM pg_stat_activity a
             WHERE a.application_name = $2 AND a.wait_event_type = 'Lock' AND a.datname = current_database()) AS wait_ms,
           (SELECT json_agg(json_build_object('mode', l.mode, 'relname', c.relname, 'granted', l.granted))
              FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
             WHERE l.pid = $1 AND l.locktype = 'relation'
               AND ${onRelations(this.tableRegclass)}) AS locks`,
        [this.migrationPid, APP_NAME.app],
      );
      const row = r.rows[0];
      if (generation !== this.generation) return; // the phase changed while we asked: attribute nothing
      sample.samples++;
      if (row.wait_ms !== null && row.wait_ms > sample.appLockWaitMs) sample.appLockWaitMs = row.wait_ms;
      if (recording && row.xact_ms !== null && row.xact_ms > sample.migrationXactMaxMs) sample.migrationXactMaxMs = row.xact_ms;
      for (const l of recording ? row.locks ?? [] : []) {
        if (l.granted) sample.locks.add(`${lockModeName(l.mode)} on ${l.relname}`);
        else sample.migrationWaits++;
      }
    } catch {
      // The table may be between states (or the regclass gone for a moment): skip this sample.
    } finally {
      this.busy = false;
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    while (this.busy) await new Promise((r) => setTimeout(r, 5));
    await closeQuietly(this.client);
    this.client = undefined;
  }
}
