/**
 * The naive single-step way of each operation, as a Plan the rehearse runner can execute side by side
 * with ours: the statement a hand-written migration would run, then the code deploy.
 */
import type { Answers } from '../src/operation.js';
import type { CodeChange, Phase, Plan, Statement } from '../src/plan/types.js';

const stmt = (sql: string, lock: Statement['lock']): Statement => ({ sql, lock, comment: 'naive' });

const migrate = (key: string, title: string, sql: string, lock: Statement['lock']): Phase => ({
  kind: 'migrate',
  key,
  title,
  why: 'naive',
  verify: [],
  migrations: [{ name: key, transaction: 'transaction', up: [stmt(sql, lock)], down: [] }],
});

const deploy = (key: string, title: string, code: CodeChange): Phase => ({ kind: 'deploy', key, title, why: 'naive', verify: [], code });

export interface Scenario {
  name: string;
  label: string;
  /** CLI answers (flags) of the generated way. */
  args: string[];
  answers: Answers;
  naive: Plan;
  naiveSummary: string;
}

function plan(operation: Plan['operation'], name: string, phases: Phase[]): Plan {
  return { operation, name, title: name, table: 'users', phases, hazards: [], settings: { lockTimeout: '1s', batchSize: 1000, pauseMs: 0 } };
}

export const SCENARIOS: Scenario[] = [
  {
    name: 'add-index',
    label: 'add-index users(name)',
    args: ['--table', 'users', '--columns', 'name'],
    answers: { table: 'users', columns: ['name'], unique: false, using: 'btree' },
    naiveSummary: 'plain `CREATE INDEX` (SHARE lock: writes wait for the whole build)',
    naive: plan('add-index', 'naive_add_index', [
      migrate('create-index', 'CREATE INDEX users_name_idx ON users (name)', 'CREATE INDEX users_name_idx ON users (name);', 'SHARE'),
      deploy('use', 'Deploy code that relies on the index', { kind: 'use-index', table: 'users', index: 'users_name_idx' }),
    ]),
  },
  {
    name: 'add-column-volatile',
    label: 'add-column token uuid DEFAULT gen_random_uuid()',
    args: ['--table', 'users', '--column', 'token', '--type', 'uuid', '--default', 'gen_random_uuid()'],
    answers: { table: 'users', column: 'token', type: 'uuid', default: 'gen_random_uuid()', 'not-null': false, key: 'id' },
    naiveSummary: '`ADD COLUMN token uuid DEFAULT gen_random_uuid()` (table rewrite under ACCESS EXCLUSIVE)',
    naive: plan('add-column', 'naive_add_column_volatile', [
      migrate('add', 'ADD COLUMN ... DEFAULT gen_random_uuid()', 'ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();', 'ACCESS EXCLUSIVE'),
      deploy('use', 'Deploy code that uses token', { kind: 'use-new-column', table: 'users', column: 'token', notNull: false }),
    ]),
  },
  {
    name: 'add-column-not-null',
    label: 'add-column display_name text NOT NULL, backfill upper(name)',
    args: ['--table', 'users', '--column', 'display_name', '--type', 'text', '--not-null', '--backfill', 'upper(name)'],
    answers: { table: 'users', column: 'display_name', type: 'text', 'not-null': true, backfill: 'upper(name)', key: 'id' },
    naiveSummary: '`ADD COLUMN`, one `UPDATE` over the whole table, then `SET NOT NULL` directly',
    naive: plan('add-column', 'naive_add_column_not_null', [
      migrate('add', 'ADD COLUMN display_name text', 'ALTER TABLE users ADD COLUMN display_name text;', 'ACCESS EXCLUSIVE'),
      deploy('write', 'Deploy code that writes display_name', { kind: 'write-column', table: 'users', column: 'display_name' }),
      migrate('update', 'One UPDATE over the whole table', 'UPDATE users SET display_name = upper(name);', 'ROW EXCLUSIVE'),
      migrate('set-not-null', 'SET NOT NULL directly (scan under ACCESS EXCLUSIVE)', 'ALTER TABLE users ALTER COLUMN display_name SET NOT NULL;', 'ACCESS EXCLUSIVE'),
      deploy('use', 'Deploy code that uses display_name', { kind: 'use-new-column', table: 'users', column: 'display_name', notNull: true }),
    ]),
  },
  {
    name: 'rename-column',
    label: 'rename-column users.name -> full_name',
    args: ['--table', 'users', '--from', 'name', '--to', 'full_name'],
    answers: { table: 'users', from: 'name', to: 'full_name', key: 'id' },
    naiveSummary: '`RENAME COLUMN` while old code still runs, then deploy the new code',
    naive: plan('rename-column', 'naive_rename_column', [
      migrate('rename', 'RENAME COLUMN name TO full_name', 'ALTER TABLE users RENAME COLUMN name TO full_name;', 'ACCESS EXCLUSIVE'),
      deploy('switch', 'Deploy code that uses full_name', { kind: 'switch-to-renamed', table: 'users', from: 'name', to: 'full_name' }),
    ]),
  },
  {
    name: 'remove-column',
    label: 'remove-column users.bio',
    args: ['--table', 'users', '--column', 'bio', '--type', 'text'],
    answers: { table: 'users', column: 'bio', type: 'text', 'not-null': false },
    naiveSummary: '`DROP COLUMN` while old code still runs, then deploy the new code',
    naive: plan('remove-column', 'naive_remove_column', [
      migrate('drop', 'DROP COLUMN bio', 'ALTER TABLE users DROP COLUMN bio;', 'ACCESS EXCLUSIVE'),
      deploy('ignore', 'Deploy code that no longer uses bio', { kind: 'stop-using-column', table: 'users', column: 'bio' }),
    ]),
  },
];
