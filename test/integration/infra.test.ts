/**
 * Smoke test of the integration-test infrastructure: every runner in test/support/tools.ts works against
 * the throwaway cluster from global-setup, with tiny hand-written migrations. Also pins down two
 * PostgreSQL facts the generator relies on (see the "transaction semantics" block).
 */
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createDatabase, makeTempDir, MIGRATION_BOOKKEEPING_TABLES, query, schemaDump, uniqueDbName, withClient } from '../support/pg.js';
import {
  alembic,
  dbmate,
  makeAlembicProject,
  prismaApply,
  prismaRollback,
  prismaValidate,
  rails,
  runPsql,
  runPython,
  runRuby,
  runTs,
  sqlApplyFile,
  ToolError,
} from '../support/tools.js';

const tempDirs: string[] = [];
async function tempDir(prefix: string): Promise<string> {
  const dir = await makeTempDir(inject('pg'), prefix);
  tempDirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(tempDirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function freshDb(prefix: string): Promise<string> {
  return createDatabase(inject('pg'), uniqueDbName(prefix));
}

async function tableExists(url: string, table: string): Promise<boolean> {
  const rows = await query<{ t: string | null }>(url, 'SELECT to_regclass($1)::text AS t', [table]);
  return rows[0].t !== null;
}

async function indexExists(url: string, index: string): Promise<boolean> {
  const rows = await query(url, 'SELECT 1 FROM pg_indexes WHERE indexname = $1', [index]);
  return rows.length > 0;
}

const noBookkeeping = { excludeTables: MIGRATION_BOOKKEEPING_TABLES };

describe('cluster', () => {
  it('is PostgreSQL 15 on 127.0.0.1 and gives each test its own database', async () => {
    const info = inject('pg');
    expect(info.host).toBe('127.0.0.1');
    const url = await freshDb('cluster');
    expect(url).toMatch(new RegExp(`^postgresql://postgres@127\\.0\\.0\\.1:${info.port}/cluster_`));
    const rows = await query<{ v: string; fsync: string }>(url, `SELECT current_setting('server_version_num') AS v, current_setting('fsync') AS fsync`);
    expect(Number(rows[0].v)).toBeGreaterThanOrEqual(150000);
    expect(Number(rows[0].v)).toBeLessThan(160000);
    expect(rows[0].fsync).toBe('off');
  });

  it('schemaDump is normalised: equal schemas compare equal, different ones do not', async () => {
    const a = await freshDb('dump_a');
    const b = await freshDb('dump_b');
    const ddl = `CREATE TABLE t (id bigint PRIMARY KEY, name text NOT NULL); CREATE INDEX t_name_idx ON t (name);`;
    await withClient(a, (c) => c.query(ddl));
    await withClient(b, (c) => c.query(ddl));
    const [da, db] = [await schemaDump(a), await schemaDump(b)];
    expect(da).toBe(db);
    expect(da).not.toMatch(/^(--|SET |\\restrict|\\unrestrict)/m);
    expect(da).toContain('CREATE TABLE public.t');
    await withClient(b, (c) => c.query('ALTER TABLE t ADD COLUMN extra int'));
    expect(await schemaDump(b)).not.toBe(da);
  });
});

describe('Alembic 1.8 (real /usr/bin/alembic)', () => {
  it('upgrades and downgrades one revision, and runs CONCURRENTLY inside autocommit_block', async () => {
    const url = await freshDb('alembic');
    const dir = await tempDir('alembic');
    const project = await makeAlembicProject(dir);
    await writeFile(
      join(project.versionsDir, 'aaaaaaaaaaaa_create_widgets.py'),
      `"""create widgets

Revision ID: aaaaaaaaaaaa
Revises:
Create Date: 2024-01-01 00:00:00.000000

"""
from alembic import op

revision = "aaaaaaaaaaaa"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE TABLE widgets (id bigserial PRIMARY KEY, name text NOT NULL)")


def downgrade() -> None:
    op.execute("DROP TABLE widgets")
`,
    );
    await writeFile(
      join(project.versionsDir, 'bbbbbbbbbbbb_index_widgets_name.py'),
      `"""index widgets name

Revision ID: bbbbbbbbbbbb
Revises: aaaaaaaaaaaa
Create Date: 2024-01-02 00:00:00.000000

"""
from alembic import op

revision = "bbbbbbbbbbbb"
down_revision = "aaaaaaaaaaaa"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.execute("CREATE INDEX CONCURRENTLY IF NOT EXISTS widgets_name_idx ON widgets (name)")


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.execute("DROP INDEX CONCURRENTLY IF EXISTS widgets_name_idx")
`,
    );
    const before = await schemaDump(url, noBookkeeping);

    const heads = await alembic(dir, ['heads'], url);
    expect(heads.stdout).toContain('bbbbbbbbbbbb (head)');

    const up = await alembic(dir, ['upgrade', 'aaaaaaaaaaaa'], url);
    expect(up.stderr).toContain('Running upgrade  -> aaaaaaaaaaaa');
    expect(await tableExists(url, 'widgets')).toBe(true);
    expect(await query(url, 'SELECT version_num FROM alembic_version')).toEqual([{ version_num: 'aaaaaaaaaaaa' }]);

    await alembic(dir, ['upgrade', 'head'], url);
    expect(await indexExists(url, 'widgets_name_idx')).toBe(true);

    await alembic(dir, ['downgrade', '-1'], url);
    expect(await indexExists(url, 'widgets_name_idx')).toBe(false);
    await alembic(dir, ['downgrade', 'base'], url);
    expect(await tableExists(url, 'widgets')).toBe(false);
    expect(await query(url, 'SELECT version_num FROM alembic_version')).toEqual([]);
    expect(await schemaDump(url, noBookkeeping)).toBe(before);
  });

  it('fails loudly (ToolError with the tool output) on a broken revision', async () => {
    const url = await freshDb('alembic_bad');
    const dir = await tempDir('alembic-bad');
    const project = await makeAlembicProject(dir);
    await writeFile(
      join(project.versionsDir, 'cccccccccccc_bad.py'),
      `revision = "cccccccccccc"\ndown_revision = None\nbranch_labels = None\ndepends_on = None\nfrom alembic import op\n\ndef upgrade():\n    op.execute("CREATE TABLE nope (")\n\ndef downgrade():\n    pass\n`,
    );
    const err = await alembic(dir, ['upgrade', 'head'], url).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolError);
    expect((err as ToolError).stderr).toMatch(/syntax error/);
    const res = await alembic(dir, ['upgrade', 'head'], url, { check: false });
    expect(res.code).not.toBe(0);
  });
});

describe('ActiveRecord 6.1 (ar_migrate.rb)', () => {
  it('migrates and rolls back, including a disable_ddl_transaction! concurrent index', async () => {
    const url = await freshDb('rails');
    const dir = await tempDir('rails');
    const migrate = join(dir, 'db', 'migrate');
    await mkdir(migrate, { recursive: true });
    await writeFile(
      join(migrate, '20240101000000_create_gadgets.rb'),
      `class CreateGadgets < ActiveRecord::Migration[6.1]
  def change
    create_table :gadgets do |t|
      t.string :name, null: false
      t.timestamps
    end
  end
end
`,
    );
    await writeFile(
      join(migrate, '20240102000000_add_index_to_gadgets_name.rb'),
      `class AddIndexToGadgetsName < ActiveRecord::Migration[6.1]
  disable_ddl_transaction!

  def change
    add_index :gadgets, :name, algorithm: :concurrently, name: "index_gadgets_on_name"
  end
end
`,
    );
    const before = await schemaDump(url, noBookkeeping);

    const up = await rails(dir, ['migrate'], url);
    expect(up.stdout).toContain('CreateGadgets: migrating');
    expect(up.stdout).toContain('AddIndexToGadgetsName: migrating');
    expect(await tableExists(url, 'gadgets')).toBe(true);
    expect(await indexExists(url, 'index_gadgets_on_name')).toBe(true);
    expect((await rails(dir, ['versions'], url)).stdout.trim().split('\n')).toEqual(['20240101000000', '20240102000000']);

    await rails(dir, ['rollback', '1'], url);
    expect(await indexExists(url, 'index_gadgets_on_name')).toBe(false);
    await rails(migrate, ['down', '20240101000000'], url); // migrations dir accepted too
    expect(await tableExists(url, 'gadgets')).toBe(false);
    expect((await rails(dir, ['versions'], url)).stdout.trim()).toBe('');
    expect(await schemaDump(url, noBookkeeping)).toBe(before);

    await rails(dir, ['up', '20240101000000'], url);
    expect(await tableExists(url, 'gadgets')).toBe(true);
    expect((await rails(dir, ['status'], url)).stdout).toMatch(/^up 20240101000000 Create gadgets\ndown 20240102000000/m);
  });
});

describe('Prisma (one simple query per migration.sql, like the engine)', () => {
  it('applies, records, rolls back and re-applies a migration', async () => {
    const url = await freshDb('prisma');
    const dir = await tempDir('prisma');
    const mig = join(dir, 'prisma', 'migrations', '20240101000000_init');
    await mkdir(mig, { recursive: true });
    const up = `-- CreateTable\nCREATE TABLE "User" (\n    "id" SERIAL NOT NULL,\n    "email" TEXT NOT NULL,\n    CONSTRAINT "User_pkey" PRIMARY KEY ("id")\n);\n\n-- CreateIndex\nCREATE UNIQUE INDEX "User_email_key" ON "User"("email");\n`;
    await writeFile(join(mig, 'migration.sql'), up);
    await writeFile(join(mig, 'down.sql'), `DROP TABLE "User";\n`);
    const before = await schemaDump(url, noBookkeeping);

    const applied = await prismaApply(url, mig);
    expect(applied).toMatchObject({ code: 0, migrationName: '20240101000000_init', skipped: false });
    expect(applied.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(await tableExists(url, '"User"')).toBe(true);
    const [row] = await query<Record<string, unknown>>(url, 'SELECT * FROM _prisma_migrations');
    expect(row).toMatchObject({ migration_name: '20240101000000_init', checksum: applied.checksum, applied_steps_count: 1, rolled_back_at: null, logs: null });
    expect(row.finished_at).toBeInstanceOf(Date);
    expect((await prismaApply(url, mig)).skipped).toBe(true); // deploy skips applied migrations

    const rolled = await prismaRollback(url, mig);
    // The real `migrate resolve --rolled-back` refuses a successfully applied migration (P3012).
    expect(rolled.realResolve).toBe('P3012');
    expect(await tableExists(url, '"User"')).toBe(false);
    expect(await schemaDump(url, noBookkeeping)).toBe(before);
    const rows = await query<{ rolled_back_at: Date | null }>(url, 'SELECT rolled_back_at FROM _prisma_migrations');
    expect(rows[0].rolled_back_at).toBeInstanceOf(Date);

    const again = await prismaApply(url, mig);
    expect(again.skipped).toBe(false);
    expect(await tableExists(url, '"User"')).toBe(true);

    await expect(prismaRollback(url, mig, { strict: true })).rejects.toThrow(/P3012/);
  });

  it('validates a minimal Prisma 7 schema with the real CLI, offline', async () => {
    const dir = await tempDir('prisma-validate');
    const ok = join(dir, 'schema.prisma');
    await writeFile(
      ok,
      `datasource db {\n  provider = "postgresql"\n}\n\nmodel User {\n  id    Int    @id @default(autoincrement())\n  email String @unique\n  name  String? @map("full_name")\n\n  @@index([name], map: "User_name_idx")\n  @@map("users")\n}\n`,
    );
    const res = await prismaValidate(ok);
    expect(res.stdout + res.stderr).toMatch(/is valid/);

    const bad = join(dir, 'bad.prisma');
    await writeFile(bad, `datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n\nmodel A {\n  id Int @id\n  b  Strin\n}\n`);
    const err = await prismaValidate(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolError);
    expect((err as ToolError).stderr).toMatch(/P1012/);
    expect((err as ToolError).stderr).toMatch(/datasource property `url` is no longer supported/);
    expect((err as ToolError).stderr).toMatch(/Type "Strin" is neither a built-in type/);
  });
});

describe('plain SQL', () => {
  it('golang-migrate style: sqlApplyFile sends each file as one query', async () => {
    const url = await freshDb('gomigrate');
    const dir = await tempDir('gomigrate');
    await writeFile(join(dir, '20240101000000_create_things.up.sql'), `CREATE TABLE things (id int PRIMARY KEY);\nINSERT INTO things VALUES (1), (2);\n`);
    await writeFile(join(dir, '20240101000000_create_things.down.sql'), `DROP TABLE things;\n`);
    await sqlApplyFile(url, join(dir, '20240101000000_create_things.up.sql'));
    expect(await query(url, 'SELECT count(*)::int AS n FROM things')).toEqual([{ n: 2 }]);
    await sqlApplyFile(url, join(dir, '20240101000000_create_things.down.sql'));
    expect(await tableExists(url, 'things')).toBe(false);
    // A failing file is one implicit transaction: nothing from it survives.
    await writeFile(join(dir, 'bad.up.sql'), `CREATE TABLE half (id int);\nSELECT 1/0;\n`);
    const res = await sqlApplyFile(url, join(dir, 'bad.up.sql'), { check: false });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/division by zero/);
    expect(await tableExists(url, 'half')).toBe(false);
  });

  it('dbmate 2.36 (real binary): up and rollback, with a transaction:false section', async () => {
    const url = await freshDb('dbmate');
    const dir = await tempDir('dbmate');
    const migrations = join(dir, 'db', 'migrations');
    await mkdir(migrations, { recursive: true });
    await writeFile(
      join(migrations, '20240101000000_create_orders.sql'),
      `-- migrate:up\nCREATE TABLE orders (id bigint PRIMARY KEY, ref text);\n\n-- migrate:down\nDROP TABLE orders;\n`,
    );
    await writeFile(
      join(migrations, '20240102000000_index_orders_ref.sql'),
      `-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY orders_ref_idx ON orders (ref);\n\n-- migrate:down transaction:false\nDROP INDEX CONCURRENTLY orders_ref_idx;\n`,
    );
    const before = await schemaDump(url, noBookkeeping);
    const up = await dbmate(dir, ['up'], url);
    expect(up.stdout).toContain('Applying: 20240101000000_create_orders.sql');
    expect(await indexExists(url, 'orders_ref_idx')).toBe(true);
    expect(existsSync(join(dir, 'db', 'schema.sql'))).toBe(false); // --no-dump-schema
    await dbmate(dir, ['rollback'], url);
    expect(await indexExists(url, 'orders_ref_idx')).toBe(false);
    await dbmate(migrations, ['rollback'], url);
    expect(await tableExists(url, 'orders')).toBe(false);
    expect(await schemaDump(url, noBookkeeping)).toBe(before);
    const status = await dbmate(dir, ['status'], url);
    expect(status.stdout).toMatch(/Pending: 2/);
  });

  it('psql -f runs statement by statement, with -v variables', async () => {
    const url = await freshDb('psql');
    const dir = await tempDir('psql');
    const file = join(dir, 'script.sql');
    await writeFile(file, `CREATE TABLE :"tbl" (id int);\nCREATE INDEX CONCURRENTLY :"idx" ON :"tbl" (id);\n`);
    await runPsql(url, file, { tbl: 'psql_t', idx: 'psql_t_idx' });
    expect(await indexExists(url, 'psql_t_idx')).toBe(true);
    await writeFile(file, `SELECT 1/0;\n`);
    await expect(runPsql(url, file)).rejects.toThrow(/division by zero/);
  });
});

describe('script runners', () => {
  it('runPython uses /usr/bin/python3 with alembic + psycopg2 importable, clean env', async () => {
    const url = await freshDb('py');
    const dir = await tempDir('py');
    const file = join(dir, 'check.py');
    await writeFile(
      file,
      `import os, sys, alembic, psycopg2\nconn = psycopg2.connect(os.environ["DATABASE_URL"])\ncur = conn.cursor()\ncur.execute("select current_database()")\nprint(sys.executable, alembic.__version__, cur.fetchone()[0], sys.argv[1], os.environ.get("PYTHONPATH"))\n`,
    );
    const res = await runPython(file, ['arg1'], { DATABASE_URL: url });
    expect(res.stdout.trim()).toMatch(/^\/usr\/bin\/python3 1\.8\.\d+ py_\S+ arg1 None$/);
  });

  it('runRuby has activerecord + pg', async () => {
    const url = await freshDb('rb');
    const dir = await tempDir('rb');
    const file = join(dir, 'check.rb');
    await writeFile(file, `require "active_record"\nrequire "pg"\nc = PG.connect(ENV.fetch("DATABASE_URL"))\nputs [ActiveRecord.version, c.exec("select current_database()").getvalue(0, 0), ARGV[0]].join(" ")\n`);
    const res = await runRuby(file, ['x'], { DATABASE_URL: url });
    expect(res.stdout.trim()).toMatch(/^6\.1\.\S+ rb_\S+ x$/);
  });

  it('runTs runs TypeScript through tsx', async () => {
    const dir = await tempDir('ts');
    const file = join(dir, 'check.ts');
    await writeFile(file, `const n: number = 40 + 2;\nconsole.log(n, process.argv[2], process.env.FOO, process.stdin.isTTY ?? 'no-tty');\n`);
    const res = await runTs(file, ['a'], { FOO: 'bar' });
    expect(res.stdout.trim()).toBe('42 a bar no-tty');
  });
});

describe('transaction semantics of one simple query (what decides file boundaries)', () => {
  it('negative control: CREATE INDEX CONCURRENTLY after another statement in one migration.sql fails via prismaApply', async () => {
    const url = await freshDb('prisma_neg');
    const dir = await tempDir('prisma-neg');
    const mig = join(dir, '20240101000000_bad_concurrent');
    await mkdir(mig);
    await writeFile(join(mig, 'migration.sql'), `CREATE TABLE items (id int PRIMARY KEY, sku text);\nCREATE INDEX CONCURRENTLY items_sku_idx ON items (sku);\n`);
    const err = await prismaApply(url, mig).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolError);
    expect((err as ToolError).stderr).toMatch(/CREATE INDEX CONCURRENTLY cannot run inside a transaction block/);
    // The implicit transaction took the CREATE TABLE down with it.
    expect(await tableExists(url, 'items')).toBe(false);
    const [row] = await query<{ finished_at: Date | null; logs: string | null }>(url, 'SELECT finished_at, logs FROM _prisma_migrations');
    expect(row.finished_at).toBeNull();
    expect(row.logs).toMatch(/cannot run inside a transaction block/);
    // ...and, like `migrate deploy` (P3009), further applies refuse until it is resolved.
    const mig2 = join(dir, '20240102000000_next');
    await mkdir(mig2);
    await writeFile(join(mig2, 'migration.sql'), `SELECT 1;\n`);
    await expect(prismaApply(url, mig2)).rejects.toThrow(/P3009/);
    // A failed migration is what `migrate resolve --rolled-back` accepts.
    await writeFile(join(mig, 'down.sql'), `DROP TABLE IF EXISTS items;\n`);
    expect((await prismaRollback(url, mig, { strict: true })).realResolve).toBe('ok');

    // The same statement alone in its own migration is fine...
    const ok1 = join(dir, '20240103000000_items');
    const ok2 = join(dir, '20240104000000_items_sku_idx');
    await mkdir(ok1);
    await mkdir(ok2);
    await writeFile(join(ok1, 'migration.sql'), `CREATE TABLE items (id int PRIMARY KEY, sku text);\n`);
    await writeFile(join(ok2, 'migration.sql'), `-- CreateIndex\nCREATE INDEX CONCURRENTLY items_sku_idx ON items (sku);\n`);
    await prismaApply(url, ok1);
    await prismaApply(url, ok2);
    expect(await indexExists(url, 'items_sku_idx')).toBe(true);
    // ...but not even a SET may precede it,
    const set = join(dir, '20240105000000_set_then_concurrent');
    await mkdir(set);
    await writeFile(join(set, 'migration.sql'), `SET lock_timeout = '1s';\nCREATE INDEX CONCURRENTLY items_id_sku_idx ON items (id, sku);\n`);
    await expect(prismaApply(url, set)).rejects.toThrow(/cannot run inside a transaction block/);
    // while psql -f (autocommit, statement by statement) would wrongly accept the bad file.
    await withClient(url, (c) => c.query('DROP TABLE items'));
    await runPsql(url, join(mig, 'migration.sql'));
    expect(await indexExists(url, 'items_sku_idx')).toBe(true);
  });

  it('SET LOCAL inside one multi-statement simple query applies to the rest of that query only', async () => {
    const url = await freshDb('setlocal');
    await withClient(url, (c) => c.query('CREATE TABLE accounts (id int PRIMARY KEY)'));
    const script = `SET LOCAL lock_timeout = '1s';\nSELECT current_setting('lock_timeout') AS local_value, (SELECT setting || unit FROM pg_settings WHERE name = 'lock_timeout') AS pg_settings_value;\nALTER TABLE accounts ADD COLUMN note text;\n`;

    // 1. The value is visible inside the same string (no "SET LOCAL can only be used in transaction
    //    blocks" warning: the multi-statement query is an implicit transaction block) and gone after.
    const seen = await withClient(url, async (c) => {
      const warnings: string[] = [];
      c.on('notice', (n) => warnings.push(n.message ?? ''));
      const results = (await c.query(script)) as unknown as Array<{ rows: Array<Record<string, string>> }>;
      const after = await c.query<{ v: string }>(`SELECT current_setting('lock_timeout') AS v`);
      return { inside: results[1].rows[0], after: after.rows[0].v, warnings };
    });
    expect(seen.inside).toEqual({ local_value: '1s', pg_settings_value: '1000ms' });
    expect(seen.after).toBe('0');
    expect(seen.warnings).toEqual([]);

    // 2. It is enforced: with another session holding a lock on the table, the same string (sent by
    //    prismaApply) fails after ~1 s with lock_timeout instead of waiting.
    const dir = await tempDir('setlocal');
    const mig = join(dir, '20240101000000_add_note2');
    await mkdir(mig);
    await writeFile(join(mig, 'migration.sql'), `SET LOCAL lock_timeout = '1s';\nALTER TABLE accounts ADD COLUMN note2 text;\n`);
    await withClient(url, async (holder) => {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE accounts IN ACCESS SHARE MODE');
      const t0 = Date.now();
      const err = await prismaApply(url, mig).catch((e: unknown) => e);
      const elapsed = Date.now() - t0;
      await holder.query('ROLLBACK');
      expect(err).toBeInstanceOf(ToolError);
      expect((err as ToolError).stderr).toMatch(/55P03: canceling statement due to lock timeout/);
      expect(elapsed).toBeGreaterThanOrEqual(900);
      expect(elapsed).toBeLessThan(10_000);
    });
    expect(await query(url, `SELECT 1 FROM information_schema.columns WHERE table_name = 'accounts' AND column_name = 'note2'`)).toEqual([]);

    // 3. Contrast: SET LOCAL as a query of its own (a statement-splitting client, Alembic's
    //    autocommit_block) is outside any transaction block: WARNING and no effect.
    const alone = await withClient(url, async (c) => {
      const warnings: string[] = [];
      c.on('notice', (n) => warnings.push(`${n.severity}: ${n.message}`));
      await c.query(`SET LOCAL lock_timeout = '1s'`);
      const v = await c.query<{ v: string }>(`SELECT current_setting('lock_timeout') AS v`);
      return { v: v.rows[0].v, warnings };
    });
    expect(alone).toEqual({ v: '0', warnings: ['WARNING: SET LOCAL can only be used in transaction blocks'] });

    // 4. ...and the same under psql -f (autocommit, one statement at a time).
    const file = join(dir, 'setlocal.sql');
    await writeFile(file, `SET LOCAL lock_timeout = '1s';\nSELECT 'lt=' || current_setting('lock_timeout') AS v;\n`);
    const psql = await runPsql(url, file);
    expect(psql.stdout).toContain('lt=0');
    expect(psql.stderr).toContain('SET LOCAL can only be used in transaction blocks');
  });
});
