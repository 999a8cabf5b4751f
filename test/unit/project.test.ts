/** Fitting into real projects: detection, config, Alembic heads, Rails versions, Prisma paths, SQL naming. */
import { describe, expect, it } from 'vitest';
import { project, run, tree } from './helpers.js';

const FIXED = ['--yes', '--timestamp', '20260115093000', '--rev-id', '0123456789ab'];
const INDEX = ['add-index', '--table', 'users', '--columns', 'email', ...FIXED];

const rev = (id: string, down: string) =>
  `"""x\n\nRevision ID: ${id}\n"""\nrevision = '${id}'\ndown_revision = ${down}\nbranch_labels = None\n`;

const ALEMBIC = {
  '/project/alembic.ini': '[alembic]\nscript_location = %(here)s/db/migrations\nfile_template = %%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s\n',
  '/project/db/migrations/versions/a1_base.py': rev('a1a1a1a1a1a1', 'None'),
  '/project/db/migrations/versions/b2_left.py': rev('b2b2b2b2b2b2', "'a1a1a1a1a1a1'"),
  '/project/db/migrations/versions/c3_right.py': rev('c3c3c3c3c3c3', "'a1a1a1a1a1a1'"),
  '/project/db/migrations/versions/d4_merge.py': rev('d4d4d4d4d4d4', "('b2b2b2b2b2b2', 'c3c3c3c3c3c3')"),
};

describe('Alembic projects', () => {
  it('detects the target, follows script_location and file_template, and chains after the head (a merge)', async () => {
    const r = await run(INDEX, project(ALEMBIC));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('target          alembic (detected from alembic.ini)');
    const created = Object.keys(tree(r.vol)).filter((p) => !Object.keys(ALEMBIC).includes(`/project/${p}`));
    const revision = created.find((p) => p.startsWith('db/migrations/versions/'))!;
    expect(revision).toBe('db/migrations/versions/2026_01_15_0123456789ab_add_index_users_email_idx.py');
    expect(tree(r.vol)[revision]).toContain('down_revision = "d4d4d4d4d4d4"');
  });

  it('refuses several heads unless --down-revision names one', async () => {
    const split = { ...ALEMBIC };
    delete (split as Record<string, string>)['/project/db/migrations/versions/d4_merge.py'];
    const r = await run(INDEX, project(split));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/2 heads \(b2b2b2b2b2b2, c3c3c3c3c3c3\).*--down-revision/);
    expect(Object.keys(tree(r.vol))).toHaveLength(4);
    const chosen = await run([...INDEX, '--down-revision', 'c3c3c3c3c3c3'], project(split));
    expect(chosen.code).toBe(0);
    const unknown = await run([...INDEX, '--down-revision', 'ffffffffffff'], project(split));
    expect(unknown.stderr).toMatch(/not a revision/);
  });

  it('reads [tool.alembic] from pyproject.toml', async () => {
    const r = await run(INDEX, project({ '/project/pyproject.toml': '[tool.alembic]\nscript_location = "migrations"\n' }));
    expect(r.code).toBe(0);
    expect(Object.keys(tree(r.vol)).some((p) => p.startsWith('migrations/versions/0123456789ab_'))).toBe(true);
  });
});

describe('Rails apps', () => {
  const app = {
    '/project/Gemfile': "gem 'rails'\n",
    '/project/Gemfile.lock': 'GEM\n  specs:\n    rails (7.0.8)\n      activerecord (= 7.0.8)\n',
    '/project/db/migrate/20270101000000_create_users.rb': 'class CreateUsers < ActiveRecord::Migration[7.0]\nend\n',
  };

  it('takes Migration[X.Y] from Gemfile.lock and versions after the newest migration', async () => {
    const r = await run(INDEX, project(app));
    expect(r.code).toBe(0);
    const files = tree(r.vol);
    const mine = Object.keys(files).find((p) => p.startsWith('db/migrate/20270101000001_'));
    expect(mine).toBeDefined();
    expect(files[mine!]).toContain('< ActiveRecord::Migration[7.0]');
  });

  it('falls back to the db/schema.rb header; --rails-version overrides', async () => {
    const r = await run(INDEX, project({ '/project/Gemfile': '', '/project/db/migrate/.keep': '', '/project/db/schema.rb': 'ActiveRecord::Schema[6.1].define(version: 1) do\nend\n' }));
    expect(Object.values(tree(r.vol)).join()).toContain('Migration[6.1]');
    const o = await run([...INDEX, '--rails-version', '7.2'], project({ '/project/Gemfile': '', '/project/db/migrate/.keep': '' }));
    expect(Object.values(tree(o.vol)).join()).toContain('Migration[7.2]');
  });

  it('refuses a duplicate class name', async () => {
    const r = await run(INDEX, project({ ...app, '/project/db/migrate/20200101000000_add_index_users_email_idx.rb': 'class AddIndexUsersEmailIdx < ActiveRecord::Migration[7.0]\nend\n' }));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/already has a migration class AddIndexUsersEmailIdx/);
  });
});

