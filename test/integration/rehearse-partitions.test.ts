/**
 * `migscaffold rehearse --partitions N`: the table is seeded range-partitioned, the plan is built
 * knowing it, and the runner runs the partitioned form of the migration (as Alembic and Rails do);
 * an operation that refuses partitioned tables refuses in one line. No timing assertions.
 */
import { describe, inject, it } from 'vitest';
import { runMigscaffold } from '../support/lifecycle.js';
import { createDatabase, query, uniqueDbName } from '../support/pg.js';

/** The CLI in-process, as `migscaffold rehearse ...`. */
const rehearse = (args: string[]) => runMigscaffold(['rehearse', ...args]);

const QUIET = ['--clients', '4', '--dwell', '150', '--max-stall', '600000', '--time-limit', '100'];

describe.concurrent('rehearse --partitions', () => {
  it('add-index on 8 partitions: no failed app query, every partition indexed and attached, the parent index valid', async ({ expect }) => {
    const url = await createDatabase(inject('pg'), uniqueDbName('rehearse_parts'));
    const res = await rehearse(['add-index', '--table', 'users', '--columns', 'name', '--partitions', '8', '--rows', '40000', '--database-url', url, ...QUIET, '--json']);
    const report = JSON.parse(res.stdout);
    const context = `${res.stderr}\n${JSON.stringify(report.problems ?? report, null, 2)}`;
    expect(report.problems, context).toEqual([]);
    expect(res.code, context).toBe(0);
    expect(report.totals.appQueries).toBeGreaterThan(0);
    expect(report.totals.appFailed).toBe(0);
    expect(report.phases[0].title).toBe('Build users_name_idx on each partition of users concurrently');
    // The partitions' locks are watched too: each partition's CONCURRENTLY build holds SHARE UPDATE EXCLUSIVE on it.
    expect(report.phases[0].locks, JSON.stringify(report.phases[0].locks)).toEqual(expect.arrayContaining([expect.stringMatching(/^SHARE UPDATE EXCLUSIVE on users_p\d$/)]));
    expect(await query(url, `SELECT relkind FROM pg_class WHERE oid = 'users'::regclass`)).toEqual([{ relkind: 'p' }]);
    const parts = await query<{ partition: string; leaf: string; index: string | null; valid: boolean | null }>(
      url,
      `SELECT c.relname AS partition, c.relkind AS leaf, xc.relname AS index, x.indisvalid AS valid
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         LEFT JOIN (pg_inherits ii JOIN pg_index x ON x.indexrelid = ii.inhrelid JOIN pg_class xc ON xc.oid = x.indexrelid)
                ON ii.inhparent = 'users_name_idx'::regclass AND x.indrelid = c.oid
        WHERE i.inhparent = 'users'::regclass ORDER BY 1`,
    );
    expect(parts.map((p) => p.partition)).toEqual(Array.from({ length: 8 }, (_, k) => `users_p${k}`));
    for (const p of parts) expect(p, p.partition).toEqual({ partition: p.partition, leaf: 'r', index: `${p.partition}_name_idx`, valid: true });
    expect(await query(url, `SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_name_idx'::regclass`)).toEqual([{ indisvalid: true }]);
    // Every partition holds rows: the ranges split the seeded keys.
    const counts = await query<{ n: number }>(url, `SELECT count(*)::int AS n FROM users GROUP BY tableoid`);
    expect(counts.length).toBe(8);
  });

  it('a backfill walks one partition at a time, as the scripts do: no batch transaction updates two partitions', async ({ expect }) => {
    const url = await createDatabase(inject('pg'), uniqueDbName('rehearse_parts_backfill'));
    // A first rehearsal seeds the partitioned table; a row trigger then logs which partitions each
    // transaction updates (app updates touch one row, so only a batch could touch two).
    const seed = await rehearse(['add-column', '--table', 'users', '--column', 'nickname', '--type', 'text', '--partitions', '4', '--rows', '20000', '--database-url', url, ...QUIET]);
    expect(seed.code, seed.stderr).toBe(0);
    await query(url, [
      'CREATE TABLE touched (txid bigint, part text, PRIMARY KEY (txid, part))',
      `CREATE FUNCTION log_touched() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO touched VALUES (txid_current(), TG_TABLE_NAME) ON CONFLICT DO NOTHING; RETURN NULL; END $$`,
      'CREATE TRIGGER log_touched AFTER UPDATE ON users FOR EACH ROW EXECUTE FUNCTION log_touched()',
    ].join(';\n'));
    // 700 rows a batch: a walk of the whole table would cut across the 5,000-row partitions.
    const res = await rehearse([
      ...['add-column', '--table', 'users', '--column', 'email_domain', '--type', 'text', '--backfill', "split_part(email, '@', 2)", '--not-null'],
      ...['--batch-size', '700', '--database-url', url, ...QUIET, '--json'],
    ]);
    const report = JSON.parse(res.stdout);
    expect(report.problems, res.stderr).toEqual([]);
    expect(res.code).toBe(0);
    expect(await query(url, 'SELECT count(*)::int AS n FROM users WHERE email_domain IS NULL')).toEqual([{ n: 0 }]);
    expect(await query(url, 'SELECT count(DISTINCT part)::int AS n FROM touched')).toEqual([{ n: 4 }]);
    expect(await query(url, 'SELECT txid, array_agg(part) AS parts FROM touched GROUP BY txid HAVING count(*) > 1')).toEqual([]);
  });

  it('an operation that refuses partitioned tables refuses in one line, exit 1', async ({ expect }) => {
    const url = await createDatabase(inject('pg'), uniqueDbName('rehearse_parts_refused'));
    // rename-column must copy the index on email, which PostgreSQL 15 cannot build CONCURRENTLY on a partitioned table.
    const res = await rehearse(['rename-column', '--table', 'users', '--from', 'email', '--to', 'email_address', '--partitions', '4', '--rows', '2000', '--database-url', url, ...QUIET]);
    expect(res.code, res.stderr).toBe(1);
    expect(res.stdout).toBe('');
    const lines = res.stderr.split('\n').filter((l) => l && !l.startsWith('rehearse: '));
    expect(lines).toEqual([expect.stringMatching(/^migscaffold rehearse: users is a partitioned table, and PostgreSQL 15 refuses CREATE INDEX CONCURRENTLY .* so this plan cannot copy what depends on email \(index users_email_idx[^)]*\): nothing was written\./)]);
    expect(await query(url, `SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'email_address'`)).toEqual([{ n: 0 }]);
  });

  it('--partitions on an existing plain table: one line, exit 2, nothing seeded', async ({ expect }) => {
    const url = await createDatabase(inject('pg'), uniqueDbName('rehearse_parts_plain'));
    await query(url, 'CREATE TABLE users (id bigserial PRIMARY KEY, name text)');
    const res = await rehearse(['add-index', '--table', 'users', '--columns', 'name', '--partitions', '4', '--database-url', url, ...QUIET]);
    expect(res.code).toBe(2);
    expect(res.stderr.split('\n').filter((l) => l && !l.startsWith('rehearse: '))).toEqual([
      'migscaffold rehearse: --partitions 4 seeds a new partitioned table, but users exists and is not partitioned: drop it, or rehearse on another table or database',
    ]);
    expect(await query(url, 'SELECT count(*)::int AS n FROM users')).toEqual([{ n: 0 }]);
  });
});
