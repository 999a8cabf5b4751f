/**
 * remove-column: code stops using the column first, then the column is dropped. A NOT NULL column
 * without a default is relaxed before that deploy, or the new code's inserts would fail.
 */
import { columnField, expressionField, parseTable, tableField, typeProblem } from '../src/fields.js';
import { addAttr, blockLinesUsing, fieldForColumn, replace, setOptional } from '../src/project/prisma-edit.js';
import { errors } from '../src/messages/errors.js';
import { defineOperation } from '../src/operation.js';
import { naiveDeploy, naiveMigrate } from '../src/bench-scenario.js';
import { addColumn, columnExistsSql, dropColumn, dropNotNull, isNotNullSql, label, qualified, setNotNullUnlessNulls } from '../src/plan/recipes/index.js';
import type { Phase, Plan } from '../src/plan/types.js';
import { slug } from '../src/sql/ident.js';

export const removeColumn = defineOperation({
  name: 'remove-column',
  summary: 'Drop a column after the code stops using it; the down re-creates it (without its data)',
  examples: [
    { name: 'nullable', args: ['--table', 'users', '--column', 'legacy_code', '--type', 'varchar(20)'] },
    { name: 'not-null', args: ['--table', 'users', '--column', 'legacy_code', '--type', 'varchar(20)', '--not-null'] },
  ],
  fields: [
    tableField,
    columnField('column', 'Column to remove', 'existing-column'),
    {
      name: 'type',
      kind: 'string',
      message: 'Its type, so the down migration can re-create it',
      sql: 'type',
      required: true,
      validate: (v) => (typeof v === 'string' ? typeProblem(v) : 'expected a type'),
    },
    {
      name: 'not-null',
      kind: 'boolean',
      message: 'Is it NOT NULL today (without a default)?',
      required: false,
      default: false,
    },
    expressionField('default', 'Its default, so the down can restore it (empty for none)'),
  ],
  plan(a, s): Plan {
    const t = parseTable(String(a.table));
    const column = String(a.column);
    const type = String(a.type);
    const def = a.default ? String(a.default) : undefined;
    const notNull = Boolean(a['not-null']);
    const tl = label(t);
    const phases: Phase[] = [];
    if (notNull && !def)
      phases.push({
        kind: 'migrate',
        key: 'relax',
        title: `Allow NULL in ${column}`,
        why: 'Code that no longer writes the column must still be able to insert rows.',
        migrations: [
          {
            name: slug(`allow null in ${t.name} ${column}`),
            transaction: 'transaction',
            up: [dropNotNull(t, column, 'Catalog-only: instant once the lock is granted.')],
            down: [setNotNullUnlessNulls(t, column, tl)],
            downHazard: 'not-null-restore-needs-data',
          },
        ],
        verify: [{ sql: isNotNullSql(t, column), expect: 'false', expectValue: false }],
      });
    phases.push(
      {
        kind: 'deploy',
        key: 'ignore',
        title: `Deploy code that no longer reads or writes ${column}`,
        why: 'ORMs cache the column list: code must forget the column before it disappears.',
        code: { kind: 'stop-using-column', table: tl, column },
        verify: [],
      },
      {
        kind: 'migrate',
        key: 'drop',
        title: `Drop ${column}`,
        why: 'No running code references it any more.',
        migrations: [
          {
            name: slug(`remove ${column} from ${t.name}`),
            transaction: 'transaction',
            up: [dropColumn(t, column, false, undefined, type)],
            down: [addColumn(t, column, type, { default: def, comment: 'Re-creates the column; the values it held are not restored.' })],
            downHazard: 'drop-column-data-loss',
          },
        ],
        verify: [{ sql: columnExistsSql(t, column), expect: '0 (the column is gone)', expectValue: 0 }],
      },
    );
    return {
      operation: 'remove-column',
      name: slug(`remove ${column} from ${t.name}`),
      title: `Remove ${tl}.${column}`,
      schema: t.schema,
      table: t.name,
      settings: s,
      hazards: ['drop-column-data-loss', ...(notNull && !def ? (['not-null-restore-needs-data'] as const) : [])],
      phases,
    };
  },
  declared(a, t) {
    return t.primaryKey.includes(String(a.column)) ? `${a.column} is (part of) the primary key: dropping it is not a zero-downtime change` : null;
  },
  prisma(ctx, a) {
    const { M, model, lines, phases, steps, step, lineOf } = ctx;
    const column = String(a.column);
    const F = fieldForColumn(model, column);
    if (!F) return { unchanged: `model ${M} has no field for column ${column}` };
    let cur = lineOf(F);
    if (phases.includes('relax') && !F.optional) {
      const relaxed = setOptional(cur, true);
      step('relax', replace(M, [cur], [relaxed]));
      cur = relaxed;
    }
    if (!/@ignore\b/.test(F.attrs)) {
      const ignored = addAttr(cur, '@ignore');
      step('ignore', replace(M, [cur], [ignored]));
      cur = ignored;
    }
    step('drop', replace(M, [cur], []), ...blockLinesUsing(lines, model, F.name).map((b) => replace(M, [b], [])));
    const summary = steps[0].phase === 'relax' ? `made ${M}.${F.name} optional` : steps[0].phase === 'ignore' ? `marked ${M}.${F.name} @ignore` : `${M}.${F.name} is already @ignore`;
    return { summary };
  },
  rehearsal: {
    cases: [
      { name: 'nullable', args: ['--table', 'users', '--column', 'bio', '--type', 'text'] },
      { name: 'NOT NULL without default', args: ['--table', 'users', '--column', 'legacy_code', '--type', 'text', '--not-null'] },
    ],
    seed: (a) => [{ name: String(a.column), type: String(a.type), notNull: Boolean(a['not-null']), default: a.default ? String(a.default) : undefined }],
    workload(answers, k) {
    const base = k.info.columns;
    const column = String(answers.column);
    const col = k.byName(column);
    if (!col) throw errors.rehearseMissingColumn(column, qualified(k.info.table), 'column');
    const v = k.appValue(col);
    const rest = base.filter((c) => c.name !== column);
    return {
      info: k.info,
      old: { ...k.plain, update: v ? [...k.neutralSet, { column, value: v }] : k.neutralSet },
      new: { read: k.names(rest), insert: k.insertShape(rest), update: k.neutralSet },
      newShareAt: (p, stage) => (p.kind === 'deploy' && stage === 'start' && p.code.kind === 'stop-using-column' ? 1 : undefined),
      describe: `old code reads and writes ${column}; after the ignore deploy nobody touches it`,
    };
    },
  },
  bench: [
    {
      name: 'remove-column',
      label: 'remove-column users.bio',
      args: ['--table', 'users', '--column', 'bio', '--type', 'text'],
      answers: { table: 'users', column: 'bio', type: 'text', 'not-null': false },
      naiveSummary: '`DROP COLUMN` while old code still runs, then deploy the new code',
      naive: [
        naiveMigrate('drop', 'DROP COLUMN bio', 'ALTER TABLE users DROP COLUMN bio;', 'ACCESS EXCLUSIVE'),
        naiveDeploy('ignore', 'Deploy code that no longer uses bio', { kind: 'stop-using-column', table: 'users', column: 'bio' }),
      ],
    },
  ],
});
