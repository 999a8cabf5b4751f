/** schema.prisma edits: one line changed, the rest byte for byte; @@map / @map resolve real names. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { project, run, tree } from './helpers.js';

const SCHEMA = readFileSync(new URL('../fixtures/prisma/schema.prisma', import.meta.url), 'utf8');
const FIXED = ['--yes', '--timestamp', '20260115093000', '--target', 'prisma'];

async function edit(argv: string[]) {
  const r = await run([...argv, ...FIXED], project({ '/project/prisma/schema.prisma': SCHEMA }));
  return { ...r, schema: tree(r.vol)['prisma/schema.prisma'], files: tree(r.vol) };
}

/** Lines of `after` that are not in `before` and vice versa (line multisets). */
function lineDiff(before: string, after: string) {
  const a = before.split('\n');
  const b = after.split('\n');
  return { added: b.filter((l) => !a.includes(l)), removed: a.filter((l) => !b.includes(l)) };
}

describe('schema.prisma edits', () => {
  it('rename: model and field names resolve to users.name; the twin field is added', async () => {
    const r = await edit(['rename-column', '--table', 'User', '--from', 'fullName', '--to', 'display_name']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/update\s+prisma\/schema.prisma/);
    expect(lineDiff(SCHEMA, r.schema)).toEqual({ added: ['  display_name String?'], removed: [] });
    const expand = Object.entries(r.files).find(([p]) => p.endsWith('for_rename_of_name/migration.sql'))![1];
    expect(expand).toContain("a.attname = 'name'");
    expect(expand).toContain('ALTER TABLE users');
  });

  it('add-column: a new optional field with the Prisma type', async () => {
    const r = await edit(['add-column', '--table', 'users', '--column', 'phone_number', '--type', 'varchar(32)']);
    expect(lineDiff(SCHEMA, r.schema)).toEqual({ added: ['  phone_number String? @db.VarChar(32)'], removed: [] });
  });

  it('remove-column: @ignore on the field, comment kept', async () => {
    const r = await edit(['remove-column', '--table', 'users', '--column', 'legacy_code', '--type', 'varchar(20)']);
    expect(lineDiff(SCHEMA, r.schema)).toEqual({
      added: ['  legacy    String?  @map("legacy_code") @db.VarChar(20) @ignore'],
      removed: ['  legacy    String?  @map("legacy_code") @db.VarChar(20)'],
    });
  });

  it('add-index: @@index with the real index name, on field names', async () => {
    const r = await edit(['add-index', '--table', 'posts', '--columns', 'author_id,title']);
    expect(lineDiff(SCHEMA, r.schema)).toEqual({ added: ['  @@index([authorId, title], map: "posts_author_id_title_idx")'], removed: [] });
  });

  it('a partial index leaves the schema alone and says why', async () => {
    const r = await edit(['add-index', '--table', 'posts', '--columns', 'title', '--where', "title <> ''"]);
    expect(r.schema).toBe(SCHEMA);
    expect(r.stdout).toContain('Prisma cannot describe a partial index');
  });
});

describe('requests the declared schema rules out are refused, nothing written', () => {
  it.each([
    ['rename onto an existing column', ['rename-column', '--table', 'users', '--from', 'name', '--to', 'email'], /users.email already exists/],
    ['rename a column that is not there', ['rename-column', '--table', 'users', '--from', 'nickname', '--to', 'x'], /no column nickname/],
    ['drop the primary key', ['remove-column', '--table', 'users', '--column', 'id', '--type', 'bigint'], /primary key/],
    ['index a missing column', ['add-index', '--table', 'posts', '--columns', 'body'], /no column body to index/],
    ['add a column that exists', ['add-column', '--table', 'User', '--column', 'email', '--type', 'text'], /users.email already exists/],
  ])('%s', async (_name, argv, message) => {
    const r = await edit(argv);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.schema).toBe(SCHEMA);
    expect(Object.keys(r.files)).toEqual(['prisma/schema.prisma']);
  });

  it('db/schema.rb is read the same way for Rails', async () => {
    const schemaRb = 'ActiveRecord::Schema[7.1].define(version: 2024) do\n  create_table "users", force: :cascade do |t|\n    t.string "email", null: false\n  end\nend\n';
    const r = await run(['remove-column', '--table', 'users', '--column', 'id', '--type', 'bigint', '--yes', '--target', 'rails'], project({ '/project/Gemfile': '', '/project/db/migrate/.keep': '', '/project/db/schema.rb': schemaRb }));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/primary key.*\(per db\/schema.rb\)/);
  });
});
