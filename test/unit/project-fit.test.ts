/** Project fit: a fresh Rails app known by its Gemfile alone; black's line length from pyproject.toml. */
import { describe, expect, it } from 'vitest';
import { project, run, tree } from './helpers.js';
import { FIXED } from '../support/variants.js';

const INDEX = ['add-index', '--table', 'users', '--columns', 'email', ...FIXED];

describe('a fresh Rails app', () => {
  it('is detected from rails in the Gemfile alone, and the run creates db/migrate', async () => {
    const r = await run(INDEX, project({ '/project/Gemfile': 'source "https://rubygems.org"\n\ngem "rails", "~> 7.1.3"\ngem "pg"\n' }));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('target          rails (detected from rails in the Gemfile)');
    expect(Object.keys(tree(r.vol)).some((p) => /^db\/migrate\/20260115093000_add_index_users_email_idx\.rb$/.test(p))).toBe(true);
  });

  it("is not a gem whose name starts with rails, nor a Gemfile's comment", async () => {
    const gemfile = 'source "https://rubygems.org"\n# gem "rails"\ngem "rails-html-sanitizer"\ngem "sinatra"\n';
    const r = await run(INDEX, project({ '/project/Gemfile': gemfile }));
    expect(r.code).toBe(2);
    expect(r.stdout).not.toContain('detected from');
    expect(Object.keys(tree(r.vol))).toEqual(['Gemfile']);
  });
});

describe("black's line length", () => {
  // Its CREATE INDEX call is 89 columns wide on one line: split at 88, kept whole at 120.
  const ALEMBIC_INDEX = [...INDEX, '--target', 'alembic'];
  const ALEMBIC = { '/project/alembic.ini': '[alembic]\nscript_location = migrations\n' };

  /** The longest `op.execute("""...""")` kept on one line, over every generated Python file. */
  async function widestCall(files: Record<string, string>): Promise<number> {
    const r = await run(ALEMBIC_INDEX, project(files));
    expect(r.code, r.stderr).toBe(0);
    const python = Object.entries(tree(r.vol)).filter(([p]) => p.endsWith('.py'));
    expect(python.length).toBeGreaterThan(0);
    const calls = python.flatMap(([, text]) => text.split('\n').filter((l) => /op\.execute\(""".*"""\)$/.test(l)));
    return Math.max(...calls.map((l) => [...l].length));
  }

  it("is black's default, 88, without a [tool.black] line-length", async () => {
    const widest = await widestCall({ ...ALEMBIC, '/project/pyproject.toml': '[tool.ruff]\nline-length = 120\n' });
    expect(widest).toBeLessThanOrEqual(88);
  });

  it.each([
    ['line-length = 120', 120],
    ['line_length = 120  # wide screens', 120],
    ['line-length = 79', 79],
  ])('follows pyproject.toml [tool.black] %s', async (setting, width) => {
    const widest = await widestCall({ ...ALEMBIC, '/project/pyproject.toml': `[project]\nname = "app"\n\n[tool.black]\n${setting}\ntarget-version = ["py311"]\n` });
    expect(widest).toBeLessThanOrEqual(width);
    // Wider than the default: the project's setting, not 88, decided the layout.
    if (width > 88) expect(widest).toBeGreaterThan(88);
    // Narrower: the widest call kept on one line is close to it (the plain build sits one level
    // deeper, in the `else:` of the partitioned build, so its CREATE INDEX call splits at 79).
    else expect(widest).toBeGreaterThan(width - 25);
  });
});
