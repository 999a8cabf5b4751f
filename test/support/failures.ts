/** What the failure-path tests share: a second session, a migration that must fail, Prisma's retry. */
import pg from 'pg';
import type { Prepared } from './lifecycle.js';
import { query } from './pg.js';

/** A client of its own (another session holding locks); its errors after a kill are expected. */
export async function openClient(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => {});
  await c.connect();
  return c;
}

/** Applies one migration id and returns the tool's error text (the apply must fail). */
export async function applyError(p: Prepared, id: string): Promise<string> {
  const err = await p.driver.apply(p.ctx.expect, p.url, p.gen, id).then(
    () => null,
    (e: unknown) => e,
  );
  p.ctx.expect(err, `applying ${id} must fail`).not.toBeNull();
  return String(err instanceof Error ? err.message : err);
}

/**
 * What `prisma migrate resolve --rolled-back` does for a failed migration, so that `migrate deploy`
 * runs it again (without it, deploy refuses with P3009). Nothing to do for the other tools.
 */
export async function resolveFailed(p: Prepared, id: string): Promise<void> {
  if (p.driver.name !== 'prisma') return;
  await query(p.url, 'UPDATE _prisma_migrations SET rolled_back_at = now() WHERE migration_name = $1 AND finished_at IS NULL', [id]);
}
