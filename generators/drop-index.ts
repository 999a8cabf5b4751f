/**
 * drop-index: code that relies on the index moves off it first, then DROP INDEX CONCURRENTLY, alone in
 * its migration. The down builds it again CONCURRENTLY from its definition: the add-index flags, or the
 * index as db/schema.rb or schema.prisma declares it.
 */
import { columnsField, identifierProblem, indexMethodField, listOf, parseTable, predicateField, tableField } from '../src/fields.js';
import { defineOperation, type Answers } from '../src/operation.js';
import { naiveDeploy, naiveMigrate } from '../src/bench-scenario.js';
import { removeAttr, replace } from '../src/project/prisma-edit.js';
import { prismaIndexes } from '../src/project/known-schema.js';
import {
  constraintsOnIndexVerify,
  createIndexConcurrently,
  dropIndexConcurrently,
  indexGoneVerify,
  indexScansVerify,
  label,
  type IndexSpec,
} from '../src/plan/recipes/index.js';
import type { CodeChange, Plan } from '../src/plan/types.js';
import { errors, REFUSALS } from '../src/messages/errors.js';
import { slug } from '../src/sql/ident.js';
import { tablePartitioned } from '../src/project/facts.js';
import { PARTITIONED_REFUSALS } from '../src/messages/guards.js';

/** Whether the flags (or the prompt) gave the index's columns. */
const hasColumns = (a: Answers) => listOf(a.columns).some((c) => c !== '');

/** The definition the down rebuilds, from the answers (complete by then). */
function indexSpec(a: Answers): IndexSpec {
  return {
    name: String(a.name),
    columns: listOf(a.columns),
    unique: a.unique === true,
    using: a.using ? String(a.using) : 'btree',
    where: a.where ? String(a.where) : undefined,
  };
}

/** What code must stop doing before the index goes, in each framework's words. */
function stopUsing(ix: IndexSpec): CodeChange {
  const list = ix.columns.join(', ');
  const elsewhere = 'give queries that need it for speed another index first (`migscaffold add-index`), and watch `idx_scan` below stop growing';
  return {
    kind: 'idiom',
    byTarget: ix.unique
      ? {
          alembic:
            `Stop relying on ${ix.name}: no \`on_conflict_do_*(index_elements=[...])\` or \`ON CONFLICT (${list})\` on it (they fail with SQLSTATE 42P10 once it is gone), no code that counts on duplicates being refused. ` +
            `Remove it from the SQLAlchemy model (\`unique=True\`, \`Index(..., unique=True)\` or \`UniqueConstraint\`) so autogenerate does not re-create it; ${elsewhere}.`,
          rails:
            `Stop relying on ${ix.name}: no \`upsert_all\`/\`insert_all\` with \`unique_by:\` on it, no \`create_or_find_by\` that counts on it refusing duplicates (uniqueness validations alone are racy); ${elsewhere}.`,
          prisma:
            `Stop using \`findUnique\`, \`upsert\` and \`connect\` by (${list}): the schema.prisma edit of the drop phase removes that unique input, and \`npx prisma generate\` then shows any use left as a compile error; ${elsewhere}.`,
          sql: `Stop every \`ON CONFLICT (${list})\` that uses ${ix.name} (it fails with SQLSTATE 42P10 once the index is gone) and any code that counts on duplicates being refused; ${elsewhere}.`,
        }
      : {
          alembic: `Remove it from the SQLAlchemy model (\`Index("${ix.name}", ...)\` or \`index=True\`) so autogenerate does not re-create it; ${elsewhere}.`,
          rails: `Nothing in ActiveRecord depends on a plain index; ${elsewhere}.`,
          prisma: `Nothing in the Prisma client depends on a plain index; ${elsewhere}.`,
          sql: `Nothing fails without a plain index, but queries that used it change plans: ${elsewhere}.`,
        },
  };
}

