/**
 * add-foreign-key: an index on the referencing columns built CONCURRENTLY first (unless --no-index),
 * then the constraint added NOT VALID (a catalog change: SHARE ROW EXCLUSIVE on both tables, no scan),
 * then VALIDATE in a transaction of its own (SHARE UPDATE EXCLUSIVE, ROW SHARE on the referenced table:
 * writes to both go on), then the code that relies on it.
 *
 * Whether the index exists already is decided in SQL, at migration time, the same way for every target:
 * the build is `CREATE INDEX CONCURRENTLY IF NOT EXISTS` (Alembic and Rails first drop an INVALID
 * leftover of that name, through the migration's cleanup), and the NOT VALID migration starts with a
 * guard that refuses, before any lock, unless a valid btree index leads with the referencing columns.
 * That makes IF NOT EXISTS safe: the INVALID leftover or the same-named index on other columns it
 * would skip silently is caught there, with what to do. Why not skip the build from host code in
 * Alembic and Rails: a CONCURRENTLY statement cannot sit in a DO block, the Migration shape has no
 * "skip when", and the declared schema does not reach plan(). An index of another name that already leads with the columns is the user's call:
 * --no-index (the checklist says so).
 */
import { columnsField, identifierProblem, listOf, parseTable, tableField } from '../src/fields.js';
import {
  fieldForColumn,
  fieldName,
  findModel,
  insertAfter,
  lastLine,
  modelFields,
  parseModels,
} from '../src/project/prisma-edit.js';
import type { PrismaModel } from '../src/project/prisma-schema.js';
import { defineOperation, type Answers } from '../src/operation.js';
import { naiveDeploy, naiveMigrate } from '../src/bench-scenario.js';
import {
  ON_DELETE_ACTIONS,
  addForeignKeyNotValid,
  buildIndexMigration,
  constraintCountSql,
  constraintValidatedSql,
  dropForeignKey,
  foreignKeyName,
  indexValidVerify,
  label,
  leadingIndexGuard,
  leadingIndexVerify,
  orphansSql,
  qualified,
  validateForeignKey,
  type ForeignKeySpec,
  type OnDelete,
  type TableRef,
  notPartitionedGuard,
} from '../src/plan/recipes/index.js';
import { PARTITIONED_REFUSALS } from '../src/messages/guards.js';
import type { CodeChange, Phase, Plan } from '../src/plan/types.js';
import type { HazardKey } from '../src/messages/hazards.js';
import { fence, modelClassName } from '../src/targets/code-changes.js';
import { camelize } from '../src/render/strings.js';
import { objectName, quoteIdent, slug } from '../src/sql/ident.js';
import { tablePartitioned } from '../src/project/facts.js';
import { errors } from '../src/messages/errors.js';

/** `orgs(id)`, `billing.orgs(id, region)`: the referenced table and its columns. */
export function parseReference(value: string): { table: TableRef; columns: string[] } {
  const m = /^\s*([^()]+?)\s*\(([^()]*)\)\s*$/.exec(value);
  if (!m) throw new Error('write it as table(column) or table(column, column), for example orgs(id)');
  const table = parseTable(m[1]);
  const columns = listOf(m[2]);
  if (columns.length === 0) throw new Error('name the referenced column(s) inside the parentheses, for example orgs(id)');
  return { table, columns };
}

function referenceProblem(v: unknown, a: Answers): string | null {
  if (typeof v !== 'string') return 'expected table(column)';
  let r: ReturnType<typeof parseReference>;
  try {
    r = parseReference(v);
  } catch (e) {
    return (e as Error).message;
  }
  for (const n of [...(r.table.schema ? [r.table.schema] : []), r.table.name, ...r.columns]) {
    const p = identifierProblem(n);
    if (p) return `${JSON.stringify(n)}: ${p}`;
  }
  const cols = listOf(a.columns);
  if (cols.length && cols.length !== r.columns.length)
    return `it names ${r.columns.length} column${r.columns.length > 1 ? 's' : ''} and --columns names ${cols.length}: give one referenced column per referencing column, in the same order`;
  return null;
}

