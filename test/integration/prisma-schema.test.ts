/** The schema.prisma migscaffold edits still passes the real `prisma validate`. */
import { cp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { realEffects } from '../../src/effects.js';
import { makeTempDir } from '../support/pg.js';
import { prismaValidate } from '../support/tools.js';

const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

const FIXTURE = join(import.meta.dirname, '../fixtures/prisma/schema.prisma');

describe('edited schema.prisma passes prisma validate', () => {
  it.each([
    ['rename-column', ['rename-column', '--table', 'User', '--from', 'fullName', '--to', 'display_name']],
    ['add-column', ['add-column', '--table', 'users', '--column', 'token', '--type', 'uuid', '--default', 'gen_random_uuid()']],
    ['remove-column', ['remove-column', '--table', 'users', '--column', 'legacy_code', '--type', 'varchar(20)']],
    ['add-index', ['add-index', '--table', 'posts', '--columns', 'title', '--using', 'hash']],
  ])('%s', async (_name, argv) => {
    const dir = await makeTempDir(inject('pg'), 'prisma-edit');
    dirs.push(dir);
    await cp(FIXTURE, join(dir, 'prisma/schema.prisma'), { recursive: true });
    const original = await readFile(join(dir, 'prisma/schema.prisma'), 'utf8');
    const code = await main([...argv, '--target', 'prisma', '--yes', '--out', dir, '--timestamp', '20260115093000', '--all-phases'], {
      ...realEffects(),
      stdout: () => undefined,
    });
    expect(code).toBe(0);
    const edited = await readFile(join(dir, 'prisma/schema.prisma'), 'utf8');
    expect(edited).not.toBe(original);
    const r = await prismaValidate(join(dir, 'prisma/schema.prisma'));
    expect(r.stdout + r.stderr).toMatch(/is valid/);
  });
});
