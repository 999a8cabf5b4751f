/**
 * change-column-type: in place when PostgreSQL changes the type without rewriting the table or
 * rebuilding an index (the list is src/plan/recipes/type-changes.ts), one ALTER under lock_timeout;
 * otherwise expand / contract: a shadow column of the new type kept in sync by a trigger (--using
 * forward, --reverse-using back), a batched backfill, copies of the column's indexes and constraints,
 * then one short swap that drops the old column and gives the shadow its name.
 *
 * The application names the column the same way throughout: until the swap it holds the old type,
 * after it the new one.
 */
import { columnField, expressionField, keyColumns, keyField, parseTable, tableField, typeProblem } from '../src/fields.js';
import {
  addAttr,
  blockLinesUsing,
  copiedBlocks,
  fieldDeclaration,
  insertAfter,
  isAttr,
  joinLine,
  lastLine,
  optional,
  prismaType,
  relationPartners,
  replace,
  splitLine,
} from '../src/project/prisma-edit.js';
import { defineOperation, type Answers } from '../src/operation.js';
import { usersDump } from '../src/examples.js';
import { naiveDeploy, naiveMigrate } from '../src/bench-scenario.js';
import {
  addColumn,
  addColumnOfRecordedType,
  addNotNullCheck,
  addShadowColumn,
  alterColumnType,
  analyzeColumn,
  backfill,
  backfillFinishedGuard,
  carryNotNullMigrations,
  castBackAllValues,
  columnExistsSql,
  columnTypeSql,
  conversions,
  copiesOnPartitionedGuard,
  copiesVerify,
  copyDefault,
  copyMigrations,
  dropReferencingForeignKeys,
  rebuildOriginalIndexes,
  recordPreviousType,
  referencingColumnsGuard,
  restoreReferencingForeignKeys,
  validateReferencingForeignKeys,
  createTypeSyncTrigger,
  dependentsKnownGuard,
  dropColumn,
  dropDefault,
  dropTypeSyncTrigger,
  hasCopies,
  inPlaceChange,
  inPlaceTypeChangeGuard,
  isNotNullSql,
  label,
  moveComment,
  moveOwnedSequences,
  NO_COPIES,
  originalNames,
  parseSqlType,
  planCopies,
  refuseCopiesOnPartitioned,
  refuseUncopiable,
  renameColumn,
  renameCopies,
  restoreOriginalConstraints,
  setAllValues,
  setNotNullLike,
  triggerExistsSql,
  triggerPresentGuard,
  typeSyncTriggerName,
  unrenameCopies,
  utcForThisTransaction,
  type Copies,
  type InPlace,
  type TableRef,
} from '../src/plan/recipes/index.js';
import type { Migration, Phase, Plan, Verify } from '../src/plan/types.js';
import type { HazardKey } from '../src/messages/hazards.js';
import { errors } from '../src/messages/errors.js';
import { GUARDS } from '../src/messages/guards.js';
import { factsOf, tablePartitioned, type ColumnFacts } from '../src/project/facts.js';
import { objectName, slug } from '../src/sql/ident.js';

/** The shadow column that takes the new type until the swap gives it the column's name. */
export function shadowName(column: string): string {
  return objectName(column, 'for_type_change');
}

function currentType(a: Answers): string | undefined {
  return factsOf(a, String(a.column))?.type ?? (a['from-type'] ? String(a['from-type']) : undefined);
}

/** Why the in-place change would scan under its lock, from what generation knows (null: it would not). */
function inPlaceBlocker(ip: InPlace, facts: ColumnFacts | undefined): string | null {
  const deps = facts?.dependents;
  if (!deps) return null;
  const rebuilt = deps.indexes.filter((ix) => ip.rebuilds === 'all-indexes' || ix.inExpression).map((ix) => `index ${ix.name}`);
  const checked = deps.constraints.filter((c) => c.kind === 'check').map((c) => `constraint ${c.name}`);
  const all = [...rebuilt, ...checked];
  return all.length ? `in place, PostgreSQL would rebuild or check again ${all.join(', ')} under its ACCESS EXCLUSIVE lock` : null;
}

