/**
 * Indexes as db/schema.rb and schema.prisma declare them: parsed into KnownTable.indexes, they give
 * drop-index the definition its down rebuilds, and the refusals (an index a constraint needs, a name
 * already taken) come from them. Every refusal is one line, a non-zero exit, and nothing written.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromPrisma, fromSchemaRb } from '../../src/project/known-schema.js';
import { checklistSchemaStep } from '../support/checklist-schema.js';
import { project, run, scriptedPrompter, tree } from './helpers.js';

const PRISMA = readFileSync(new URL('../fixtures/prisma/schema.prisma', import.meta.url), 'utf8');
const FIXED = ['--yes', '--timestamp', '20260115093000', '--all-phases'];

const SCHEMA_RB = `ActiveRecord::Schema[7.1].define(version: 2026_01_01_000000) do
  create_table "users", force: :cascade do |t|
    t.string "email", null: false
    t.string "name"
    t.jsonb "tags"
    t.datetime "deleted_at"
    t.index ["email"], name: "index_users_on_email", unique: true, where: "(deleted_at IS NULL)"
    t.index ["tags"], name: "index_users_on_tags", using: :gin
    t.index "lower((email)::text)", name: "index_users_on_lower_email"
    t.index ["name"], name: "index_users_on_name", order: { name: :desc }
    t.unique_constraint ["name"], name: "users_name_key"
  end

  create_table "posts", force: :cascade do |t|
    t.bigint "author_id"
  end

  add_index "posts", ["author_id"], name: "index_posts_on_author_id"
end
`;

const RAILS = { '/project/Gemfile': '', '/project/db/migrate/.keep': '', '/project/db/schema.rb': SCHEMA_RB };
const files = (r: { vol: Parameters<typeof tree>[0] }) => tree(r.vol);
const migration = (r: { vol: Parameters<typeof tree>[0] }, suffix: string) => Object.entries(files(r)).find(([p]) => p.endsWith(suffix))?.[1] ?? '';

describe('indexes a declared schema gives', () => {
  it('schema.prisma: @id, @unique and @@index with Prisma default names; map, type and where when given', () => {
    const text = PRISMA.replace('  @@index([authorId])', '  @@index([authorId])\n  @@index([title], map: "posts_title_hash", type: Hash)\n  @@unique([authorId, title], where: raw("title <> \'\'"))\n  @@index([title(sort: Desc)], map: "posts_title_desc")');
    const known = fromPrisma(text, 'schema.prisma');
    expect(known.tables.get('users')!.indexes).toEqual([
      { name: 'users_pkey', columns: ['id'], unique: true, constraint: 'primary key' },
      { name: 'users_email_key', columns: ['email'], unique: true },
    ]);
    expect(known.tables.get('posts')!.indexes).toEqual([
      { name: 'posts_pkey', columns: ['id'], unique: true, constraint: 'primary key' },
      { name: 'posts_author_id_idx', columns: ['author_id'], unique: false },
      { name: 'posts_title_hash', columns: ['title'], unique: false, using: 'hash' },
      { name: 'posts_author_id_title_key', columns: ['author_id', 'title'], unique: true, where: "title <> ''" },
      { name: 'posts_title_desc', columns: null, unique: false },
    ]);
  });

  it('db/schema.rb: t.index, add_index and t.unique_constraint; expressions and sort orders are more than columns', () => {
    const known = fromSchemaRb(SCHEMA_RB, 'db/schema.rb');
    expect(known.tables.get('users')!.indexes).toEqual([
      { name: 'users_pkey', columns: ['id'], unique: true, constraint: 'primary key' },
      { name: 'index_users_on_email', columns: ['email'], unique: true, where: '(deleted_at IS NULL)' },
      { name: 'index_users_on_tags', columns: ['tags'], unique: false, using: 'gin' },
      { name: 'index_users_on_lower_email', columns: null, unique: false },
      { name: 'index_users_on_name', columns: null, unique: false },
      { name: 'users_name_key', columns: ['name'], unique: true, constraint: 'unique' },
    ]);
    expect(known.tables.get('posts')!.indexes.map((i) => i.name)).toEqual(['posts_pkey', 'index_posts_on_author_id']);
    expect([...known.tables.get('users')!.columns]).toEqual(['email', 'name', 'tags', 'deleted_at', 'id']);
  });
});

describe('drop-index takes the definition from the declared schema', () => {
  it('Rails: a unique partial index; its down rebuilds it exactly', async () => {
    const r = await run(['drop-index', '--table', 'users', '--name', 'index_users_on_email', '--target', 'rails', ...FIXED], project(RAILS));
    expect(r.code, r.stderr).toBe(0);
    const rb = migration(r, '_drop_index_index_users_on_email.rb');
    expect(rb).toContain('execute "DROP INDEX CONCURRENTLY IF EXISTS index_users_on_email;"');
    expect(rb).toContain('execute "CREATE UNIQUE INDEX CONCURRENTLY index_users_on_email ON users (email) WHERE (deleted_at IS NULL);"');
  });

  it('Rails: the access method; old-style add_index after the tables', async () => {
    const gin = await run(['drop-index', '--table', 'users', '--name', 'index_users_on_tags', '--target', 'rails', ...FIXED], project(RAILS));
    expect(migration(gin, '.rb')).toContain('CREATE INDEX CONCURRENTLY index_users_on_tags ON users USING gin (tags);');
    const old = await run(['drop-index', '--table', 'posts', '--name', 'index_posts_on_author_id', '--target', 'rails', ...FIXED], project(RAILS));
    expect(migration(old, '.rb')).toContain('CREATE INDEX CONCURRENTLY index_posts_on_author_id ON posts (author_id);');
  });

  it('Prisma: @@index on a field with @map; the drop phase removes its line', async () => {
    const r = await run(['drop-index', '--table', 'posts', '--name', 'posts_author_id_idx', '--target', 'prisma', ...FIXED], project({ '/project/prisma/schema.prisma': PRISMA }));
    expect(r.code, r.stderr).toBe(0);
    expect(migration(r, '_drop_index_posts_author_id_idx/down.sql')).toContain('CREATE INDEX CONCURRENTLY posts_author_id_idx ON posts (author_id);');
    const checklist = Object.entries(files(r)).find(([p]) => p.endsWith('.md'))![1];
    expect(checklistSchemaStep(checklist, 1)).toBeNull();
    expect(checklistSchemaStep(checklist, 2)).toEqual({ done: false, hunks: '@@ model Post @@\n-  @@index([authorId])' });
    expect(files(r)['prisma/schema.prisma'], 'phase 1 is the code deploy: the file waits for the drop').toBe(PRISMA);
  });

  it('Prisma: @unique on a field; the drop phase takes the attribute off, spacing kept', async () => {
    const r = await run(['drop-index', '--table', 'User', '--name', 'users_email_key', '--target', 'prisma', ...FIXED], project({ '/project/prisma/schema.prisma': PRISMA }));
    expect(r.code, r.stderr).toBe(0);
    expect(migration(r, 'down.sql')).toContain('CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);');
    const checklist = Object.entries(files(r)).find(([p]) => p.endsWith('.md'))![1];
    expect(checklistSchemaStep(checklist, 2)?.hunks).toBe('@@ model User @@\n-  email     String   @unique\n+  email     String');
  });

  it('on a terminal: columns left empty at the prompt come from the declared schema too', async () => {
    const prompter = scriptedPrompter({ name: 'index_users_on_tags', columns: [], unique: false, using: 'btree' });
    const r = await run(['drop-index', '--table', 'users', '--target', 'rails', '--timestamp', '20260115093000', '--all-phases'], project(RAILS), { interactive: true, prompter });
    expect(r.code, r.stderr).toBe(0);
    expect(migration(r, '.rb')).toContain('CREATE INDEX CONCURRENTLY index_users_on_tags ON users USING gin (tags);');
  });

  it('flags win over the declared schema', async () => {
    const r = await run(['drop-index', '--table', 'users', '--name', 'index_users_on_email', '--columns', 'email', '--target', 'rails', ...FIXED], project(RAILS));
    expect(migration(r, '.rb')).toContain('"CREATE INDEX CONCURRENTLY index_users_on_email ON users (email);"');
  });
});

describe('drop-index and add-unique-constraint refuse what cannot work: one line, nothing written', () => {
  it.each([
    [
      'no definition and no declared schema',
      ['drop-index', '--table', 'users', '--name', 'users_name_idx', '--target', 'sql'],
      {},
      2,
      /^migscaffold: drop-index rebuilds users_name_idx in its down and needs its definition: give --columns a,b \(with --unique, --where and --using as it was created\), or declare it in db\/schema.rb \(--target rails\) or schema.prisma \(--target prisma\)\n$/,
    ],
    [
      'a declared schema that does not declare it',
      ['drop-index', '--table', 'users', '--name', 'users_name_idx', '--target', 'rails'],
      RAILS,
      2,
      /needs its definition: give --columns a,b .*; db\/schema.rb does not declare it\n$/,
    ],
    ['--unique without --columns', ['drop-index', '--table', 'users', '--name', 'x', '--unique', '--target', 'sql'], {}, 2, /--unique, --where and --using describe the index together with --columns/],
    [
      'an expression index',
      ['drop-index', '--table', 'users', '--name', 'index_users_on_lower_email', '--target', 'rails'],
      RAILS,
      2,
      /db\/schema.rb declares index_users_on_lower_email with more than plain columns .* write that migration by hand/,
    ],
    [
      'the primary key',
      ['drop-index', '--table', 'users', '--name', 'users_pkey', '--columns', 'id', '--target', 'rails'],
      RAILS,
      1,
      /users\.users_pkey backs the primary key: DROP INDEX cannot remove it .*ADD PRIMARY KEY USING INDEX.* \(per db\/schema.rb\)/,
    ],
    [
      'a unique constraint',
      ['drop-index', '--table', 'users', '--name', 'users_name_key', '--target', 'rails'],
      RAILS,
      1,
      /users_name_key backs the unique constraint users_name_key: .*drop the constraint instead \(ALTER TABLE users DROP CONSTRAINT users_name_key drops its index with it\)/,
    ],
    [
      'a constraint whose name is taken',
      ['add-unique-constraint', '--table', 'users', '--columns', 'email', '--name', 'index_users_on_email', '--target', 'rails'],
      RAILS,
      1,
      /index_users_on_email already exists \(an index or constraint of that name\): choose another --name/,
    ],
  ])('%s', async (_name, argv, files_, code, message) => {
    const vol = project(files_);
    const before = Object.keys(tree(vol));
    const r = await run([...argv, ...FIXED], vol);
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(Object.keys(tree(r.vol))).toEqual(before);
  });
});
