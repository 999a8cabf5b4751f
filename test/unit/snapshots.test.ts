/**
 * The whole file set of every operation x target (and the flag variants that change the SQL),
 * deterministic through --timestamp / --rev-id. Read every diff of these snapshots before accepting.
 */
import { describe, expect, it } from 'vitest';
import { run, tree } from './helpers.js';
import { FIXED, OPERATIONS, TARGETS } from '../support/variants.js';

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
