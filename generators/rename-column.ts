/**
 * rename-column: expand / contract with a sync trigger, so old code (old column) and new code
 * (new column) run side by side. The new column copies the old one's exact type, NOT NULL and
 * default from the live database at migration time, so nothing has to be retyped by hand.
 */
import { keyColumns, columnField, keyField, parseTable, tableField } from '../src/fields.js';
import { addAttr, blockLinesUsing, fieldDeclaration, fieldForColumn, fieldName, insertAfter, isAttr, joinLine, mapTo, optional, replace, splitLine, withAttr, withDefault, without } from '../src/project/prisma-edit.js';
import type { ColumnInfo } from '../src/rehearse/workload.js';
import { errors } from '../src/messages/errors.js';
import { defineOperation } from '../src/operation.js';
import { naiveDeploy, naiveMigrate } from '../src/bench-scenario.js';
import {
  qualified,
  addColumnLike,
  addNotNullCheck,
  backfill,
  backfillFinishedGuard,
  columnExistsSql,
  columnsEqualGuard,
  copyAllValues,
  copyDefault,
  createSyncTrigger,
  doIf,
  dropColumn,
  dropDefault,
  dropSyncTrigger,
  ifNotNullCheckExists,
  indexesOnColumnSql,
  isNotNullSql,
  label,
  rowsDifferingSql,
  sameNotNullSql,
  setNotNullFromCheck,
  setNotNullLike,
  syncTriggerName,
  triggerExistsSql,
  triggerPresentGuard,
  unsetNotNullToCheck,
  validateNotNullCheck,
  type TableRef,
} from '../src/plan/recipes/index.js';
import type { Migration, Plan } from '../src/plan/types.js';
import { quoteIdent, slug } from '../src/sql/ident.js';

