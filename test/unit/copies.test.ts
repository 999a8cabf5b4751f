/**
 * What a copy of an index or constraint is built from: PostgreSQL's printed definitions with a hole
 * wherever they name the column (through its parser, not a pattern), the facts a schema dump gives,
 * and the list of type changes PostgreSQL makes in place.
 */
import { describe, expect, it } from 'vitest';
import { constraintTemplate, fill, indexPredicate, indexTemplate } from '../../src/sql/template.js';
import { factsFromDump } from '../../src/project/dump.js';
import { inPlaceChange } from '../../src/plan/recipes/type-changes.js';
import { renamedName } from '../../src/plan/recipes/copies.js';
import { project, run, tree } from './helpers.js';

describe('index and constraint definitions, the column as a hole', () => {
  it.each([
    ['CREATE INDEX i ON public.users USING btree (name)', 'ON public.users USING btree (full_name)'],
    // A string literal, a function and a type of the same name are not the column.
    ["CREATE INDEX i ON public.users USING btree (((name)::name)) WHERE (public.name(name) <> 'name'::text)", "ON public.users USING btree (((full_name)::name)) WHERE (public.name(full_name) <> 'name'::text)"],
    ['CREATE UNIQUE INDEX i ON public.users USING btree (lower(name) text_pattern_ops, created_at DESC NULLS LAST) INCLUDE (email, name)', 'ON public.users USING btree (lower(full_name) text_pattern_ops, created_at DESC NULLS LAST) INCLUDE (email, full_name)'],
    ['CREATE INDEX i ON public.users USING gin (name public.gin_trgm_ops)', 'ON public.users USING gin (full_name public.gin_trgm_ops)'],
    ['CREATE INDEX i ON public.users USING btree (surname, name_x)', 'ON public.users USING btree (surname, name_x)'],
  ])('%s', async (def, expected) => {
    expect(fill((await indexTemplate(def, 'name')).body, 'full_name')).toBe(expected);
  });

  it('quoted and non-ASCII names, byte positions from the parser', async () => {
    const t = await indexTemplate(`CREATE INDEX "ïx" ON public.users USING btree ("Nämé") WHERE ("Nämé" <> 'é'::text)`, 'Nämé');
    expect(fill(t.body, 'new one')).toBe(`ON public.users USING btree ("new one") WHERE ("new one" <> 'é'::text)`);
    expect(t.inExpression).toBe(true);
    expect(indexPredicate(`CREATE INDEX x ${fill(t.body, 'n')}`)).toBe("n <> 'é'::text");
  });

  it('CHECK and FOREIGN KEY definitions, NOT VALID left out', async () => {
    expect(fill(await constraintTemplate("CHECK (((name)::text <> 'name'::text)) NOT VALID", 'name'), 'x')).toBe("CHECK (((x)::text <> 'name'::text))");
    expect(fill(await constraintTemplate('FOREIGN KEY (org, name) REFERENCES public.orgs(id, name) ON DELETE CASCADE', 'name'), 'x')).toBe(
      'FOREIGN KEY (org, x) REFERENCES public.orgs(id, name) ON DELETE CASCADE',
    );
  });

  it('a copy is named after the new column where the original names the old one', () => {
    expect(renamedName('users_name_idx', 'name', 'full_name')).toBe('users_full_name_idx');
    expect(renamedName('index_users_on_name_and_email', 'name', 'full_name')).toBe('index_users_on_full_name_and_email');
    expect(renamedName('users_surname_idx', 'name', 'full_name')).toBeNull();
    expect(renamedName('users_lookup', 'name', 'full_name')).toBeNull();
  });
});

