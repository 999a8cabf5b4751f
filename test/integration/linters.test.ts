/**
 * The linters users run in CI, run on what we generate: every operation and variant of the
 * snapshots plus hostile identifiers, written to disk by the real CLI with --all-phases.
 *
 *   Python (Alembic revisions, backfills)   black --check, at the project's [tool.black] line-length
 *                                           (default 88, and 79 and 120 from a pyproject.toml);
 *                                           pyflakes, except the unused `sqlalchemy` import that
 *                                           Alembic's own script.py.mako writes into every revision
 *   Ruby (Rails migrations, backfills)      ruby -wc without a warning; rubocop --only Lint
 *   TypeScript (Prisma backfills)           tsc --strict
 *
 * Each linter runs once over a whole tree, except `ruby -c`, which takes one file per process.
 * The Debian linters, by absolute path (scripts/install-deps.sh installs them): a black or rubocop
 * first on PATH may be another version that formats differently. Every linter also gets a file
 * with the mistake it exists to catch, so a run that checks nothing cannot pass.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { realEffects } from '../../src/effects.js';
import { pythonTripleQuotedBody, pythonString, pythonText } from '../../src/render/strings.js';
import { FIXED, OPERATIONS, PROJECT_FILES, TARGETS } from '../support/variants.js';
import { REPO_ROOT, RUBY_BIN, SYSTEM_PYTHON, runCommand, type RunResult } from '../support/tools.js';

const BLACK = '/usr/bin/black';
const PYFLAKES = '/usr/bin/pyflakes3';
const RUBOCOP = '/usr/bin/rubocop';
const TSC = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const ALEMBIC_MAKO = '/usr/lib/python3/dist-packages/alembic/templates/generic/script.py.mako';

/** Quoting is where generated code breaks: reserved words, both quotes, backslashes, non-ASCII, case. */
const HOSTILE: Record<string, string[]> = {
  'rename-column Billing.order Total to user': ['rename-column', '--table', 'Billing.order', '--from', 'Total', '--to', 'user'],
  'rename-column quotes backslash unicode': ['rename-column', '--table', `We"""ird\\N.Sel'ect`, '--from', "it's", '--to', 'é名 "q"'],
  'add-column hostile --backfill --not-null': ['add-column', '--table', 'Billing.order', '--column', 'Select', '--type', 'text', '--backfill', 'lower("Total")', '--not-null'],
  'remove-column hostile --not-null': ['remove-column', '--table', 'order', '--column', 'a\\b"c', '--type', 'varchar(20)', '--not-null'],
  'add-index hostile --unique --where': ['add-index', '--table', 'Billing.order', '--columns', 'user,Total', '--unique', '--where', `"Total" > 0 AND "user" <> 'x'`],
};
const VARIANTS = { ...OPERATIONS, ...HOSTILE };

/** The targets whose files a linter reads (the SQL targets write SQL only). */
const LINTED = ['alembic', 'rails', 'prisma'] as const;

/** Alembic projects that declare their own black line length and script.py.mako style. */
const STYLED = {
  black79: { lineLength: 79, typed: true },
  black120: { lineLength: 120, typed: false },
};

let root = '';
afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

const slug = (name: string) => name.replace(/[^\w]+/g, '_');

async function generate(dir: string, argv: string[], files: Record<string, string> = {}): Promise<void> {
  await mkdir(dir, { recursive: true });
  // The example's project files (a schema dump): generation reads them, so the copies are linted too.
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  const out: string[] = [];
  const code = await main([...argv, ...FIXED, '--all-phases', '--out', dir], {
    ...realEffects(),
    stdout: (t) => void out.push(t),
    stderr: (t) => void out.push(t),
  });
  if (code !== 0) throw new Error(`generation failed (${code}): ${argv.join(' ')}\n${out.join('')}`);
}

