/**
 * add-index: CREATE INDEX CONCURRENTLY, alone, outside any transaction; a leftover INVALID index
 * from an earlier failed build is removed first where the target can check for it.
 */
import { columnsField, indexMethodField, listOf, optionalNameField, parseTable, predicateField, tableField } from '../src/fields.js';
import { fieldForColumn, insertAfter, lastLine, partialIndexesEnabled } from '../src/project/prisma-edit.js';
import { defineOperation, type Answers } from '../src/operation.js';
import { naiveDeploy, naiveMigrate } from '../src/bench-scenario.js';
import {
  buildIndexMigration,
  childSuffix,
  duplicatesVerify,
  indexValidVerify,
  label,
  partitionedIndexBuild,
  partitionedIndexMigrations,
} from '../src/plan/recipes/index.js';
import { identifierProblem } from '../src/fields.js';
import { byteLength, MAX_IDENT_BYTES } from '../src/sql/ident.js';
import type { Plan, Verify } from '../src/plan/types.js';
import { objectName, slug } from '../src/sql/ident.js';
import { errors } from '../src/messages/errors.js';
import { tablePartitioned } from '../src/project/facts.js';

/** The index's name: --name, or PostgreSQL's own convention <table>_<columns>_idx (or _key). */
export function indexName(a: Answers): string {
  if (a.name) return String(a.name);
  const cols = listOf(a.columns);
  return objectName(parseTable(String(a.table)).name, ...cols, a.unique ? 'key' : 'idx');
}

