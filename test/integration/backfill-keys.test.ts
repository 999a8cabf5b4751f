/**
 * The key a backfill walks comes from the catalogue when the script starts: integer, bigint (past
 * 2^53), uuid, text (quotes, spaces, commas) and composite primary keys, and a unique index on NOT
 * NULL columns when there is no primary key. Every language's script, run for real, updates every
 * row exactly as its expression says, in many small batches; a composite-key run stopped half way
 * resumes from the key it printed. A table without a usable key is refused before any row changes,
 * with a message naming what to add; so is a --key that is not unique and NOT NULL.
 */
import { mkdir, rm } from 'node:fs/promises';
import { describe, inject, it } from 'vitest';
import { doneCount, generateBackfill, interpreter, LANGUAGES, progress, REFUSED, resumeArgs, runBackfill, runBackfillWatching } from '../support/backfill.js';
import { killGroup } from '../support/lifecycle.js';
import { createDatabase, dropDatabase, makeTempDir, query, uniqueDbName } from '../support/pg.js';
import { runCommand } from '../support/tools.js';

const ROWS = 300;

interface KeyCase {
  name: string;
  /** Table DDL; every table has `note text` and gets `label text` with label = upper(note). */
  ddl: string;
  /** INSERT ... SELECT over g = 1..ROWS. */
  seed: string;
}

const KEYS: KeyCase[] = [
  { name: 'integer', ddl: 'CREATE TABLE items (id integer PRIMARY KEY, note text)', seed: `INSERT INTO items SELECT g * 7, 'n' || g FROM generate_series(1, ${ROWS}) g` },
  {
    name: 'bigint past 2^53',
    ddl: 'CREATE TABLE items (id bigint PRIMARY KEY, note text)',
    seed: `INSERT INTO items SELECT 9007199254740993 + g * 2, 'n' || g FROM generate_series(1, ${ROWS}) g`,
  },
  { name: 'uuid', ddl: 'CREATE TABLE items (id uuid PRIMARY KEY, note text)', seed: `INSERT INTO items SELECT gen_random_uuid(), 'n' || g FROM generate_series(1, ${ROWS}) g` },
  {
    name: 'text with quotes, spaces and commas',
    ddl: 'CREATE TABLE items (code text PRIMARY KEY, note text)',
    seed: `INSERT INTO items SELECT 'it''s, "k" ' || g, 'n' || g FROM generate_series(1, ${ROWS}) g`,
  },
  {
    name: 'composite (org_id, user_id)',
    ddl: 'CREATE TABLE items (org_id int, user_id text, note text, PRIMARY KEY (org_id, user_id))',
    seed: `INSERT INTO items SELECT g % 7, 'u' || g, 'n' || g FROM generate_series(1, ${ROWS}) g`,
  },
  {
    // A name that looks like the templates' markers, with a colon (a bind to SQLAlchemy), a quote
    // and a space: every part of the key stays a quoted name.
    name: 'a composite key with hostile column names',
    ddl: `CREATE TABLE items ("k@key@: ""x"" y" text, "@decode(:last_key)@" int, note text, PRIMARY KEY ("k@key@: ""x"" y", "@decode(:last_key)@"))`,
    seed: `INSERT INTO items SELECT 'v:' || (g % 5), g, 'n' || g FROM generate_series(1, ${ROWS}) g`,
  },
  {
    name: 'no primary key, a unique index on a NOT NULL column',
    ddl: 'CREATE TABLE items (ref bigint NOT NULL, other int UNIQUE, note text); CREATE UNIQUE INDEX items_ref ON items (ref)',
    seed: `INSERT INTO items SELECT g, NULL, 'n' || g FROM generate_series(1, ${ROWS}) g`,
  },
];

const COMPOSITE = KEYS.find((k) => k.name.startsWith('composite'))!;
const FLAGS = { table: 'items', column: 'label', type: 'text', backfill: 'upper(t.note)' };

async function setup(name: string, ddl: string, seed: string) {
  const info = inject('pg');
  const db = uniqueDbName(name);
  const url = await createDatabase(info, db);
  const dir = await makeTempDir(info, name);
  await query(url, `${ddl}; ${seed}; ALTER TABLE items ADD COLUMN label text; ANALYZE items`);
  return { url, dir, dispose: async () => (await dropDatabase(info, db), await rm(dir, { recursive: true, force: true })) };
}

const wrong = (url: string) => query<{ n: string }>(url, 'SELECT count(*) AS n FROM items WHERE label IS DISTINCT FROM upper(note)').then((r) => Number(r[0].n));

