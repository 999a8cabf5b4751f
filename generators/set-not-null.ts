/**
 * set-not-null: make an existing column NOT NULL without scanning the table under ACCESS EXCLUSIVE.
 * NULLs left are filled by an optional batched backfill first (new code writing the column deployed
 * before it, so none arrive after it); then CHECK (c IS NOT NULL) NOT VALID, VALIDATE in its own
 * transaction, SET NOT NULL (no scan, PostgreSQL 12+), drop the check. The first of those refuses,
 * before any lock, while a row is still NULL: a NOT VALID check refuses every update of such a row.
 */
import { keyColumns, columnField, expressionField, keyField, parseTable, tableField } from '../src/fields.js';
import { fieldForColumn, replace, setOptional } from '../src/project/prisma-edit.js';
import { defineOperation, type Answers, type PlanSettings } from '../src/operation.js';
import { naiveDeploy, naiveMigrate } from '../src/bench-scenario.js';
import { backfill, backfillFinishedGuard, isNotNullSql, label, noNullsGuard, notNullMigrations } from '../src/plan/recipes/index.js';
import type { Phase, Plan, Statement } from '../src/plan/types.js';
import { quoteIdent, slug } from '../src/sql/ident.js';
import { modelClassName as modelName } from '../src/targets/code-changes.js';

function backfillTitle(column: string): string {
  return `Backfill ${column} where it is NULL`;
}

function planOf(a: Answers, s: PlanSettings): Plan {
  const t = parseTable(String(a.table));
  const column = String(a.column);
  const fill = a.backfill ? String(a.backfill) : undefined;
  const key = a.key ? keyColumns(String(a.key)) : undefined;
  const C = quoteIdent(column);
  const tl = label(t);
  const pending = `t.${C} IS NULL`;
  const tighten = (guardFirst: Statement): Phase => ({
    kind: 'migrate',
    key: 'tighten',
    title: `Make ${column} NOT NULL without a long lock`,
    why: 'CHECK NOT VALID is instant, VALIDATE scans without blocking writes, SET NOT NULL then needs no scan.',
    migrations: notNullMigrations(t, column, guardFirst),
    verify: [{ sql: isNotNullSql(t, column), expect: 'true', expectValue: true }],
  });
  const use: Phase = {
    kind: 'deploy',
    key: 'use',
    title: `Deploy code that relies on ${column} being NOT NULL`,
    why: 'The column can no longer be NULL: models may say so, and code may stop handling NULL.',
    code: { kind: 'idiom', byTarget: useIdiom(tl, column) },
    verify: [],
  };
  const phases: Phase[] = [];
  if (fill) {
    const bf = backfill({
      name: slug(`backfill ${t.name} ${column}`),
      table: t,
      key,
      set: { column, expr: fill },
      pending,
      description: `${column} = ${fill} where it is NULL`,
      batchSize: s.batchSize,
      pauseMs: s.pauseMs,
      lockTimeout: s.lockTimeout,
    });
    phases.push(
      {
        kind: 'deploy',
        key: 'write',
        title: `Deploy code that writes ${column} on every insert and update`,
        why: 'Otherwise rows written during or after the backfill arrive NULL, and the tighten refuses to start.',
        code: { kind: 'idiom', byTarget: writeIdiom(tl, column) },
        verify: [],
      },
      {
        kind: 'backfill',
        key: 'backfill',
        title: backfillTitle(column),
        why: 'Keyset batches, one short transaction each: no long row locks, no WAL burst.',
        backfill: bf,
        verify: [{ sql: bf.remainingSql, expect: '0 rows left', expectValue: 0 }],
        undo: 'nothing to undo: the values it wrote stay (rolling the tighten back makes the column nullable again; it does not bring the NULLs back).',
      },
      tighten(backfillFinishedGuard(t, pending, bf.description, backfillTitle(column))),
    );
  } else phases.push(tighten(noNullsGuard(t, column)));
  phases.push(use);
  return {
    operation: 'set-not-null',
    name: slug(`set ${t.name} ${column} not null`),
    title: `Make ${tl}.${column} NOT NULL`,
    schema: t.schema,
    table: t.name,
    settings: s,
    hazards: ['not-null-check-refuses-null-writes'],
    phases,
  };
}