describe('Prisma projects', () => {
  it('follows prisma.config.ts paths', async () => {
    const r = await run(INDEX, project({
      '/project/prisma.config.ts': "import { defineConfig } from 'prisma/config';\nexport default defineConfig({ schema: 'db/schema.prisma', migrations: { path: 'db/prisma-migrations' } });\n",
      '/project/db/schema.prisma': 'datasource db {\n  provider = "postgresql"\n}\n',
    }));
    expect(r.code).toBe(0);
    expect(Object.keys(tree(r.vol)).some((p) => p.startsWith('db/prisma-migrations/20260115093000_add_index_users_email_idx/migration.sql'))).toBe(true);
  });

  const SCHEMA = 'datasource db {\n  provider = "postgresql"\n}\n\nmodel User {\n  id    BigInt @id\n  email String\n\n  @@map("users")\n}\n';
  const ADD = ['add-column', '--table', 'users', '--column', 'nickname', '--type', 'text', '--yes', '--timestamp', '20260115093000'];
  const written = (r: { vol: Parameters<typeof tree>[0] }) => Object.keys(tree(r.vol));

  it('finds schema.prisma at the package root with migrations/ beside it (Documenso), without --target', async () => {
    const r = await run(ADD, project({ '/project/schema.prisma': SCHEMA, '/project/migrations/migration_lock.toml': 'provider = "postgresql"\n' }));
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('target          prisma (detected from schema.prisma)');
    expect(written(r)).toContain('migrations/20260115093000_add_nickname_to_users/migration.sql');
    expect(written(r).some((p) => p.startsWith('prisma/'))).toBe(false);
    expect(tree(r.vol)['schema.prisma']).toContain('  nickname String?');
  });

  it('reads the schema path from package.json "prisma.schema" (Prisma 6)', async () => {
    const r = await run(ADD, project({ '/project/package.json': '{"name": "app", "prisma": {"schema": "db/app.prisma"}}', '/project/db/app.prisma': SCHEMA }));
    expect(r.code).toBe(0);
    expect(written(r)).toContain('db/migrations/20260115093000_add_nickname_to_users/migration.sql');
    expect(tree(r.vol)['db/app.prisma']).toContain('  nickname String?');
  });

  it('edits the file of a multi-file schema that declares the model; migrations beside the folder', async () => {
    const r = await run(ADD, project({
      '/project/prisma/schema/base.prisma': 'datasource db {\n  provider = "postgresql"\n}\n',
      '/project/prisma/schema/user.prisma': SCHEMA.replace(/^datasource[^}]*\}\n\n/, ''),
      '/project/prisma/migrations/migration_lock.toml': 'provider = "postgresql"\n',
    }));
    expect(r.stderr).toBe('');
    expect(tree(r.vol)['prisma/schema/user.prisma']).toContain('  nickname String?');
    expect(tree(r.vol)['prisma/schema/base.prisma']).not.toContain('nickname');
    expect(written(r)).toContain('prisma/migrations/20260115093000_add_nickname_to_users/migration.sql');
  });

  it.each([
    ['prisma.config.ts and package.json name different schemas', {
      '/project/prisma.config.ts': "export default { schema: 'prisma/schema.prisma' }\n",
      '/project/package.json': '{"prisma": {"schema": "db/schema.prisma"}}',
      '/project/prisma/schema.prisma': SCHEMA,
      '/project/db/schema.prisma': SCHEMA,
    }, /prisma.config.ts says schema "prisma\/schema.prisma", and package.json "prisma.schema" says "db\/schema.prisma"/],
    ['two default schemas', { '/project/schema.prisma': SCHEMA, '/project/prisma/schema.prisma': SCHEMA }, /schema.prisma exists, and prisma\/schema.prisma exists/],
    ['the configured schema does not exist', { '/project/prisma.config.ts': "export default { schema: 'db/schema.prisma' }\n" }, /prisma.config.ts names the Prisma schema "db\/schema.prisma", which does not exist/],
    ['a schema path that is not a plain string', { '/project/prisma.config.ts': "export default { schema: path.join('db', 'schema.prisma') }\n" }, /cannot read "schema" in prisma.config.ts/],
  ])('refuses when %s, and writes nothing', async (_name, files, message) => {
    const r = await run([...ADD, '--target', 'prisma'], project(files as Record<string, string>));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(written(r).sort()).toEqual(Object.keys(files).map((p) => p.replace('/project/', '')).sort());
  });

  it('a Prisma problem does not stop another target', async () => {
    const r = await run([...ADD, '--target', 'sql'], project({ '/project/schema.prisma': SCHEMA, '/project/prisma/schema.prisma': SCHEMA }));
    expect(r.code).toBe(0);
  });

  it('refuses a project whose migration_lock.toml is not PostgreSQL', async () => {
    const r = await run(INDEX, project({ '/project/prisma/schema.prisma': '', '/project/prisma/migrations/migration_lock.toml': 'provider = "mysql"\n' }));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/provider "mysql"/);
  });
});

