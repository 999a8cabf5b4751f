/**
 * Issue 12's proof that the Rails and Alembic renderings, which use the frameworks' own helpers
 * (add_column, add_index ... algorithm: :concurrently, change_column_null, op.create_index(...,
 * postgresql_concurrently=True), op.alter_column ...), make the same database as the plan's SQL.
 *
 * Every lifecycle case (every operation x flag variant, test/cases/) runs its whole lifecycle here
 * (test/support/lifecycle.ts: phase by phase with the real tool, psql, the ActiveRecord migrator under
 * our encoding of strong_migrations' rules, alembic; checks, interrupted backfills, rollback, a second
 * apply) on the sql target, Rails 6.1 and Alembic 1.8. The pg_dump --schema-only after every migrate
 * phase, and after rolling back each phase, must be the same text for the three. A few cases with
 * hostile names are applied and rolled back the same way, without the lifecycle's checks.
 *
 * And a helper under a blocked lock gives up after the plan's lock_timeout: the timeouts are SQL
 * (no helper sets them), so this proves they still reach the helpers' statements.
 */
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { describe, it } from 'vitest';
import { CASES } from '../cases/index.js';
import { lifecycleTimeout, prepareCase, runLifecycle, type Case, type DriverName, type Expect } from '../support/lifecycle.js';
import { MIGRATION_BOOKKEEPING_TABLES, schemaDump } from '../support/pg.js';

const NO_BOOKKEEPING = { excludeTables: MIGRATION_BOOKKEEPING_TABLES };
const DRIVERS: DriverName[] = ['sql', 'rails', 'alembic'];

interface Trace {
  /** `after <phase>` / `rolled back <phase>` -> pg_dump. */
  dumps: [string, string][];
  /** The migration files, to show in a failure, and their text. */
  files: string[];
  text: string;
}

async function trace(expect: Expect, c: Case, driver: DriverName): Promise<Trace> {
  const p = await prepareCase(expect, c, driver);
  try {
    const { gen, url } = p;
    const dumps: [string, string][] = [['start', p.startDump]];
    for (const phase of gen.plan.phases) {
      if (phase.kind === 'migrate') {
        for (const id of gen.ids[phase.key]) await p.driver.apply(expect, url, gen, id);
        dumps.push([`after ${phase.key}`, await schemaDump(url, NO_BOOKKEEPING)]);
      }
      if (phase.kind === 'backfill') {
        const r = await p.ctx.backfill();
        expect(r.stdout + r.stderr).toMatch(/Done: \d+ rows updated/);
      }
    }
    const all = gen.plan.phases.flatMap((ph) => gen.ids[ph.key]);
    for (const phase of [...gen.plan.phases].reverse()) {
      if (phase.kind !== 'migrate') continue;
      for (const id of [...gen.ids[phase.key]].reverse()) {
        const i = all.indexOf(id);
        await p.driver.rollback(expect, url, gen, id, i > 0 ? all[i - 1] : null);
      }
      dumps.push([`rolled back ${phase.key}`, await schemaDump(url, NO_BOOKKEEPING)]);
    }
    const text = (await Promise.all(gen.migrationFiles.map((f) => readFile(f, 'utf8')))).join('\n');
    return { dumps, files: gen.migrationFiles, text };
  } finally {
    await p.dispose();
  }
}

/**
 * Names that the helpers quote themselves (Rails always quotes, SQLAlchemy by its reserved-word
 * list): a reserved word, mixed case. The names our SQL alone can carry (quotes, dots, unicode) stay
 * SQL in every target (src/targets/helpers.ts), so they have nothing to prove here.
 */