export const addIndex = defineOperation({
  name: 'add-index',
  summary: 'Build an index CONCURRENTLY (unique and partial too), cleaning up a failed earlier build',
  examples: [
    { name: 'plain', args: ['--table', 'users', '--columns', 'email'] },
    { name: 'unique-partial', args: ['--table', 'users', '--columns', 'email,tenant_id', '--unique', '--where', 'deleted_at IS NULL'] },
  ],
  fields: [
    tableField,
    columnsField(true),
    { name: 'unique', kind: 'boolean', message: 'Unique?', required: false, default: false },
    predicateField('Partial-index predicate (empty for none)'),
    indexMethodField('Index method', true),
    optionalNameField('Index name (empty: <table>_<columns>_idx)'),
    {
      name: 'partitions',
      kind: 'list',
      message:
        'Partitions of a partitioned table, comma-separated (empty: found when the migration runs, which Alembic and Rails do; Prisma and plain SQL need the list)',
      required: false,
      validate: (v) => {
        const names = listOf(v).filter((c) => c !== '');
        for (const n of names) {
          const p = identifierProblem(n);
          if (p) return `partition ${JSON.stringify(n)}: ${p}`;
        }
        const dup = names.find((n, k) => names.indexOf(n) !== k);
        return dup ? `partition ${JSON.stringify(dup)} is listed twice` : null;
      },
    },
  ],
  check(a) {
    const partitions = listOf(a.partitions).filter(Boolean);
    if (partitions.length === 0) return;
    const t = parseTable(String(a.table));
    const suffix = childSuffix(t, indexName(a));
    const long = partitions.find((p) => byteLength(`${p}_${suffix}`) > MAX_IDENT_BYTES);
    if (long) throw errors.partitionIndexNameTooLong(long, `${long}_${suffix}`, MAX_IDENT_BYTES);
  },
  plan(a, s): Plan {
    const t = parseTable(String(a.table));
    const cols = listOf(a.columns);
    const unique = Boolean(a.unique);
    const where = a.where ? String(a.where) : undefined;
    const using = String(a.using ?? 'btree');
    const name = indexName(a);
    const tl = label(t);
    const ix = { name, columns: cols, unique, using, where };
    const verify: Verify[] = [...(unique ? [duplicatesVerify(t, cols, where, true)] : []), indexValidVerify(t, name)];
    const partitions = listOf(a.partitions).filter(Boolean);
    // Known partitioned (rehearse reads it): the build the phase will run is the partitioned one.
    const eachPartition = partitions.length > 0 || tablePartitioned(a);
    // Partitions listed at generation: a migration for each (the only way for targets that send a file
    // as one query); otherwise one migration that Alembic and Rails turn into the partitioned build when
    // the table is partitioned at migration time.
    const migrations = partitions.length
      ? partitionedIndexMigrations(t, ix, partitions)
      : [{ ...buildIndexMigration(t, ix), partitioned: partitionedIndexBuild(t, ix, s.lockTimeout) }];
    return {
      operation: 'add-index',
      name: slug(`add index ${name}`),
      title: `Add index ${name} on ${tl} (${cols.join(', ')})`,
      schema: t.schema,
      table: t.name,
      settings: s,
      hazards: [
        'concurrent-index-no-lock-timeout',
        'invalid-index-leftover',
        ...(unique ? (['unique-index-may-fail'] as const) : []),
        partitions.length ? 'partitions-listed' : 'partitioned-table-index',
      ],
      phases: [
        {
          kind: 'migrate',
          key: 'build',
          title: eachPartition ? `Build ${name} on each partition of ${tl} concurrently` : `Build ${name} concurrently`,
          why: eachPartition
            ? 'PostgreSQL refuses CREATE INDEX CONCURRENTLY on a partitioned table: the parent index ON ONLY (invalid), each partition built CONCURRENTLY on its own, then attached; the parent turns valid with the last one.'
            : 'A plain CREATE INDEX blocks every write for the whole build; CONCURRENTLY blocks none.',
          migrations,
          verify,
        },
        {
          kind: 'deploy',
          key: 'use',
          title: 'Deploy code that relies on the index (if any)',
          why: 'Queries pick the index up by themselves; code that needs it (ON CONFLICT on a unique index) ships now.',
          code: { kind: 'use-index', table: tl, index: name },
          verify: [],
        },
      ],
    };
  },
  declared: () => null,
  prisma(ctx, a) {
    const { M, model, lines, files, notes, step } = ctx;
    const name = indexName(a);
    const cols = (a.columns as string[]).map((c) => fieldForColumn(model, c)?.name ?? c);
    const using = String(a.using ?? 'btree');
    const type = using === 'btree' ? '' : `, type: ${{ hash: 'Hash', gist: 'Gist', gin: 'Gin', spgist: 'SpGist', brin: 'Brin' }[using]}`;
    const where = a.where ? `, where: raw(${JSON.stringify(String(a.where))})` : '';
    const attr = `${model.indent}${a.unique ? '@@unique' : '@@index'}([${cols.join(', ')}], map: ${JSON.stringify(name)}${a.unique ? '' : type}${where})`;
    if (a.where && !partialIndexesEnabled(files)) {
      notes.push(
        `Prisma describes a partial index only with the partialIndexes preview feature, which this project does not enable; without it Prisma's schema engine leaves ${name} alone (\`prisma migrate dev\` neither drops nor re-creates it). ` +
          `If you enable previewFeatures = ["partialIndexes"] later, add \`${attr.trim()}\` to model ${M} at the same time, or migrate dev will drop the index`,
      );
      return { unchanged: `schema.prisma left as it is: ${name} is a partial index (see the notes)` };
    }
    step('build', insertAfter(M, lastLine(lines, model), [attr]));
    const summary = `added ${attr.trim()} to model ${M}`;
    return { summary };
  },
  rehearsal: {
    cases: [
      { name: 'plain', args: ['--table', 'users', '--columns', 'name'] },
      { name: 'unique partial', args: ['--table', 'users', '--columns', 'email', '--unique', '--where', 'login_count > 10', '--name', 'users_active_email_key'] },
    ],
    seed: (a) => listOf(a.columns).map((name) => ({ name, type: 'text' })),
    workload(answers, k) {
    const cols = listOf(answers.columns);
    const where = answers.where ? String(answers.where) : undefined;
    const first = k.byName(cols[0]);
    const v = first && first.name !== k.info.key && !first.unique ? k.appValue(first) : null;
    const upd = v && first!.name !== k.neutral?.name ? [...k.neutralSet, { column: first!.name, value: v }] : k.neutralSet;
    return {
      info: k.info,
      old: { ...k.plain, update: upd },
      new: { ...k.plain, update: upd, lookup: { columns: cols, where } },
      newShareAt: (p, stage) => (p.kind === 'deploy' && stage === 'start' && p.code.kind === 'use-index' ? 1 : undefined),
      describe: `both read by key and update ${upd.map((u) => u.column).join(', ')}; after the use deploy new code also looks rows up by (${cols.join(', ')})`,
    };
    },
  },
  bench: [
    {
      name: 'add-index',
      label: 'add-index users(name)',
      args: ['--table', 'users', '--columns', 'name'],
      answers: { table: 'users', columns: ['name'], unique: false, using: 'btree' },
      naiveSummary: 'plain `CREATE INDEX` (SHARE lock: writes wait for the whole build)',
      naive: [
        naiveMigrate('create-index', 'CREATE INDEX users_name_idx ON users (name)', 'CREATE INDEX users_name_idx ON users (name);', 'SHARE'),
        naiveDeploy('use', 'Deploy code that relies on the index', { kind: 'use-index', table: 'users', index: 'users_name_idx' }),
      ],
    },
  ],
});