describe('a schema dump (db/structure.sql) as a source of facts', () => {
  const DUMP = [
    '\\restrict abc',
    "SELECT pg_catalog.set_config('search_path', '', false);",
    'CREATE TABLE public.users (',
    '    id bigint NOT NULL,',
    '    score integer DEFAULT 0 NOT NULL,',
    '    CONSTRAINT users_score_check CHECK ((score >= 0))',
    ');',
    'ALTER TABLE ONLY public.users',
    '    ADD CONSTRAINT users_pkey PRIMARY KEY (id);',
    'ALTER TABLE ONLY public.orders',
    '    ADD CONSTRAINT orders_user_fkey FOREIGN KEY (user_id) REFERENCES public.users(id);',
    'CREATE INDEX users_score_idx ON public.users USING btree (score);',
    'CREATE INDEX users_other ON public.users USING btree (id);',
    '\\unrestrict abc',
  ].join('\n');

  it('types, the indexes and constraints that depend on a column, and the foreign keys that reference it', async () => {
    const f = (await factsFromDump(DUMP, 'db/structure.sql', { name: 'users' }, ['score', 'id']))!;
    expect(f.columns.score.type).toBe('integer');
    expect(f.columns.score.dependents!.indexes.map((i) => i.name)).toEqual(['users_score_idx']);
    expect(f.columns.score.dependents!.constraints.map((c) => [c.name, c.kind])).toEqual([['users_score_check', 'check']]);
    expect(f.columns.id.type).toBe('bigint');
    expect(f.columns.id.dependents!.indexes.map((i) => [i.name, i.constraint?.kind])).toEqual([['users_pkey', 'primary'], ['users_other', undefined]]);
    expect(f.columns.id.dependents!.referencedBy.map((r) => `${r.table}.${r.constraint}`)).toEqual(['orders.orders_user_fkey']);
    expect(await factsFromDump(DUMP, 'db/structure.sql', { name: 'accounts' }, ['id'])).toBeUndefined();
  });

  // A db/schema.sql PostgreSQL's parser rejects (here MySQL's), as a project may keep.
  const NOT_POSTGRES = { '/project/db/schema.sql': 'CREATE TABLE `users` (id int) ENGINE=InnoDB;\n' };

  it('a dump the parser rejects: an operation that reads it refuses in one line, naming the file, and writes nothing', async () => {
    const r = await run(['rename-column', '--table', 'users', '--from', 'name', '--to', 'full_name', '--target', 'sql', '--yes'], project(NOT_POSTGRES));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^migscaffold: db\/schema\.sql is not a PostgreSQL schema dump migscaffold can read \(syntax error at or near "`"\): .*--database-url/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(Object.keys(tree(r.vol)).filter((p) => p !== 'db/schema.sql')).toEqual([]);
  });

  it.each([
    ['add-column', '--column', 'phone', '--type', 'text'],
    ['add-index', '--columns', 'email'],
  ])('%s, which does not plan from what a column has, does not read it', async (op, ...args) => {
    const r = await run([op, '--table', 'users', ...args, '--target', 'sql', '--yes'], project(NOT_POSTGRES));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});

describe('the type changes PostgreSQL makes in place (src/plan/recipes/type-changes.ts)', () => {
  it.each([
    ['varchar(20)', 'varchar(40)', 'expression-indexes'],
    ['character varying(20)', 'text', 'expression-indexes'],
    ['text', 'varchar', 'expression-indexes'],
    ['numeric(10,2)', 'numeric(12,2)', 'expression-indexes'],
    ['numeric(10,2)', 'numeric', 'expression-indexes'],
    ['timestamp(3) with time zone', 'timestamptz', 'expression-indexes'],
    ['varbit(5)', 'bit varying(10)', 'expression-indexes'],
    ['cidr', 'inet', 'expression-indexes'],
    ['timestamp without time zone', 'timestamptz', 'all-indexes'],
  ])('%s -> %s in place', (from, to, rebuilds) => {
    expect(inPlaceChange(from, to)?.rebuilds).toBe(rebuilds);
  });
  it.each([
    ['text', 'varchar(40)'],
    ['varchar(40)', 'varchar(20)'],
    ['numeric(10,2)', 'numeric(12,3)'],
    ['numeric', 'numeric(12,2)'],
    ['integer', 'bigint'],
    ['char(5)', 'text'],
    ['timestamp(6)', 'timestamp(3)'],
  ])('%s -> %s rewrites', (from, to) => {
    expect(inPlaceChange(from, to)).toBeNull();
  });
});

describe('change-column-type refuses what it cannot plan', () => {
  it('without the current type (no --from-type, no --database-url, no dump): the full path, and the checklist says why', async () => {
    const r = await run(['change-column-type', '--table', 'users', '--column', 'nickname', '--type', 'varchar(100)', '--target', 'sql', '--yes', '--all-phases']);
    expect(r.code, r.stderr).toBe(0);
    const files = tree(r.vol);
    const checklist = Object.entries(files).find(([p]) => p.endsWith('.md'))![1];
    expect(checklist).toMatch(/the current type of users\.nickname was not known at generation/);
    expect(checklist).toMatch(/Give --from-type to let migscaffold choose the in-place change/);
    const sql = Object.entries(files).filter(([p]) => p.endsWith('.sql')).map(([, v]) => v).join('\n');
    // The expand keeps the type; the swap's down reads it back.
    expect(sql).toMatch(/COMMENT ON COLUMN %s\.%I IS %L/);
    expect(sql).toMatch(/ADD COLUMN %I %s', 'users'::regclass, 'nickname', substr\(note/);
  });
  it('the same type again', async () => {
    const r = await run(['change-column-type', '--table', 'users', '--column', 'score', '--type', 'int4', '--from-type', 'integer', '--target', 'sql', '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/users\.score is already of type int4/);
  });
});

describe('the current type from a declared schema', () => {
  it('db/schema.rb: t.string limit 40 -> varchar(100) is changed in place, without --from-type', async () => {
    const schemaRb = [
      'ActiveRecord::Schema[7.1].define(version: 2026_01_01_000000) do',
      '  create_table "users", force: :cascade do |t|',
      '    t.string "nickname", limit: 40',
      '    t.integer "score", null: false',
      '  end',
      'end',
      '',
    ].join('\n');
    const vol = project({ '/project/db/schema.rb': schemaRb, '/project/Gemfile': '', '/project/db/migrate/.keep': '' });
    const r = await run(['change-column-type', '--table', 'users', '--column', 'nickname', '--type', 'varchar(100)', '--target', 'rails', '--yes', '--dry-run', '--json'], vol);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).phases.map((p: { key: string }) => p.key)).toEqual(['alter', 'use']);
    const full = await run(['change-column-type', '--table', 'users', '--column', 'score', '--type', 'bigint', '--target', 'rails', '--yes', '--dry-run', '--json'], vol);
    expect(JSON.parse(full.stdout).phases.map((p: { key: string }) => p.key)).toEqual(['expand', 'backfill', 'tighten', 'swap', 'use']);
  });

  it('schema.prisma: String @db.VarChar(40) -> text in place; the field changes type in that phase', async () => {
    const schema = ['datasource db {', '  provider = "postgresql"', '}', '', 'model User {', '  id       BigInt  @id @default(autoincrement())', '  nickname String? @db.VarChar(40)', '', '  @@map("users")', '}', ''].join('\n');
    const vol = project({ '/project/prisma/schema.prisma': schema, '/project/prisma/migrations/migration_lock.toml': 'provider = "postgresql"\n' });
    const r = await run(['change-column-type', '--table', 'users', '--column', 'nickname', '--type', 'text', '--target', 'prisma', '--yes', '--all-phases', ...['--timestamp', '20260115093000']], vol);
    expect(r.code, r.stderr).toBe(0);
    expect(tree(r.vol)['prisma/schema.prisma']).toContain('  nickname String?\n');
  });
});
