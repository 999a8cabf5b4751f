/**
 * The whole file set of every operation x target (and the flag variants that change the SQL),
 * deterministic through --timestamp / --rev-id. Read every diff of these snapshots before accepting.
 */
import { describe, expect, it } from 'vitest';
import { run, tree } from './helpers.js';

const FIXED = ['--yes', '--timestamp', '20260115093000', '--rev-id', '0123456789ab'];

const OPERATIONS: Record<string, string[]> = {
  'add-column': ['add-column', '--table', 'users', '--column', 'phone', '--type', 'text'],
  'add-column --default --not-null': ['add-column', '--table', 'users', '--column', 'plan', '--type', 'text', '--default', "'free'", '--not-null'],
  'add-column volatile default': ['add-column', '--table', 'users', '--column', 'token', '--type', 'uuid', '--default', 'gen_random_uuid()'],
  'add-column --backfill --not-null': ['add-column', '--table', 'users', '--column', 'email_lower', '--type', 'text', '--backfill', 'lower(email)', '--not-null'],
  'rename-column': ['rename-column', '--table', 'users', '--from', 'name', '--to', 'full_name'],
  'remove-column': ['remove-column', '--table', 'users', '--column', 'legacy_code', '--type', 'varchar(20)'],
  'remove-column --not-null': ['remove-column', '--table', 'users', '--column', 'legacy_code', '--type', 'varchar(20)', '--not-null'],
  'add-index': ['add-index', '--table', 'users', '--columns', 'email'],
  'add-index --unique --where': ['add-index', '--table', 'users', '--columns', 'email,tenant_id', '--unique', '--where', 'deleted_at IS NULL'],
};

const TARGETS: Record<string, string[]> = {
  alembic: ['--target', 'alembic'],
  prisma: ['--target', 'prisma'],
  rails: ['--target', 'rails', '--rails-version', '6.1'],
  sql: ['--target', 'sql'],
  'sql dbmate': ['--target', 'sql', '--sql-style', 'dbmate'],
};

// --all-phases: every migration of the plan, so each one's text is under review here.
describe.each(Object.entries(OPERATIONS))('%s', (_name, opArgs) => {
  it.each(Object.entries(TARGETS))('%s', async (_target, targetArgs) => {
    const r = await run([...opArgs, ...targetArgs, ...FIXED, '--all-phases']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(tree(r.vol)).toMatchSnapshot();
  });
});

describe('flags that change the SQL', () => {
  it('--lock-timeout and --batch-size reach the migration and the backfill', async () => {
    const r = await run(['rename-column', '--table', 'users', '--from', 'name', '--to', 'full_name', '--target', 'sql', '--lock-timeout', '250ms', '--batch-size', '500', ...FIXED]);
    const files = tree(r.vol);
    const up = Object.entries(files).find(([p]) => p.endsWith('add_full_name_to_users_for_rename_of_name.up.sql'))![1];
    expect(up).toContain("SET LOCAL lock_timeout = '250ms';");
    const backfill = Object.entries(files).find(([p]) => p.startsWith('db/backfills/'))![1];
    expect(backfill).toContain('\\set batch_size 500');
  });

  it('a schema-qualified, reserved, mixed-case table is quoted everywhere', async () => {
    const r = await run(['rename-column', '--table', 'Billing.order', '--from', 'Total', '--to', 'user', '--target', 'alembic', ...FIXED]);
    expect(r.code).toBe(0);
    const all = Object.values(tree(r.vol)).join('\n');
    expect(all).toContain('"Billing"."order"');
    expect(all).toContain('NEW."user" := NEW."Total"');
    expect(all).not.toMatch(/ALTER TABLE order\b/);
  });
});
