/**
 * add-column: the cheap form whenever PostgreSQL allows it (nullable, or a constant default,
 * metadata-only since PG 11), otherwise add nullable, backfill in batches, then NOT NULL through a
 * NOT VALID check.
 */
import { keyColumns, columnField, expressionField, keyField, parseTable, tableField, typeProblem } from '../src/fields.js';
import { enumForType, fieldDeclaration, insertAfter, prismaDefault, prismaType, replace } from '../src/project/prisma-edit.js';
import { defineOperation } from '../src/operation.js';
import { naiveDeploy, naiveMigrate } from '../src/bench-scenario.js';
import {
  addColumn as addColumnStatement,
  setDefault,
  backfill,
  backfillFinishedGuard,
  columnExistsSql,
  isNotNullSql,
  label,
  notNullMigrations,
  dropColumn,
} from '../src/plan/recipes/index.js';
import type { Migration, Phase, Plan, Statement } from '../src/plan/types.js';
import type { HazardKey } from '../src/messages/hazards.js';
import { quoteIdent, slug } from '../src/sql/ident.js';
import { isVolatileDefault } from '../src/sql/volatility.js';
import { errors } from '../src/messages/errors.js';

export const addColumn = defineOperation({
  name: 'add-column',
  summary: 'Add a column; NOT NULL and volatile defaults go through a batched backfill',
  examples: [
    { name: 'nullable', args: ['--table', 'users', '--column', 'phone', '--type', 'text'] },
    { name: 'backfill-not-null', args: ['--table', 'users', '--column', 'email_lower', '--type', 'text', '--backfill', 'lower(email)', '--not-null'] },
    { name: 'default-not-null', args: ['--table', 'users', '--column', 'plan', '--type', 'text', '--default', "'free'", '--not-null'] },
    { name: 'volatile-default', args: ['--table', 'users', '--column', 'token', '--type', 'uuid', '--default', 'gen_random_uuid()'] },
  ],
  fields: [
    tableField,
    columnField('column', 'New column name', 'new-column'),
    {
      name: 'type',
      kind: 'string',
      message: 'Column type (text, bigint, timestamptz, varchar(255), ...)',
      sql: 'type',
      required: true,
      validate: (v) => (typeof v === 'string' ? typeProblem(v) : 'expected a type'),
    },
    expressionField('default', 'Default, as a SQL expression (empty for none)'),
    { name: 'not-null', kind: 'boolean', message: 'NOT NULL?', required: false, default: false },
    expressionField('backfill', 'Value for existing rows, as a SQL expression over the row (empty for none)'),
    keyField,
  ],
  check(a) {
    const def = a.default ? String(a.default) : '';
    if (a['not-null'] && !def && !a.backfill) throw errors.notNullNeedsValue();
  },
  plan(a, s): Plan {
    const t = parseTable(String(a.table));
    const column = String(a.column);
    const type = String(a.type);
    const def = a.default ? String(a.default) : undefined;
    const notNull = Boolean(a['not-null']);
    const fill = a.backfill ? String(a.backfill) : undefined;
    const key = a.key ? keyColumns(String(a.key)) : undefined;
    const C = quoteIdent(column);
    const volatile = def !== undefined && isVolatileDefault(def);
    const hazards: HazardKey[] = ['add-column-down-drops-data'];
    const tl = label(t);
    const name = slug(`add ${column} to ${t.name}`);
    const down = [dropColumn(t, column, true, undefined, type)];
    const planOf = (phases: Phase[]): Plan => ({
      operation: 'add-column',
      name,
      title: `Add ${tl}.${column}`,
      schema: t.schema,
      table: t.name,
      settings: s,
      hazards,
      phases,
    });

    // The cheap, complete case: one metadata-only statement.
    if (!fill && !volatile) {
      const add = addColumnStatement(t, column, type, {
        default: def,
        notNull,
        comment: def
          ? 'A non-volatile default is stored in the catalog (PostgreSQL 11+): no table rewrite.'
          : 'Nullable with no default: catalog-only, instant once the lock is granted.',
      });
      return planOf([
          {
            kind: 'migrate',
            key: 'add',
            title: `Add ${column}`,
            why: 'Old code ignores the new column; it is safe to ship before the code that uses it.',
            migrations: [{ name, transaction: 'transaction', up: [add], down, downHazard: 'add-column-down-drops-data' }],
            verify: [{ sql: columnExistsSql(t, column), expect: '1 (the column exists)', expectValue: 1 }],
          },
          useColumnPhase(tl, column, notNull),
      ]);
    }

    if (volatile) hazards.unshift('volatile-default');
    const up: Statement[] = [addColumnStatement(t, column, type, { comment: 'Nullable, no default: catalog-only. Existing rows are filled by the backfill.' })];
    if (def)
      up.push(
        setDefault(
          t,
          column,
          def,
          volatile
            ? 'SET DEFAULT applies to new rows only, so even a volatile default rewrites nothing.'
            : 'New rows get the default; existing rows are filled by the backfill.',
        ),
      );
    const expand: Migration = { name, transaction: 'transaction', up, down, downHazard: 'add-column-down-drops-data' };
    const bf = backfill({
      name: slug(`backfill ${t.name} ${column}`),
      table: t,
      key,
      set: { column, expr: fill ?? def! },
      pending: `t.${C} IS NULL`,
      description: `${column} = ${fill ?? def}`,
      batchSize: s.batchSize,
      pauseMs: s.pauseMs,
      lockTimeout: s.lockTimeout,
    });

    const phases: Phase[] = [
      {
        kind: 'migrate',
        key: 'expand',
        title: `Add ${column} (nullable${def ? ', default for new rows' : ''})`,
        why: 'Instant: no scan, no rewrite. Old code keeps working.',
        migrations: [expand],
        verify: [{ sql: columnExistsSql(t, column), expect: '1 (the column exists)', expectValue: 1 }],
      },
    ];
    // Without a default, rows the old code writes from now on arrive NULL: the new code must write the
    // column before the backfill, which fills only the rows that exist when it starts.
    if ((notNull || fill) && !def)
      phases.push({
        kind: 'deploy',
        key: 'write',
        title: `Deploy code that writes ${column} on every insert and update`,
        why: notNull
          ? 'Otherwise rows written during the backfill arrive NULL and the NOT NULL check refuses them.'
          : 'Otherwise rows written from now on arrive NULL, and the backfill, which fills the rows that exist when it starts, leaves them so.',
        code: { kind: 'write-column', table: tl, column },
        verify: [],
      });
    const backfillTitle = `Backfill ${column} for existing rows`;
    phases.push({
      kind: 'backfill',
      key: 'backfill',
      title: backfillTitle,
      why: 'Keyset batches, one short transaction each: no long row locks, no WAL burst.',
      backfill: bf,
      verify: [{ sql: bf.remainingSql, expect: '0 rows left', expectValue: 0 }],
      undo: "nothing to undo: the previous phase's rollback removes the column and the values with it.",
    });
    if (notNull)
      phases.push({
        kind: 'migrate',
        key: 'tighten',
        title: `Make ${column} NOT NULL without a long lock`,
        why: 'CHECK NOT VALID is instant, VALIDATE scans without blocking writes, SET NOT NULL then needs no scan.',
        migrations: notNullMigrations(t, column, backfillFinishedGuard(t, `t.${C} IS NULL`, bf.description, backfillTitle)),
        verify: [{ sql: isNotNullSql(t, column), expect: 'true', expectValue: true }],
      });
    phases.push(useColumnPhase(tl, column, notNull));
    return planOf(phases);
  },
  declared: () => null,
  prisma(ctx, a) {
    const { M, enums, table, notes, step, lastField, model } = ctx;
    const column = String(a.column);
    const sqlType = String(a.type);
    const type = prismaType(sqlType, enums);
    const def = a.default ? String(a.default) : undefined;
    const notNull = Boolean(a['not-null']);
    const serial = /^(small|big)?serial[248]?$/i.test(sqlType.trim());
    const d = serial ? { attr: '@default(autoincrement())', literal: true } : def ? prismaDefault(def, type, enumForType(sqlType, enums)) : undefined;
    if (d && !d.literal)
      notes.push(
        `${d.attr} is compared as text with what PostgreSQL stores: if \`prisma migrate dev\` proposes a SET DEFAULT for ${column}, copy the expression from \`SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef WHERE adrelid = '${table}'::regclass\``,
      );
    const cheap = !a.backfill && !(def && isVolatileDefault(def));
    const [head, ...native] = type.split(' ');
    const decl = (opt: boolean) => fieldDeclaration(model, column, [opt ? `${head}?` : head, ...(d ? [d.attr] : []), ...native].join(' '));
    const first = decl(!(cheap && notNull));
    step(cheap ? 'add' : 'expand', insertAfter(M, lastField(), [first]));
    if (!cheap && notNull) step('tighten', replace(M, [first], [decl(false)]));
    const summary = `added ${first.trim()} to model ${M}`;
    return { summary };
  },
  rehearsal: {
    cases: [
      { name: 'nullable', args: ['--table', 'users', '--column', 'nickname', '--type', 'text'] },
      { name: 'NOT NULL with a constant default', args: ['--table', 'users', '--column', 'score', '--type', 'integer', '--not-null', '--default', '0'] },
      { name: 'volatile default', args: ['--table', 'users', '--column', 'token', '--type', 'uuid', '--default', 'gen_random_uuid()'] },
      { name: '--not-null --backfill', args: ['--table', 'users', '--column', 'email_lower', '--type', 'text', '--not-null', '--backfill', 'lower(email)'] },
      // Nullable: old code's inserts after the expand must not be left NULL by the backfill.
      { name: '--backfill, nullable', args: ['--table', 'users', '--column', 'email_domain', '--type', 'text', '--backfill', "split_part(email, '@', 2)"] },
    ],
    seed: () => [],
    workload(answers, k) {
    const base = k.info.columns;
    const column = String(answers.column);
    const type = String(answers.type);
    const fill = answers.backfill ? String(answers.backfill) : answers.default ? String(answers.default) : k.valueOf(type) ?? `NULL::${type}`;
    const value = `(${fill})`;
    const ins = k.insertShape(base, { column, value });
    return {
      info: k.info,
      old: k.plain,
      new: { read: [...k.names(base), column], insert: ins, update: [...k.neutralSet, { column, value }] },
      newShareAt: (p, stage) => (p.kind === 'deploy' && stage === 'start' && (p.code.kind === 'write-column' || p.code.kind === 'use-new-column') ? 1 : undefined),
      describe: `old code ignores ${column}; new code writes ${column} = ${fill} on every insert and update and reads it`,
    };
    },
  },
  bench: [
    {
      name: 'add-column-volatile',
      label: 'add-column token uuid DEFAULT gen_random_uuid()',
      args: ['--table', 'users', '--column', 'token', '--type', 'uuid', '--default', 'gen_random_uuid()'],
      answers: { table: 'users', column: 'token', type: 'uuid', default: 'gen_random_uuid()', 'not-null': false, key: 'id' },
      naiveSummary: '`ADD COLUMN token uuid DEFAULT gen_random_uuid()` (table rewrite under ACCESS EXCLUSIVE)',
      naive: [
        naiveMigrate('add', 'ADD COLUMN ... DEFAULT gen_random_uuid()', 'ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();', 'ACCESS EXCLUSIVE'),
        naiveDeploy('use', 'Deploy code that uses token', { kind: 'use-new-column', table: 'users', column: 'token', notNull: false }),
      ],
    },
    {
      name: 'add-column-not-null',
      label: 'add-column display_name text NOT NULL, backfill upper(name)',
      args: ['--table', 'users', '--column', 'display_name', '--type', 'text', '--not-null', '--backfill', 'upper(name)'],
      answers: { table: 'users', column: 'display_name', type: 'text', 'not-null': true, backfill: 'upper(name)', key: 'id' },
      naiveSummary: '`ADD COLUMN`, one `UPDATE` over the whole table, then `SET NOT NULL` directly',
      naive: [
        naiveMigrate('add', 'ADD COLUMN display_name text', 'ALTER TABLE users ADD COLUMN display_name text;', 'ACCESS EXCLUSIVE'),
        naiveDeploy('write', 'Deploy code that writes display_name', { kind: 'write-column', table: 'users', column: 'display_name' }),
        naiveMigrate('update', 'One UPDATE over the whole table', 'UPDATE users SET display_name = upper(name);', 'ROW EXCLUSIVE'),
        naiveMigrate('set-not-null', 'SET NOT NULL directly (scan under ACCESS EXCLUSIVE)', 'ALTER TABLE users ALTER COLUMN display_name SET NOT NULL;', 'ACCESS EXCLUSIVE'),
        naiveDeploy('use', 'Deploy code that uses display_name', { kind: 'use-new-column', table: 'users', column: 'display_name', notNull: true }),
      ],
    },
  ],
});

function useColumnPhase(table: string, column: string, notNull: boolean): Phase {
  return {
    kind: 'deploy',
    key: 'use',
    title: `Deploy code that uses ${column}`,
    why: 'The column is complete: code may read it and rely on its constraints.',
    code: { kind: 'use-new-column', table, column, notNull },
    verify: [],
  };
}
