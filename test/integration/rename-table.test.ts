/**
 * What the stand-in view of rename-table carries over and what it does not, on PostgreSQL 15, through
 * the SQL migscaffold generates (sql target, each file as one query): the facts the recipe's comment
 * and the checklist's hazard state. And the negative control: without the view, old code fails at once.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, inject, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { realEffects } from '../../src/effects.js';
import { createDatabase, makeTempDir, query, uniqueDbName } from '../support/pg.js';
import { REPO_ROOT, sqlApplyFile } from '../support/tools.js';
import { createStartingTable } from '../support/lifecycle.js';

async function generated(dir: string): Promise<{ rename: string; contract: string }> {
  const code = await main(['rename-table', '--from', 'users', '--to', 'accounts', '--target', 'sql', '--out', dir, '--yes', '--all-phases'], {
    ...realEffects(),
    cwd: REPO_ROOT,
    interactive: false,
    env: {},
    stdout: () => {},
    stderr: () => {},
  });
  if (code !== 0) throw new Error(`generation failed with ${code}`);
  const ups = (await readdir(join(dir, 'db/migrations'))).filter((f) => f.endsWith('.up.sql')).sort();
  return { rename: join(dir, 'db/migrations', ups[0]), contract: join(dir, 'db/migrations', ups[1]) };
}

async function setup(name: string) {
  const info = inject('pg');
  const url = await createDatabase(info, uniqueDbName(name));
  const dir = await makeTempDir(info, name);
  await createStartingTable(url);
  return { url, dir, files: await generated(dir) };
}

const fails = (url: string, sql: string) =>
  query(url, sql).then(
    () => null,
    (e: { code?: string; message?: string }) => `${e.code}: ${e.message}`,
  );

describe('rename-table: the stand-in view', () => {
  it('carries writes, defaults, ON CONFLICT, RETURNING, row triggers and table grants', async ({ expect }) => {
    const { url, files } = await setup('rt_carries');
    const role = `rt_app_${Math.random().toString(36).slice(2, 8)}`;
    await query(url, `CREATE ROLE ${role}; GRANT SELECT, INSERT, UPDATE ON users TO ${role}; GRANT USAGE ON SEQUENCE users_id_seq TO ${role}`);
    await query(url, `CREATE TABLE audit (tbl text, op text); GRANT INSERT ON audit TO ${role}`);
    await query(url, `CREATE FUNCTION audit_row() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN INSERT INTO audit VALUES (TG_TABLE_NAME, TG_OP); RETURN NEW; END$$`);
    await query(url, `CREATE TRIGGER audit_row BEFORE INSERT OR UPDATE ON users FOR EACH ROW EXECUTE FUNCTION audit_row()`);
    try {
      await sqlApplyFile(url, files.rename);
      const [r] = await query(url, `INSERT INTO users (email) VALUES ('v@x') RETURNING id, name, created_at IS NOT NULL AS stamped`);
      expect(r).toMatchObject({ name: 'anon', stamped: true });
      await query(url, `INSERT INTO users (id, email) VALUES (${r.id}, 'w@x') ON CONFLICT (id) DO UPDATE SET name = 'up'`);
      await query(url, `INSERT INTO users (id, email) VALUES (${r.id}, 'w@x') ON CONFLICT DO NOTHING`);
      expect(await query(url, `SELECT name FROM accounts WHERE id = ${r.id}`)).toEqual([{ name: 'up' }]);
      // Row triggers of the table fire, and see its new name.
      expect(await query(url, `SELECT DISTINCT tbl FROM audit`)).toEqual([{ tbl: 'accounts' }]);
      // The application's role keeps its access through the view: its table grants were copied.
      await query(url, `SET ROLE ${role}; INSERT INTO users (email) VALUES ('role@x'); RESET ROLE`);
      expect(await query(url, `SELECT count(*)::int AS n FROM users WHERE email = 'role@x'`)).toEqual([{ n: 1 }]);
    } finally {
      // Roles are cluster-wide: this one goes with the privileges it holds in this database.
      await query(url, `DROP OWNED BY ${role}; DROP ROLE ${role}`);
    }
  });

  it('does not carry DDL on the old name, later columns, or column grants', async ({ expect }) => {
    const { url, files } = await setup('rt_limits');
    await sqlApplyFile(url, files.rename);
    expect(await fails(url, `ALTER TABLE users ADD COLUMN x int`)).toMatch(/^42809: ALTER action ADD COLUMN cannot be performed on relation "users"/);
    expect(await fails(url, `DROP TABLE users`)).toMatch(/^42809: "users" is not a table/);
    await query(url, `ALTER TABLE accounts ADD COLUMN later text`);
    expect(await fails(url, `SELECT later FROM users`)).toMatch(/^42703: column "later" does not exist/);
    await query(url, `GRANT SELECT (email) ON accounts TO PUBLIC`);
    expect(await query(url, `SELECT attacl IS NULL AS none FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'email'`)).toEqual([{ none: true }]);
    await sqlApplyFile(url, files.contract);
    expect(await fails(url, `SELECT 1 FROM users`)).toMatch(/^42P01/);
  });

  it('negative control: without the view, old code fails as soon as the rename commits', async ({ expect }) => {
    const { url, files } = await setup('rt_negative');
    const sql = await readFile(files.rename, 'utf8');
    const naive = sql.slice(0, sql.indexOf('-- A plain SELECT * view'));
    expect(naive).toContain('ALTER TABLE users RENAME TO accounts;');
    await writeFile(files.rename, naive);
    await sqlApplyFile(url, files.rename);
    expect(await fails(url, `INSERT INTO users (email) VALUES ('old@x')`)).toMatch(/^42P01: relation "users" does not exist/);
  });
});