/** `set-null`, `SET NULL`, `set_null` all mean `set null`. */
function onDeleteOf(a: Answers): OnDelete {
  return String(a['on-delete'] ?? 'no action').toLowerCase().replace(/[\s_-]+/g, ' ').trim() as OnDelete;
}

/** Everything a plan, an idiom and a schema edit are built from. */
function specOf(a: Answers) {
  const t = parseTable(String(a.table));
  const columns = listOf(a.columns);
  const ref = parseReference(String(a.references));
  const fk: ForeignKeySpec = {
    name: a.name ? String(a.name) : foreignKeyName(t, columns),
    columns,
    references: ref.table,
    refColumns: ref.columns,
    onDelete: onDeleteOf(a),
  };
  // add-index's default name for the same columns, so the two operations agree on it.
  const index = objectName(t.name, ...columns, 'idx');
  return { t, fk, index, withIndex: !a['no-index'], self: qualified(t) === qualified(ref.table) };
}

/** What a delete of a referenced row does, in words. */
function onDeleteEffect(fk: ForeignKeySpec, tl: string): string {
  return {
    'no action': `fails (SQLSTATE 23503) while rows of ${tl} still reference it`,
    restrict: `fails (SQLSTATE 23503) while rows of ${tl} still reference it, even if the transaction would remove them later`,
    cascade: `deletes the rows of ${tl} that reference it`,
    'set null': `sets (${fk.columns.join(', ')}) to NULL in the rows of ${tl} that reference it`,
    'set default': `sets (${fk.columns.join(', ')}) to their defaults in the rows of ${tl} that reference it (the defaults must name an existing row)`,
  }[fk.onDelete ?? 'no action'];
}

/** The association names the idioms use: `org` for org_id, `users` for the way back. */
function associationNames(t: TableRef, fk: ForeignKeySpec, self: boolean): { one: string; many: string } {
  const single = fk.columns.length === 1 ? /^(.+?)_?(?:_id|Id|ID)$/.exec(fk.columns[0]) : null;
  const one = single ? single[1].replace(/_$/, '') : lowerFirst(modelClassName(fk.references.name));
  return { one, many: self ? `${t.name}_by_${one}` : t.name };
}

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);
const PRISMA_ACTIONS: Record<OnDelete, string> = { 'no action': 'NoAction', restrict: 'Restrict', cascade: 'Cascade', 'set null': 'SetNull', 'set default': 'SetDefault' };