describe('SQL folders', () => {
  it('continues a golang-migrate sequence', async () => {
    const r = await run(INDEX, project({ '/project/db/migrations/000041_init.up.sql': '', '/project/db/migrations/000041_init.down.sql': '' }));
    expect(r.stdout).toContain('target          sql (detected from db/migrations (golang-migrate files))');
    expect(Object.keys(tree(r.vol))).toContain('db/migrations/000042_add_index_users_email_idx.up.sql');
  });

  it('recognises dbmate and Flyway folders', async () => {
    const dbmate = await run(INDEX, project({ '/project/db/migrations/20250101000000_init.sql': '-- migrate:up\n-- migrate:down\n' }));
    expect(tree(dbmate.vol)['db/migrations/20260115093000_add_index_users_email_idx.sql']).toContain('-- migrate:up transaction:false');
    const flyway = await run(INDEX, project({ '/project/db/migration/V7__init.sql': '' }));
    expect(Object.keys(tree(flyway.vol))).toEqual(expect.arrayContaining(['db/migration/V8__add_index_users_email_idx.sql', 'db/migration/U8__add_index_users_email_idx.sql']));
  });
});

describe('configuration', () => {
  it('migscaffold.config.json sets the target and defaults', async () => {
    const r = await run(['rename-column', '--table', 'users', '--from', 'a', '--to', 'b', ...FIXED], project({ '/project/migscaffold.config.json': '{"target": "sql", "lockTimeout": "300ms", "batchSize": 250}' }));
    expect(r.code).toBe(0);
    const files = Object.values(tree(r.vol)).join('\n');
    expect(files).toContain("SET LOCAL lock_timeout = '300ms';");
    expect(files).toContain('\\set batch_size 250');
    expect(r.stdout).toContain('sql (from migscaffold.config.json)');
  });

  it('a "migscaffold" key in package.json works too; unknown keys are refused', async () => {
    const ok = await run(INDEX, project({ '/project/package.json': '{"name": "app", "migscaffold": {"target": "prisma"}}' }));
    expect(ok.code).toBe(0);
    const bad = await run(INDEX, project({ '/project/migscaffold.config.json': '{"taget": "sql"}' }));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown setting "taget"/);
  });

  it('several frameworks in one directory need --target', async () => {
    const r = await run(INDEX, project({ ...ALEMBIC, '/project/prisma/schema.prisma': '' }));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/several projects .*alembic.*prisma.*pass --target/);
  });
});

describe('a fresh Rails app', () => {
  it('is detected from config/application.rb before it has db/migrate, which the run creates', async () => {
    const r = await run(['add-index', '--table', 'users', '--columns', 'email', '--yes', '--timestamp', '20260115093000'], project({ '/project/config/application.rb': 'module App; end\n', '/project/Gemfile': "gem 'rails'\n" }));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('target          rails (detected from config/application.rb)');
    expect(Object.keys(tree(r.vol)).some((p) => p.startsWith('db/migrate/20260115093000_'))).toBe(true);
  });
});