async function filesUnder(dir: string, ext: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith(ext))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** An Alembic project with a pyproject.toml that sets black's line length. */
async function styledAlembicProject(dir: string, lineLength: number, typed: boolean): Promise<void> {
  await mkdir(join(dir, 'migrations/versions'), { recursive: true });
  await writeFile(join(dir, 'alembic.ini'), '[alembic]\nscript_location = migrations\n');
  await writeFile(join(dir, 'pyproject.toml'), `[project]\nname = "app"\n\n[tool.black]\nline-length = ${lineLength}  # the team's\n`);
  let mako = await readFile(ALEMBIC_MAKO, 'utf8');
  mako = typed
    ? mako.replace('revision = ${repr(up_revision)}', 'revision: str = ${repr(up_revision)}')
    : mako.replace(/\) -> None:/g, '):');
  await writeFile(join(dir, 'migrations/script.py.mako'), mako);
}

function black(paths: string[], config: string): Promise<RunResult> {
  return runCommand(BLACK, ['--check', '--diff', '--config', config, ...paths], {
    cwd: root,
    check: false,
    env: { XDG_CACHE_HOME: join(root, '.cache') },
  });
}

/** pyflakes findings, less the one Alembic's own template has: `import sqlalchemy as sa` unused in a revision. */
async function pyflakes(paths: string[]): Promise<string[]> {
  const r = await runCommand(PYFLAKES, paths, { cwd: root, check: false });
  const findings = `${r.stdout}${r.stderr}`.split('\n').filter(Boolean);
  if (r.code !== 0 && findings.length === 0) throw new Error(`pyflakes failed without findings (exit ${r.code})`);
  return findings.filter((l) => !/\/versions\/[^/]+\.py:\d+:\d+:? 'sqlalchemy as sa' imported but unused$/.test(l));
}

/** `ruby -wc` on each file (it checks one per process), a few at a time: file -> its warnings. */
async function rubyWarnings(files: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const queue = [...files];
  const worker = async () => {
    for (let f = queue.shift(); f; f = queue.shift()) {
      const r = await runCommand(RUBY_BIN, ['-wc', f], { check: false });
      if (r.code !== 0 || r.stdout.trim() !== 'Syntax OK' || r.stderr !== '') out[relative(root, f)] = `${r.stdout}${r.stderr}`;
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  return out;
}

interface RubocopReport {
  summary: { offense_count: number; inspected_file_count: number };
  files: { path: string; offenses: { cop_name: string; message: string; location: { line: number } }[] }[];
}

/** rubocop's defaults (no .rubocop.yml from around the temp dir), Lint cops only. */
async function rubocop(dir: string): Promise<RubocopReport> {
  const r = await runCommand(RUBOCOP, ['--only', 'Lint', '--force-default-config', '--cache', 'false', '--format', 'json', dir], {
    cwd: root,
    check: false,
  });
  if (r.code > 1) throw new Error(`rubocop failed (exit ${r.code}):\n${r.stdout}${r.stderr}`);
  return JSON.parse(r.stdout) as RubocopReport;
}

const offenses = (report: RubocopReport) =>
  report.files.flatMap((f) => f.offenses.map((o) => `${f.path}:${o.location.line}: ${o.cop_name}: ${o.message}`));

/**
 * tsc --strict over every .ts file under dir, set up as a Prisma 7 project is: ESM, `pg` and its
 * types installed (this repository's node_modules, linked).
 */
async function tscStrict(dir: string): Promise<RunResult> {
  await writeFile(join(dir, 'package.json'), '{ "type": "module" }\n');
  await writeFile(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { strict: true, noEmit: true, skipLibCheck: true, target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', types: ['node'] },
      include: ['**/*.ts'],
      exclude: ['node_modules'],
    }),
  );
  if (!existsSync(join(dir, 'node_modules'))) await symlink(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return runCommand(process.execPath, [TSC, '-p', dir, '--pretty', 'false'], { check: false });
}

/** A copy of a generated file, changed by `edit`; the edit must change something. */
async function spoiled(from: string, to: string, edit: (text: string) => string): Promise<string> {
  const text = await readFile(from, 'utf8');
  const bad = edit(text);
  expect(bad, `the edit of ${from} changed nothing`).not.toBe(text);
  await mkdir(dirname(to), { recursive: true });
  await writeFile(to, bad);
  return to;
}

const at = (group: string, target: string, variant: string) => join(root, group, target, slug(variant));

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'migscaffold-linters-'));
  await writeFile(join(root, 'black-defaults.toml'), '[tool.black]\n');
  for (const [variant, argv] of Object.entries(VARIANTS)) {
    for (const target of LINTED) await generate(at('ci', target, variant), [...argv, ...TARGETS[target]], PROJECT_FILES[variant]);
    for (const [group, style] of Object.entries(STYLED)) {
      const dir = at(group, 'alembic', variant);
      await styledAlembicProject(dir, style.lineLength, style.typed);
      await generate(dir, [...argv, ...TARGETS.alembic], PROJECT_FILES[variant]);
    }
  }
}, 120_000);

