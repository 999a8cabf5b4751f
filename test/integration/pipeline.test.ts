/**
 * Phased delivery as a deploy pipeline sees it: after every step the pipeline's blanket command runs
 * (`alembic upgrade head`, `db:migrate`, `prisma migrate deploy` semantics, `migrate up`,
 * `dbmate migrate`), never a version. A teammate's migration lands between two deliveries.
 *
 *   generate -> migrate (only the expand runs) -> old/new writes -> teammate -> next refuses (backfill
 *   unfinished) -> backfill -> next (tighten) -> migrate -> next refuses (deploy) -> next --deployed
 *   (contract) -> migrate -> new-code writes
 *
 * And the guards: with --all-phases, a blanket migrate before the backfill stops at the tighten's guard
 * with its message, through every tool; the contract's guards refuse on their own too.
 */
import { readdir, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, inject, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { realEffects } from '../../src/effects.js';
import { createDatabase, makeTempDir, query, uniqueDbName } from '../support/pg.js';
import { alembic, dbmate, prismaApply, rails, runCommand, sqlApplyFile, REPO_ROOT } from '../support/tools.js';
import pg from 'pg';
import { createStartingTable, DRIVERS, DRIVER_NAMES, PRISMA_BASELINE, ROWS, snapshot, startingDdl, type Case, type DriverName } from '../support/lifecycle.js';

/** The starting project of a driver (the Prisma one has a baseline migration and its schema.prisma). */
async function prepare(driver: DriverName, dir: string, url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const c: Case = { id: 'pipeline', op: 'rename-column', flags: {}, phases: {} };
    await DRIVERS[driver].prepare(dir, { ddl: startingDdl(), snap: await snapshot(client), c, opts: {} });
  } finally {
    await client.end();
  }
}

async function cli(argv: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, {
    ...realEffects(),
    cwd,
    interactive: false,
    env: {},
    stdout: (t) => void (out += t),
    stderr: (t) => void (err += t),
  });
  return { code, out, err };
}

/** golang-migrate's `up`: one version row; every file with a higher version, in order, each as one query. */
async function migrateUp(url: string, dir: string): Promise<void> {
  await query(url, 'CREATE TABLE IF NOT EXISTS schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)');
  const current = Number((await query<{ v: string }>(url, 'SELECT coalesce(max(version), 0) AS v FROM schema_migrations'))[0].v);
  const ups = (await readdir(dir)).filter((f) => f.endsWith('.up.sql')).sort((a, b) => Number(a.split('_')[0]) - Number(b.split('_')[0]));
  for (const f of ups) {
    const v = Number(f.split('_')[0]);
    if (v <= current) continue;
    await sqlApplyFile(url, join(dir, f));
    await query(url, `DELETE FROM schema_migrations; INSERT INTO schema_migrations VALUES (${v}, false)`);
  }
}

/** The pipeline's "migrate to latest", per tool. */
async function blanketMigrate(driver: DriverName, dir: string, url: string): Promise<void> {
  if (driver === 'alembic') await alembic(dir, ['upgrade', 'head'], url);
  else if (driver === 'rails') await rails(dir, ['migrate'], url);
  else if (driver === 'dbmate') await dbmate(dir, ['migrate', '--strict'], url);
  else if (driver === 'sql') await migrateUp(url, join(dir, 'db/migrations'));
  else {
    const root = join(dir, 'prisma/migrations');
    // The baseline describes the table the database already has: recorded as applied, as
    // `prisma migrate resolve --applied` does for an existing database, so it is not run.
    for (const f of (await readdir(root, { withFileTypes: true })).filter((e) => e.isDirectory() && e.name !== PRISMA_BASELINE).map((e) => e.name).sort())
      await prismaApply(url, join(root, f));
  }
}

