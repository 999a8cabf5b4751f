/**
 * Negative controls: the lifecycle harness must reject generated files that are wrong in the ways
 * that matter. Each test breaks one generated file (after generation, before anything runs) and
 * expects runLifecycle to fail, with the tool's own error or the schema comparison's message.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it, type ExpectStatic } from 'vitest';
import { caseById } from '../cases/index.js';
import { runLifecycle, type DriverName, type Generated } from '../support/lifecycle.js';

/** Replaces `from` by `to` in the one generated file whose path matches, failing if nothing changed. */
function edit(pathPattern: RegExp, from: string | RegExp, to: string) {
  return (expect: ExpectStatic) => async (gen: Generated): Promise<void> => {
    const files = gen.migrationFiles.filter((f) => pathPattern.test(f));
    expect(files, `one generated file matches ${pathPattern}`).toHaveLength(1);
    const text = await readFile(files[0], 'utf8');
    const changed = text.replace(from, to);
    expect(changed, `the edit of ${files[0]} changes something`).not.toBe(text);
    await writeFile(files[0], changed);
  };
}

const NOT_IN_TRANSACTION = /cannot run inside a transaction block/;

describe.concurrent('negative controls: a concurrent index build put back inside a transaction fails under the real tool', () => {
  const breakages: Record<DriverName, ReturnType<typeof edit>> = {
    // Prisma sends migration.sql as one query: anything before the CREATE makes it a transaction block.
    prisma: edit(/migration\.sql$/, /^/, "SET LOCAL lock_timeout = '1s';\n"),
    sql: edit(/\.up\.sql$/, /^/, "SET LOCAL lock_timeout = '1s';\n"),
    dbmate: edit(/\.sql$/, '-- migrate:up transaction:false', '-- migrate:up'),
    rails: edit(/\.rb$/, /^\s*disable_ddl_transaction!\n/m, ''),
    alembic: edit(/\.py$/, /^( *)with op\.get_context\(\)\.autocommit_block\(\):$/m, '$1if True:'),
  };
  for (const [driver, mutate] of Object.entries(breakages) as [DriverName, ReturnType<typeof edit>][])
    for (const [op, id] of [['add-index', 'index_plain'], ['drop-index', 'drop_index_plain']])
      it(`${driver}: ${op} without its transaction escape`, async ({ expect }) => {
        await expect(runLifecycle(expect, caseById(id), driver, { mutate: mutate(expect) })).rejects.toThrow(NOT_IN_TRANSACTION);
      });
});

describe.concurrent('negative controls: a guard that counts NULLs as duplicates refuses a valid unique build', () => {
  it('dbmate: add-unique-constraint on a nullable column, its guard without the IS NOT NULL filter', async ({ expect }) => {
    const mutate = edit(/_check_no_duplicates_for_users_handle_flag_key\.sql$/, ' WHERE handle IS NOT NULL AND deprecated_flag IS NOT NULL GROUP BY', ' GROUP BY');
    await expect(runLifecycle(expect, caseById('unique_constraint_named_nullable'), 'dbmate', { mutate: mutate(expect) })).rejects.toThrow(
      /migscaffold: rows of users share values of \(handle, deprecated_flag\)/,
    );
  });
});

