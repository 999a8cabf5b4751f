/**
 * rename-column: expand / contract with a sync trigger, so old code (old column) and new code
 * (new column) run side by side. The new column copies the old one's exact type, NOT NULL and
 * default from the live database at migration time, so nothing has to be retyped by hand.
 */
import { keyColumns, columnField, keyField, parseTable, tableField } from '../src/fields.js';
import { addAttr, blockIndexName, blockLinesUsing, copiedBlocks, fieldDeclaration, fieldForColumn, fieldName, insertAfter, isAttr, joinLine, mapTo, optional, replace, splitLine, withAttr, withDefault, without } from '../src/project/prisma-edit.js';
import type { ColumnInfo } from '../src/rehearse/workload.js';
import { errors } from '../src/messages/errors.js';
import { defineOperation } from '../src/operation.js';
import { usersDump } from '../src/examples.js';
import { naiveDeploy, naiveMigrate } from '../src/bench-scenario.js';
import {
  qualified,
  addColumnLike,
  copiesOnPartitionedGuard,
  copiesVerify,
  copyMigrations,
  dependentsKnownGuard,
  dropOriginalIndexMigrations,
  hasCopies,
  NO_COPIES,
  originalNames,
  planCopies,
  refuseCopiesOnPartitioned,
  refuseUncopiable,
  renameCopies,
  renamedName,
  restoreOriginalConstraints,
  unrenameCopies,
  type Copies,
  addNotNullCheck,
  backfill,
  backfillFinishedGuard,
  carryNotNullMigrations,
  columnExistsSql,
  columnsEqualGuard,
  copyAllValues,
  copyDefault,
  moveComment,
  createSyncTrigger,
  dropColumn,
  dropDefault,
  dropSyncTrigger,
  label,
  rowsDifferingSql,
  sameNotNullSql,
  setNotNullLike,
  syncTriggerName,
  triggerExistsSql,
  triggerPresentGuard,
  type TableRef,
} from '../src/plan/recipes/index.js';
import type { Migration, Phase, Plan } from '../src/plan/types.js';
import type { HazardKey } from '../src/messages/hazards.js';
import { factsOf, tablePartitioned, type ColumnFacts } from '../src/project/facts.js';
import { quoteIdent, slug } from '../src/sql/ident.js';