/** A teammate's migration, in each tool's own form, dated a day ahead of the clock. */
async function teammate(driver: DriverName, dir: string, url: string): Promise<void> {
  const v = new Date(Date.now() + 86_400_000).toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const ddl = 'CREATE TABLE teammate (id int)';
  if (driver === 'alembic') {
    const head = (await alembic(dir, ['heads'], url)).stdout.trim().split(/\s/)[0];
    await writeFile(
      join(dir, 'alembic/versions/feedfacecafe_teammate.py'),
      `from alembic import op\n\nrevision = "feedfacecafe"\ndown_revision = "${head}"\nbranch_labels = None\ndepends_on = None\n\n\ndef upgrade():\n    op.execute("${ddl}")\n\n\ndef downgrade():\n    op.execute("DROP TABLE teammate")\n`,
    );
  } else if (driver === 'rails')
    await writeFile(join(dir, `db/migrate/${v}_teammate.rb`), `class Teammate < ActiveRecord::Migration[6.1]\n  def change\n    safety_assured { execute "${ddl}" }\n  end\nend\n`);
  else if (driver === 'dbmate') await writeFile(join(dir, `db/migrations/${v}_teammate.sql`), `-- migrate:up\n${ddl};\n\n-- migrate:down\nDROP TABLE teammate;\n`);
  else if (driver === 'sql') {
    await writeFile(join(dir, `db/migrations/${v}_teammate.up.sql`), `${ddl};\n`);
    await writeFile(join(dir, `db/migrations/${v}_teammate.down.sql`), 'DROP TABLE teammate;\n');
  } else {
    await mkdir(join(dir, `prisma/migrations/${v}_teammate`));
    await writeFile(join(dir, `prisma/migrations/${v}_teammate/migration.sql`), `${ddl};\n`);
  }
}

const columns = async (url: string) =>
  (await query<{ attname: string; attnotnull: boolean }>(url, "SELECT attname, attnotnull FROM pg_attribute WHERE attrelid = 'users'::regclass AND attnum > 0 AND NOT attisdropped")).reduce<Record<string, boolean>>(
    (m, r) => ({ ...m, [r.attname]: r.attnotnull }),
    {},
  );

describe.concurrent.each(DRIVER_NAMES)('%s: the pipeline migrates to latest after every step', (driverName) => {
  it('rename-column, one delivery at a time, with a teammate in between', async ({ expect }) => {
    const info = inject('pg');
    const driver = DRIVERS[driverName];
    const url = await createDatabase(info, uniqueDbName(`pipe_${driverName}`));
    const dir = await makeTempDir(info, `pipe-${driverName}`);
    await createStartingTable(url);
    await prepare(driverName, dir, url);

    const gen = await cli(['rename-column', '--table', 'users', '--from', 'name', '--to', 'full_name', ...driver.cliArgs, '--out', dir, '--yes'], REPO_ROOT);
    expect(gen.code, gen.err).toBe(0);
    expect(gen.out).toContain('(written later by migscaffold next)');
    await blanketMigrate(driverName, dir, url);
    // Only the expand ran: both columns, the sync trigger, nothing tightened, nothing dropped.
    expect(await columns(url)).toMatchObject({ name: true, full_name: false });
    await query(url, "INSERT INTO users (email, name) VALUES ('old@x', 'Old Code')");
    await query(url, "INSERT INTO users (email, full_name) VALUES ('new@x', 'New Code')");
    expect(await query(url, "SELECT name, full_name FROM users WHERE email IN ('old@x', 'new@x') ORDER BY email DESC")).toEqual([
      { name: 'Old Code', full_name: 'Old Code' },
      { name: 'New Code', full_name: 'New Code' },
    ]);

    await teammate(driverName, dir, url);
    await blanketMigrate(driverName, dir, url);
    expect(await query(url, "SELECT to_regclass('teammate')::text AS t")).toEqual([{ t: 'teammate' }]);

    // The backfill has not run: next refuses with the query and its result, and writes nothing.
    const early = await cli(['next', '--out', dir, '--database-url', url], REPO_ROOT);
    expect(early.code).toBe(1);
    expect(early.err).toMatch(new RegExp(`"2\\. Backfill: copy name into full_name for existing rows" is not finished: SELECT count\\(\\*\\) AS remaining .* returned ${ROWS} \\(expected 0 rows left to copy\\); run the backfill to the end`));

    const files = (await readdir(dir, { recursive: true })).map(String);
    const backfill = files.find((f) => /backfill_users_full_name\.(py|rb|ts|sql)$/.test(f))!;
    const b = driver.backfillCommand(url, join(dir, backfill), {});
    await runCommand(b.cmd, b.args, { cwd: dir, env: b.env });

    const tighten = await cli(['next', '--out', dir, '--database-url', url], REPO_ROOT);
    expect(tighten.code, tighten.err).toBe(0);
    expect(tighten.out).toMatch(/checked +1\. Expand.*\(2 checks passed\)\nchecked +2\. Backfill.*\(1 check passed\)/);
    if (driverName === 'alembic') {
      // One head: the new revision revises the teammate's.
      const heads = (await alembic(dir, ['heads'], url)).stdout.trim().split('\n');
      expect(heads).toHaveLength(1);
    }
    await blanketMigrate(driverName, dir, url);
    expect(await columns(url)).toMatchObject({ name: true, full_name: true });
    await query(url, "INSERT INTO users (email, name) VALUES ('old2@x', 'Old Again')");
    expect(await query(url, "SELECT full_name FROM users WHERE email = 'old2@x'")).toEqual([{ full_name: 'Old Again' }]);

    const gate = await cli(['next', '--out', dir, '--database-url', url], REPO_ROOT);
    expect(gate.code).toBe(1);
    expect(gate.err).toMatch(/is a code deploy, which no query can prove/);

    const contract = await cli(['next', '--out', dir, '--database-url', url, '--deployed'], REPO_ROOT);
    expect(contract.code, contract.err).toBe(0);
    expect(contract.out).toContain('that is the last delivery of this plan');
    await blanketMigrate(driverName, dir, url);
    expect(Object.keys(await columns(url))).not.toContain('name');
    await query(url, "INSERT INTO users (email, full_name) VALUES ('new2@x', 'New Again')");
    expect(Number((await query<{ n: string }>(url, 'SELECT count(*) AS n FROM users WHERE full_name IS NULL'))[0].n)).toBe(0);
    expect(Number((await query<{ n: string }>(url, 'SELECT count(*) AS n FROM users'))[0].n)).toBe(ROWS + 4);

    const status = JSON.parse((await cli(['status', '--out', dir, '--json', '--database-url', url], REPO_ROOT)).out);
    expect(status.plans[0].phases.map((p: { state: string }) => p.state)).toEqual(['done', 'done', 'done', 'done', 'written']);
    expect(status.plans[0].live.every((l: { ok: boolean }) => l.ok)).toBe(true);
  });

  it('--all-phases applied by a blanket migrate stops at the tighten guard, before any lock', async ({ expect }) => {
    const info = inject('pg');
    const driver = DRIVERS[driverName];
    const url = await createDatabase(info, uniqueDbName(`guard_${driverName}`));
    const dir = await makeTempDir(info, `guard-${driverName}`);
    await createStartingTable(url);
    await prepare(driverName, dir, url);
    const gen = await cli(['rename-column', '--table', 'users', '--from', 'name', '--to', 'full_name', ...driver.cliArgs, '--out', dir, '--yes', '--all-phases'], REPO_ROOT);
    expect(gen.code, gen.err).toBe(0);
    const failed = await blanketMigrate(driverName, dir, url).then(
      () => null,
      (e: unknown) => String(e),
    );
    expect(failed).toMatch(/rows of users still need the backfill \(full_name = name\): finish "Backfill: copy name into full_name for existing rows" first/);
    // Nothing lost: the old column and its values are there, and the expand did run.
    expect(await columns(url)).toMatchObject({ name: true, full_name: false });
    expect(Number((await query<{ n: string }>(url, "SELECT count(*) AS n FROM users WHERE name LIKE 'User %'"))[0].n)).toBe(ROWS);
  });
});