function idioms(t: TableRef, fk: ForeignKeySpec, index: string | null, self: boolean): CodeChange {
  const tl = label(t);
  const rl = label(fk.references);
  const M = modelClassName(t.name);
  const R = modelClassName(fk.references.name);
  const { one, many } = associationNames(t, fk, self);
  const effect = onDeleteEffect(fk, tl);
  const onDelete = fk.onDelete && fk.onDelete !== 'no action' ? fk.onDelete.toUpperCase() : null;
  const target = (c: string) => `${rl}.${c}`;

  const sqlalchemy =
    fk.columns.length === 1
      ? [
          `class ${M}(Base):`,
          `    # the column as it is, with the ForeignKey added (its type and nullability unchanged)`,
          `    ${fk.columns[0]} = mapped_column(ForeignKey(${JSON.stringify(target(fk.refColumns[0]))}, name=${JSON.stringify(fk.name)}${onDelete ? `, ondelete=${JSON.stringify(onDelete)}` : ''}))`,
          `    ${one} = relationship(${JSON.stringify(R)}, back_populates=${JSON.stringify(many)}${self ? `, remote_side=[${fk.refColumns[0]}]` : ''})`,
          ...(self ? [`    ${many} = relationship(${JSON.stringify(M)}, back_populates=${JSON.stringify(one)})`] : ['', `class ${R}(Base):`, `    ${many} = relationship(${JSON.stringify(M)}, back_populates=${JSON.stringify(one)})`]),
        ].join('\n')
      : [
          `class ${M}(Base):`,
          '    __table_args__ = (',
          `        ForeignKeyConstraint([${fk.columns.map((c) => JSON.stringify(c)).join(', ')}], [${fk.refColumns.map((c) => JSON.stringify(target(c))).join(', ')}], name=${JSON.stringify(fk.name)}${onDelete ? `, ondelete=${JSON.stringify(onDelete)}` : ''}),`,
          '    )',
          `    ${one} = relationship(${JSON.stringify(R)})`,
        ].join('\n');

  const railsBelongs =
    fk.columns.length === 1
      ? [
          `class ${M} < ApplicationRecord`,
          `  belongs_to :${one}${R !== camelize(one) ? `, class_name: ${JSON.stringify(R)}` : ''}${fk.columns[0] !== `${one}_id` ? `, foreign_key: :${fk.columns[0]}` : ''}${fk.refColumns[0] !== 'id' ? `, primary_key: :${fk.refColumns[0]}` : ''}, optional: true # drop optional: true if ${fk.columns[0]} is NOT NULL`,
          ...(self ? [`  has_many :${many}, class_name: ${JSON.stringify(M)}, foreign_key: :${fk.columns[0]}, inverse_of: :${one}`] : []),
          'end',
          ...(self ? [] : ['', `class ${R} < ApplicationRecord`, `  has_many :${many}${fk.columns[0] !== `${lowerFirst(R).replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}_id` ? `, foreign_key: :${fk.columns[0]}` : ''}, inverse_of: :${one}`, 'end']),
        ].join('\n')
      : null;
  // add_foreign_key's on_delete names (Rails has none for SET DEFAULT).
  const railsOnDelete = { 'no action': null, restrict: 'restrict', cascade: 'cascade', 'set null': 'nullify', 'set default': null }[fk.onDelete ?? 'no action'];
  // Ruby literals: a symbol where one reads naturally, else a string; arrays for composite keys.
  const rb = (name: string) => (/^[a-z_][a-z0-9_]*$/.test(name) ? `:${name}` : JSON.stringify(name));
  const rbList = (names: string[]) => (names.length === 1 ? rb(names[0]) : `[${names.map(rb).join(', ')}]`);
  const addForeignKey =
    `add_foreign_key ${rb(tl)}, ${rb(rl)}, column: ${rbList(fk.columns)}` +
    `${fk.refColumns.length > 1 || fk.refColumns[0] !== 'id' ? `, primary_key: ${rbList(fk.refColumns)}` : ''}, name: ${JSON.stringify(fk.name)}` +
    `${railsOnDelete ? `, on_delete: :${railsOnDelete}` : ''}, validate: false`;
  const rails = [
    railsBelongs ? 'Declare the association:' : `ActiveRecord 6.1 has no associations over a composite key: keep querying by (${fk.columns.join(', ')}).`,
    '',
    ...(railsBelongs ? [fence('ruby', railsBelongs), ''] : []),
    `These migrations are what \`${addForeignKey}\`${fk.columns.length > 1 ? ' (composite keys: Rails 7.1 or newer)' : ''} ` +
      `followed by \`validate_foreign_key ${rb(tl)}, name: ${JSON.stringify(fk.name)}\` do${index ? `, with ${index} built concurrently first` : ''}: \`validate: false\` is the NOT VALID, ` +
      `without which Rails checks every row in the same statement while writes to both tables wait. ` +
      `After \`bin/rails db:schema:dump\`, db/schema.rb lists it in an \`add_foreign_key "${tl}", "${rl}", ...\` line${fk.onDelete === 'set default' ? ' (add_foreign_key has no on_delete for SET DEFAULT: only this SQL can create it)' : ''}. ` +
      `Deleting a row of ${rl} now ${effect}${fk.onDelete === 'cascade' ? ' (the database does it, without callbacks: add `dependent: :destroy` only if callbacks must run)' : ''}.`,
  ].join('\n');

  return {
    kind: 'idiom',
    byTarget: {
      alembic: [
        `Declare the constraint in the SQLAlchemy models, with its name, so that \`alembic revision --autogenerate\` finds it already there:`,
        '',
        fence('python', sqlalchemy),
        '',
        `Deleting a row of ${rl} now ${effect}.`,
      ].join('\n'),
      rails,
      prisma:
        `The relation belongs in schema.prisma from the NOT VALID phase on, as \`@relation(fields: [...], references: [...], onDelete: ${PRISMA_ACTIONS[fk.onDelete ?? 'no action']}, onUpdate: NoAction, map: ${JSON.stringify(fk.name)})\` ` +
        `on the ${tl} model's relation field, with a back-relation field on the ${rl} model (the schema.prisma step of that phase has the exact lines when migscaffold found both models). ` +
        `Run \`npx prisma generate\`: \`include: { ${one}: true }\` and nested writes (\`${one}: { connect: ... }\`) work from now on. Deleting a row of ${rl} now ${effect}.`,
      sql:
        `Code may rely on it now: in every row of ${tl}, (${fk.columns.join(', ')}) ${fk.columns.length > 1 ? 'has a NULL' : 'is NULL'} or names a row of ${rl}. ` +
        `Deleting a row of ${rl} ${effect}${index ? `; looking up the rows of ${tl} that reference a row of ${rl} uses ${index}` : ''}.`,
    },
  };
}