const HOSTILE: (Case & { helpers: { rails: RegExp; alembic: RegExp } })[] = [
  {
    id: 'eq_hostile_add_column',
    op: 'add-column',
    flags: { table: 'users', column: 'Order', type: 'varchar(40)', default: "'it''s'", 'not-null': true },
    phases: { add: {}, use: {} },
    helpers: { rails: /add_column :users, "Order", :string, limit: 40, default: "it's", null: false/, alembic: /op\.add_column\([\s\S]*?sa\.Column\(\s*"Order", sa\.String\(40\)/ },
  },
  {
    id: 'eq_hostile_add_backfill',
    op: 'add-column',
    flags: { table: 'users', column: 'user', type: 'numeric(10,2)', backfill: 'id * 1.5', 'not-null': true },
    phases: { expand: {}, write: {}, backfill: {}, tighten: {}, use: {} },
    helpers: { rails: /change_column_null :users, :user, false/, alembic: /op\.alter_column\("users", "user", nullable=False\)/ },
  },
  {
    id: 'eq_hostile_index',
    op: 'add-index',
    flags: { table: 'users', columns: 'Email2,select', name: 'MixedIdx', where: `"select" > 0 AND "Email2" NOT LIKE '%:x%'` },
    table: {
      extra: [
        // `name` goes into the seeding INSERT's column list as it is: quoted here.
        { name: '"Email2"', ddl: '"Email2" text', seed: `'e' || g` },
        { name: '"select"', ddl: '"select" integer', seed: 'g % 7' },
      ],
    },
    phases: { build: {}, use: {} },
    helpers: { rails: /add_index :users, \["Email2", :select\], name: "MixedIdx"/, alembic: /op\.create_index\(\n\s+op\.f\("MixedIdx"\)/ },
  },
  {
    id: 'eq_hostile_check',
    op: 'add-check-constraint',
    flags: { table: 'users', check: `length(name) > 0 AND name <> ':x' AND name NOT LIKE '%\\%%'`, name: 'users_name_ok' },
    phases: { add: {}, validate: {} },
    helpers: { rails: /add_check_constraint :users, .*, name: "users_name_ok", validate: false/, alembic: /op\.create_check_constraint\(/ },
  },
];

/** The step-by-step dumps of the other targets equal the sql target's. */
function sameDumps(expect: Expect, sql: [string, string][], others: { d: DriverName; dumps: [string, string][]; files: string }[]): void {
  for (const o of others) {
    expect(o.dumps.map(([k]) => k), `${o.d}: the same steps`).toEqual(sql.map(([k]) => k));
    o.dumps.forEach(([step, dump], k) => expect(dump, `${o.d} ${step} (vs sql)\nfiles: ${o.files}`).toBe(sql[k][1]));
  }
  // Not a test that passes on nothing: the schema changed on the way.
  expect(new Set(sql.map(([, d]) => d)).size).toBeGreaterThan(1);
}

describe.concurrent('every lifecycle case on sql, Rails and Alembic: each passes, and the helpers make the same database as the plan SQL (pg_dump after every phase and rollback)', () => {
  // The lifecycles of these three targets run here, one after the other per case, recording their
  // dumps on the way: the proof of equivalence costs no second application of the same migrations.
  for (const c of CASES)
    it(`${c.op} ${c.id}`, async ({ expect }) => {
      const runs: { d: DriverName; dumps: [string, string][]; files: string }[] = [];
      for (const d of DRIVERS) {
        const dumps: [string, string][] = [];
        await runLifecycle(expect, c, d, { dumps });
        runs.push({ d, dumps, files: c.id });
      }
      const [sql, ...others] = runs;
      sameDumps(expect, sql.dumps, others);
    }, 3 * (lifecycleTimeout(c) ?? 120_000));
});

describe.concurrent('hostile names go through the helpers and make the same database as the plan SQL', () => {
  for (const c of HOSTILE)
    it(`${c.op} ${c.id}`, async ({ expect }) => {
      const traces: Trace[] = [];
      for (const d of DRIVERS) traces.push(await trace(expect, c, d));
      const [sql, ...others] = traces;
      sameDumps(expect, sql.dumps, others.map((t, i) => ({ d: DRIVERS[i + 1], dumps: t.dumps, files: t.files.join(', ') })));
      expect(others[0].text, 'rails').toMatch(c.helpers.rails);
      expect(others[1].text, 'alembic').toMatch(c.helpers.alembic);
    }, 900_000);
});

describe.concurrent('the timeouts reach the helpers', () => {
  for (const d of ['rails', 'alembic'] as const)
    it(`${d}: add_column behind a long transaction gives up after lock_timeout and adds nothing`, { timeout: 300_000 }, async ({ expect }) => {
      const c = CASES.find((x) => x.id === 'add_nullable')!;
      const p = await prepareCase(expect, c, d);
      const h = new pg.Client({ connectionString: p.url });
      h.on('error', () => {});
      try {
        const [id] = p.gen.ids.add;
        const file = p.gen.migrationFiles[0];
        const text = await readFile(file, 'utf8');
        // The statement under test is the helper, not SQL.
        expect(text).toMatch(d === 'rails' ? /^\s+add_column :users, :nickname, :text$/m : /^\s+op\.add_column\("users", sa\.Column\("nickname"/m);
        await h.connect();
        await h.query('BEGIN');
        await h.query('SELECT count(*) FROM users'); // ACCESS SHARE until the end of the transaction
        const err = await p.driver.apply(expect, p.url, p.gen, id).then(
          () => null,
          (e: unknown) => e,
        );
        await h.query('ROLLBACK');
        expect(String(err instanceof Error ? err.message : err)).toMatch(/canceling statement due to lock timeout/);
        expect(Number(await p.ctx.val(`SELECT count(*) FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'nickname'`))).toBe(0);
        // Nothing was recorded either: applied again without the blocker, it goes through.
        await p.driver.apply(expect, p.url, p.gen, id);
        expect(Number(await p.ctx.val(`SELECT count(*) FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'nickname'`))).toBe(1);
      } finally {
        await h.end().catch(() => {});
        await p.dispose();
      }
    });
});