describe.concurrent('negative controls: a down migration missing a statement fails the schema comparison', () => {
  const ROLLED_BACK = /schema after rolling back/;
  it('sql: rename expand down without DROP FUNCTION (the sync function stays)', async ({ expect }) => {
    const mutate = edit(/_add_full_name_to_users_for_rename_of_name\.down\.sql$/, /^DROP FUNCTION .*\n/m, '');
    await expect(runLifecycle(expect, caseById('rename'), 'sql', { mutate: mutate(expect) })).rejects.toThrow(ROLLED_BACK);
  });
  it('prisma: add-index down.sql without its DROP INDEX (the index stays)', async ({ expect }) => {
    const mutate = edit(/down\.sql$/, /^DROP INDEX .*\n/m, '');
    await expect(runLifecycle(expect, caseById('index_brin'), 'prisma', { mutate: mutate(expect) })).rejects.toThrow(ROLLED_BACK);
  });
  it('rails: add-column with an up and an empty down instead of its def change (the column stays)', async ({ expect }) => {
    const mutate = edit(/\.rb$/, /^ {2}def change\n([\s\S]*?^ {4}add_column :users, :nickname, :text\n)^ {2}end\n/m, '  def up\n$1  end\n\n  def down; end\n');
    await expect(runLifecycle(expect, caseById('add_nullable'), 'rails', { mutate: mutate(expect) })).rejects.toThrow(ROLLED_BACK);
  });
  it('alembic: remove-column downgrade without its ADD COLUMN (the column stays gone)', async ({ expect }) => {
    const mutate = edit(/remove_deprecated_flag_from_users\.py$/, /^ *op\.add_column\("users", sa\.Column\("deprecated_flag", sa\.Boolean\(\), nullable=True\)\)\n/m, '');
    await expect(runLifecycle(expect, caseById('remove_plain'), 'alembic', { mutate: mutate(expect) })).rejects.toThrow(ROLLED_BACK);
  });
  it('dbmate: tighten down without DROP NOT NULL (the column stays NOT NULL)', async ({ expect }) => {
    const mutate = edit(/_set_users_handle_not_null\.sql$/, /(-- migrate:down[\s\S]*?)^ALTER TABLE users ALTER COLUMN handle DROP NOT NULL;\n/m, '$1');
    await expect(runLifecycle(expect, caseById('add_backfill_not_null'), 'dbmate', { mutate: mutate(expect) })).rejects.toThrow(ROLLED_BACK);
  });
  it('dbmate: drop-index down without its CREATE INDEX (the index stays gone)', async ({ expect }) => {
    const mutate = edit(/_drop_index_users_email_idx\.sql$/, /^CREATE INDEX CONCURRENTLY users_email_idx ON users \(email\);\n/m, '');
    await expect(runLifecycle(expect, caseById('drop_index_plain'), 'dbmate', { mutate: mutate(expect) })).rejects.toThrow(ROLLED_BACK);
  });
  it("sql: rename contract down without restoring the old column's default (name comes back without DEFAULT 'anon')", async ({ expect }) => {
    const mutate = edit(/_drop_name_from_users_after_rename_to_full_name\.down\.sql$/, /\n-- Give name back the default full_name has\.\nDO \$do\$[\s\S]*?\$do\$;\n/, '\n');
    await expect(runLifecycle(expect, caseById('rename'), 'sql', { mutate: mutate(expect) })).rejects.toThrow(ROLLED_BACK);
  });
});

describe.concurrent('negative controls: the naive type change or a missing copy fails the lifecycle', () => {
  const REWRITE = /no rewrite/;
  it('sql: the in-place ALTER made to rewrite (a USING expression) is caught by the relfilenode check', async ({ expect }) => {
    // (A plain `USING nickname::varchar(100)` would not do: PostgreSQL sees a widening cast and rewrites nothing.)
    const mutate = edit(/_change_users_nickname_to_varchar_100\.up\.sql$/, /TYPE varchar\(100\);/, "TYPE varchar(100) USING (nickname || '')::varchar(100);");
    await expect(runLifecycle(expect, caseById('type_in_place'), 'sql', { mutate: mutate(expect) })).rejects.toThrow(REWRITE);
  });
  it('dbmate: a naive ALTER COLUMN TYPE slipped into the swap is caught by the relfilenode check', async ({ expect }) => {
    const mutate = edit(/_swap_users_score_to_bigint\.sql$/, /^(-- migrate:up\n)/m, '$1ALTER TABLE users ALTER COLUMN score TYPE bigint;\n');
    await expect(runLifecycle(expect, caseById('type_int_to_bigint'), 'dbmate', { mutate: mutate(expect) })).rejects.toThrow(REWRITE);
  });
  it("prisma: the rename's copy of an index left out fails the copy phase's verification", async ({ expect }) => {
    const mutate = edit(/_copy_index_users_name_idx_to_full_name\/migration\.sql$/, /^CREATE INDEX CONCURRENTLY .*\n/m, '');
    await expect(runLifecycle(expect, caseById('rename'), 'prisma', { mutate: mutate(expect) })).rejects.toThrow(/schema after phase copy|phase copy: SELECT count\(\*\) FROM pg_index/);
  });
  it("rails: the type change's sync trigger converting nothing fails the old-code writes of the expand", async ({ expect }) => {
    // The NOT VALID check on the new column refuses the row the broken trigger leaves empty.
    const mutate = edit(/_add_score_for_type_change_to_users\.rb$/, /NEW\.score_for_type_change := CAST\(NEW\.score AS bigint\);/, 'NEW.score_for_type_change := NULL;');
    await expect(runLifecycle(expect, caseById('type_int_to_bigint'), 'rails', { mutate: mutate(expect) })).rejects.toThrow(/violates check constraint "users_score_for_type_change_not_null"/);
  });
});