const TYPE_FIELD = {
  kind: 'string' as const,
  sql: 'type' as const,
  validate: (v: unknown) => (v === undefined || v === '' ? null : typeof v === 'string' ? typeProblem(v) : 'expected a type'),
};

export const changeColumnType = defineOperation({
  name: 'change-column-type',
  summary: "Change a column's type: in place when PostgreSQL rewrites nothing, else shadow column, sync trigger, backfill, copies, short swap",
  examples: [
    { name: 'in-place', args: ['--table', 'users', '--column', 'nickname', '--type', 'varchar(100)', '--from-type', 'varchar(40)'] },
    { name: 'integer-to-bigint', args: ['--table', 'users', '--column', 'score', '--type', 'bigint', '--from-type', 'integer'] },
    { name: 'current-type-unknown', args: ['--table', 'users', '--column', 'score', '--type', 'bigint'] },
    {
      name: 'integer-to-bigint-indexed',
      args: ['--table', 'users', '--column', 'score', '--type', 'bigint'],
      project: {
        'db/structure.sql': usersDump(
          ['score integer DEFAULT 0 NOT NULL', 'CONSTRAINT users_score_check CHECK ((score >= 0))'],
          ['CREATE INDEX users_score_idx ON public.users USING btree (score);', 'CREATE INDEX users_top_scores ON public.users USING btree (score DESC) WHERE (score > 1000);'],
        ),
      },
    },
    {
      name: 'primary-key',
      args: ['--table', 'users', '--column', 'id', '--type', 'bigint'],
      project: {
        'db/structure.sql': usersDump(
          [],
          [
            'CREATE TABLE public.orders (',
            '    id bigint NOT NULL,',
            '    user_id bigint NOT NULL',
            ');',
            'ALTER TABLE ONLY public.orders',
            '    ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id);',
          ],
          'integer',
        ),
      },
    },
    {
      name: 'both-ways',
      args: ['--table', 'users', '--column', 'zip', '--type', 'integer', '--from-type', 'text', '--using', "NULLIF(zip, '')::integer", '--reverse-using', 'zip::text'],
    },
  ],
  fields: [
    tableField,
    columnField('column', 'Column whose type changes', 'existing-column'),
    { ...TYPE_FIELD, name: 'type', message: 'New type (bigint, text, varchar(255), numeric(12,2), timestamptz, ...)', required: true },
    expressionField('using', 'Conversion of the old value, as a SQL expression over the column (empty: a cast)'),
    expressionField('reverse-using', 'Conversion back, as a SQL expression over the column holding the new type (empty: one way only)'),
    {
      ...TYPE_FIELD,
      name: 'from-type',
      message: 'Current type, when neither --database-url nor a declared schema tells it',
      required: false,
    },
    keyField,
  ],
  learnsColumns: true,
  check(a) {
    const what = `${a.table}.${a.column}`;
    const from = currentType(a);
    if (!from) return;
    const pf = parseSqlType(from);
    const pt = parseSqlType(String(a.type));
    if (pf && pt && JSON.stringify(pf) === JSON.stringify(pt)) throw errors.changeTypeSameType(what, String(a.type));
    const deps = factsOf(a, String(a.column))?.dependents;
    if (deps) {
      // A primary key or unique constraint is rebuilt on its copy at the swap, and the foreign keys that
      // reference the column are re-pointed there; their columns must hold every value of the new type.
      refuseUncopiable(what, deps, { references: true, keys: true });
      const narrower = narrowerTypes(String(a.type));
      const refs = deps.referencedBy.flatMap((r) =>
        r.columns.filter((c) => c.type && narrower.includes(parseSqlType(c.type)?.base ?? '')).map((c) => ({ table: r.table, column: c.name, type: c.type! })),
      );
      if (refs.length) throw errors.referencingNarrower(what, String(a.type), refs);
    }
    const column = String(a.column);
    if (!pathOf(a, from, factsOf(a, column)).inPlace) refuseCopiesOnPartitioned(parseTable(String(a.table)), column, copiesFor(factsOf(a, column), column), column, tablePartitioned(a));
  },
  plan(a, s): Plan {
    const t = parseTable(String(a.table));
    const column = String(a.column);
    const type = String(a.type);
    // Known from --database-url, a declared schema or --from-type. Without it the full path, right for
    // every pair of types, is taken, and its expand keeps the type for the swap's down.
    const fromType = currentType(a) ?? null;
    const facts = factsOf(a, column);
    const tl = label(t);
    const path = fromType
      ? pathOf(a, fromType, facts)
      : { why: `the current type of ${tl}.${column} was not known at generation (no --from-type, --database-url or declared schema), and only some changes can be made in place` };
    if (path.inPlace) return inPlacePlan(t, column, fromType!, type, path.inPlace, facts, s);
    return fullPlan(a, t, tl, column, fromType, type, facts, path.why, s);
  },
  declared: () => null,
  prisma(ctx, a) {
    const { M, model, lines, notes, step, lineOf, enums } = ctx;
    const column = String(a.column);
    const F = model.fields.find((f) => f.column === column);
    if (!F) return { unchanged: `model ${M} has no field for column ${column}` };
    const newType = prismaType(String(a.type), enums);
    if (newType.startsWith('Unsupported')) return { unchanged: `Prisma has no type for ${a.type}: describe ${F.name} by hand` };
    const [head, ...native] = newType.split(' ');
    // Both sides of a relation must keep one type in schema.prisma; a plan changes one column.
    const partners = relationPartners(ctx.files, model, F.name).filter((p) => p.type !== head);
    if (partners.length) throw errors.prismaRelationTypes(`${M}.${F.name}`, head, partners.map((p) => `${p.model}.${p.field} (${p.type})`));
    const f0 = splitLine(lineOf(F));
    const list = f0.type.endsWith('[]');
    // The field keeps its name and attributes; its Prisma type and native type attribute change.
    const retyped = joinLine({
      ...f0,
      type: `${head}${list ? '[]' : ''}${F.optional && !list ? '?' : ''}`,
      attrs: [...f0.attrs.filter((x) => !x.startsWith('@db.')), ...native],
    });
    const fromType = currentType(a);
    if (fromType && pathOf(a, fromType, factsOf(a, column)).inPlace) {
      step('alter', replace(M, [lineOf(F)], [retyped]));
      return { summary: `${F.name} becomes ${newType} in model ${M}` };
    }
    const S = shadowName(column);
    // The shadow column is in the database from the expand on: an @ignore field says so without
    // letting the client use it.
    const shadowDecl = splitLine(fieldDeclaration(model, S, [`${head}${list ? '[]' : ''}`, ...native].join(' ')));
    const shadow = (opt: boolean) => addAttr(joinLine(optional(shadowDecl, opt)), '@ignore');
    step('expand', insertAfter(M, lineOf(F), [shadow(true)]));
    if (!F.optional) step('tighten', replace(M, [shadow(true)], [shadow(false)]));
    const blocks = blockLinesUsing(lines, model, F.name);
    const copies = copiesFor(factsOf(a, column), column);
    const copied = copiedBlocks(blocks, copies.indexes, ctx.table, model, F.name, S).map((x) => x.line(shadowDecl.name, x.copy.build));
    // The copy of the primary key's index is a unique index until the swap makes it the key.
    const pk = copies.indexes.find((c) => c.fact.constraint?.kind === 'primary');
    if (pk) copied.push(`${model.indent}@@unique([${shadowDecl.name}], map: ${JSON.stringify(pk.build)})`);
    if (copied.length) step('copy', insertAfter(M, blocks.length ? blocks[blocks.length - 1] : lastLine(lines, model), copied));
    step('swap', replace(M, [lineOf(F), shadow(F.optional)], [retyped]), ...copied.map((b) => replace(M, [b], [])));
    if (blocks.length > copied.length || f0.attrs.some(isAttr('unique')))
      notes.push(`some indexes of ${column} are declared in a way migscaffold does not copy in schema.prisma: check the copy phase's edit against them`);
    return { summary: `added ${shadow(true).trim()} beside ${F.name} in model ${M}; ${F.name} becomes ${newType} in the swap phase` };
  },
  rehearsal: {
    cases: [
      { name: 'integer to bigint', args: ['--table', 'users', '--column', 'score', '--type', 'bigint'] },
      { name: 'in place', args: ['--table', 'users', '--column', 'nickname', '--type', 'varchar(100)'] },
    ],
    // The column is indexed, as a column people change the type of usually is (the index is copied, or kept in place).
    seed: (a) =>
      String(a.column) === 'nickname'
        ? [{ name: 'nickname', type: 'varchar(40)', index: true }]
        : [{ name: String(a.column), type: 'integer', notNull: true, default: '0', index: true }],
    workload(answers, k) {
      const column = String(answers.column);
      const col = k.byName(column);
      if (!col) throw errors.rehearseMissingColumn(column, label(k.info.table), 'column');
      const newCol = { ...col, type: String(answers.type) };
      const oldV = k.appValue(col);
      // New code writes values only the new type holds when it can make one up: past 2^31 for bigint,
      // one character more than the old varchar took.
      const from = parseSqlType(col.type);
      const to = parseSqlType(String(answers.type));
      const wide =
        to?.base === 'int8'
          ? `(3000000000 + ${col.unique ? k.uniqueValueOf('bigint') : k.valueOf('bigint')})`
          : from?.base === 'varchar' && from.mods.length && to?.base === 'varchar'
            ? `repeat('w', ${from.mods[0] + 1})`
            : k.appValue(newCol);
      // Applications do not update a primary key: its new values arrive with inserts only.
      const updates = column !== k.info.key;
      const old = { ...k.plain, update: oldV && updates ? [...k.neutralSet, { column, value: oldV }] : k.neutralSet };
      const cols = k.info.columns.map((c) => (c.name === column ? newCol : c));
      const ins = k.insertShape(cols.filter((c) => c.name !== column), wide ? { column, value: wide } : undefined);
      return {
        info: k.info,
        old,
        new: { read: k.names(cols), insert: ins, update: wide && updates ? [...k.neutralSet, { column, value: wide }] : k.neutralSet },
        newShareAt: (p, stage) => {
          if (p.kind === 'deploy' && stage === 'start' && p.key === 'use') return 1;
          if (p.kind === 'migrate' && stage === 'end' && (p.key === 'swap' || p.key === 'alter')) return 0.5;
          return undefined;
        },
        describe: `old code writes ${column} with ${col.type} values; new code (half the requests from the end of the swap, all after the deploy) writes values only ${answers.type} holds`,
      };
    },
  },
  bench: [
    {
      name: 'change-column-type',
      label: 'change-column-type users.login_count integer -> bigint (indexed)',
      args: ['--table', 'users', '--column', 'login_count', '--type', 'bigint'],
      answers: { table: 'users', column: 'login_count', type: 'bigint', key: 'id' },
      setup: ['CREATE INDEX users_login_count_idx ON users (login_count)'],
      naiveSummary: '`ALTER COLUMN login_count TYPE bigint` (table and index rewrite under ACCESS EXCLUSIVE)',
      naive: naiveToBigint('login_count'),
    },
    {
      name: 'change-column-type-key',
      label: 'change-column-type users.id integer -> bigint (primary key, referenced by orders.user_id)',
      args: ['--table', 'users', '--column', 'id', '--type', 'bigint'],
      answers: { table: 'users', column: 'id', type: 'bigint', key: 'id' },
      // The seeded key is bigint: the scenario makes it the integer key people run out of, and gives it
      // a referencing table (a tenth of the users have one order), whose foreign key the swap re-points.
      setup: [
        'ALTER TABLE users ALTER COLUMN id TYPE integer',
        'ALTER SEQUENCE users_id_seq AS integer',
        'CREATE TABLE orders (id bigserial PRIMARY KEY, user_id bigint NOT NULL REFERENCES users (id))',
        'INSERT INTO orders (user_id) SELECT id FROM users WHERE id % 10 = 0',
        'CREATE INDEX orders_user_id_idx ON orders (user_id)',
        'VACUUM ANALYZE orders',
      ],
      naiveSummary: '`ALTER COLUMN id TYPE bigint` (table, primary key and the foreign key check rewritten or redone under ACCESS EXCLUSIVE)',
      naive: naiveToBigint('id'),
    },
  ],
});

