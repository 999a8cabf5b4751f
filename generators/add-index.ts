/**
 * add-index: CREATE INDEX CONCURRENTLY, alone, outside any transaction; a leftover INVALID index
 * from an earlier failed build is removed first where the target can check for it.
 */
import { columnsField, indexMethodField, listOf, optionalNameField, parseTable, predicateField, tableField } from '../src/fields.js';
import { fieldForColumn, insertAfter, lastLine, partialIndexesEnabled } from '../src/project/prisma-edit.js';
import { defineOperation, type Answers } from '../src/operation.js';
import { naiveDeploy, naiveMigrate } from '../src/bench-scenario.js';
import { buildIndexMigration, duplicatesVerify, indexValidVerify, label } from '../src/plan/recipes/index.js';
import type { Plan, Verify } from '../src/plan/types.js';
import { objectName, slug } from '../src/sql/ident.js';

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
  ],
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
    return {
      operation: 'add-index',
      name: slug(`add index ${name}`),
      title: `Add index ${name} on ${tl} (${cols.join(', ')})`,
      schema: t.schema,
      table: t.name,
      settings: s,
      hazards: ['concurrent-index-no-lock-timeout', 'invalid-index-leftover', ...(unique ? (['unique-index-may-fail'] as const) : [])],
      phases: [
        {
          kind: 'migrate',
          key: 'build',
          title: `Build ${name} concurrently`,
          why: 'A plain CREATE INDEX blocks every write for the whole build; CONCURRENTLY blocks none.',
          migrations: [buildIndexMigration(t, ix)],
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
