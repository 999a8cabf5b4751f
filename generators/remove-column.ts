/**
 * remove-column: code stops using the column first, then the column is dropped. A NOT NULL column
 * without a default is relaxed before that deploy, or the new code's inserts would fail.
 */
import { columnField, expressionField, parseTable, tableField, typeProblem } from '../src/fields.js';
import type { Operation } from '../src/operation.js';
import { addColumn, columnExistsSql, dropColumn, dropNotNull, isNotNullSql, label, setNotNullUnlessNulls } from '../src/plan/recipes/index.js';
import type { Phase, Plan } from '../src/plan/types.js';
import { slug } from '../src/sql/ident.js';

export const removeColumn: Operation = {
  name: 'remove-column',
  summary: 'Drop a column after the code stops using it; the down re-creates it (without its data)',
  fields: [
    tableField,
    columnField('column', 'Column to remove'),
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
            up: [dropColumn(t, column)],
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
};
