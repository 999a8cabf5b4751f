/** The command line: flags, missing answers, exit codes, --dry-run, --json, conflicts, atomic writes. */
import { describe, expect, it } from 'vitest';
import { OPERATIONS } from '../../generators/index.js';
import { TARGET_NAMES } from '../../src/targets/types.js';
import { Volume } from 'memfs';
import { project, run, scriptedPrompter, tree } from './helpers.js';
import type { FsPromises } from '../../src/effects.js';

const RENAME = ['rename-column', '--table', 'users', '--from', 'name', '--to', 'full_name'];
const FIXED = ['--timestamp', '20260115093000', '--rev-id', '0123456789ab'];
const FK = ['add-foreign-key', '--table', 'users', '--columns', 'org_id', '--references'];

describe('information commands', () => {
  it('--version prints the package version', async () => {
    const r = await run(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it('list shows every operation and target, a line each', async () => {
    const r = await run(['list']);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(OPERATIONS.length + TARGET_NAMES.length);
    for (const [i, op] of OPERATIONS.entries()) expect(lines[i]).toMatch(new RegExp(`^operation +${op.name} +${op.summary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
    for (const name of TARGET_NAMES) expect(r.stdout).toMatch(new RegExp(`^target +${name} `, 'm'));
  });

  it('--help for the tool and for one operation', async () => {
    expect((await run(['--help'])).stdout).toContain('Usage: migscaffold <operation>');
    const op = await run(['rename-column', '--help']);
    expect(op.stdout).toContain('--from <value>');
    expect(op.stdout).toContain('--lock-timeout');
  });
});

describe('usage errors exit 2 with one line and write nothing', () => {
  const cases: [string, string[], RegExp][] = [
    ['missing answers without a terminal', ['rename-column', '--table', 'users', '--target', 'sql'], /missing --from, --to/],
    ['missing target and operation', [], /missing --<operation>/],
    ['unknown operation', ['drop-table'], /unknown operation "drop-table"/],
    ['unknown target', [...RENAME, '--target', 'flyway'], /unknown target "flyway"/],
    ['unknown flag', [...RENAME, '--target', 'sql', '--colour'], /Unknown option '--colour'/],
    ['flag of another operation', [...RENAME, '--target', 'sql', '--unique'], /--unique is not an option of rename-column/],
    ['stray positional', [...RENAME, 'extra', '--target', 'sql'], /unexpected argument "extra"/],
    ['bad timestamp', [...RENAME, '--target', 'sql', '--timestamp', '2026-01-15'], /invalid --timestamp/],
    ['bad lock timeout', [...RENAME, '--target', 'sql', '--lock-timeout', 'soon'], /invalid --lock-timeout/],
    ['zero batch size', [...RENAME, '--target', 'sql', '--batch-size', '0'], /invalid --batch-size/],
    ['identifier over 63 bytes', ['rename-column', '--table', 'users', '--from', 'a', '--to', 'x'.repeat(64), '--target', 'sql'], /63/],
    ['same name twice', ['rename-column', '--table', 'users', '--from', 'a', '--to', 'a', '--target', 'sql'], /same as --from/],
    ['NOT NULL without a value', ['add-column', '--table', 't', '--column', 'c', '--type', 'text', '--not-null', '--target', 'sql'], /--default <constant> or --backfill/],
    ['statements smuggled into a default', ['add-column', '--table', 't', '--column', 'c', '--type', 'text', '--default', "'a'; DROP TABLE t", '--target', 'sql'], /contains ";"/],
    ['a type that is not a type', ['add-column', '--table', 't', '--column', 'c', '--type', 'text); DROP TABLE t; --', '--target', 'sql'], /invalid --type/],
    ['missing --out directory', [...RENAME, '--target', 'sql', '--out', 'nowhere'], /--out .*nowhere does not exist/],
    ['a check PostgreSQL cannot parse', ['add-check-constraint', '--table', 't', '--check', 'amount >> > 0', '--target', 'sql'], /invalid --check "amount >> > 0": PostgreSQL cannot parse it/],
    ['a subquery in a check', ['add-check-constraint', '--table', 't', '--check', 'amount > (SELECT 0)', '--target', 'sql'], /invalid --check .*subqueries are not allowed here/],
    ['statements smuggled into a check', ['add-check-constraint', '--table', 't', '--check', 'true); DROP TABLE t; --', '--target', 'sql'], /invalid --check .*contains ";"/],
    ['a constraint name over 63 bytes', ['add-check-constraint', '--table', 't', '--check', 'a > 0', '--name', 'c'.repeat(64), '--target', 'sql'], /invalid --name .*63/],
    ['set-not-null without --column', ['set-not-null', '--table', 't', '--target', 'sql'], /missing --column/],
    ['a backfill that is two expressions', ['set-not-null', '--table', 't', '--column', 'c', '--backfill', "'a', 'b'", '--target', 'sql'], /invalid --backfill .*give one expression/],
    ['a reference without its columns', [...FK, 'orgs', '--target', 'sql'], /invalid --references "orgs": write it as table\(column\)/],
    ['a reference with another number of columns', [...FK, 'orgs(id,region)', '--target', 'sql'], /it names 2 columns and --columns names 1/],
    ['an ON DELETE action PostgreSQL does not have', [...FK, 'orgs(id)', '--on-delete', 'archive', '--target', 'sql'], /invalid --on-delete "archive": use one of no action, restrict, cascade, set null, set default/],
  ];
  it.each(cases)('%s', async (_name, argv, message) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
    expect(tree(r.vol)).toEqual({});
  });
});

describe('writing', () => {
  it('prints a line per file, then the phases, and writes them', async () => {
    const r = await run([...RENAME, '--target', 'rails', ...FIXED]);
    expect(r.code).toBe(0);
    const written = Object.keys(tree(r.vol));
    // The expand, the backfill script, the checklist and the plan file; later phases wait for `next`.
    expect(written).toEqual([
      'db/migrate/20260115093000_add_full_name_to_users_for_rename_of_name.rb',
      'migscaffold/20260115093000_rename_users_name_to_full_name.md',
      'migscaffold/20260115093000_rename_users_name_to_full_name.plan.json',
      'script/backfill_users_full_name.rb',
    ]);
    for (const path of written) expect(r.stdout).toContain(`create          ${path}`);
    expect(r.stdout).toContain('Rename users.name to full_name: 5 phases');
  });

  it('--dry-run writes nothing and shows every file with its contents', async () => {
    const r = await run([...RENAME, '--target', 'sql', '--dry-run', ...FIXED]);
    expect(r.code).toBe(0);
    expect(tree(r.vol)).toEqual({});
    expect(r.stdout).toContain('would create    db/migrations/20260115093000_add_full_name_to_users_for_rename_of_name.up.sql');
    expect(r.stdout).toContain('CREATE TRIGGER users_name_to_full_name_sync');
  });

  it('--json prints one JSON document and nothing else on stdout', async () => {
    const r = await run([...RENAME, '--target', 'prisma', '--json', ...FIXED]);
    const doc = JSON.parse(r.stdout);
    expect(doc.ok).toBe(true);
    expect(doc.files.every((f: { status: string }) => f.status === 'create')).toBe(true);
    expect(doc.phases.map((p: { kind: string }) => p.kind)).toEqual(['migrate', 'backfill', 'migrate', 'deploy', 'migrate']);
    expect(doc.mode).toBe('phased');
    expect(doc.planFile).toBe('migscaffold/20260115093000_rename_users_name_to_full_name.plan.json');
    expect(doc.phases.map((p: { written?: boolean }) => p.written)).toEqual([true, undefined, false, undefined, false]);
    expect(doc.phases[0].migrations).toEqual(['20260115093000_add_full_name_to_users_for_rename_of_name']);
    expect(doc.phases[2].migrations).toEqual([]);
    const all = JSON.parse((await run([...RENAME, '--target', 'prisma', '--json', '--all-phases', ...FIXED])).stdout);
    expect(all.mode).toBe('all-phases');
    expect(all.planFile).toBeNull();
    expect(all.phases[2].migrations).toHaveLength(2);
    expect(doc.warnings.length).toBeGreaterThan(0);
  });

  it('--json errors are JSON too, with the exit code', async () => {
    const r = await run(['rename-column', '--json', '--target', 'sql']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, exitCode: 2 });
  });

  it('a second identical run reports identical files and changes nothing', async () => {
    const first = await run([...RENAME, '--target', 'sql', ...FIXED]);
    const before = tree(first.vol);
    const again = await run([...RENAME, '--target', 'sql', ...FIXED], first.vol);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/identical\s+db\/migrations/);
    expect(tree(again.vol)).toEqual(before);
  });

  it('refuses to overwrite a different file (exit 1) and writes none of the set', async () => {
    const path = '/project/db/migrations/20260115093000_add_full_name_to_users_for_rename_of_name.up.sql';
    const vol = project({ [path]: '-- my own work\n' });
    const r = await run([...RENAME, '--target', 'sql', ...FIXED], vol);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/refusing to overwrite 1 existing file .*--force/);
    expect(tree(r.vol)).toEqual({ 'db/migrations/20260115093000_add_full_name_to_users_for_rename_of_name.up.sql': '-- my own work\n' });
  });

  it('--force replaces it', async () => {
    const path = '/project/db/migrations/20260115093000_add_full_name_to_users_for_rename_of_name.up.sql';
    const r = await run([...RENAME, '--target', 'sql', '--force', ...FIXED], project({ [path]: '-- old\n' }));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/force\s+db\/migrations/);
    expect(String(r.vol.readFileSync(path))).toContain('ADD COLUMN');
  });

  it('a failure half way removes what the run wrote and keeps what was there', async () => {
    const vol = project({ '/project/db/keep.txt': 'mine' });
    let writes = 0;
    const fs = vol.promises as unknown as FsPromises;
    const failing: FsPromises = {
      ...fs,
      readFile: fs.readFile.bind(fs),
      stat: fs.stat.bind(fs),
      mkdir: fs.mkdir.bind(fs),
      rename: fs.rename.bind(fs),
      unlink: fs.unlink.bind(fs),
      rmdir: fs.rmdir.bind(fs),
      access: fs.access.bind(fs),
      readdir: fs.readdir.bind(fs),
      writeFile: (async (...args: Parameters<FsPromises['writeFile']>) => {
        if (++writes === 4) throw Object.assign(new Error('ENOSPC: no space left'), { code: 'ENOSPC', path: String(args[0]) });
        return fs.writeFile(...args);
      }) as FsPromises['writeFile'],
    };
    const r = await run([...RENAME, '--target', 'sql', ...FIXED], vol, { fs: failing });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ENOSPC.*nothing from this run was kept/);
    expect(tree(vol)).toEqual({ 'db/keep.txt': 'mine' });
  });

  it('an unwritable project gives a clear error', async () => {
    const vol = project();
    const fs = vol.promises as unknown as FsPromises;
    const readOnly: FsPromises = { ...fs, stat: fs.stat.bind(fs), readFile: fs.readFile.bind(fs), access: async () => { throw Object.assign(new Error('EACCES'), { code: 'EACCES' }); } };
    const r = await run([...RENAME, '--target', 'sql', ...FIXED], vol, { fs: readOnly });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot write in \/project \(EACCES\)/);
  });
});

describe('prompts', () => {
  it('asks only for what the flags did not give, on a terminal', async () => {
    const asked: string[] = [];
    const prompter = scriptedPrompter({ from: 'name', to: 'full_name' }, ['sql']);
    const r = await run(['rename-column', '--table', 'users', ...FIXED], project(), {
      interactive: true,
      prompter: async () => {
        const p = await prompter();
        return { ...p, ask: (fields, known) => (asked.push(...fields.map((f) => f.name)), p.ask(fields, known)) };
      },
    });
    expect(r.code).toBe(0);
    expect(asked).toEqual(['from', 'to', 'key']);
    expect(Object.keys(tree(r.vol)).some((p) => p.endsWith('.up.sql'))).toBe(true);
  });

  it('asks for the operation first when none is given', async () => {
    const r = await run(['--table', 'users', '--target', 'sql', ...FIXED], project(), {
      interactive: true,
      prompter: scriptedPrompter({ from: 'a', to: 'b' }, ['rename-column']),
    });
    expect(r.code).toBe(0);
  });

  it('never prompts in CI or with --yes, even on a terminal', async () => {
    const never = async () => {
      throw new Error('prompted');
    };
    const ci = await run(['rename-column', '--target', 'sql'], project(), { interactive: true, env: { CI: 'true' }, prompter: never });
    expect(ci.code).toBe(2);
    const yes = await run(['rename-column', '--target', 'sql', '--yes'], project(), { interactive: true, prompter: never });
    expect(yes.code).toBe(2);
    expect(yes.stderr).toMatch(/missing --table, --from, --to/);
  });
});

describe('writer guards', () => {
  it('no generated path can leave the project', async () => {
    const { diff, stage } = await import('../../src/write/writer.js');
    const vol = project();
    const files = [{ path: '../escape.sql', content: 'x', role: 'migration' as const }];
    await expect(diff(vol.promises as unknown as FsPromises, '/project', stage([{ ...files[0], path: 'ok.sql' }]), files, false)).rejects.toThrow(
      /outside the project/,
    );
    void Volume;
  });
});

describe('SQL fragments are checked by PostgreSQL\'s parser before anything is written', () => {
  const cases: [string, string[], RegExp][] = [
    ['a type that does not parse', ['add-column', '--table', 't', '--column', 'c', '--type', 'varchar(', '--target', 'sql'], /invalid --type/],
    ['two types', ['add-column', '--table', 't', '--column', 'c', '--type', 'text, int', '--target', 'sql'], /invalid --type/],
    ['a default that does not parse', ['add-column', '--table', 't', '--column', 'c', '--type', 'text', '--default', "'a' ||", '--target', 'sql'], /invalid --default .*cannot parse/],
    ['a default with a subquery', ['add-column', '--table', 't', '--column', 'c', '--type', 'int', '--default', '(SELECT 1)', '--target', 'sql'], /subqueries/],
    ['a backfill that is a whole query', ['add-column', '--table', 't', '--column', 'c', '--type', 'int', '--backfill', '1 FROM pg_class', '--not-null', '--target', 'sql'], /invalid --backfill/],
    ['a predicate that is not one', ['add-index', '--table', 't', '--columns', 'a', '--where', 'a = 1 ORDER BY a', '--target', 'sql'], /invalid --where/],
  ];
  it.each(cases)('%s', async (_name, argv, message) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(tree(r.vol)).toEqual({});
  });

  it('accepts what PostgreSQL accepts', async () => {
    const r = await run(['add-column', '--table', 't', '--column', 'c', '--type', 'numeric(10, 2)[]', '--default', "'{}'::numeric[]", '--target', 'sql', '--yes', ...FIXED]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});

describe('list answers', () => {
  it('spaces after the commas of --columns and of a reference are not part of the names', async () => {
    const r = await run(['add-foreign-key', '--table', 'invoices', '--columns', 'org_id, region', '--references', 'orgs(id, region)', '--target', 'sql', '--all-phases', ...FIXED]);
    expect(r.code, r.stderr).toBe(0);
    const sql = Object.values(tree(r.vol)).join('\n');
    expect(sql).toContain('FOREIGN KEY (org_id, region) REFERENCES orgs (id, region)');
    expect(sql).toContain('CREATE INDEX CONCURRENTLY IF NOT EXISTS invoices_org_id_region_idx ON invoices (org_id, region)');
  });
});