export const addForeignKey = defineOperation({
  name: 'add-foreign-key',
  summary: 'Add a foreign key without a long lock: index CONCURRENTLY, NOT VALID, then VALIDATE on its own',
  examples: [
    { name: 'plain', args: ['--table', 'users', '--columns', 'org_id', '--references', 'orgs(id)'] },
    { name: 'cascade-no-index', args: ['--table', 'users', '--columns', 'org_id', '--references', 'orgs(id)', '--on-delete', 'cascade', '--no-index'] },
    {
      name: 'composite-set-null',
      args: ['--table', 'billing.invoices', '--columns', 'org_id,region', '--references', 'billing.orgs(id,region)', '--on-delete', 'set null', '--name', 'invoices_org_fk'],
    },
  ],
  fields: [
    tableField,
    columnsField(true, 'Referencing columns, comma-separated'),
    {
      name: 'references',
      kind: 'string',
      message: 'Referenced table and columns, as table(column) or table(column, column)',
      required: true,
      validate: referenceProblem,
    },
    {
      name: 'on-delete',
      kind: 'string',
      message: `What deleting a referenced row does: ${ON_DELETE_ACTIONS.join(', ')}`,
      required: false,
      default: 'no action',
      choices: ON_DELETE_ACTIONS,
      validate: (v) => (ON_DELETE_ACTIONS.includes(onDeleteOf({ 'on-delete': v })) ? null : `use one of ${ON_DELETE_ACTIONS.join(', ')}`),
    },
    {
      name: 'name',
      kind: 'string',
      message: 'Constraint name (empty: <table>_<columns>_fkey)',
      required: false,
      validate: (v) => (v === undefined || v === '' ? null : identifierProblem(String(v))),
    },
    {
      name: 'no-index',
      kind: 'boolean',
      message: 'Skip the index on the referencing columns (one that starts with them exists already)?',
      required: false,
      default: false,
    },
  ],
  check(a) {
    if (tablePartitioned(a)) throw errors.partitionedRefused(PARTITIONED_REFUSALS.foreignKeyFrom(label(parseTable(String(a.table))), 'generation'));
  },
  plan(a, s): Plan {
    const { t, fk, index, withIndex, self } = specOf(a);
    const tl = label(t);
    const rl = label(fk.references);
    const cols = fk.columns.join(', ');
    const indexTitle = `Build ${index} concurrently`;
    const phases: Phase[] = [];
    if (withIndex)
      phases.push({
        kind: 'migrate',
        key: 'index',
        title: indexTitle,
        why:
          `Once the key exists, deleting a row of ${rl} looks for rows of ${tl} by (${cols}); without an index that is a scan of ${tl}. ` +
          `CONCURRENTLY blocks no writes. If ${tl} already has an index that starts with (${cols}), generate again with --no-index.`,
        migrations: [
          { ...buildIndexMigration(t, { name: index, columns: fk.columns, ifNotExists: true }), downHazard: 'foreign-key-index-if-not-exists' },
        ],
        verify: [indexValidVerify(t, index), leadingIndexVerify(t, fk.columns)],
      });
    phases.push(
      {
        kind: 'migrate',
        key: 'constrain',
        title: `Add ${fk.name} NOT VALID`,
        why:
          `From this commit on, every write of ${tl} (${cols}) must match a row of ${rl} (SQLSTATE 23503 otherwise), and deleting a row of ${rl} ${onDeleteEffect(fk, tl)}. ` +
          'Rows already there are not checked yet, so the lock on both tables lasts only as long as the catalog change.',
        migrations: [
          {
            name: slug(`add ${fk.name} not valid`),
            transaction: 'transaction',
            up: [
              notPartitionedGuard(t, PARTITIONED_REFUSALS.foreignKeyFrom(tl)),
              ...(withIndex ? [leadingIndexGuard(t, fk.columns, index, indexTitle)] : []),
              addForeignKeyNotValid(t, fk),
            ],
            down: [dropForeignKey(t, fk)],
          },
        ],
        verify: [
          { sql: constraintCountSql(t, fk.name), expect: '1 (the constraint exists)', expectValue: 1 },
          {
            sql: orphansSql(t, fk),
            expect: `0 rows of ${tl} whose (${cols}) matches no row of ${rl}: VALIDATE fails on the first one, so fix them before the next phase (see "VALIDATE fails on rows that reference nothing" above)`,
            expectValue: 0,
          },
        ],
      },
      {
        kind: 'migrate',
        key: 'validate',
        title: `Validate ${fk.name}`,
        why: `In a transaction of its own, the scan holds SHARE UPDATE EXCLUSIVE on ${tl}${self ? '' : ` and ROW SHARE on ${rl}`}: reads and writes go on.`,
        migrations: [
          {
            name: slug(`validate ${fk.name}`),
            transaction: 'transaction',
            up: [validateForeignKey(t, fk)],
            // PostgreSQL has no way back to NOT VALID but to re-create the constraint that way.
            down: [
              dropForeignKey(t, fk, `Back to NOT VALID, which PostgreSQL can only do by re-creating the constraint: drop it (brief ACCESS EXCLUSIVE on both tables)...`),
              addForeignKeyNotValid(t, fk, '...and add it again NOT VALID, in the same transaction: no scan, and no moment without the check.'),
            ],
          },
        ],
        verify: [{ sql: constraintValidatedSql(t, fk.name), expect: 'true (every row checked)', expectValue: true }],
      },
      {
        kind: 'deploy',
        key: 'use',
        title: `Deploy code that relies on ${fk.name}`,
        why: `The database now guarantees that every row of ${tl} references an existing row of ${rl} (or has a NULL in its key): the models can say so.`,
        code: idioms(t, fk, withIndex ? index : null, self),
        verify: [],
      },
    );
    const hazards: HazardKey[] = [
      'foreign-key-locks-both-tables',
      'foreign-key-orphans',
      ...(withIndex ? (['concurrent-index-no-lock-timeout', 'invalid-index-leftover'] as const) : (['foreign-key-no-index'] as const)),
    ];
    return {
      operation: 'add-foreign-key',
      name: slug(`add foreign key ${fk.name}`),
      title: `Add foreign key ${fk.name}: ${tl} (${cols}) -> ${rl} (${fk.refColumns.join(', ')})`,
      schema: t.schema,
      table: t.name,
      ...(self ? {} : { otherTables: [fk.references] }),
      settings: s,
      hazards,
      phases,
    };
  },
  declared(a, table) {
    // Only the referencing table is known here; a self-reference names its columns too.
    const { fk, self } = specOf(a);
    if (!self) return null;
    const missing = fk.refColumns.find((c) => !table.columns.has(c));
    return missing ? `${missing} does not exist, and --references names it: check --references` : null;
  },
  prisma(ctx, a) {
    const { M, model, lines, notes, step } = ctx;
    const { t, fk, index, withIndex, self } = specOf(a);
    const target = self ? model : findModel(parseModels(lines.join('\n')), fk.references.name);
    const action = PRISMA_ACTIONS[fk.onDelete ?? 'no action'];
    const byHand = `add a relation field with @relation(fields: [...], references: [...], onDelete: ${action}, onUpdate: NoAction, map: ${JSON.stringify(fk.name)}) and its back-relation by hand`;
    if (!target) return { unchanged: `no model for ${label(fk.references)} in the file of model ${M}: ${byHand}` };
    const fields = fk.columns.map((c) => fieldForColumn(model, c));
    const refFields = fk.refColumns.map((c) => fieldForColumn(target, c));
    if (fields.some((f) => !f) || refFields.some((f) => !f))
      return { unchanged: `model ${M} or ${target.name} has no field for one of the columns: ${byHand}` };
    const names = (fs: typeof fields) => fs.map((f) => f!.name).join(', ');

    if (withIndex) step('index', insertAfter(M, lastLine(lines, model), [`${model.indent}@@index([${names(fields)}], map: ${JSON.stringify(index)})`]));

    const own = modelFields(lines, model);
    const theirs = self ? own : modelFields(lines, target);
    const { one } = associationNames(t, fk, self);
    const relField = fieldName(lowerFirst(camelize(one)), new Set(own.map((f) => f.name)));
    // `users` on Org; `usersByManager` where `users` would be unclear (a self-relation) or is taken.
    const theirNames = new Set([...theirs.map((f) => f.name), ...(self ? [relField] : [])]);
    const plural = lowerFirst(camelize(t.name));
    const backField = fieldName(self || theirNames.has(plural) ? lowerFirst(camelize(`${t.name}_by_${one}`)) : plural, theirNames);
    // Prisma needs a relation name where two relations join the same models (a self-relation always).
    const ambiguous = self || own.some((f) => f.type === target.name) || theirs.some((f) => f.type === M);
    const relName = ambiguous ? `${JSON.stringify(fk.name)}, ` : '';
    const optional = fields.some((f) => f!.optional);
    if (fk.onDelete === 'set null' && !optional)
      notes.push(
        `onDelete: SetNull on required ${names(fields)}: Prisma warns about it, and PostgreSQL refuses the first delete of a referenced row (a NULL into a NOT NULL column); make them optional first, or choose another --on-delete`,
      );
    const relLine = `${model.indent}${relField} ${target.name}${optional ? '?' : ''} @relation(${relName}fields: [${names(fields)}], references: [${names(refFields)}], onDelete: ${action}, onUpdate: NoAction, map: ${JSON.stringify(fk.name)})`;
    const backLine = `${target.indent}${backField} ${M}${isUnique(lines, model, fields.map((f) => f!.name)) ? '?' : '[]'}${ambiguous ? ` @relation(${JSON.stringify(fk.name)})` : ''}`;
    // After the model's last field, relation fields included.
    if (self) step('constrain', insertAfter(M, own[own.length - 1].line, [relLine, backLine]));
    else step('constrain', insertAfter(M, own[own.length - 1].line, [relLine]), insertAfter(target.name, theirs[theirs.length - 1].line, [backLine]));
    return { summary: `${withIndex ? `added @@index([${names(fields)}]) to model ${M}; ` : ''}the relation ${M}.${relField} / ${target.name}.${backField} comes with the NOT VALID phase` };
  },
  rehearsal: {
    cases: [
      { name: 'self-reference, index first', args: ['--table', 'users', '--columns', 'manager_id', '--references', 'users(id)'] },
      { name: '--no-index --on-delete set null', args: ['--table', 'users', '--columns', 'manager_id', '--references', 'users(id)', '--no-index', '--on-delete', 'set null'] },
    ],
    // A self-reference points at rows that exist (keys are 1..rows and g / 10 < g); another table's
    // keys are unknown here, so those rows start with none (NULL), and the app writes real ones.
    seed: (a) => listOf(a.columns).map((name) => ({ name, type: 'bigint', value: specOf(a).self ? 'NULLIF(g / 10, 0)' : 'NULL' })),
    workload(answers, k) {
      const { t, fk, self } = specOf(answers);
      const firstRef = (c: string) =>
        `(SELECT p.${quoteIdent(c)} FROM ${qualified(fk.references)} AS p ORDER BY ${fk.refColumns.map((r) => `p.${quoteIdent(r)}`).join(', ')} LIMIT 1)`;
      // A value that always references an existing row: the row itself (self-reference), or the
      // referenced table's first row.
      const refValue = (i: number) => (self ? `t.${quoteIdent(fk.refColumns[i])}` : firstRef(fk.refColumns[i]));
      const rest = k.info.columns.filter((c) => !fk.columns.includes(c.name));
      const insert = k.insertShape(rest);
      const writes = fk.columns.map((c, i) => ({ column: c, value: refValue(i) }));
      const neutral = k.neutralSet.filter((u) => !fk.columns.includes(u.column));
      const shape = {
        read: k.names(k.info.columns),
        insert: insert && [...insert, ...fk.columns.map((c, i) => ({ column: c, value: firstRef(fk.refColumns[i]), overRow: true }))],
        update: [...neutral, ...writes],
      };
      return {
        info: k.info,
        old: shape,
        new: { ...shape, lookup: { columns: fk.columns } },
        newShareAt: (p, stage) => (p.kind === 'deploy' && stage === 'start' && p.key === 'use' ? 1 : undefined),
        describe: `both read by key, insert rows referencing an existing ${label(fk.references)} row and update ${shape.update.map((u) => u.column).join(', ')} (the key to an existing row); after the use deploy new code also looks ${label(t)} rows up by (${fk.columns.join(', ')})`,
      };
    },
  },
  bench: [
    {
      name: 'add-foreign-key',
      label: 'add-foreign-key users(manager_id) -> users(id)',
      args: ['--table', 'users', '--columns', 'manager_id', '--references', 'users(id)'],
      answers: { table: 'users', columns: ['manager_id'], references: 'users(id)', 'on-delete': 'no action', 'no-index': false },
      naiveSummary: '`ADD CONSTRAINT ... FOREIGN KEY` validated at once (SHARE ROW EXCLUSIVE held through the scan), no index',
      naive: [
        naiveMigrate(
          'add-foreign-key',
          'ADD CONSTRAINT ... FOREIGN KEY, validated at once',
          'ALTER TABLE users ADD CONSTRAINT users_manager_id_fkey FOREIGN KEY (manager_id) REFERENCES users (id);',
          'SHARE ROW EXCLUSIVE',
        ),
        naiveDeploy('use', 'Deploy code that relies on users_manager_id_fkey', benchIdiom()),
      ],
    },
  ],
});

function benchIdiom(): CodeChange {
  const { t, fk, self } = specOf({ table: 'users', columns: ['manager_id'], references: 'users(id)' });
  return idioms(t, fk, null, self);
}

/** True when the fields are exactly the model's @id, a @unique field, or an @@unique / @@id list. */
function isUnique(lines: string[], m: PrismaModel, names: string[]): boolean {
  if (names.length === 1) {
    const f = m.fields.find((x) => x.name === names[0]);
    if (f && (f.isId || /(^|\s)@unique\b/.test(f.attrs))) return true;
  }
  const want = [...names].sort().join(',');
  return lines
    .slice(m.open + 1, m.close)
    .some((l) => {
      const b = /^\s*@@(?:unique|id)\(\s*(?:fields:\s*)?\[([^\]]*)\]/.exec(l);
      return b !== null && b[1].split(',').map((s) => s.trim()).sort().join(',') === want;
    });
}
