/**
 * Concurrent application clients: each runs reads, updates and inserts (60/25/15; index lookups and
 * upserts too when its code makes them) with a short think time, as old or new code according to the
 * workload's current share of new code, and records every request's latency and outcome in the
 * bucket of the phase that is running.
 */
import type pg from 'pg';
import { APP_NAME, closeQuietly, connect, errorText } from './connect.js';
import { queriesOf, type AppQuery, type Workload } from './workload.js';

export interface Bucket {
  queries: number;
  failed: number;
  latencies: number[];
  errors: Map<string, number>;
  byCode: { old: number; new: number };
}

export function newBucket(): Bucket {
  return { queries: 0, failed: 0, latencies: [], errors: new Map(), byCode: { old: 0, new: 0 } };
}

export interface TrafficOptions {
  url: string;
  clients: number;
  workload: Workload;
  nextKey: () => string;
  /** Pause between two requests of one client, ms (default 5). */
  thinkMs?: number;
  /** App-side statement_timeout, ms: a request waiting longer counts as failed. */
  requestTimeoutMs?: number;
}

const MIX: [AppQuery['kind'], number][] = [
  ['read', 0.5],
  ['lookup', 0.1],
  ['update', 0.25],
  ['insert', 0.15],
  ['upsert', 0.1],
];

export class Traffic {
  private clients: pg.Client[] = [];
  private loops: Promise<void>[] = [];
  private running = false;
  private bucket: Bucket = newBucket();
  /** Probability that a request runs new code. */
  newShare = 0;
  private readonly oldQ: AppQuery[];
  private readonly newQ: AppQuery[];

  constructor(private readonly opts: TrafficOptions) {
    this.oldQ = queriesOf(opts.workload.info, opts.workload.old);
    this.newQ = queriesOf(opts.workload.info, opts.workload.new);
  }

  async start(): Promise<void> {
    for (let i = 0; i < this.opts.clients; i++)
      this.clients.push(await connect(this.opts.url, { name: APP_NAME.app, statementTimeoutMs: this.opts.requestTimeoutMs ?? 60_000 }));
    this.running = true;
    this.loops = this.clients.map((c) => this.loop(c));
  }

  /** Requests from now on are counted in this bucket. */
  setBucket(b: Bucket): void {
    this.bucket = b;
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    await Promise.all(this.clients.map((c) => closeQuietly(c)));
    this.clients = [];
  }

  private pick(queries: AppQuery[]): AppQuery {
    const avail = MIX.filter(([k]) => queries.some((q) => q.kind === k));
    const total = avail.reduce((s, [, w]) => s + w, 0);
    let r = Math.random() * total;
    for (const [k, w] of avail) {
      r -= w;
      if (r <= 0) return queries.find((q) => q.kind === k)!;
    }
    return queries[0];
  }

  private async loop(client: pg.Client): Promise<void> {
    const think = this.opts.thinkMs ?? 5;
    while (this.running) {
      const useNew = Math.random() < this.newShare;
      const q = this.pick(useNew ? this.newQ : this.oldQ);
      const bucket = this.bucket;
      const t0 = performance.now();
      try {
        await client.query(q.text, q.needsKey ? [this.opts.nextKey()] : []);
        bucket.latencies.push(performance.now() - t0);
      } catch (err) {
        bucket.latencies.push(performance.now() - t0);
        bucket.failed++;
        const msg = `${useNew ? 'new' : 'old'} code ${q.kind}: ${errorText(err)}`;
        bucket.errors.set(msg, (bucket.errors.get(msg) ?? 0) + 1);
        if (/Connection terminated|not queryable|ECONNRESET/i.test(String((err as Error)?.message))) {
          this.running = false; // the server is gone: stop instead of spinning
        }
      }
      bucket.queries++;
      bucket.byCode[useNew ? 'new' : 'old']++;
      if (think > 0) await new Promise((r) => setTimeout(r, think * (0.5 + Math.random())));
    }
  }
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}