/** The naive form of the bench: one ALTER COLUMN ... TYPE bigint on users, then the code that uses it. */
function naiveToBigint(column: string) {
  return [
    naiveMigrate('alter', `ALTER COLUMN ${column} TYPE bigint`, `ALTER TABLE users ALTER COLUMN ${column} TYPE bigint;`, 'ACCESS EXCLUSIVE'),
    naiveDeploy('use', 'Deploy code that writes bigint values', {
      kind: 'idiom',
      byTarget: { alembic: 'naive', prisma: 'naive', rails: 'naive', sql: 'naive' },
    }),
  ];
}

/** Integer types narrower than `type` (canonical names, for parseSqlType's `base`). */
function narrowerTypes(type: string): string[] {
  const base = parseSqlType(type)?.base;
  return base === 'int8' ? ['int2', 'int4'] : base === 'int4' ? ['int2'] : [];
}

const REGTYPE: Record<string, string> = { int2: 'smallint', int4: 'integer' };

/** In place (with why PostgreSQL rewrites nothing), or the full path and why. */
function pathOf(a: Answers, fromType: string, facts: ColumnFacts | undefined): { inPlace: InPlace; why?: undefined } | { inPlace?: undefined; why: string } {
  const type = String(a.type);
  if (a.using) return { why: '--using asks for a conversion of every value, which PostgreSQL would do by rewriting the table under an ACCESS EXCLUSIVE lock' };
  const ip = inPlaceChange(fromType, type);
  if (!ip) return { why: `PostgreSQL rewrites the table and its indexes to change ${fromType} into ${type}, under an ACCESS EXCLUSIVE lock` };
  const blocker = inPlaceBlocker(ip, facts);
  return blocker ? { why: blocker } : { inPlace: ip };
}