export const setNotNull = defineOperation({
  name: 'set-not-null',
  summary: 'Make a column NOT NULL with no scan under an exclusive lock (its NULLs backfilled in batches first)',
  examples: [
    { name: 'backfill', args: ['--table', 'users', '--column', 'locale', '--backfill', "'en'"] },
    { name: 'no-nulls', args: ['--table', 'users', '--column', 'country_code'] },
  ],
  fields: [
    tableField,
    columnField('column', 'Column to make NOT NULL', 'existing-column'),
    expressionField('backfill', 'Value for rows where it is NULL, as a SQL expression over the row (empty: there are none)'),
    keyField,
  ],
  plan: planOf,
  declared(a, t) {
    const column = String(a.column);
    return t.notNull.has(column) ? `${column} is already NOT NULL: there is nothing to do` : null;
  },
  prisma(ctx, a) {
    const { M, step, lineOf, model } = ctx;
    const F = fieldForColumn(model, String(a.column));
    if (!F) return { unchanged: `model ${M} has no field for column ${a.column}: make it required by hand in the tighten phase` };
    if (F.list) return { unchanged: `${M}.${F.name} is a list, which Prisma always declares required: schema.prisma already agrees` };
    const line = lineOf(F);
    step('tighten', replace(M, [line], [setOptional(line, false)]));
    return { summary: `made ${M}.${F.name} required in the tighten phase` };
  },
  rehearsal: {
    cases: [
      { name: '--backfill (NULLs in the column)', args: ['--table', 'users', '--column', 'bio', '--backfill', "'(none)'"] },
      { name: 'no NULLs to fill', args: ['--table', 'users', '--column', 'nickname'] },
    ],
    // A column of that name (filled on every row) when the standard table has none: bio, the
    // standard one, is NULL on a third of the rows.
    seed: (a) => [{ name: String(a.column), type: 'text' }],
    workload(answers, k) {
      const column = String(answers.column);
      if (!answers.backfill)
        return { info: k.info, old: k.plain, new: k.plain, newShareAt: () => undefined, describe: `old and new code write ${column} on every insert` };
      const base = k.info.columns;
      const value = `(${String(answers.backfill)})`;
      const rest = base.filter((c) => c.name !== column);
      return {
        info: k.info,
        // Old code inserts without the column: its rows arrive NULL until the write deploy.
        old: { ...k.plain, insert: k.insertShape(rest) },
        new: { read: k.names(base), insert: k.insertShape(rest, { column, value }), update: [...k.neutralSet, { column, value }] },
        newShareAt: (p, stage) => (p.kind === 'deploy' && p.key === 'write' && stage === 'start' ? 1 : undefined),
        describe: `old code inserts rows with ${column} NULL; new code writes ${column} = ${value} on every insert and update`,
      };
    },
  },
  bench: [
    {
      name: 'set-not-null',
      label: "set-not-null users.bio, backfill ''",
      args: ['--table', 'users', '--column', 'bio', '--backfill', "''"],
      answers: { table: 'users', column: 'bio', backfill: "''", key: 'id' },
      naiveSummary: 'the same deploy and batched backfill, then a bare `SET NOT NULL` (scan under ACCESS EXCLUSIVE)',
      naive: [
        naiveDeploy('write', 'Deploy code that writes bio', { kind: 'write-column', table: 'users', column: 'bio' }),
        // Ours, unchanged: the two sides differ only in how NOT NULL arrives.
        backfillPhase(),
        naiveMigrate('set-not-null', 'SET NOT NULL directly (scan under ACCESS EXCLUSIVE)', 'ALTER TABLE users ALTER COLUMN bio SET NOT NULL;', 'ACCESS EXCLUSIVE'),
        naiveDeploy('use', 'Deploy code that relies on bio being NOT NULL', { kind: 'use-new-column', table: 'users', column: 'bio', notNull: true }),
      ],
    },
  ],
});

function backfillPhase(): Phase {
  return planOf({ table: 'users', column: 'bio', backfill: "''", key: 'id' }, { lockTimeout: '1s', batchSize: 1000, pauseMs: 0 }).phases.find((p) => p.kind === 'backfill')!;
}

function writeIdiom(table: string, column: string) {
  const model = modelName(table);
  return {
    alembic:
      `Set \`${column}\` on every insert and update of \`${table}\` (bulk inserts and raw SQL included), for example with ` +
      `\`mapped_column(default=...)\` on the SQLAlchemy model; keep it \`nullable=True\` in the model until the tighten phase.`,
    rails:
      `Set \`${column}\` on every create and update of \`${model}\` (callbacks, \`insert_all\`, \`update_all\` and raw SQL included), ` +
      `for example with a \`before_validation\` default.`,
    prisma:
      `Set \`${column}\` in every \`create\`/\`createMany\`/\`upsert\` (and raw query) on \`${table}\`, and never set it to \`null\` in an ` +
      `\`update\`; the field stays optional in schema.prisma until the tighten phase.`,
    sql: `Make every INSERT on \`${table}\` set \`${column}\`, and no UPDATE set it to NULL.`,
  };
}

function useIdiom(table: string, column: string) {
  const model = modelName(table);
  return {
    alembic: `Declare \`${column}\` \`nullable=False\` on the SQLAlchemy model of \`${table}\` (\`mapped_column(nullable=False)\`), so autogenerate agrees with the database; code may rely on it never being NULL.`,
    rails: `Code may rely on \`${column}\` never being NULL; to fail before the INSERT rather than at it, add \`validates :${column}, exclusion: { in: [nil] }\` to \`${model}\`.`,
    prisma: `With the field required in schema.prisma (no \`?\`, shipped with the tighten's migrations), run \`npx prisma generate\`: the client's types no longer allow \`null\`; remove the NULL handling the compiler shows.`,
    sql: `Code may rely on \`${column}\` never being NULL.`,
  };
}