describe('the contract guards on their own (the SQL every target renders)', () => {
  it('refuse while the columns differ, and without the sync trigger', async ({ expect }) => {
    const info = inject('pg');
    const url = await createDatabase(info, uniqueDbName('contract_guard'));
    const dir = await makeTempDir(info, 'contract-guard');
    await createStartingTable(url);
    expect((await cli(['rename-column', '--table', 'users', '--from', 'name', '--to', 'full_name', '--target', 'sql', '--out', dir, '--yes', '--all-phases'], REPO_ROOT)).code).toBe(0);
    const ups = (await readdir(join(dir, 'db/migrations'))).filter((f) => f.endsWith('.up.sql')).sort();
    const expand = join(dir, 'db/migrations', ups[0]);
    const contract = join(dir, 'db/migrations', ups.find((f) => f.includes('drop_name'))!);
    await sqlApplyFile(url, expand);
    const differ = await sqlApplyFile(url, contract, { check: false });
    expect(differ.stderr + differ.stdout).toMatch(/users\.full_name does not yet equal users\.name on every row: finish "Backfill/);
    await query(url, 'UPDATE users SET full_name = name');
    await query(url, 'DROP TRIGGER users_name_to_full_name_sync ON users');
    const noTrigger = await sqlApplyFile(url, contract, { check: false });
    expect(noTrigger.stderr + noTrigger.stdout).toMatch(/the sync trigger on users is missing: "Expand: add full_name/);
    expect(Object.keys(await columns(url))).toContain('name');
  });
});