/** The copies of a type change: built under a temporary name, they take the originals' names at the swap. */
function copiesFor(facts: ColumnFacts | undefined, column: string): Copies {
  const deps = facts?.dependents;
  if (!deps) return NO_COPIES;
  return planCopies(deps.indexes, deps.constraints, (o) => o, 'for_type_change');
}

function usePhase(t: TableRef, column: string, type: string, after: string): Phase {
  const tl = label(t);
  return {
    kind: 'deploy',
    key: 'use',
    title: `Deploy code that relies on ${column} being ${type}`,
    why: `Until now the application wrote ${column} as before; values only ${type} holds may be written from here on.`,
    code: {
      kind: 'idiom',
      byTarget: {
        alembic:
          `Give \`${column}\` its new type in the SQLAlchemy model of \`${tl}\` (SQLAlchemy does not read it from the database), for example ` +
          `\`mapped_column(sa.${sqlAlchemyType(type)})\`, then ship the code that writes values only \`${type}\` holds.`,
        prisma: `Run \`npx prisma generate\` (schema.prisma has the new type since the swap phase) and fix what the compiler shows; then ship the code that writes values only \`${type}\` holds.`,
        rails:
          `ActiveRecord reads column types when it boots: deploy (or restart) so every process sees \`${column}\` as \`${type}\`, and refresh \`db/schema.rb\` ` +
          '(`bin/rails db:schema:dump`). Then ship the code that writes values only the new type holds.',
        sql: `Ship the code that writes values only \`${type}\` holds into \`${column}\`; statements prepared before ${after} that return \`${column}\` must be prepared again.`,
      },
    },
    verify: [],
  };
}

