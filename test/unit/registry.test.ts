/**
 * The registry is the one list: the README's table of operations matches it, and `npx plop
 * new-operation` adds an operation by writing its module and cases and one entry in each list.
 */
import { cp, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import nodePlop from 'node-plop';
import plopfile from '../../plopfile.js';
import { OPERATIONS } from '../../generators/index.js';
import { CASES_BY_OPERATION } from '../cases/index.js';

const REPO = resolve(import.meta.dirname, '../..');

describe('the registry', () => {
  it('the README lists every operation with its summary, in registry order', async () => {
    const readme = await readFile(join(REPO, 'README.md'), 'utf8');
    const rows = [...readme.matchAll(/^\| `([a-z-]+)` \| (.*) \|$/gm)].map((m) => [m[1], m[2]]);
    expect(rows).toEqual(OPERATIONS.map((o) => [o.name, o.summary]));
  });

  it('every operation has lifecycle cases, and rehearsal cases', () => {
    for (const op of OPERATIONS) {
      expect(CASES_BY_OPERATION[op.name].length, op.name).toBeGreaterThan(0);
      expect(op.rehearsal.cases.length, op.name).toBeGreaterThan(0);
    }
  });

  it('npx plop new-operation scaffolds the module, the cases, both registry entries and the README row', async () => {
    const dest = await mkdtemp(join(tmpdir(), 'migscaffold-new-op-'));
    try {
      for (const f of ['generators/index.ts', 'test/cases/index.ts', 'README.md', 'plopfile.ts']) {
        await mkdir(join(dest, f, '..'), { recursive: true });
        await cp(join(REPO, f), join(dest, f));
      }
      await cp(join(REPO, 'templates/new-operation'), join(dest, 'templates/new-operation'), { recursive: true });
      const plop = await nodePlop(undefined, { destBasePath: dest, force: false });
      // Template files resolve against the plopfile's folder: here, the scratch copy of the repo.
      plop.setPlopfilePath(join(dest, 'plopfile.ts'));
      plopfile(plop);
      const r = await plop.getGenerator('new-operation').runActions({ name: 'drop-default', summary: 'Drop a column default' });
      expect(r.failures).toEqual([]);
      const index = await readFile(join(dest, 'generators/index.ts'), 'utf8');
      expect(index).toContain("import { dropDefault } from './drop-default.js';");
      expect(index).toMatch(/export const OPERATIONS = \[[^\]]*, dropDefault\] as const;/);
      const cases = await readFile(join(dest, 'test/cases/index.ts'), 'utf8');
      expect(cases).toContain("import { DROP_DEFAULT_CASES } from './drop-default.js';");
      expect(cases).toContain("'drop-default': DROP_DEFAULT_CASES,\n};");
      expect(await readFile(join(dest, 'README.md'), 'utf8')).toContain('| `drop-default` | Drop a column default |\n<!-- operations:');
      const module = await readFile(join(dest, 'generators/drop-default.ts'), 'utf8');
      expect(module).toContain("export const dropDefault = defineOperation({\n  name: 'drop-default',");
      expect(await readFile(join(dest, 'test/cases/drop-default.ts'), 'utf8')).toContain('export const DROP_DEFAULT_CASES');
    } finally {
      await rm(dest, { recursive: true, force: true });
    }
  });
});