export const renameColumn = defineOperation({
  name: 'rename-column',
  summary: 'Rename a column with no downtime: new column, sync trigger, backfill, switch code, drop old',
  examples: [{ name: 'rename', args: ['--table', 'users', '--from', 'name', '--to', 'full_name'] }],
  fields: [
    tableField,
    columnField('from', 'Current column name', 'existing-column'),
    columnField('to', 'New column name', 'new-column', 'from'),
    keyField,
  ],
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

    const expand: Migration = {
      name: slug(`add ${to} to ${t.name} for rename of ${from}`),
      transaction: 'transaction',
      up: [
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
    const validate: Migration = {
      name: slug(`validate ${t.name} ${to} not null`),
      transaction: 'transaction',
      up: [
        backfillFinishedGuard(t, pendingFwd, `${to} = ${from}`, backfillTitle),
        ifNotNullCheckExists(t, to, [validateNotNullCheck(t, to)], {
          lock: 'SHARE UPDATE EXCLUSIVE',
          long: true,
          comment: `If ${from} is NOT NULL: prove ${to} has no NULLs, scanning under SHARE UPDATE EXCLUSIVE (reads and writes go on).`,
        }),
      ],
      down: [],
      downNote: 'validation changes no data and no definition.',
    };
    const setNotNull: Migration = {
      name: slug(`set ${t.name} ${to} not null`),
      transaction: 'transaction',
      up: [
        ifNotNullCheckExists(t, to, setNotNullFromCheck(t, to), {
          lock: 'ACCESS EXCLUSIVE',
          comment: `If ${from} is NOT NULL: make ${to} NOT NULL without a scan (the validated check proves it), then drop the check.`,
        }),
      ],
      down: [
        {
          sql: doIf(`(${isNotNullSql(t, to)})`, unsetNotNullToCheck(t, to).map((x) => x.sql).join('\n')),
          lock: 'ACCESS EXCLUSIVE',
          comment: `Make ${to} nullable again, guarded by the NOT VALID check.`,
        },
      ],
    };
    const contract: Migration = {
      name: slug(`drop ${from} from ${t.name} after rename to ${to}`),
      transaction: 'transaction',
      up: [
        triggerPresentGuard(t, syncTriggerName(t, from, to), expandTitle),
        columnsEqualGuard(t, pendingFwd, from, to, backfillTitle),
        ...dropSyncTrigger(t, from, to),
        copyDefault(
          t,
          from,
          to,
          `Give ${to} the default ${from} had (only now: while both columns exist, a default on ${to} would overwrite what old code writes).`,
        ),
        dropColumn(t, from, false, `Drop ${from}: every value lives in ${to}.`),
      ],
      down: [
        addColumnLike(t, to, from, null, `Re-add ${from} with the type of ${to}.`),
        copyDefault(t, to, from, `Give ${from} back the default ${to} has.`),
        copyAllValues(t, to, from, `Copy every value back into ${from} (one statement: see the warning above).`),
        setNotNullLike(t, from, to, `Restore NOT NULL on ${from} if ${to} has it.`),
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

    return {
      operation: 'rename-column',
      name: slug(`rename ${base}`),
      title: `Rename ${tl}.${from} to ${to}`,
      schema: t.schema,
      table: t.name,
      settings: s,
      hazards: ['rename-indexes-not-copied', 'rename-insert-null-with-default', 'rename-contract-rollback-copies-table'],
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
        {
          kind: 'migrate',
          key: 'tighten',
          title: `Tighten: carry NOT NULL over to ${to} (when ${from} has it)`,
          why: 'VALIDATE scans without blocking writes; SET NOT NULL then needs no scan.',
          migrations: [validate, setNotNull],
          verify: [
            { sql: sameNotNullSql(t, to, from), expect: `true (${to} and ${from} agree on NOT NULL)`, expectValue: true },
            {
              sql: indexesOnColumnSql(t, from),
              expect: `NULL, or the indexes on ${from} you have re-created on ${to} (they are dropped with ${from})`,
            },
          ],
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
          migrations: [contract],
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
    if (F.name === F.column) {
      // The field is the column: the new column gets its own field, the old one is ignored, then removed.
      const ignored = addAttr(lineOf(F), '@ignore');
      const final = joinLine(withDefault(optional(twinDecl, F.optional), def));
      step('switch', replace(M, [lineOf(F)], [ignored]));
      step('contract', replace(M, [ignored, tight], [final]), ...blocks.map((b) => replace(M, [b], [])));
      summary = `added ${twin(true).trim()} beside ${F.name} in model ${M}`;
    } else {
      // The field already has its own name (@map): it keeps it and switches its @map to the new
      // column, so code keeps using ${F.name}; the old column stays as an ignored field until dropped.
      const switched = joinLine(mapTo(without(f0, 'default', 'unique', 'id'), to));
      const oldName = fieldName(from, new Set([...model.fields.map((x) => x.name), twinDecl.name]));
      const ignoredOld = joinLine(withAttr(mapTo({ ...without(f0, 'map'), name: oldName, comment: '' }, from), '@ignore'));
      const final = joinLine(withDefault(splitLine(switched), def));
      const renamed = blocks.map((b) => b.replace(new RegExp(`\\b${F.name}\\b`, 'g'), oldName));
      step('switch', replace(M, [lineOf(F), tight], [switched, ignoredOld]), ...blocks.map((b, i) => replace(M, [b], [renamed[i]])));
      step('contract', replace(M, [switched, ignoredOld], [final]), ...renamed.map((b) => replace(M, [b], [])));
      summary = `added ${twin(true).trim()} beside ${F.name} in model ${M}; ${F.name} moves to ${to} in the switch phase`;
    }
    if (blocks.length || f0.attrs.some(isAttr('unique')))
      notes.push(`indexes on ${from} are dropped with it: re-create the ones you need on ${to} (migscaffold add-index) before the contract phase`);
    return { summary };
  },
  rehearsal: {
    cases: [{ name: 'rename', args: ['--table', 'users', '--from', 'name', '--to', 'full_name'] }],
    seed: (a) => [{ name: String(a.from), type: 'text', notNull: true }],
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

export type { TableRef };