export const dropIndex = defineOperation({
  name: 'drop-index',
  summary: 'Drop an index CONCURRENTLY after the code stops relying on it; the down builds it again',
  examples: [
    { name: 'plain', args: ['--table', 'users', '--name', 'users_name_idx', '--columns', 'name'] },
    { name: 'unique-partial', args: ['--table', 'users', '--name', 'users_active_email_key', '--columns', 'email', '--unique', '--where', 'deleted_at IS NULL'] },
  ],
  fields: [
    tableField,
    {
      name: 'name',
      kind: 'string',
      message: 'Index to drop',
      required: true,
      validate: (v) => (typeof v === 'string' ? identifierProblem(v) : 'expected a name'),
    },
    columnsField(false, 'Its columns, for the down (empty: as db/schema.rb or schema.prisma declares it)'),
    { name: 'unique', kind: 'boolean', message: 'Is it unique?', required: false },
    predicateField('Its partial-index predicate (empty for none)'),
    // No default: only a method given says anything about the index.
    indexMethodField('Its index method', false),
  ],
  check(a) {
    // A prompt answers every question; only what says more than the plain default counts as given.
    if (!hasColumns(a) && (a.unique === true || a.where || (a.using !== undefined && a.using !== 'btree'))) throw errors.indexDefinitionPartial();
    if (tablePartitioned(a)) throw errors.partitionedRefused(PARTITIONED_REFUSALS.dropIndex(String(a.table), String(a.name), 'generation'));
  },
  complete(a, declared) {
    if (hasColumns(a)) return;
    const name = String(a.name);
    const ix = declared?.table?.indexes.find((i) => i.name === name);
    if (!ix) throw errors.indexDefinitionMissing(name, declared?.source ?? null);
    if (!ix.columns) throw errors.indexNotColumns(name, declared!.source);
    Object.assign(a, { columns: ix.columns, unique: ix.unique, ...(ix.where ? { where: ix.where } : {}), ...(ix.using ? { using: ix.using } : {}) });
  },
  plan(a, s): Plan {
    const t = parseTable(String(a.table));
    if (!hasColumns(a)) throw new Error('internal error: drop-index planned without the index definition (complete() was not run)');
    const ix = indexSpec(a);
    const tl = label(t);
    return {
      operation: 'drop-index',
      name: slug(`drop index ${ix.name}`),
      title: `Drop index ${ix.name} on ${tl}`,
      schema: t.schema,
      table: t.name,
      settings: s,
      hazards: ['concurrent-drop-waits', 'drop-index-rollback-rebuilds'],
      phases: [
        {
          kind: 'deploy',
          key: 'stop',
          title: `Deploy code that no longer relies on ${ix.name}`,
          why: ix.unique
            ? 'Once the index is gone, ON CONFLICT on it fails (42P10), duplicates are no longer refused, and queries that used it change plans: code moves off it first.'
            : 'Once the index is gone, queries that used it change plans (a sequential scan, on a big table): code moves off it first.',
          code: stopUsing(ix),
          verify: [constraintsOnIndexVerify(t, ix.name), indexScansVerify(t, ix.name)],
        },
        {
          kind: 'migrate',
          key: 'drop',
          title: `Drop ${ix.name} concurrently`,
          why: 'A plain DROP INDEX takes ACCESS EXCLUSIVE on the table: behind any long transaction, every query on the table queues behind it. CONCURRENTLY blocks no reads or writes.',
          migrations: [
            {
              name: slug(`drop index ${ix.name}`),
              transaction: 'none',
              up: [dropIndexConcurrently(t, ix.name, 'Blocks no reads or writes; waits for the transactions that may still use the index.')],
              down: [createIndexConcurrently(t, ix)],
              downHazard: 'drop-index-rollback-rebuilds',
            },
          ],
          verify: [indexGoneVerify(t, ix.name)],
        },
      ],
    };
  },
  declared(a, t) {
    const name = String(a.name);
    const ix = t.indexes.find((i) => i.name === name);
    if (ix?.constraint === 'primary key') return REFUSALS.indexBacksPrimaryKey(name);
    if (ix?.constraint === 'unique') return REFUSALS.indexBacksUniqueConstraint(name, String(a.table));
    return null;
  },
  prisma(ctx, a) {
    const { M, model, lines, step } = ctx;
    const name = String(a.name);
    const found = prismaIndexes(model, lines).find((x) => x.index.name === name);
    if (!found) return { unchanged: `model ${M} does not declare ${name}: nothing to remove from schema.prisma` };
    step('drop', replace(M, [found.line], found.attr ? [removeAttr(found.line, found.attr)] : []));
    return { summary: found.attr ? `removes @${found.attr} from ${found.line.trim()} in model ${M} with the drop phase` : `removes ${found.line.trim()} from model ${M} with the drop phase` };
  },
  rehearsal: {
    // The seeded table's own unique index on email: old code upserts through it.
    cases: [{ name: 'unique', args: ['--table', 'users', '--name', 'users_email_idx', '--columns', 'email', '--unique'] }],
    seed: () => [],
    workload(answers, k) {
      const ix = indexSpec(answers);
      // Old code needs the index: upserts name it as their arbiter (unique), or lookups go through it.
      const needs = ix.unique ? { upsert: { columns: ix.columns, where: ix.where } } : { lookup: { columns: ix.columns, where: ix.where } };
      return {
        info: k.info,
        old: { ...k.plain, ...needs },
        new: k.plain,
        newShareAt: (p, stage) => (p.kind === 'deploy' && p.key === 'stop' && stage === 'start' ? 1 : undefined),
        describe: `both read by key, update and insert; old code also ${ix.unique ? `inserts with ON CONFLICT (${ix.columns.join(', ')}) DO NOTHING` : `looks rows up by (${ix.columns.join(', ')})`}, until the stop deploy`,
      };
    },
  },
  bench: [
    {
      name: 'drop-index',
      label: 'drop-index users_email_idx (unique, used by ON CONFLICT)',
      args: ['--table', 'users', '--name', 'users_email_idx', '--columns', 'email', '--unique'],
      answers: { table: 'users', name: 'users_email_idx', columns: ['email'], unique: true },
      naiveSummary: 'plain `DROP INDEX` (ACCESS EXCLUSIVE) while old code still upserts through it, then deploy the new code',
      naive: [
        naiveMigrate('drop', 'DROP INDEX users_email_idx', 'DROP INDEX users_email_idx;', 'ACCESS EXCLUSIVE'),
        naiveDeploy('stop', 'Deploy code that no longer relies on users_email_idx', stopUsing({ name: 'users_email_idx', columns: ['email'], unique: true })),
      ],
    },
  ],
});