export const renameColumn = defineOperation({
  name: 'rename-column',
  summary: 'Rename a column with no downtime: new column, sync trigger, backfill, switch code, drop old',
  examples: [
    { name: 'rename', args: ['--table', 'users', '--from', 'name', '--to', 'full_name'] },
    {
      name: 'with-indexes',
      args: ['--table', 'users', '--from', 'name', '--to', 'full_name'],
      project: {
        'db/structure.sql': usersDump(
          ["name text DEFAULT 'anon'::text NOT NULL", 'CONSTRAINT users_name_length CHECK ((char_length(name) <= 200))'],
          [
            'CREATE INDEX users_name_idx ON public.users USING btree (name);',
            'CREATE INDEX users_handle_trgm ON public.users USING gin (name public.gin_trgm_ops);',
            "CREATE INDEX users_lookup ON public.users USING btree (lower(name)) WHERE (name <> 'anon'::text);",
          ],
        ),
      },
    },
  ],
  fields: [
    tableField,
    columnField('from', 'Current column name', 'existing-column'),
    columnField('to', 'New column name', 'new-column', 'from'),
    keyField,
  ],
  learnsColumns: true,
  check(a) {
    const deps = factsOf(a, String(a.from))?.dependents;
    if (deps) refuseUncopiable(`${a.table}.${a.from}`, deps);
    refuseCopiesOnPartitioned(parseTable(String(a.table)), String(a.from), copiesOf(factsOf(a, String(a.from)), String(a.from), String(a.to)), String(a.to), tablePartitioned(a));
  },
  plan(a, s): Plan {
    const t = parseTable(String(a.table));
    const from = String(a.from);
    const to = String(a.to);
    const key = a.key ? keyColumns(String(a.key)) : undefined;
    const F = quoteIdent(from);
    const N = quoteIdent(to);
    const base = `${t.name}_${from}_to_${to}`;
    const pendingFwd = `t.${N} IS DISTINCT FROM t.${F}`;
    const expandTitle = `Expand: add ${to} and keep it in sync with ${from}`;
    const backfillTitle = `Backfill: copy ${from} into ${to} for existing rows`;
    const tl = label(t);
    const facts = factsOf(a, from);
    const copies = copiesOf(facts, from, to);
    const knownGuard = dependentsKnownGuard(t, from, originalNames(copies));
    const partitionedGuard = copiesOnPartitionedGuard(t, copies, from, to);

    const expand: Migration = {
      name: slug(`add ${to} to ${t.name} for rename of ${from}`),
      transaction: 'transaction',
      up: [
        ...(partitionedGuard ? [partitionedGuard] : []),
        knownGuard,
        addColumnLike(
          t,
          from,
          to,
          addNotNullCheck(t, to),
          `Add ${to} with the exact type of ${from} (nullable for now; if ${from} is NOT NULL, a NOT VALID check guards new writes).`,
        ),
        ...createSyncTrigger(t, from, to),
      ],
      down: [...dropSyncTrigger(t, from, to), dropColumn(t, to, true, `Drop ${to} (and its check).`)],
    };
    const [validate, setNotNull] = carryNotNullMigrations(t, to, from, backfillFinishedGuard(t, pendingFwd, `${to} = ${from}`, backfillTitle));
    const contract: Migration = {
      name: slug(`drop ${from} from ${t.name} after rename to ${to}`),
      transaction: 'transaction',
      up: [
        triggerPresentGuard(t, syncTriggerName(t, from, to), expandTitle),
        columnsEqualGuard(t, pendingFwd, from, to, backfillTitle),
        knownGuard,
        ...dropSyncTrigger(t, from, to),
        copyDefault(
          t,
          from,
          to,
          `Give ${to} the default ${from} had (only now: while both columns exist, a default on ${to} would overwrite what old code writes).`,
        ),
        moveComment(t, from, to, `${to} takes the comment ${from} has, if any.`),
        dropColumn(t, from, false, `Drop ${from}: every value lives in ${to}.`),
        ...renameCopies(t, copies),
      ],
      down: [
        ...unrenameCopies(t, copies, to),
        addColumnLike(t, to, from, null, `Re-add ${from} with the type of ${to}.`),
        copyDefault(t, to, from, `Give ${from} back the default ${to} has.`),
        moveComment(t, to, from, `${from} takes its comment back, if ${to} has one.`),
        copyAllValues(t, to, from, `Copy every value back into ${from} (one statement: see the warning above).`),
        setNotNullLike(t, from, to, `Restore NOT NULL on ${from} if ${to} has it.`),
        ...restoreOriginalConstraints(t, copies, from),
        dropDefault(t, to, `While both columns exist, only ${from} carries the default.`),
        ...createSyncTrigger(t, from, to),
      ],
      downHazard: 'rename-contract-rollback-copies-table',
    };

    const bf = backfill({
      name: slug(`backfill ${t.name} ${to}`),
      table: t,
      key,
      set: { column: to, expr: `t.${F}` },
      pending: pendingFwd,
      description: `${to} = ${from}`,
      batchSize: s.batchSize,
      pauseMs: s.pauseMs,
      lockTimeout: s.lockTimeout,
      reverse: { set: { column: from, expr: `t.${N}` }, pending: `t.${F} IS DISTINCT FROM t.${N}`, description: `${from} = ${to}` },
    });

    const copyPhase: Phase[] = hasCopies(copies)
      ? [
          {
            kind: 'migrate',
            key: 'copy',
            title: `Copy the indexes and constraints of ${from} onto ${to}`,
            why: `DROP COLUMN ${from} drops them in the contract: the copies (same method, columns, predicate, uniqueness) must be in place first. Built after the backfill, each index is built once, over complete values.`,
            migrations: copyMigrations(t, copies, to, backfillFinishedGuard(t, pendingFwd, `${to} = ${from}`, backfillTitle)),
            verify: copiesVerify(t, copies),
          },
        ]
      : [];
    const hazards: HazardKey[] = [
      facts?.dependents ? 'copies-from-generation' : 'dependents-not-looked-up',
      'rename-insert-null-with-default',
      'rename-contract-rollback-copies-table',
    ];

    return {
      operation: 'rename-column',
      name: slug(`rename ${base}`),
      title: `Rename ${tl}.${from} to ${to}`,
      schema: t.schema,
      table: t.name,
      settings: s,
      hazards,
      phases: [
        {
          kind: 'migrate',
          key: 'expand',
          title: expandTitle,
          why: `Old code keeps writing ${from}; the trigger copies each write into ${to} (and back).`,
          migrations: [expand],
          verify: [
            { sql: columnExistsSql(t, to), expect: `1 (the column ${to} exists)`, expectValue: 1 },
            { sql: triggerExistsSql(t, syncTriggerName(t, from, to)), expect: '1 (the sync trigger is installed)', expectValue: 1 },
          ],
        },
        {
          kind: 'backfill',
          key: 'backfill',
          title: backfillTitle,
          why: 'Rows written before the trigger existed still have an empty new column.',
          backfill: bf,
          verify: [{ sql: bf.remainingSql, expect: '0 rows left to copy', expectValue: 0 }],
          undo: "nothing to undo for the forward copy (the previous phase's rollback removes the column).",
        },
        ...copyPhase,
        {
          kind: 'migrate',
          key: 'tighten',
          title: `Tighten: carry NOT NULL over to ${to} (when ${from} has it)`,
          why: 'VALIDATE scans without blocking writes; SET NOT NULL then needs no scan.',
          migrations: [validate, setNotNull],
          verify: [{ sql: sameNotNullSql(t, to, from), expect: `true (${to} and ${from} agree on NOT NULL)`, expectValue: true }],
        },
        {
          kind: 'deploy',
          key: 'switch',
          title: `Deploy code that reads and writes only ${to}`,
          why: `The trigger keeps ${from} filled for instances still running the old code during the rollout.`,
          code: { kind: 'switch-to-renamed', table: tl, from, to },
          verify: [{ sql: rowsDifferingSql(t, to, from), expect: '0 (both columns still agree)', expectValue: 0 }],
        },
        {
          kind: 'migrate',
          key: 'contract',
          title: `Contract: drop the trigger and ${from}`,
          why: `Only once no running code reads or writes ${from}.`,
          migrations: [...dropOriginalIndexMigrations(t, copies, from), contract],
          verify: [{ sql: columnExistsSql(t, from), expect: `0 (${from} is gone)`, expectValue: 0 }],
        },
      ],
    };
  },
  declared(a, t) {
    return t.primaryKey.includes(String(a.from)) ? `${a.from} is the primary key: rename it with a dedicated plan, not a trigger copy` : null;
  },
  prisma(ctx, a) {
    const { M, model, lines, notes, step, lineOf } = ctx;
    const from = String(a.from);
    const to = String(a.to);
    const F = fieldForColumn(model, from);
    if (!F) return { unchanged: `model ${M} has no field for column ${from}` };
    const f0 = splitLine(lineOf(F));
    const def = f0.attrs.find(isAttr('default'));
    const native = f0.attrs.filter((x) => x.startsWith('@db.'));
    // The new column starts with the old one's type and nothing else: no default, no NOT NULL
    // (both arrive in later phases), no index.
    const twinDecl = splitLine(fieldDeclaration(model, to, [optional(f0, true).type, ...native].join(' ')));
    const twin = (opt: boolean) => joinLine(optional(twinDecl, opt));
    const tight = twin(F.optional);
    step('expand', insertAfter(M, lineOf(F), [twin(true)]));
    if (!F.optional) step('tighten', replace(M, [twin(true)], [tight]));
    let summary: string;
    const blocks = blockLinesUsing(lines, model, F.name);
    // The copies of the indexes schema.prisma declares, as block attributes on the new column's field.
    const copies = copiesOf(factsOf(a, from), from, to);
    const copied = copiedBlocks(blocks, copies.indexes, ctx.table, model, F.name, to).map((x) => ({ at: x.line, c: x.copy }));
    const uncovered = blocks.filter((b) => !copies.indexes.some((c) => c.fact.name === blockIndexName(b, ctx.table, model)));
    if (copied.length) step('copy', insertAfter(M, blocks[blocks.length - 1], copied.map((x) => x.at(twinDecl.name, x.c.build))));
    const finalNames = (field: string) =>
      copied.filter((x) => x.c.build !== x.c.final).map((x) => replace(M, [x.at(field, x.c.build)], [x.at(field, x.c.final)]));
    if (F.name === F.column) {
      // The field is the column: the new column gets its own field, the old one is ignored, then removed.
      const ignored = addAttr(lineOf(F), '@ignore');
      const final = joinLine(withDefault(optional(twinDecl, F.optional), def));
      step('switch', replace(M, [lineOf(F)], [ignored]));
      step('contract', replace(M, [ignored, tight], [final]), ...blocks.map((b) => replace(M, [b], [])), ...finalNames(twinDecl.name));
      summary = `added ${twin(true).trim()} beside ${F.name} in model ${M}`;
    } else {
      // The field already has its own name (@map): it keeps it and switches its @map to the new
      // column, so code keeps using ${F.name}; the old column stays as an ignored field until dropped.
      const switched = joinLine(mapTo(without(f0, 'default', 'unique', 'id'), to));
      const oldName = fieldName(from, new Set([...model.fields.map((x) => x.name), twinDecl.name]));
      const ignoredOld = joinLine(withAttr(mapTo({ ...without(f0, 'map'), name: oldName, comment: '' }, from), '@ignore'));
      const final = joinLine(withDefault(splitLine(switched), def));
      const renamed = blocks.map((b) => b.replace(new RegExp(`\\b${F.name}\\b`, 'g'), oldName));
      // The copies follow the field: from the new column's own field to ${F.name}.
      const follow = copied.map((x) => replace(M, [x.at(twinDecl.name, x.c.build)], [x.at(F.name, x.c.build)]));
      step('switch', replace(M, [lineOf(F), tight], [switched, ignoredOld]), ...blocks.map((b, i) => replace(M, [b], [renamed[i]])), ...follow);
      step('contract', replace(M, [switched, ignoredOld], [final]), ...renamed.map((b) => replace(M, [b], [])), ...finalNames(F.name));
      summary = `added ${twin(true).trim()} beside ${F.name} in model ${M}; ${F.name} moves to ${to} in the switch phase`;
    }
    if (uncovered.length || f0.attrs.some(isAttr('unique')))
      notes.push(
        `the indexes of ${from} declared as ${[...uncovered.map((b) => b.trim()), ...(f0.attrs.some(isAttr('unique')) ? ['@unique'] : [])].join(', ')} are not described on ${to} in this schema: ` +
          `declare them on ${to} by hand in the copy phase (the migrations copy what --database-url showed)`,
      );
    return { summary };
  },
  rehearsal: {
    cases: [{ name: 'rename', args: ['--table', 'users', '--from', 'name', '--to', 'full_name'] }],
    // Indexed, as a column people rename usually is: the rehearsal builds its copy under load.
    seed: (a) => [{ name: String(a.from), type: 'text', notNull: true, index: true }],
    workload(answers, k) {
    const base = k.info.columns;
    const from = String(answers.from);
    const to = String(answers.to);
    const fromCol = k.byName(from);
    if (!fromCol) throw errors.rehearseMissingColumn(from, qualified(k.info.table), 'from');
    const toCol: ColumnInfo = { ...fromCol, name: to, defaultSql: null };
    const newCols = base.map((c) => (c.name === from ? toCol : c));
    const v = k.appValue(fromCol);
    const expandKeys = new Set(['expand']);
    return {
      info: k.info,
      old: { ...k.plain, update: v ? [...k.neutralSet, { column: from, value: v }] : k.neutralSet },
      new: { read: k.names(newCols), insert: k.insertShape(newCols), update: v ? [...k.neutralSet, { column: to, value: v }] : k.neutralSet },
      newShareAt: (p, stage) => {
        if (p.kind === 'deploy' && stage === 'start' && p.code.kind === 'switch-to-renamed') return 1;
        if (p.kind === 'migrate' && stage === 'end' && expandKeys.has(p.key)) return 0.5;
        return undefined;
      },
      describe: `old code reads and writes ${from}, new code ${to}; half of the requests run new code from the end of the expand phase (rolling deploy), all after the switch`,
    };
    },
  },
  bench: [
    {
      name: 'rename-column',
      label: 'rename-column users.name -> full_name',
      args: ['--table', 'users', '--from', 'name', '--to', 'full_name'],
      answers: { table: 'users', from: 'name', to: 'full_name', key: 'id' },
      naiveSummary: '`RENAME COLUMN` while old code still runs, then deploy the new code',
      naive: [
        naiveMigrate('rename', 'RENAME COLUMN name TO full_name', 'ALTER TABLE users RENAME COLUMN name TO full_name;', 'ACCESS EXCLUSIVE'),
        naiveDeploy('switch', 'Deploy code that uses full_name', { kind: 'switch-to-renamed', table: 'users', from: 'name', to: 'full_name' }),
      ],
    },
  ],
});

/**
 * What the rename copies from `from` to `to`. A copy whose original names the column after it
 * (`users_name_idx`) is built under its final name (`users_full_name_idx`); any other is built under
 * a temporary name and takes the original's name at the contract.
 */
function copiesOf(facts: ColumnFacts | undefined, from: string, to: string): Copies {
  const deps = facts?.dependents;
  if (!deps) return NO_COPIES;
  return planCopies(deps.indexes, deps.constraints, (o) => renamedName(o, from, to) ?? o, 'copy');
}

export type { TableRef };
