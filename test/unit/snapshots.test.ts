/**
 * The whole file set of every operation x target (and the flag variants that change the SQL),
 * deterministic through --timestamp / --rev-id. Read every diff of these snapshots before accepting.
 */
import { describe, expect, it } from 'vitest';
import { project, run, tree } from './helpers.js';
import { FIXED, TARGETS } from '../support/variants.js';
import { OPERATIONS } from '../../generators/index.js';
import type { Operation } from '../../src/operation.js';

/** A file set as one reviewable text: each file under its path. */
function asText(files: Record<string, string>, given: Record<string, string> = {}): string {
  return Object.entries(files)
    .filter(([path]) => !(path in given))
    .map(([path, content]) => `==> ${path} <==\n${content}${content.endsWith('\n') ? '' : '\n'}`)
    .join('\n');
}

// Every operation's examples (from the registry) x every target, one snapshot file each, with
// --all-phases so every migration's text is under review.
describe.each((OPERATIONS as readonly Operation[]).flatMap((op) => op.examples.map((ex) => [`${op.name} ${ex.name}`, op, ex] as const)))(
  '%s',
  (_case, op, ex) => {
    it.each(Object.entries(TARGETS))('%s', async (target, targetArgs) => {
      const files = Object.fromEntries(Object.entries(ex.project ?? {}).map(([path, text]) => [`/project/${path}`, text]));
      const r = await run([op.name, ...ex.args, ...targetArgs, ...FIXED, '--all-phases'], project(files));
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      await expect(asText(tree(r.vol), ex.project)).toMatchFileSnapshot(`__snapshots__/operations/${op.name}/${ex.name}.${target}.txt`);
    });
  },
);

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

  it('--rails-version 6.0: no helper Rails 6.0 lacks (check constraints came in 6.1): SQL, in safety_assured', async () => {
    const args = ['set-not-null', '--table', 'users', '--column', 'email', ...FIXED, '--all-phases', '--target', 'rails'];
    const old = Object.values(tree((await run([...args, '--rails-version', '6.0'])).vol)).join('\n');
    expect(old).not.toMatch(/add_check_constraint|validate_check_constraint|change_column_null/);
    expect(old).toContain('safety_assured { execute "ALTER TABLE users ALTER COLUMN email SET NOT NULL;" }');
    const current = Object.values(tree((await run([...args, '--rails-version', '6.1'])).vol)).join('\n');
    expect(current).toContain('add_check_constraint :users, "email IS NOT NULL", name: "users_email_not_null", validate: false');
    expect(current).toContain('change_column_null :users, :email, false');
  });

  it('--rails-version 7.1: a datetime column keeps the plan type (Rails 7 would make it timestamp(6))', async () => {
    const args = ['add-column', '--table', 'users', '--column', 'seen_at', '--type', 'timestamptz', ...FIXED, '--target', 'rails'];
    const at = async (v: string) => Object.values(tree((await run([...args, '--rails-version', v])).vol)).join('\n');
    expect(await at('7.1')).toContain('add_column :users, :seen_at, :timestamptz, precision: nil\n');
    expect(await at('6.1')).toContain('add_column :users, :seen_at, :timestamptz\n');
  });

  it("a backfill of the empty string reads as '' in every script's header", async () => {
    for (const target of ['alembic', 'prisma', 'rails', 'sql']) {
      const r = await run(['add-column', '--table', 'users', '--column', 'phone', '--type', 'text', '--not-null', '--backfill', "''", '--target', target, ...FIXED]);
      const script = Object.entries(tree(r.vol)).find(([p]) => /backfill_users_phone\.\w+$/.test(p))![1];
      expect(script, target).toMatch(/Backfill users: phone = '', in keyset batches\./);
    }
  });
});
