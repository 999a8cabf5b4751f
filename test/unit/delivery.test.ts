/**
 * Phased delivery on memfs: what the first run writes, the plan file, `next` without a database
 * (the unchecked path, which needs --yes), `status`, and the refusals. The checks against a real
 * database and the pipelines' blanket commands are in test/integration/pipeline.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { run, tree, project, scriptedPrompter } from './helpers.js';

const FIXED = ['--yes', '--timestamp', '20260115093000', '--rev-id', '0123456789ab'];
const RENAME = ['rename-column', '--table', 'users', '--from', 'name', '--to', 'full_name'];
const PLAN = 'migscaffold/20260115093000_rename_users_name_to_full_name.plan.json';

describe('the first run writes only the first delivery', () => {
  it.each([
    ['sql', ['--target', 'sql']],
    ['alembic', ['--target', 'alembic']],
  ])('rename-column, %s: the expand, the backfill, the checklist and the plan file', async (_t, target) => {
    const r = await run([...RENAME, ...target, ...FIXED]);
    expect(r.code, r.stderr).toBe(0);
    const files = tree(r.vol);
    expect(files).toMatchSnapshot();
    expect(r.stdout).toMatchSnapshot();
  });

  it('a plan whose phases are safe together writes everything and keeps no plan file', async () => {
    const r = await run(['add-index', '--table', 'users', '--columns', 'email', '--target', 'sql', ...FIXED]);
    expect(r.code).toBe(0);
    expect(Object.keys(tree(r.vol)).filter((p) => p.endsWith('.plan.json'))).toEqual([]);
    expect(Object.keys(tree(r.vol)).filter((p) => p.endsWith('.up.sql'))).toHaveLength(1);
  });

  it('add-column NOT NULL with a backfill: the tighten waits for the backfill', async () => {
    const r = await run(['add-column', '--table', 'users', '--column', 'email_lower', '--type', 'text', '--backfill', 'lower(email)', '--not-null', '--target', 'sql', ...FIXED]);
    const ups = Object.keys(tree(r.vol)).filter((p) => p.endsWith('.up.sql'));
    expect(ups).toEqual(['db/migrations/20260115093000_add_email_lower_to_users.up.sql']);
  });
});

describe('the checklist says which later migrations guard themselves', () => {
  const checklist = (r: Awaited<ReturnType<typeof run>>) => Object.entries(tree(r.vol)).find(([p]) => p.endsWith('.md'))![1] as string;

  it('rename-column: every later phase has a guard', async () => {
    const text = checklist(await run([...RENAME, '--target', 'sql', ...FIXED]));
    expect(text).toContain('Each later migration also checks its own precondition');
    expect(text).not.toContain('cannot check that for itself');
  });

  it('remove-column: the drop after the code deploy cannot tell that old code is gone, and says so', async () => {
    const r = await run(['remove-column', '--table', 'users', '--column', 'bio', '--type', 'text', '--target', 'sql', ...FIXED]);
    expect(r.code, r.stderr).toBe(0);
    const text = checklist(r);
    expect(text).not.toContain('Each later migration also checks');
    expect(text).toMatch(/so "[^"]+" cannot check that for itself:\n`migscaffold next` writes it only with `--deployed`/);
  });
});

describe('migscaffold next', () => {
  it('without a database and without --yes: names what it cannot check, exit 2, writes nothing', async () => {
    const first = await run([...RENAME, '--target', 'sql', ...FIXED]);
    const before = tree(first.vol);
    const r = await run(['next'], first.vol);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/cannot check 1\. Expand: .*\(1 \(the column full_name exists\); .*2\. Backfill.*0 rows left to copy.* pass --database-url <url> or set DATABASE_URL, or pass --yes/);
    expect(tree(r.vol)).toEqual(before);
  });

  it('on a terminal it asks, and stops with nothing written when told no', async () => {
    const first = await run([...RENAME, '--target', 'sql', ...FIXED]);
    const before = tree(first.vol);
    const r = await run(['next'], first.vol, { interactive: true, prompter: scriptedPrompter({}, ['no']) });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot be checked:\n {2}- 1\. Expand/);
    expect(tree(r.vol)).toEqual(before);
  });

  it('walks the plan: tighten, then the deploy gate, then the contract; status at each step', async () => {
    const vol = (await run([...RENAME, '--target', 'sql', ...FIXED])).vol;
    const status0 = await run(['status'], vol);
    expect(status0.code).toBe(0);
    expect(status0.stdout).toMatchSnapshot('status after generation');

    const tighten = await run(['next', PLAN, '--yes', '--timestamp', '20260116093000'], vol);
    expect(tighten.code, tighten.stderr).toBe(0);
    expect(tighten.stdout).toMatchSnapshot('next writes the tighten');
    const files = Object.keys(tree(vol)).filter((p) => p.endsWith('.up.sql'));
    expect(files).toEqual([
      'db/migrations/20260115093000_add_full_name_to_users_for_rename_of_name.up.sql',
      'db/migrations/20260116093000_validate_users_full_name_not_null.up.sql',
      'db/migrations/20260116093001_set_users_full_name_not_null.up.sql',
    ]);

    // The deploy gate: the code change is printed, nothing is written until --deployed.
    const before = tree(vol);
    const gate = await run(['next', '--yes'], vol);
    expect(gate.code).toBe(1);
    expect(gate.stdout).toContain('Switch every query from `name` to `full_name`');
    expect(gate.stderr).toMatch(/is a code deploy, which no query can prove: .* --deployed\n$/);
    expect(tree(vol)).toEqual(before);

    const contract = await run(['next', '--yes', '--deployed', '--timestamp', '20260117093000'], vol);
    expect(contract.code, contract.stderr).toBe(0);
    expect(contract.stdout).toContain('create          db/migrations/20260117093000_drop_name_from_users_after_rename_to_full_name.up.sql');
    expect(contract.stdout).toContain('that is the last delivery of this plan');
    const plan = JSON.parse(tree(vol)[PLAN]);
    expect(plan.progress.map((p: { key: string; state: string; checked?: boolean }) => [p.key, p.state, p.checked])).toEqual([
      ['expand', 'done', false],
      ['backfill', 'done', false],
      ['tighten', 'done', false],
      ['switch', 'done', false],
      ['contract', 'written', undefined],
    ]);
    const checklist = tree(vol)['migscaffold/20260115093000_rename_users_name_to_full_name.md'];
    expect(checklist).toContain('Apply `20260117093000`');
    expect(checklist).not.toContain('Write this phase');
    expect((await run(['status'], vol)).stdout).toMatchSnapshot('status with the contract written');

    // Once everything is written, a bare `next` has no plan to pick.
    const none = await run(['next', '--yes'], vol);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no plan in progress in migscaffold\//);
  });

  it('fits the project as it is now: after a teammate\'s migration, the versions sort later', async () => {
    const app = project({ '/project/Gemfile': "gem 'rails'\n", '/project/db/migrate/.keep': '' });
    const vol = (await run([...RENAME, '--target', 'rails', '--rails-version', '6.1', ...FIXED], app)).vol;
    vol.writeFileSync('/project/db/migrate/20270101000000_teammates_change.rb', 'class TeammatesChange < ActiveRecord::Migration[6.1]\nend\n');
    const r = await run(['next', '--yes', '--timestamp', '20260116093000'], vol);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('create          db/migrate/20270101000001_validate_users_full_name_not_null.rb');
  });

  it('Alembic: the next revision revises the current head, a teammate\'s included', async () => {
    const ini = '[alembic]\nscript_location = alembic\n';
    const vol = project({ '/project/alembic.ini': ini, '/project/alembic/versions/.keep': '' });
    const first = await run([...RENAME, ...FIXED], vol);
    expect(first.code, first.stderr).toBe(0);
    vol.writeFileSync(
      '/project/alembic/versions/feedfacecafe_teammate.py',
      'revision = "feedfacecafe"\ndown_revision = "0123456789ab"\n',
    );
    const r = await run(['next', '--yes', '--rev-id', 'aaaaaaaaaaaa'], vol);
    expect(r.code, r.stderr).toBe(0);
    const rev = tree(vol)['alembic/versions/aaaaaaaaaaaa_validate_users_full_name_not_null.py'];
    expect(rev).toContain('down_revision = "feedfacecafe"');
  });

  it('refuses a broken plan file in one line, and several plans without a name', async () => {
    const vol = (await run([...RENAME, '--target', 'sql', ...FIXED])).vol;
    vol.writeFileSync(`/project/${PLAN}`, '{ nope');
    const broken = await run(['next', '--yes'], vol);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/^migscaffold: migscaffold\/\S+\.plan\.json is not valid JSON .*: restore it from version control/);

    const two = (await run([...RENAME, '--target', 'sql', ...FIXED])).vol;
    await run(['rename-column', '--table', 'users', '--from', 'email', '--to', 'mail', '--target', 'sql', ...FIXED], two);
    const r = await run(['next', '--yes'], two);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/several plans are in progress \(.*\): name one/);
  });
});

describe('Prisma: the schema steps of later phases survive in the plan file', () => {
  it('next rewrites the checklist with every phase\'s schema.prisma edit', async () => {
    const schema = 'datasource db {\n  provider = "postgresql"\n}\n\nmodel User {\n  id    BigInt @id @default(autoincrement())\n  email String\n  name  String @default("anon")\n\n  @@map("users")\n}\n';
    const vol = project({ '/project/prisma/schema.prisma': schema, '/project/prisma/migrations/migration_lock.toml': 'provider = "postgresql"\n' });
    const first = await run([...RENAME, ...FIXED], vol);
    expect(first.code, first.stderr).toBe(0);
    const checklistPath = 'migscaffold/20260115093000_rename_users_name_to_full_name.md';
    const steps = (text: string) => text.match(/```diff\n[\s\S]*?```/g) ?? [];
    const before = steps(tree(vol)[checklistPath]);
    expect(before.length).toBeGreaterThan(1);
    const plan = JSON.parse(tree(vol)[PLAN]);
    expect(plan.options.prismaSchema.file).toBe('prisma/schema.prisma');
    expect(JSON.stringify(plan)).not.toContain('datasource db');
    const r = await run(['next', '--yes', '--timestamp', '20260116093000'], vol);
    expect(r.code, r.stderr).toBe(0);
    expect(steps(tree(vol)[checklistPath])).toEqual(before);
    expect(tree(vol)[checklistPath]).toContain('migscaffold made this edit to `prisma/schema.prisma` already');
  });
});