describe('Python: Alembic revisions and backfill scripts', () => {
  it("black --check at black's default line length (88)", async () => {
    const dir = join(root, 'ci/alembic');
    const files = await filesUnder(dir, '.py');
    expect(files.some((f) => f.includes('/backfills/'))).toBe(true);
    const r = await black([dir], join(root, 'black-defaults.toml'));
    expect(r.stdout, r.stderr).toBe('');
    expect(r.stderr).toContain(`${files.length} files would be left unchanged`);
    expect(r.code).toBe(0);
  });

  it.each(Object.entries(STYLED))("black --check at the line length in the project's pyproject.toml (%s)", async (group, style) => {
    const dir = join(root, group, 'alembic');
    const files = await filesUnder(dir, '.py');
    const r = await black([dir], join(dir, slug('add-index plain'), 'pyproject.toml'));
    expect(r.stdout, r.stderr).toBe('');
    expect(r.stderr).toContain(`${files.length} files would be left unchanged`);
    expect(r.code).toBe(0);
    // The style of the project's script.py.mako, as Alembic itself would write it.
    const revision = await readFile(files.find((f) => f.includes('/versions/'))!, 'utf8');
    expect(revision).toContain(style.typed ? 'revision: str = ' : 'def upgrade():');
  });

  it('the literals that pass black hold hostile text verbatim', async () => {
    const texts = ['We"""ird\\N', "it's", 'say "hi"', '"', "'", 'a\\', 'é名 "q"', 'tab\tnew\nline', ':x \\:y'];
    // One literal a line in lists black keeps exploded (magic trailing comma), so black judges the
    // literals alone. A docstring's text is followed by a newline and the closing quotes, as in the templates.
    const list = (name: string, literals: string[]) => `${name} = [\n${literals.map((l) => `    ${l},\n`).join('')}]`;
    const program = [
      'import json\n',
      list('STRINGS', texts.map(pythonString)),
      list('DOCS', texts.map((t) => `"""${pythonTripleQuotedBody(t)}\n"""`)),
      list('SQL', texts.map((t) => pythonText(t))),
      'print(json.dumps(STRINGS))',
      'print(json.dumps([d[:-1] for d in DOCS]))',
      'print(json.dumps(SQL))',
    ].join('\n');
    const file = join(root, 'literals.py');
    await writeFile(file, `${program}\n`);
    const r = await runCommand(SYSTEM_PYTHON, [file]);
    const [strings, docs, sql] = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as string[]);
    expect(strings).toEqual(texts);
    expect(docs).toEqual(texts);
    // For sa.text(), `\:x` is a literal `:x` rather than a bind parameter: SQLAlchemy's escape, kept.
    expect(sql).toEqual(texts.map((t) => t.replace(/(?<![:\w\\]):(\w+)/g, '\\:$1')));
    const checked = await black([file], join(root, 'black-defaults.toml'));
    expect(checked.stdout, checked.stderr).toBe('');
    expect(checked.code).toBe(0);
  });

  it('pyflakes finds nothing but the sqlalchemy import of the Alembic template', async () => {
    expect(await pyflakes([join(root, 'ci/alembic'), ...Object.keys(STYLED).map((g) => join(root, g, 'alembic'))])).toEqual([]);
  });
});

describe('Ruby: Rails migrations and backfill scripts', () => {
  it('ruby -wc: valid, without a warning', async () => {
    const files = await filesUnder(join(root, 'ci/rails'), '.rb');
    expect(files.some((f) => f.includes('/script/'))).toBe(true);
    expect(await rubyWarnings(files)).toEqual({});
  });

  it('rubocop --only Lint: no offense', async () => {
    const dir = join(root, 'ci/rails');
    const report = await rubocop(dir);
    expect(offenses(report)).toEqual([]);
    expect(report.summary.inspected_file_count).toBe((await filesUnder(dir, '.rb')).length);
  });
});

