/** plopfile.ts registers every operation with node-plop, and its action writes the full set. */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import nodePlop from 'node-plop';
import plopfile from '../../plopfile.js';
import { OPERATIONS } from '../../generators/index.js';

describe('plopfile', () => {
  it('offers every operation of the registry (and new-operation) and runs one end to end', async () => {
    const dest = await mkdtemp(join(tmpdir(), 'migscaffold-plop-'));
    try {
      const plop = await nodePlop(undefined, { destBasePath: dest, force: false });
      plopfile(plop);
      expect(plop.getGeneratorList().map((g) => g.name)).toEqual([...OPERATIONS.map((o) => o.name), 'new-operation']);
      const result = await plop.getGenerator('add-index').runActions({ target: 'sql', table: 'users', columns: 'email', using: 'btree' });
      expect(result.failures).toEqual([]);
      expect((await readdir(join(dest, 'db/migrations'))).length).toBe(2);
    } finally {
      await rm(dest, { recursive: true, force: true });
    }
  });
});
