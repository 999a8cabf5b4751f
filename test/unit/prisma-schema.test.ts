/** schema.prisma edits: one line changed, the rest byte for byte; @@map / @map resolve real names. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { project, run, tree } from './helpers.js';
import { checklistSchemaStep, schemaAfterChecklist } from '../support/checklist-schema.js';
import { prismaDefault, parseEnums } from '../../src/project/prisma-schema.js';

const SCHEMA = readFileSync(new URL('../fixtures/prisma/schema.prisma', import.meta.url), 'utf8');
const FIXED = ['--yes', '--timestamp', '20260115093000', '--target', 'prisma'];

async function edit(argv: string[], schema = SCHEMA) {
  const r = await run([...argv, ...FIXED], project({ '/project/prisma/schema.prisma': schema }));
  const files = tree(r.vol);
  const checklist = Object.entries(files).find(([p]) => p.startsWith('migscaffold/'))?.[1] ?? '';
  const phases = (checklist.match(/^### \d+\./gm) ?? []).length;
  /** The schema after every phase's edit, as the checklist gives it. */
  const final = () => schemaAfterChecklist(checklist, phases, schema);
  const step = (n: number) => checklistSchemaStep(checklist, n);
  return { ...r, schema: files['prisma/schema.prisma'], files, checklist, final, step };
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

  it('remove-column: @ignore on the field, spacing kept; the drop phase removes the line', async () => {
    const r = await edit(['remove-column', '--table', 'users', '--column', 'legacy_code', '--type', 'varchar(20)']);
    expect(lineDiff(SCHEMA, r.schema)).toEqual({
      added: ['  legacy    String?  @map("legacy_code") @db.VarChar(20) @ignore'],
      removed: ['  legacy    String?  @map("legacy_code") @db.VarChar(20)'],
    });
    expect(r.step(1)?.done).toBe(true);
    expect(lineDiff(SCHEMA, r.final()!)).toEqual({ added: [], removed: ['  legacy    String?  @map("legacy_code") @db.VarChar(20)'] });
  });

  it('remove-column --not-null: optional first (relax), @ignore for the code deploy, then gone', async () => {
    const schema = SCHEMA.replace('legacy    String?', 'legacy    String');
    const r = await edit(['remove-column', '--table', 'users', '--column', 'legacy_code', '--type', 'varchar(20)', '--not-null'], schema);
    expect(lineDiff(schema, r.schema).added).toEqual(['  legacy    String?  @map("legacy_code") @db.VarChar(20)']);
    expect(r.step(2)).toEqual({ done: false, hunks: '@@ model User @@\n-  legacy    String?  @map("legacy_code") @db.VarChar(20)\n+  legacy    String?  @map("legacy_code") @db.VarChar(20) @ignore' });
    expect(r.final()).not.toContain('legacy');
  });

  it('add-column --not-null with a backfill: optional in phase 1, the tighten phase gives the required line', async () => {
    const r = await edit(['add-column', '--table', 'users', '--column', 'email_lower', '--type', 'text', '--backfill', 'lower(email)', '--not-null']);
    expect(lineDiff(SCHEMA, r.schema).added).toEqual(['  email_lower String?']);
    expect(r.checklist).toMatch(/### 4\. Make email_lower NOT NULL[\s\S]*?-  email_lower String\?\n  \+  email_lower String\n/);
    expect(lineDiff(SCHEMA, r.final()!).added).toEqual(['  email_lower String']);
    expect(r.checklist).not.toMatch(/Add `email_lower` to the model/);
  });

  it('add-column with a constant default: a Prisma literal, not dbgenerated', async () => {
    const r = await edit(['add-column', '--table', 'users', '--column', 'status', '--type', 'varchar(20)', '--default', "'active'", '--not-null']);
    expect(lineDiff(SCHEMA, r.schema).added).toEqual(['  status String @default("active") @db.VarChar(20)']);
  });

  it('rename of a NOT NULL field named as its column: nullable twin, required after tighten, the old one @ignore, then gone', async () => {
    const schema = SCHEMA.replace('  email     String   @unique', '  email     String   @default("x@example.com")');
    const r = await edit(['rename-column', '--table', 'users', '--from', 'email', '--to', 'email_address'], schema);
    expect(lineDiff(schema, r.schema).added).toEqual(['  email_address String?']);
    expect(r.step(3)?.hunks).toBe('@@ model User @@\n-  email_address String?\n+  email_address String');
    expect(r.step(4)?.hunks).toBe('@@ model User @@\n-  email     String   @default("x@example.com")\n+  email     String   @default("x@example.com") @ignore');
    expect(lineDiff(schema, r.final()!)).toEqual({ added: ['  email_address String @default("x@example.com")'], removed: ['  email     String   @default("x@example.com")'] });
  });

  it('rename of a field with its own name (@map): the field keeps its name and switches @map', async () => {
    const r = await edit(['rename-column', '--table', 'users', '--from', 'name', '--to', 'full_name']);
    expect(r.step(4)?.hunks).toContain('+  fullName String @map("full_name") // what people call them\n+  name String @ignore');
    expect(lineDiff(SCHEMA, r.final()!)).toEqual({
      added: ['  fullName String @map("full_name") // what people call them'],
      removed: ['  fullName  String   @map("name") // what people call them'],
    });
  });

  it('add-index: @@index with the real index name, on field names', async () => {
    const r = await edit(['add-index', '--table', 'posts', '--columns', 'author_id,title']);
    expect(lineDiff(SCHEMA, r.schema)).toEqual({ added: ['  @@index([authorId, title], map: "posts_author_id_title_idx")'], removed: [] });
  });

  it('a partial index without the partialIndexes preview feature: schema left alone, and what the engine does', async () => {
    const r = await edit(['add-index', '--table', 'posts', '--columns', 'title', '--where', "title <> ''"]);
    expect(r.schema).toBe(SCHEMA);
    expect(r.stdout).toContain('neither drops nor re-creates it');
    expect(r.checklist).toContain(`add \`@@index([title], map: "posts_title_idx", where: raw("title <> ''"))\` to model Post`);
  });

  it('set-not-null: the field becomes required with the tighten, through @map; nothing else changes', async () => {
    const r = await edit(['set-not-null', '--table', 'User', '--column', 'legacy']);
    expect(r.code, r.stderr).toBe(0);
    expect(lineDiff(SCHEMA, r.schema)).toEqual({ added: ['  legacy    String  @map("legacy_code") @db.VarChar(20)'], removed: ['  legacy    String?  @map("legacy_code") @db.VarChar(20)'] });
    const guard = Object.entries(r.files).find(([p]) => p.endsWith('add_users_legacy_code_not_null_check/migration.sql'))![1];
    expect(guard).toContain('ALTER TABLE users ADD CONSTRAINT users_legacy_code_not_null CHECK (legacy_code IS NOT NULL) NOT VALID;');
  });

  it('set-not-null with a backfill: the edit waits for the tighten, which the checklist shows', async () => {
    const r = await edit(['set-not-null', '--table', 'User', '--column', 'legacy', '--backfill', "'none'"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.schema).toBe(SCHEMA);
    expect(r.step(3)?.hunks).toContain('+  legacy    String  @map("legacy_code") @db.VarChar(20)');
    expect(lineDiff(SCHEMA, r.final() ?? '').added).toEqual(['  legacy    String  @map("legacy_code") @db.VarChar(20)']);
  });

  it('add-check-constraint: schema.prisma is left alone, and the checklist says why', async () => {
    const r = await edit(['add-check-constraint', '--table', 'User', '--check', "email LIKE '%@%'"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.schema).toBe(SCHEMA);
    expect(r.checklist).toContain("Prisma's schema cannot describe a check constraint: users_email_check lives in the migrations only.");
    expect(r.stdout).toMatch(/schema.prisma left as it is: Prisma cannot describe check constraint users_email_check/);
  });

  it('a partial index with the partialIndexes preview feature: where: raw(...)', async () => {
    const schema = SCHEMA.replace('output   = "../generated"', 'output   = "../generated"\n  previewFeatures = ["partialIndexes"]');
    const r = await edit(['add-index', '--table', 'posts', '--columns', 'title', '--unique', '--where', "title <> ''"], schema);
    expect(lineDiff(schema, r.schema).added).toEqual([`  @@unique([title], map: "posts_title_key", where: raw("title <> ''"))`]);
  });
});

describe('add-foreign-key: the index with the index phase, the relation with the NOT VALID phase', () => {
  const EDITOR = SCHEMA.replace('  title    String\n', '  title    String\n  editorId BigInt? @map("editor_id")\n');
  const MANAGER = SCHEMA.replace('  posts     Post[]\n', '  posts     Post[]\n  managerId BigInt? @map("manager_id")\n');

  it('a second relation between two models: @@index first, then a named relation and its back-relation', async () => {
    const r = await edit(['add-foreign-key', '--table', 'posts', '--columns', 'editorId', '--references', 'users(id)'], EDITOR);
    expect(r.code).toBe(0);
    expect(lineDiff(EDITOR, r.schema)).toEqual({ added: ['  @@index([editorId], map: "posts_editor_id_idx")'], removed: [] });
    expect(r.step(2)?.hunks).toBe(
      '@@ model Post @@\n' +
        '   editorId BigInt? @map("editor_id")\n' +
        '+  editor User? @relation("posts_editor_id_fkey", fields: [editorId], references: [id], onDelete: NoAction, onUpdate: NoAction, map: "posts_editor_id_fkey")\n' +
        '@@ model User @@\n' +
        '   posts     Post[]\n' +
        '+  postsByEditor Post[] @relation("posts_editor_id_fkey")',
    );
    expect(r.step(3)).toBeNull();
    // The field name resolved to its column for the SQL.
    expect(Object.entries(r.files).find(([p]) => p.endsWith('not_valid/migration.sql'))![1]).toContain('FOREIGN KEY (editor_id) REFERENCES users (id) NOT VALID');
  });

  it('a self-relation with --no-index: both sides in the first (written) edit, named; SET-NULL read as SET NULL', async () => {
    const r = await edit(['add-foreign-key', '--table', 'users', '--columns', 'manager_id', '--references', 'users(id)', '--no-index', '--on-delete', 'SET-NULL'], MANAGER);
    expect(r.code).toBe(0);
    expect(lineDiff(MANAGER, r.schema)).toEqual({
      added: [
        '  manager User? @relation("users_manager_id_fkey", fields: [managerId], references: [id], onDelete: SetNull, onUpdate: NoAction, map: "users_manager_id_fkey")',
        '  usersByManager User[] @relation("users_manager_id_fkey")',
      ],
      removed: [],
    });
  });

  it('a relation Prisma cannot place (no model for the referenced table): schema left alone, with what to add', async () => {
    const r = await edit(['add-foreign-key', '--table', 'posts', '--columns', 'author_id', '--references', 'accounts(id)', '--no-index'], SCHEMA);
    expect(r.code).toBe(0);
    expect(r.schema).toBe(SCHEMA);
    expect(r.stdout).toMatch(/no model for accounts .*@relation\(fields: \[\.\.\.\], references: \[\.\.\.\], onDelete: NoAction, onUpdate: NoAction, map: "posts_author_id_fkey"\)/);
  });
});

describe('requests the declared schema rules out are refused, nothing written', () => {
  it.each([
    ['rename onto an existing column', ['rename-column', '--table', 'users', '--from', 'name', '--to', 'email'], /users.email already exists/],
    ['rename a column that is not there', ['rename-column', '--table', 'users', '--from', 'nickname', '--to', 'x'], /no column nickname/],
    ['drop the primary key', ['remove-column', '--table', 'users', '--column', 'id', '--type', 'bigint'], /primary key/],
    ['index a missing column', ['add-index', '--table', 'posts', '--columns', 'body'], /no column body: check --columns/],
    ['add a column that exists', ['add-column', '--table', 'User', '--column', 'email', '--type', 'text'], /users.email already exists/],
    ['NOT NULL on a required field', ['set-not-null', '--table', 'User', '--column', 'fullName'], /users.name is already NOT NULL: there is nothing to do/],
    ['NOT NULL on a missing column', ['set-not-null', '--table', 'users', '--column', 'nickname'], /users has no column nickname: check --column/],
    ['a foreign key on a missing column', ['add-foreign-key', '--table', 'posts', '--columns', 'editor_id', '--references', 'users(id)'], /posts has no column editor_id: check --columns/],
    ['a self-reference to a missing column', ['add-foreign-key', '--table', 'users', '--columns', 'legacy_code', '--references', 'users(uuid)'], /users.uuid does not exist, and --references names it/],
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

  it('db/schema.rb: null: false means NOT NULL already', async () => {
    const schemaRb = 'ActiveRecord::Schema[7.1].define(version: 2024) do\n  create_table "users", force: :cascade do |t|\n    t.string "email", null: false\n    t.string "nickname"\n  end\nend\n';
    const files = { '/project/Gemfile': '', '/project/db/migrate/.keep': '', '/project/db/schema.rb': schemaRb };
    const refused = await run(['set-not-null', '--table', 'users', '--column', 'email', '--yes', '--target', 'rails'], project(files));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/users.email is already NOT NULL: there is nothing to do \(per db\/schema.rb\)/);
    const ok = await run(['set-not-null', '--table', 'users', '--column', 'nickname', '--yes', '--target', 'rails'], project(files));
    expect(ok.code, ok.stderr).toBe(0);
  });
});

describe('defaults: Prisma literals where they mean what PostgreSQL stores', () => {
  const enums = parseEnums('enum Status {\n  active\n  gone @map("deleted")\n  @@map("user_status")\n}\n');
  it.each([
    ["'active'", 'String @db.VarChar(20)', '@default("active")'],
    ["'it''s \"q\"'", 'String', '@default("it\'s \\"q\\"")'],
    ["'active'::text", 'String', '@default("active")'],
    ['0', 'Int', '@default(0)'],
    ['-5', 'BigInt', '@default(-5)'],
    ['1.5', 'Float', '@default(1.5)'],
    ['TRUE', 'Boolean', '@default(true)'],
    ['now()', 'DateTime @db.Timestamptz(6)', '@default(now())'],
    ['CURRENT_TIMESTAMP', 'DateTime @db.Timestamptz(6)', '@default(now())'],
    ["'{}'", 'Json', '@default("{}")'],
    ['gen_random_uuid()', 'String @db.Uuid', '@default(dbgenerated("gen_random_uuid()"))'],
    ["'00000000-0000-0000-0000-000000000000'", 'String @db.Uuid', `@default(dbgenerated("'00000000-0000-0000-0000-000000000000'::uuid"))`],
    ['current_date', 'DateTime @db.Date', '@default(dbgenerated("CURRENT_DATE"))'],
    ['0', 'String', `@default(dbgenerated("0"))`],
  ])('%s on %s', (sql, type, attr) => {
    expect(prismaDefault(sql, type).attr).toBe(attr);
  });
  it('enum values by their Prisma name', () => {
    expect(prismaDefault("'deleted'", 'Status', enums[0]).attr).toBe('@default(gone)');
    expect(prismaDefault("'active'::user_status", 'Status', enums[0]).attr).toBe('@default(active)');
  });
});
