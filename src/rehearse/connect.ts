/**
 * Connections of a rehearsal: only to a local server (127.0.0.1, localhost, ::1 or a unix socket),
 * each named so pg_stat_activity tells the app clients, the migration and the monitor apart.
 */
import pg from 'pg';

export class RehearseError extends Error {}

/** application_name of each kind of connection (the monitor looks for these). */
export const APP_NAME = {
  app: 'migscaffold-rehearse-app',
  migration: 'migscaffold-rehearse-migration',
  monitor: 'migscaffold-rehearse-monitor',
  setup: 'migscaffold-rehearse-setup',
} as const;

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** Throws unless every host the URL (or PGHOST, when the URL names none) points at is local. */
export function assertLocalUrl(url: string, env: Record<string, string | undefined> = process.env): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new RehearseError(`--database-url ${JSON.stringify(redact(url))} is not a URL (postgresql://user@127.0.0.1:5432/db)`);
  }
  if (u.protocol !== 'postgresql:' && u.protocol !== 'postgres:')
    throw new RehearseError(`--database-url must start with postgresql:// (got ${u.protocol})`);
  const hosts: string[] = [];
  if (u.hostname) hosts.push(...decodeURIComponent(u.hostname).split(','));
  const hostParam = u.searchParams.get('host');
  if (hostParam) hosts.push(hostParam);
  if (hosts.length === 0 && env.PGHOST) hosts.push(...env.PGHOST.split(','));
  for (const h of hosts) {
    if (h.startsWith('/')) continue; // unix socket directory
    if (!LOCAL_HOSTS.has(h))
      throw new RehearseError(
        `rehearse only runs against a local scratch database (127.0.0.1, localhost, ::1 or a unix socket), not ${h}: ` +
          'it loads the database with traffic and applies the migrations for real',
      );
  }
}

/** The URL without its password, for messages. */
export function redact(url: string): string {
  return url.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@');
}

export interface ConnectOptions {
  name: string;
  /** Session statement_timeout in ms (0: none). */
  statementTimeoutMs?: number;
}

export async function connect(url: string, opts: ConnectOptions): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: url,
    application_name: opts.name,
    connectionTimeoutMillis: 15_000,
    statement_timeout: opts.statementTimeoutMs && opts.statementTimeoutMs > 0 ? opts.statementTimeoutMs : undefined,
  });
  // A server-side termination must not become an unhandled 'error' event; the next query fails.
  client.on('error', () => {});
  await client.connect();
  return client;
}

export async function closeQuietly(client: pg.Client | undefined): Promise<void> {
  if (client) await client.end().catch(() => {});
}

/** SQLSTATE of a pg error, or undefined. */
export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' ? code : undefined;
}

export function errorText(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return `${e?.code ? `${e.code}: ` : ''}${e?.message ?? String(err)}`;
}
