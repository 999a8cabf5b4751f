/** The schema.prisma migscaffold edits still passes the real `prisma validate`. */
import { readFileSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { realEffects } from '../../src/effects.js';
import { makeTempDir } from '../support/pg.js';
import { prismaValidate } from '../support/tools.js';
import { schemaAfterChecklist } from '../support/checklist-schema.js';

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

describe('add-foreign-key: schema.prisma after every phase of the checklist passes prisma validate', () => {
  const fixture = readFileSync(FIXTURE, 'utf8');
  it.each([
    ['a second relation between two models', fixture.replace('  title    String\n', '  title    String\n  editorId BigInt? @map("editor_id")\n'), ['--table', 'posts', '--columns', 'editor_id', '--references', 'users(id)']],
    ['a self-relation', fixture.replace('  posts     Post[]\n', '  posts     Post[]\n  managerId BigInt? @map("manager_id")\n'), ['--table', 'users', '--columns', 'manager_id', '--references', 'users(id)', '--on-delete', 'set null']],
  ])('%s', async (_name, start, args) => {
    const dir = await makeTempDir(inject('pg'), 'prisma-fk');
    dirs.push(dir);
    await mkdir(join(dir, 'prisma'));
    await writeFile(join(dir, 'prisma/schema.prisma'), start);
    const code = await main(['add-foreign-key', ...args, '--target', 'prisma', '--yes', '--out', dir, '--timestamp', '20260115093000', '--all-phases'], {
      ...realEffects(),
      stdout: () => undefined,
    });
    expect(code).toBe(0);
    const checklist = await readFile(join(dir, 'migscaffold', (await readdir(join(dir, 'migscaffold'))).find((f) => f.endsWith('.md'))!), 'utf8');
    const final = schemaAfterChecklist(checklist, 4, start);
    expect(final).toMatch(/@relation\(.*map: "\w+_fkey"\)/);
    await writeFile(join(dir, 'prisma/schema.prisma'), final!);
    const r = await prismaValidate(join(dir, 'prisma/schema.prisma'));
    expect(r.stdout + r.stderr).toMatch(/is valid/);
  });
});

describe('change-column-type: the two sides of a relation', () => {
  const fixture = readFileSync(FIXTURE, 'utf8');
  it('prisma validate refuses a relation whose sides differ in type, so a plan that changes one side refuses: exit 1, one line, nothing written', async () => {
    const dir = await makeTempDir(inject('pg'), 'prisma-relation-type');
    dirs.push(dir);
    await mkdir(join(dir, 'prisma'));
    // The fact: what the swap would leave in schema.prisma if it changed posts.author_id alone.
    await writeFile(join(dir, 'prisma/schema.prisma'), fixture.replace('authorId BigInt @map("author_id")', 'authorId Int @map("author_id")'));
    const mismatch = await prismaValidate(join(dir, 'prisma/schema.prisma'), { check: false });
    expect(mismatch.code).not.toBe(0);
    expect(mismatch.stdout + mismatch.stderr).toMatch(/The type of the field `authorId` in the model `Post` is not matching the type of the referenced field `id` in model `User`/);

    await writeFile(join(dir, 'prisma/schema.prisma'), fixture);
    for (const args of [
      ['--table', 'posts', '--column', 'author_id', '--type', 'integer', '--from-type', 'bigint'],
      ['--table', 'users', '--column', 'id', '--type', 'numeric(20)', '--from-type', 'bigint'],
    ]) {
      let stderr = '';
      const code = await main(['change-column-type', ...args, '--target', 'prisma', '--yes', '--out', dir], {
        ...realEffects(),
        stdout: () => undefined,
        stderr: (t) => void (stderr += t),
      });
      expect(code, args.join(' ')).toBe(1);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(/is in a relation with (User\.id \(BigInt\)|Post\.authorId \(BigInt\)), and Prisma requires both sides of a relation to have the same type/);
    }
    expect(await readFile(join(dir, 'prisma/schema.prisma'), 'utf8')).toBe(fixture);
    expect(await readdir(dir)).toEqual(['prisma']);
  });
});