describe.concurrent("negative controls: Prisma's schema engine catches a schema.prisma that disagrees with the database", () => {
  it('a field missing from schema.prisma (the engine would drop the column)', async ({ expect }) => {
    const startSchema = (text: string) => {
      const out = text.replace(/^ {2}deprecated_flag Boolean\?\n/m, '');
      expect(out).not.toBe(text);
      return out;
    };
    await expect(runLifecycle(expect, caseById('add_nullable'), 'prisma', { startSchema })).rejects.toThrow(
      /after phase add, schema.prisma disagrees with the live database; prisma migrate dev would write:\nALTER TABLE "users" DROP COLUMN "deprecated_flag"/,
    );
  });
  it("the checklist's tighten edit leaving the field optional (the engine would drop NOT NULL)", async ({ expect }) => {
    const mutate = async (gen: Generated) => {
      const out = gen.checklist.replace(/^( {2}\+ {2}handle String)$/m, '$1?');
      expect(out).not.toBe(gen.checklist);
      gen.checklist = out;
    };
    await expect(runLifecycle(expect, caseById('add_backfill_not_null'), 'prisma', { mutate })).rejects.toThrow(
      /after phase tighten, schema.prisma disagrees with the live database; prisma migrate dev would write:\nALTER TABLE "users" ALTER COLUMN "handle" DROP NOT NULL/,
    );
  });
  it("add-unique-constraint without its @@unique (the engine would drop the constraint's index)", async ({ expect }) => {
    const mutate = async (gen: Generated) => {
      const file = join(gen.dir, 'prisma', 'schema.prisma');
      const text = await readFile(file, 'utf8');
      const line = /^ {2}@@unique\(\[email\], map: "users_email_key"\)\n/m;
      expect(text).toMatch(line);
      await writeFile(file, text.replace(line, ''));
      gen.checklist = gen.checklist.replace(/^ {2}\+ {2}@@unique\(\[email\], map: "users_email_key"\)\n/m, '');
    };
    await expect(runLifecycle(expect, caseById('unique_constraint_plain'), 'prisma', { mutate })).rejects.toThrow(
      /after phase add, schema.prisma disagrees with the live database; prisma migrate dev would write:\n[^\n]*users_email_key/,
    );
  });
  it("drop-index whose checklist keeps the @@index (the engine would build it again)", async ({ expect }) => {
    const mutate = async (gen: Generated) => {
      const out = gen.checklist.replace(/^ {2}- {2}(@@index\(\[email\], map: "users_email_idx"\))$/m, '     $1');
      expect(out).not.toBe(gen.checklist);
      gen.checklist = out;
    };
    await expect(runLifecycle(expect, caseById('drop_index_plain'), 'prisma', { mutate })).rejects.toThrow(
      /after phase drop, schema.prisma disagrees with the live database; prisma migrate dev would write:\nCREATE INDEX "users_email_idx"/,
    );
  });
  it('an index the migrations never created (live database and schema agree, the migrations do not)', async ({ expect }) => {
    const baseline = (sql: string) => {
      const out = sql.replace(/^CREATE INDEX users_email_idx .*\n/m, '');
      expect(out).not.toBe(sql);
      return out;
    };
    await expect(runLifecycle(expect, caseById('index_brin'), 'prisma', { baseline })).rejects.toThrow(
      /after phase build, schema.prisma disagrees with the migrations so far; prisma migrate dev would write:\nCREATE INDEX "users_email_idx"/,
    );
  });
});

describe.concurrent('negative controls: add-foreign-key', () => {
  it('sql: the constraint validated at once (NOT VALID removed) fails the schema check of the NOT VALID phase', async ({ expect }) => {
    const mutate = edit(/_add_users_org_id_fkey_not_valid\.up\.sql$/, / NOT VALID;\n/, ';\n');
    await expect(runLifecycle(expect, caseById('fk_orgs_cascade'), 'sql', { mutate: mutate(expect) })).rejects.toThrow(/schema after phase constrain/);
  });
  it("prisma: the checklist's relation with another onDelete (Prisma's engine would change the constraint)", async ({ expect }) => {
    const mutate = async (gen: Generated) => {
      const out = gen.checklist.replace(/(\+ {2}org Org\? @relation\(.*)onDelete: Cascade/, '$1onDelete: Restrict');
      expect(out).not.toBe(gen.checklist);
      gen.checklist = out;
    };
    await expect(runLifecycle(expect, caseById('fk_orgs_cascade'), 'prisma', { mutate })).rejects.toThrow(
      /after phase constrain, schema.prisma disagrees with the live database; prisma migrate dev would write:\n[\s\S]*users_org_id_fkey[\s\S]*ON DELETE RESTRICT/,
    );
  });
});