function sqlAlchemyType(type: string): string {
  const p = parseSqlType(type);
  if (!p) return `types.UserDefinedType()  # ${type}`;
  const mods = p.mods.join(', ');
  return (
    {
      int8: 'BigInteger()',
      int4: 'Integer()',
      int2: 'SmallInteger()',
      text: 'Text()',
      varchar: `String(${mods})`,
      numeric: `Numeric(${mods})`,
      timestamptz: 'DateTime(timezone=True)',
      timestamp: 'DateTime()',
      inet: 'dialects.postgresql.INET()',
      bool: 'Boolean()',
    } as Record<string, string>
  )[p.base] ?? `types.UserDefinedType()  # ${type}`;
}

function inPlacePlan(t: TableRef, column: string, fromType: string, type: string, ip: InPlace, facts: ColumnFacts | undefined, s: Plan['settings']): Plan {
  const back = inPlaceChange(type, fromType);
  const known = facts?.dependents ? 'as generation read them' : 'not looked up: the guard above checks them';
  const alter: Migration = {
    name: slug(`change ${t.name} ${column} to ${type}`),
    transaction: 'transaction',
    up: [
      inPlaceTypeChangeGuard(t, column, ip.rebuilds === 'all-indexes'),
      ...(ip.utc ? [utcForThisTransaction()] : []),
      alterColumnType(t, column, type, {
        long: false,
        comment: `In place, no rewrite (${fromType} -> ${type}): ${ip.why}. No index rebuilt, no constraint checked again (indexes and constraints ${known}).`,
      }),
    ],
    down: [
      ...(back?.utc ? [utcForThisTransaction()] : []),
      alterColumnType(t, column, fromType, {
        long: !back,
        comment: back ? `Back to ${fromType}, in place too: ${back.why}.` : `Back to ${fromType}: PostgreSQL rewrites the table for this one (see the warning above).`,
      }),
    ],
    downHazard: back ? undefined : 'in-place-type-down-rewrites',
  };
  const analyze: Migration = {
    name: slug(`analyze ${t.name} ${column}`),
    transaction: 'transaction',
    up: [analyzeColumn(t, column)],
    down: [],
    downNote: 'statistics change no data and no definition.',
  };
  const hazards: HazardKey[] = [...(back ? [] : (['in-place-type-down-rewrites'] as const)), 'type-change-cached-plans'];
  return {
    operation: 'change-column-type',
    name: slug(`change ${t.name} ${column} to ${type}`),
    title: `Change ${label(t)}.${column} to ${type}`,
    schema: t.schema,
    table: t.name,
    settings: s,
    hazards,
    phases: [
      {
        kind: 'migrate',
        key: 'alter',
        title: `Change ${column} to ${type} in place`,
        why: `PostgreSQL changes ${fromType} into ${type} without rewriting the table: ${ip.why}. The lock is held for the catalog change only.`,
        migrations: [alter, analyze],
        verify: [{ sql: columnTypeSql(t, column), expect: `the new type, ${type}` }],
      },
      usePhase(t, column, type, 'the change'),
    ],
  };
}

