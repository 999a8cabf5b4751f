/**
 * Backfill pieces that need no database: the catalogue's messages in each script language (escaping
 * of the characters each one treats specially), and plan files written before backfills read their
 * key at run time, which `next` must still carry through.
 */
import { describe, expect, it } from 'vitest';
import { fill, hole, plpgsqlRaise, pythonFString, rubyInterpolated, tsTemplateLiteral, BACKFILL_MESSAGES } from '../../src/messages/backfill.js';
import { run, tree } from './helpers.js';

const FIXED = ['--yes', '--timestamp', '20260115093000', '--rev-id', '0123456789ab'];
const PLAN = 'migscaffold/20260115093000_rename_users_name_to_full_name.plan.json';

describe('script messages from the catalogue', () => {
  // What a catalogue text can hold at generation time: braces, quotes, a hash, a percent sign.
  const t = { parts: [`{a} "b" #c 5% \\ `, ` and \`d\` \${e}`], holes: ['lag_ms'] };

  it('Python: an f-string whose fixed braces stay braces; plain text is no f-string; quoted as black quotes', () => {
    // More double quotes than single: single-quoted, as black would leave it.
    expect(pythonFString(t)).toBe('f\'{{a}} "b" #c 5% \\\\ {lag_ms} and `d` ${{e}}\'');
    expect(pythonFString({ parts: ["it's ", ''], holes: ['x'] })).toBe('f"it\'s {x}"');
    expect(pythonFString({ parts: ['{x}'], holes: [] })).toBe('"{x}"');
  });
  it('Ruby: interpolation only where the hole is', () => {
    expect(rubyInterpolated(t)).toBe('"{a} \\"b\\" \\#c 5% \\\\ #{lag_ms} and `d` ${e}"');
  });
  it('TypeScript: a template literal; holes are camelCase variables', () => {
    expect(tsTemplateLiteral(t)).toBe('`{a} "b" #c 5% \\\\ ${lagMs} and \\`d\\` \\${e}`');
  });
  it("PL/pgSQL: RAISE's format, % doubled, quotes doubled, holes as v_ variables", () => {
    expect(plpgsqlRaise({ parts: [`it's 5% `, ''], holes: ['lag'] })).toBe("'it''s 5%% %', v_lag");
  });
  it('the refusal names the table and what to add', () => {
    expect(fill(BACKFILL_MESSAGES.noKey('billing.orders'))).toMatch(/^billing\.orders has no primary key .*ALTER TABLE billing\.orders ADD PRIMARY KEY/);
    expect(BACKFILL_MESSAGES.waitingForReplica('--max-replica-lag ').holes).toEqual(['lag', 'max_lag']);
    expect(hole('x')).not.toBe('x');
  });
});

describe('a plan file from before the key was read at run time', () => {
  it('next rebuilds its backfill from the stored answers and writes the next delivery', async () => {
    const vol = (await run(['rename-column', '--table', 'users', '--from', 'name', '--to', 'full_name', '--target', 'sql', ...FIXED])).vol;
    const file = JSON.parse(tree(vol)[PLAN]);
    const phase = file.plan.phases.find((p: { kind: string }) => p.kind === 'backfill');
    // The shape older versions wrote: one batch statement walking `id`, the default --key filled in.
    const { name, table, tableLabel, description, remainingSql, estimateSql, finishSql, batchSize, pauseMs, lockTimeout, maxRetries } = phase.backfill;
    phase.backfill = {
      name, table, tableLabel, key: 'id', description, remainingSql, estimateSql, finishSql, batchSize, pauseMs, lockTimeout, maxRetries,
      firstBatchSql: 'WITH batch AS (SELECT id AS batch_key FROM users ORDER BY id LIMIT :batch_size) SELECT 1',
      nextBatchSql: 'WITH batch AS (SELECT id AS batch_key FROM users WHERE id > :last_key ORDER BY id LIMIT :batch_size) SELECT 1',
    };
    file.answers.key = 'id';
    vol.writeFileSync(`/project/${PLAN}`, JSON.stringify(file, null, 2));
    const next = await run(['next', PLAN, '--yes', '--timestamp', '20260116093000'], vol);
    expect(next.code, next.stderr).toBe(0);
    expect(Object.keys(tree(vol)).filter((p) => p.endsWith('.up.sql'))).toContain('db/migrations/20260116093000_validate_users_full_name_not_null.up.sql');
    const after = JSON.parse(tree(vol)[PLAN]).plan.phases.find((p: { kind: string }) => p.kind === 'backfill').backfill;
    expect(after.forward.firstUpdateSql).toMatch(/^UPDATE @+rel@+ AS t SET full_name = t\.name/);
    expect(after.fillSql, 'the old default key, now explicit').toContain("ARRAY['id']::text[]");
  });
});

describe('a plan file from before backfills walked partitions one leaf at a time', () => {
  it('next rebuilds its backfill with the leaf queries the scripts now run', async () => {
    const vol = (await run(['rename-column', '--table', 'users', '--from', 'name', '--to', 'full_name', '--target', 'sql', ...FIXED])).vol;
    const file = JSON.parse(tree(vol)[PLAN]);
    const phase = file.plan.phases.find((p: { kind: string }) => p.kind === 'backfill');
    // The shape the previous version wrote: the whole-table templates only.
    delete phase.backfill.leavesSql;
    vol.writeFileSync(`/project/${PLAN}`, JSON.stringify(file, null, 2));
    const next = await run(['next', PLAN, '--yes', '--timestamp', '20260116093000'], vol);
    expect(next.code, next.stderr).toBe(0);
    const after = JSON.parse(tree(vol)[PLAN]).plan.phases.find((p: { kind: string }) => p.kind === 'backfill').backfill;
    expect(after.leavesSql).toContain('pg_partition_tree');
    expect(after.forward.firstUpdateSql).toMatch(/^UPDATE @+rel@+ AS t SET full_name = t\.name/);
  });
});
