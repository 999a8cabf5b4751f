/**
 * drop-index where it can go wrong, on PostgreSQL 15:
 *   - an index a constraint needs: `migscaffold next --deployed` runs the deploy phase's check against
 *     the database and refuses to write the drop, with the query and its result; once nothing needs
 *     the index, it writes it;
 *   - behind a long transaction, the generated DROP INDEX CONCURRENTLY waits without blocking anyone:
 *     a reader on the table is served at once. The naive DROP INDEX put in its place (negative
 *     control) queues the same reader behind it.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { describe, inject, it, type ExpectStatic } from 'vitest';
import { main } from '../../src/cli/main.js';
import { realEffects } from '../../src/effects.js';
import { caseById } from '../cases/index.js';
import { createStartingTable, prepareCase, type Generated } from '../support/lifecycle.js';
import { createDatabase, makeTempDir, query, uniqueDbName } from '../support/pg.js';
import { REPO_ROOT, sqlApplyFile } from '../support/tools.js';
import { openClient } from '../support/failures.js';

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { ...realEffects(), cwd: REPO_ROOT, interactive: false, env: {}, stdout: (t) => void (out += t), stderr: (t) => void (err += t) });
  return { code, out, err };
}

/**
 * Applies the drop while a transaction holds ACCESS SHARE on users, and meanwhile times a reader on
 * the table (statement_timeout 2 s). Returns the reader's outcome; the drop finishes once the
 * transaction ends.
 */
async function readerDuringDrop(expect: ExpectStatic, url: string, file: string): Promise<{ ms: number; error?: string }> {
  const holder = await openClient(url);
  const reader = await openClient(url);
  try {
    await holder.query('BEGIN');
    await holder.query('SELECT count(*) FROM users');
    const drop = sqlApplyFile(url, file);
    // Until the drop is waiting for its lock, the reader would prove nothing.
    for (let i = 0; ; i++) {
      const waiting = await query(url, `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE '%DROP INDEX%' AND wait_event_type = 'Lock'`);
      if (waiting.length) break;
      expect(i, 'the drop waits behind the open transaction').toBeLessThan(100);
      await new Promise((r) => setTimeout(r, 50));
    }
    await reader.query(`SET statement_timeout = '2s'`);
    const t0 = Date.now();
    const outcome = await reader.query(`SELECT name FROM users WHERE id = 7`).then(
      () => ({ ms: Date.now() - t0 }),
      (e: Error) => ({ ms: Date.now() - t0, error: e.message }),
    );
    await holder.query('ROLLBACK');
    await drop;
    return outcome;
  } finally {
    await holder.end().catch(() => {});
    await reader.end().catch(() => {});
  }
}

const upFile = (gen: Generated) => gen.migrationFiles.find((f) => f.endsWith('.up.sql'))!;

describe.concurrent('drop-index against a live database', () => {
  it('next --deployed refuses to write the drop while a constraint needs the index; writes it once nothing does', async ({ expect }) => {
    const info = inject('pg');
    const url = await createDatabase(info, uniqueDbName('drop_index_next'));
    const dir = await makeTempDir(info, 'drop-index-next');
    await createStartingTable(url);
    await query(url, 'ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email)');

    const gen = await cli(['drop-index', '--table', 'users', '--name', 'users_email_key', '--columns', 'email', '--unique', '--target', 'sql', '--out', dir, '--yes']);
    expect(gen.code, gen.err).toBe(0);
    expect(gen.out).toContain('no migration is due before the first phases are done');
    expect(await readdir(dir)).toEqual(['migscaffold']);

    const refused = await cli(['next', '--out', dir, '--database-url', url, '--deployed']);
    expect(refused.code, refused.out).toBe(1);
    expect(refused.err).toMatch(/"1\. Deploy code that no longer relies on users_email_key" is not finished: SELECT count\(\*\) FROM pg_constraint WHERE conindid = to_regclass\('users_email_key'\) returned 1 \(expected 0/);
    expect(await readdir(dir), 'nothing was written').toEqual(['migscaffold']);

    // The constraint goes (its own change); a plain unique index of that name is what is left to drop.
    await query(url, 'ALTER TABLE users DROP CONSTRAINT users_email_key');
    await query(url, 'CREATE UNIQUE INDEX users_email_key ON users (email)');
    const written = await cli(['next', '--out', dir, '--database-url', url, '--deployed']);
    expect(written.code, written.err).toBe(0);
    const files = await readdir(join(dir, 'db', 'migrations'));
    expect(files.filter((f) => f.endsWith('.up.sql'))).toHaveLength(1);
    await sqlApplyFile(url, join(dir, 'db', 'migrations', files.find((f) => f.endsWith('.up.sql'))!));
    expect(await query(url, `SELECT to_regclass('users_email_key') AS r`)).toEqual([{ r: null }]);
  });

  it('behind a long transaction, DROP INDEX CONCURRENTLY waits without holding up a reader', async ({ expect }) => {
    const p = await prepareCase(expect, caseById('drop_index_plain'), 'sql');
    try {
      const r = await readerDuringDrop(expect, p.url, upFile(p.gen));
      expect(r.error).toBeUndefined();
      expect(r.ms).toBeLessThan(1000);
      expect(await p.ctx.val(`SELECT to_regclass('users_email_idx')`)).toBeNull();
    } finally {
      await p.dispose();
    }
  });

  it('negative control: the naive DROP INDEX in its place queues the same reader behind it', async ({ expect }) => {
    const p = await prepareCase(expect, caseById('drop_index_plain'), 'sql');
    try {
      const file = upFile(p.gen);
      const text = await readFile(file, 'utf8');
      const naive = text.replace('DROP INDEX CONCURRENTLY IF EXISTS users_email_idx;', 'DROP INDEX users_email_idx;');
      expect(naive).not.toBe(text);
      await writeFile(file, naive);
      const r = await readerDuringDrop(expect, p.url, file);
      expect(r.error).toMatch(/canceling statement due to statement timeout/);
    } finally {
      await p.dispose();
    }
  });
});