function fullPlan(a: Answers, t: TableRef, tl: string, column: string, fromType: string | null, type: string, facts: ColumnFacts | undefined, why: string, s: Plan['settings']): Plan {
  const S = shadowName(column);
  const using = a.using ? String(a.using) : null;
  const reverse = a['reverse-using'] ? String(a['reverse-using']) : null;
  const { forwardNew: fwdNew, reverseNew: revNew, forwardRow: fwdRow, back, pending } = conversions(column, S, type, fromType, using, reverse);
  const copies = copiesFor(facts, column);
  const knownGuard = dependentsKnownGuard(t, column, originalNames(copies), { references: 'handled' });
  const partitionedGuard = copiesOnPartitionedGuard(t, copies, column, column);
  // The foreign keys that reference the column are re-pointed at the swap (found in the catalogue
  // then); they can only reference a column with a unique index.
  const referenced = copies.indexes.some((x) => x.fact.unique);
  const narrower = narrowerTypes(type);
  const refGuard = narrower.length && referenced ? [referencingColumnsGuard(t, column, narrower.map((n) => REGTYPE[n]), type)] : [];
  const expandTitle = `Expand: add ${S} (${type}) and keep it in sync with ${column}`;
  const backfillTitle = `Backfill: convert ${column} into ${S} for existing rows`;
  const trigger = typeSyncTriggerName(t, column);
  // Unknown at generation, the old type is read when the swap runs: a smallint or integer sequence widens then.
  const int8 = parseSqlType(type)?.base === 'int8' && (!fromType || ['int2', 'int4'].includes(parseSqlType(fromType)?.base ?? ''));

  const expand: Migration = {
    name: slug(`add ${S} to ${t.name}`),
    transaction: 'transaction',
    up: [
      ...(partitionedGuard ? [partitionedGuard] : []),
      knownGuard,
      ...refGuard,
      addShadowColumn(
        t,
        column,
        S,
        type,
        addNotNullCheck(t, S),
        GUARDS.identityColumn(tl, column),
        `Add ${S} as ${type} (nullable for now; if ${column} is NOT NULL, a NOT VALID check guards new writes). Why not in place: ${why}.`,
      ),
      ...(fromType ? [] : [recordPreviousType(t, column, S)]),
      ...createTypeSyncTrigger(t, column, S, fwdNew, revNew),
    ],
    down: [...dropTypeSyncTrigger(t, column), dropColumn(t, S, true, `Drop ${S} (and its check).`)],
  };
  const [validate, setNotNull] = carryNotNullMigrations(t, S, column, backfillFinishedGuard(t, pending, `${S} = ${using ?? `${column}::${type}`}`, backfillTitle));
  const swap: Migration = {
    name: slug(`swap ${t.name} ${column} to ${type}`),
    transaction: 'transaction',
    up: [
      triggerPresentGuard(t, trigger, expandTitle),
      backfillFinishedGuard(t, pending, `${S} = ${using ?? `${column}::${type}`}`, backfillTitle),
      knownGuard,
      ...refGuard,
      ...dropTypeSyncTrigger(t, column),
      copyDefault(t, column, S, `${S} takes the default ${column} has (only now: while both exist, the trigger fills ${S}).`),
      moveOwnedSequences(t, column, S, {
        retype: int8 ? { from: ['smallint', 'integer'], as: 'bigint' } : undefined,
        comment: `A sequence ${column} owns (serial) goes to ${S}, so dropping ${column} keeps it${int8 ? '; it becomes bigint, so it can count past 2^31' : ''}.`,
      }),
      ...(referenced ? [dropReferencingForeignKeys(t, column)] : []),
      // Unknown at generation, the old type is kept in S's comment for the down: the column's own comment is not carried then.
      ...(fromType ? [moveComment(t, column, S, `${S} takes the comment ${column} has, if any.`)] : []),
      dropColumn(t, column, false, `Drop ${column} (its indexes and constraints go with it: their copies are in place).`),
      renameColumn(t, S, column, `${S} takes the name ${column}: the application sees ${type} from now on.`),
      ...renameCopies(t, copies),
      ...(referenced ? [restoreReferencingForeignKeys(false)] : []),
    ],
    down: [
      ...(referenced ? [dropReferencingForeignKeys(t, column)] : []),
      ...unrenameCopies(t, copies, column),
      renameColumn(t, column, S, `The new column takes back the name ${S}.`),
      fromType
        ? addColumn(t, column, fromType, { comment: `Re-add ${column} as ${fromType}.` })
        : addColumnOfRecordedType(t, column, S, `Re-add ${column} with the type it had before the expand (kept in the comment of ${S}).`),
      copyDefault(t, S, column, `Give ${column} back the default.`),
      ...(fromType ? [moveComment(t, S, column, `${column} takes its comment back, if ${S} has one.`)] : []),
      dropDefault(t, S, `While both columns exist, only ${column} carries the default.`),
      moveOwnedSequences(t, S, column, {
        retype: int8 ? (fromType ? { from: ['bigint'], as: fromType } : { from: ['bigint'], asTypeOf: 'to' }) : undefined,
        comment: `The sequence goes back to ${column}${int8 ? ` and to ${fromType ?? 'its type'}` : ''}.`,
      }),
      back
        ? setAllValues(t, column, back, `Convert every value back into ${column} (${reverse ? '--reverse-using' : 'a plain cast'}; one statement: see the warning above).`)
        : castBackAllValues(t, column, S, `Convert every value back into ${column} (a plain cast to its type; one statement: see the warning above).`),
      setNotNullLike(t, column, S, `Restore NOT NULL on ${column} if ${S} has it.`),
      ...restoreOriginalConstraints(t, copies, column),
      ...rebuildOriginalIndexes(t, copies, column),
      ...(referenced ? [restoreReferencingForeignKeys(true)] : []),
      ...createTypeSyncTrigger(t, column, S, fwdNew, revNew),
    ],
    downHazard: 'type-swap-rollback-copies-table',
  };
  const bf = backfill({
    name: slug(`backfill ${t.name} ${S}`),
    table: t,
    key: a.key ? keyColumns(String(a.key)) : undefined,
    set: { column: S, expr: fwdRow },
    pending,
    description: `${S} = ${using ?? `${column}::${type}`}`,
    batchSize: s.batchSize,
    pauseMs: s.pauseMs,
    lockTimeout: s.lockTimeout,
  });
  const swapVerify: Verify[] = [
    { sql: columnExistsSql(t, S), expect: `0 (${S} now bears the name ${column})`, expectValue: 0 },
    { sql: columnTypeSql(t, column), expect: `the new type, ${type}` },
  ];
  const hazards: HazardKey[] = [
    facts?.dependents ? 'copies-from-generation' : 'dependents-not-looked-up',
    ...(fromType ? [] : (['type-kept-in-comment'] as const)),
    ...(reverse ? [] : (['type-change-one-way'] as const)),
    'type-swap-rollback-copies-table',
    'type-change-cached-plans',
  ];
  return {
    operation: 'change-column-type',
    name: slug(`change ${t.name} ${column} to ${type}`),
    title: `Change ${tl}.${column} to ${type}`,
    schema: t.schema,
    table: t.name,
    // The swap drops and re-creates their foreign keys, locking them too (as generation saw them).
    ...(referenced && facts?.dependents?.referencedBy.length ? { otherTables: facts.dependents.referencedBy.map((r) => parseTable(r.table)) } : {}),
    settings: s,
    hazards,
    phases: [
      {
        kind: 'migrate',
        key: 'expand',
        title: expandTitle,
        why: `Not in place: ${why}. The application keeps writing ${column}; the trigger converts every write into ${S}${reverse ? ' (and a write of ' + S + ' back)' : ''}.`,
        migrations: [expand],
        verify: [
          { sql: columnExistsSql(t, S), expect: `1 (the column ${S} exists)`, expectValue: 1 },
          { sql: triggerExistsSql(t, trigger), expect: '1 (the sync trigger is installed)', expectValue: 1 },
        ],
      },
      {
        kind: 'backfill',
        key: 'backfill',
        title: backfillTitle,
        why: 'Rows written before the trigger existed have no value in the new column yet.',
        backfill: bf,
        verify: [{ sql: bf.remainingSql, expect: '0 rows left to convert', expectValue: 0 }],
        undo: "nothing to undo (the previous phase's rollback removes the column).",
      },
      ...(hasCopies(copies)
        ? [
            {
              kind: 'migrate' as const,
              key: 'copy',
              title: `Copy the indexes and constraints of ${column} onto ${S}`,
              why: `The swap drops ${column} and what depends on it: the copies must be in place first, built once over complete values.`,
              migrations: copyMigrations(t, copies, S, backfillFinishedGuard(t, pending, `${S} = ${using ?? `${column}::${type}`}`, backfillTitle)),
              verify: copiesVerify(t, copies),
            },
          ]
        : []),
      {
        kind: 'migrate',
        key: 'tighten',
        title: `Tighten: carry NOT NULL over to ${S} (when ${column} has it)`,
        why: 'VALIDATE scans without blocking writes; SET NOT NULL then needs no scan.',
        migrations: [validate, setNotNull],
        verify: [{ sql: `SELECT (${isNotNullSql(t, S)}) IS NOT DISTINCT FROM (${isNotNullSql(t, column)})`, expect: `true (${S} and ${column} agree on NOT NULL)`, expectValue: true }],
      },
      {
        kind: 'migrate',
        key: 'swap',
        title: `Swap: drop the old ${column}, ${S} takes its name`,
        why: 'One short transaction under lock_timeout, catalog changes only: no scan, no rewrite, no index build.',
        migrations: [
          swap,
          ...(referenced
            ? [
                {
                  name: slug(`validate references to ${t.name} ${column}`),
                  transaction: 'transaction' as const,
                  up: [validateReferencingForeignKeys(t, column)],
                  down: [],
                  downNote: 'validation changes no data and no definition.',
                },
              ]
            : []),
        ],
        verify: swapVerify,
      },
      usePhase(t, column, type, 'the swap'),
    ],
  };
}
