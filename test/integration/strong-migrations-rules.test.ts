/**
 * Our encoding of strong_migrations' PostgreSQL rules (test/support/strong_migrations_rules.rb; the gem
 * cannot be installed on these machines) under which every generated Rails migration runs in the
 * lifecycle tests. Each rule the generated files rely on, shown to refuse what the gem refuses and to
 * accept what it accepts, plus the rule of issue 12: no safety_assured around a call the gem accepts.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, inject, it } from 'vitest';
import { createDatabase, makeTempDir, query, uniqueDbName } from '../support/pg.js';
import { rails } from '../support/tools.js';

const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function migrate(body: string, setup = '', noTransaction = false): Promise<{ code: number; out: string }> {
  const url = await createDatabase(inject('pg'), uniqueDbName('smrules'));
  await query(url, `CREATE TABLE users (id bigserial PRIMARY KEY, email text, a int, b int, c int, d int); ${setup}`);
  const dir = await makeTempDir(inject('pg'), 'smrules');
  dirs.push(dir);
  await mkdir(join(dir, 'db', 'migrate'), { recursive: true });
  await writeFile(
    join(dir, 'db', 'migrate', '20260115093000_probe.rb'),
    `class Probe < ActiveRecord::Migration[6.1]\n${noTransaction ? '  disable_ddl_transaction!\n' : ''}  def up\n${body}\n  end\nend\n`,
  );
  const r = await rails(dir, ['up', '20260115093000'], url, { check: false });
  return { code: r.code, out: r.stdout + r.stderr };
}

const REFUSED = /strong_migrations would refuse/;
const NEEDLESS = /needless safety_assured/;

describe.concurrent("strong_migrations' rules, as encoded for the tests", () => {
  it.for([
    ['execute', '    execute "SELECT 1"', false],
    ['remove_column', '    remove_column :users, :email, :text', false],
    ['add_column with a callable default', '    add_column :users, :t, :timestamptz, default: -> { "now()" }', false],
    ['add_column json', '    add_column :users, :j, :json', false],
    ['add_index without concurrently', '    add_index :users, :email', false],
    ['add_index on four columns, not unique', '    add_index :users, %i[a b c d], algorithm: :concurrently', true],
    ['remove_index without concurrently', '    remove_index :users, name: "users_email_idx"', false],
    ['add_check_constraint validated', '    add_check_constraint :users, "a > 0", name: "users_a_pos"', false],
    ['change_column_null false without a validated check', '    change_column_null :users, :email, false', false],
    ['validate_check_constraint after an exclusive lock', '    add_column :users, :x, :text\n    validate_check_constraint :users, name: "users_a_pos"', false],
    ['change_column_default on an existing column (partial inserts on)', '    change_column_default :users, :email, nil', false],
  ] as const)('refuses %s outside safety_assured', async ([, body, noTx], { expect }) => {
    const setup = `CREATE INDEX users_email_idx ON users (email); ALTER TABLE users ADD CONSTRAINT users_a_pos CHECK (a > 0) NOT VALID;`;
    const r = await migrate(body, setup, noTx);
    expect(r.code, r.out).not.toBe(0);
    expect(r.out).toMatch(REFUSED);
  });

  it.for([
    ['add_column', '    add_column :users, :t, :text, default: "x", null: false'],
    ['add_index concurrently', '    add_index :users, :email, name: "i2", algorithm: :concurrently'],
    ['add_check_constraint validate: false', '    add_check_constraint :users, "b > 0", name: "users_b_pos", validate: false'],
    ['validate_check_constraint alone', '    validate_check_constraint :users, name: "users_a_pos"'],
    ['change_column_null false behind a validated check', '    change_column_null :users, :email, false'],
    ['change_column_default on a column added in the same migration', '    add_column :users, :t2, :text\n    change_column_default :users, :t2, "x"'],
  ] as const)('accepts %s, and refuses safety_assured around it', async ([, body], { expect }) => {
    // email has no NULL and a validated "email IS NOT NULL" check; a > 0 holds in every row.
    const setup = `ALTER TABLE users ADD CONSTRAINT users_a_pos CHECK (a > 0) NOT VALID; ALTER TABLE users ADD CONSTRAINT users_email_nn CHECK (email IS NOT NULL);`;
    const noTx = body.includes('concurrently');
    const ok = await migrate(body, setup, noTx);
    expect(ok.code, ok.out).toBe(0);
    expect(ok.out).toMatch(/strong_migrations_rules: accepted/);
    const wrapped = await migrate(`    safety_assured do\n  ${body}\n    end`, setup, noTx);
    expect(wrapped.code, wrapped.out).not.toBe(0);
    expect(wrapped.out).toMatch(NEEDLESS);
  });

  it('lets a refused call through inside safety_assured', async ({ expect }) => {
    const r = await migrate('    safety_assured { execute "SELECT 1" }\n    safety_assured { remove_column :users, :email, :text }');
    expect(r.code, r.out).toBe(0);
    expect(r.out.match(/strong_migrations_rules: assured/g)).toHaveLength(2);
  });
});