describe.concurrent('backfill keys, read from the catalogue at run time', () => {
  for (const language of LANGUAGES) {
    for (const k of KEYS) {
      it(`${language}: ${k.name}`, async ({ expect }) => {
        const t = await setup(`keys_${language}`, k.ddl, k.seed);
        try {
          const s = await generateBackfill(language, t.dir, FLAGS);
          expect(await wrong(t.url)).toBe(ROWS);
          const r = await runBackfill(s, t.url, { batchSize: 23 });
          const out = r.stdout + r.stderr;
          expect(r.code, out).toBe(0);
          expect(doneCount(out), out).toBe(ROWS);
          expect(progress(out).length, 'many batches').toBeGreaterThan(ROWS / 23);
          expect(await wrong(t.url), 'every row holds upper(note)').toBe(0);
        } finally {
          await t.dispose();
        }
      });
    }

    it(`${language}: a composite-key run stopped half way resumes from the key it printed`, async ({ expect }) => {
      const t = await setup(`keys_resume_${language}`, COMPOSITE.ddl, COMPOSITE.seed);
      try {
        const s = await generateBackfill(language, t.dir, FLAGS);
        const stopped = await runBackfillWatching(s, t.url, { batchSize: 20, pauseMs: 100 }, /rows scanned/, (pid) => {
          killGroup(pid, 'SIGINT');
          if (language === 'prisma') setTimeout(() => killGroup(pid, 'SIGINT'), 20);
        });
        const out1 = stopped.stdout + stopped.stderr;
        expect(stopped.code, out1).toBe(language === 'sql' ? 3 : 130);
        const left = await wrong(t.url);
        expect(left, out1).toBeGreaterThan(0);
        expect(left, out1).toBeLessThan(ROWS);
        const [args] = resumeArgs(language, out1);
        expect(args, out1).toBeDefined();
        expect(args.join(' '), 'a composite key travels as a JSON array').toMatch(/^--start-after \[\d+, "u\d+"\]$|^-v start_after=\[\d+, "u\d+"\]$/);
        const { cmd, args: argv, env } = interpreter(s, t.url, args);
        const resumed = await runCommand(cmd, argv, { cwd: s.dir, env, check: false });
        const out2 = resumed.stdout + resumed.stderr;
        expect(resumed.code, out2).toBe(0);
        expect(doneCount(out2), out2).toBe(left);
        expect(await wrong(t.url)).toBe(0);
      } finally {
        await t.dispose();
      }
    });

    it(`${language}: a table without a primary key or unique NOT NULL key is refused, nothing updated`, async ({ expect }) => {
      // A unique index on a nullable column does not order every row: it does not count.
      const t = await setup(`keys_none_${language}`, 'CREATE TABLE items (ref int UNIQUE, note text)', `INSERT INTO items SELECT g, 'n' || g FROM generate_series(1, ${ROWS}) g`);
      try {
        const s = await generateBackfill(language, t.dir, FLAGS);
        const r = await runBackfill(s, t.url);
        const out = r.stdout + r.stderr;
        expect(r.code, out).toBe(REFUSED[language]);
        expect(out).toMatch(/items has no primary key and no unique index on NOT NULL columns, so it cannot be walked in batches: add one \(ALTER TABLE items ADD PRIMARY KEY/);
        expect(out).not.toMatch(/rows scanned|Traceback|\.rb:\d+:in/);
        expect(await wrong(t.url)).toBe(ROWS);
      } finally {
        await t.dispose();
      }
    });

    it(`${language}: --key that is not unique and NOT NULL is refused; the right one is walked`, async ({ expect }) => {
      const t = await setup(`keys_flag_${language}`, COMPOSITE.ddl, COMPOSITE.seed);
      try {
        const bad = await generateBackfill(language, t.dir, { ...FLAGS, key: 'org_id' });
        const r = await runBackfill(bad, t.url);
        const out = r.stdout + r.stderr;
        expect(r.code, out).toBe(REFUSED[language]);
        expect(out).toMatch(/\(org_id\) is neither the primary key of items nor a unique index on NOT NULL columns/);
        expect(await wrong(t.url)).toBe(ROWS);
        await mkdir(`${t.dir}/again`);
        const good = await generateBackfill(language, `${t.dir}/again`, { ...FLAGS, key: 'user_id,org_id' });
        const r2 = await runBackfill(good, t.url);
        expect(r2.code, r2.stdout + r2.stderr).toBe(0);
        expect(r2.stdout + r2.stderr).toMatch(/key org_id, user_id/);
        expect(await wrong(t.url)).toBe(0);
      } finally {
        await t.dispose();
      }
    });
  }
});