describe('TypeScript: Prisma backfill scripts', () => {
  it('tsc --strict: no error', async () => {
    const dir = join(root, 'ci/prisma');
    expect((await filesUnder(dir, '.ts')).filter((f) => f.includes('/backfills/')).length).toBeGreaterThan(0);
    const r = await tscStrict(dir);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});

describe('negative controls: each check fails on the mistake it is there to catch', () => {
  const revision = (variant: string) => filesUnder(join(at('ci', 'alembic', variant), 'alembic/versions'), '.py');
  const backfill = async (target: 'alembic' | 'prisma' | 'rails', variant: string) =>
    (await filesUnder(at('ci', target, variant), target === 'alembic' ? '.py' : target === 'prisma' ? '.ts' : '.rb')).find((f) => f.includes('/backfills/') || f.includes('/script/'))!;

  it('black: a short op.execute split over three lines, and sa.text hugging its multi-line string', async () => {
    const [first] = await revision('rename-column rename');
    const split = await spoiled(first, join(root, 'bad-black/versions/split.py'), (t) =>
      t.replace(/^( +)op\.execute\(("""[^\n]*""")\)$/m, (_, pad: string, s: string) => `${pad}op.execute(\n${pad}    ${s}\n${pad})`),
    );
    const hug = await spoiled(await backfill('alembic', 'rename-column rename'), join(root, 'bad-black/backfills/hug.py'), (t) =>
      t.replace('"remaining": sa.text(\n        """', '"remaining": sa.text("""').replace('"""\n    ),', '"""),'),
    );
    const r = await black([join(root, 'bad-black')], join(root, 'black-defaults.toml'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`would reformat ${split}`);
    expect(r.stderr).toContain(`would reformat ${hug}`);
  });

  it("black: files laid out for 88 columns fail a project's 79", async () => {
    const r = await black([at('ci', 'alembic', 'rename-column rename')], join(at('black79', 'alembic', 'add-index plain'), 'pyproject.toml'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('would reformat');
  });

  it('pyflakes: an unused import in a revision is not excused', async () => {
    const [first] = await revision('add-column nullable');
    await spoiled(first, join(root, 'bad-pyflakes/versions/unused.py'), (t) => t.replace('from alembic import op\n', 'import json\nfrom alembic import op\n'));
    const findings = await pyflakes([join(root, 'bad-pyflakes')]);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatch(/\/versions\/unused\.py:\d+:\d+:? 'json' imported but unused$/);
  });

  it('ruby -wc: an unused variable warns', async () => {
    const [migration] = await filesUnder(join(at('ci', 'rails', 'add-index plain'), 'db/migrate'), '.rb');
    const bad = await spoiled(migration, join(root, 'bad-ruby/unused.rb'), (t) => t.replace('  def up\n', '  def up\n    unused = 1\n'));
    const warnings = await rubyWarnings([bad]);
    expect(warnings[relative(root, bad)]).toContain('assigned but unused variable - unused');
  });

  it('rubocop: an empty ensure, as the add-index down once had (Lint/EmptyEnsure)', async () => {
    const [migration] = await filesUnder(join(at('ci', 'rails', 'add-index plain'), 'db/migrate'), '.rb');
    await spoiled(migration, join(root, 'bad-rubocop/empty_ensure.rb'), (t) =>
      // The timeouts' reset, gone from its ensure: the shape the add-index down once had.
      t.replace(/( {2}ensure\n)( {4}connection\.execute\("RESET[^\n]*\n)/, '$1    # no settings to reset\n'),
    );
    expect(offenses(await rubocop(join(root, 'bad-rubocop')))).toEqual([expect.stringMatching(/empty_ensure\.rb:\d+: Lint\/EmptyEnsure: /)]);
  });

  it('tsc --strict: an implicitly typed parameter', async () => {
    const dir = join(root, 'bad-tsc');
    await spoiled(await backfill('prisma', 'rename-column rename'), join(dir, 'backfills/implicit_any.ts'), (t) => `${t}\nexport function bad(x) {\n  return x;\n}\n`);
    const r = await tscStrict(dir);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toMatch(/implicit_any\.ts\(\d+,\d+\): error TS7006: Parameter 'x' implicitly has an 'any' type\./);
  });
});
