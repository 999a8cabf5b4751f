/**
 * add-unique-constraint: a unique index built CONCURRENTLY under the constraint's own name, then
 * `ADD CONSTRAINT ... UNIQUE USING INDEX`, a catalog change under a brief ACCESS EXCLUSIVE lock. A guard
 * migration first refuses while duplicates exist, so the common failure never leaves an INVALID
 * index behind.
 */
import { columnsField, listOf, optionalNameField, parseTable, tableField } from '../src/fields.js';
import { fieldForColumn, insertAfter, lastLine } from '../src/project/prisma-edit.js';
import { defineOperation, type Answers } from '../src/operation.js';
import { naiveDeploy, naiveMigrate } from '../src/bench-scenario.js';
import {
  addUniqueUsingIndex,
  buildIndexMigration,
  dropUniqueConstraint,
  duplicatesVerify,
  label,
  noDuplicatesGuard,
  uniqueConstraintVerify,
  notPartitionedGuard,
} from '../src/plan/recipes/index.js';
import { PARTITIONED_REFUSALS } from '../src/messages/guards.js';
import type { CodeChange, Migration, Plan } from '../src/plan/types.js';
import { objectName, slug } from '../src/sql/ident.js';
import { errors, REFUSALS } from '../src/messages/errors.js';
import { tablePartitioned } from '../src/project/facts.js';

/** The constraint's name, which is also its index's: --name, or PostgreSQL's <table>_<columns>_key. */
export function constraintName(a: Answers): string {
  return a.name ? String(a.name) : objectName(parseTable(String(a.table)).name, ...listOf(a.columns), 'key');
}

/** What code may do once the constraint exists, in each framework's words. */
function useConstraint(name: string, cols: string[]): CodeChange {
  const list = cols.join(', ');
  return {
    kind: 'idiom',
    byTarget: {
      alembic:
        `Declare it on the SQLAlchemy model, so autogenerate agrees with the database: \`UniqueConstraint(${cols.map((c) => JSON.stringify(c)).join(', ')}, name="${name}")\` in \`__table_args__\`. ` +
        `Code may now rely on it: \`insert(...).on_conflict_do_nothing(constraint="${name}")\`; a duplicate raises \`IntegrityError\` (SQLSTATE 23505).`,
      rails:
        `ActiveRecord 6.1 sees it as a unique index (\`db:schema:dump\` writes \`unique: true\`). Code may now rely on it: \`upsert_all(rows, unique_by: :${name})\`, \`create_or_find_by\`; ` +
        `a duplicate raises \`ActiveRecord::RecordNotUnique\` (keep a uniqueness validation for friendly messages).`,
      prisma: `Run \`npx prisma generate\`: with the \`@@unique\` in schema.prisma, \`findUnique\` and \`upsert\` by (${list}) are available; a duplicate fails with P2002.`,
      sql: `Code may now rely on it: \`INSERT ... ON CONFLICT ON CONSTRAINT ${name} DO ...\` (or \`ON CONFLICT (${list})\`); a duplicate fails with SQLSTATE 23505.`,
    },
  };
}

export const addUniqueConstraint = defineOperation({
  name: 'add-unique-constraint',
  summary: 'Add a UNIQUE constraint: refuse on duplicates, build its index CONCURRENTLY, then attach it in a brief lock',
  examples: [
    { name: 'one-column', args: ['--table', 'users', '--columns', 'email'] },
    { name: 'named', args: ['--table', 'users', '--columns', 'tenant_id,email', '--name', 'users_tenant_email_unique'] },
  ],
  fields: [
    tableField,
    columnsField(true, 'Columns, comma-separated, in constraint order'),
    optionalNameField('Constraint name, also its index name (empty: <table>_<columns>_key)'),
  ],
  check(a) {
    if (tablePartitioned(a)) throw errors.partitionedRefused(PARTITIONED_REFUSALS.uniqueConstraint(label(parseTable(String(a.table))), 'generation'));
  },
  plan(a, s): Plan {
    const t = parseTable(String(a.table));
    const cols = listOf(a.columns);
    const name = constraintName(a);
    const tl = label(t);
    const check: Migration = {
      name: slug(`check no duplicates for ${name}`),
      transaction: 'transaction',
      up: [notPartitionedGuard(t, PARTITIONED_REFUSALS.uniqueConstraint(tl)), noDuplicatesGuard(t, cols, name)],
      down: [],
      downNote: 'the check changed nothing.',
    };
    // Built under the constraint's own name: ADD CONSTRAINT then renames nothing, schema.prisma's map
    // stays right throughout, and the build's down refuses (2BP01) while the constraint still exists
    // instead of skipping a renamed index without a word.
    const build = buildIndexMigration(t, { name, columns: cols, unique: true }, slug(`build unique index ${name}`), { adopted: true });
    const constrain: Migration = {
      name: slug(`add unique constraint ${name}`),
      transaction: 'transaction',
      up: [addUniqueUsingIndex(t, name)],
      down: [dropUniqueConstraint(t, name)],
      downHazard: 'unique-constraint-rollback-drops-index',
    };
    return {
      operation: 'add-unique-constraint',
      name: slug(`add unique constraint ${name}`),
      title: `Add unique constraint ${name} on ${tl} (${cols.join(', ')})`,
      schema: t.schema,
      table: t.name,
      settings: s,
      hazards: ['unique-build-duplicates', 'concurrent-index-no-lock-timeout', 'invalid-index-leftover', 'unique-constraint-rollback-drops-index'],
      phases: [
        {
          kind: 'migrate',
          key: 'add',
          title: `Build ${name} concurrently and make it the constraint`,
          why:
            'ADD CONSTRAINT UNIQUE (columns) would build the index under ACCESS EXCLUSIVE, blocking reads and writes for the whole build. ' +
            'Built CONCURRENTLY first, the index becomes the constraint in a catalog change that holds its lock for milliseconds.',
          migrations: [check, build, constrain],
          verify: [duplicatesVerify(t, cols, undefined, true), uniqueConstraintVerify(t, name)],
        },
        {
          kind: 'deploy',
          key: 'use',
          title: 'Deploy code that relies on the constraint (if any)',
          why: 'Duplicates are refused from now on; code that needs the constraint (ON CONFLICT on it, upserts) ships now.',
          code: useConstraint(name, cols),
          verify: [],
        },
      ],
    };
  },
  declared(a, t) {
    const name = constraintName(a);
    return t.indexes.some((i) => i.name === name) ? REFUSALS.nameTaken(name) : null;
  },
  prisma(ctx, a) {
    const { M, model, lines, step } = ctx;
    const fields = listOf(a.columns).map((c) => fieldForColumn(model, c)?.name ?? c);
    // Prisma's schema engine describes a unique constraint as a unique index: @@unique with the
    // database name is how schema.prisma says it.
    const attr = `${model.indent}@@unique([${fields.join(', ')}], map: ${JSON.stringify(constraintName(a))})`;
    step('add', insertAfter(M, lastLine(lines, model), [attr]));
    return { summary: `added ${attr.trim()} to model ${M}` };
  },
  rehearsal: {
    cases: [{ name: 'one column', args: ['--table', 'users', '--columns', 'external_id'] }],
    // uuid: seeded rows and the simulated app's inserts are unique by construction, so the build
    // meets no duplicate it would fail on.
    seed: (a) => listOf(a.columns).map((name) => ({ name, type: 'uuid' })),
    workload(answers, k) {
      const cols = listOf(answers.columns);
      return {
        info: k.info,
        old: k.plain,
        new: { ...k.plain, upsert: { columns: cols } },
        newShareAt: (p, stage) => (p.kind === 'deploy' && p.key === 'use' && stage === 'start' ? 1 : undefined),
        describe: `both read by key, update ${k.neutralSet.map((u) => u.column).join(', ')} and insert; after the use deploy new code also inserts with ON CONFLICT (${cols.join(', ')}) DO NOTHING`,
      };
    },
  },
  bench: [
    {
      name: 'add-unique-constraint',
      label: 'add-unique-constraint users(email)',
      args: ['--table', 'users', '--columns', 'email'],
      answers: { table: 'users', columns: ['email'] },
      naiveSummary: 'plain `CREATE UNIQUE INDEX` (SHARE lock: writes wait for the whole build), then `ADD CONSTRAINT ... UNIQUE USING INDEX`',
      naive: [
        naiveMigrate('create-index', 'CREATE UNIQUE INDEX users_email_key ON users (email)', 'CREATE UNIQUE INDEX users_email_key ON users (email);', 'SHARE'),
        naiveMigrate('add-constraint', 'ADD CONSTRAINT users_email_key UNIQUE USING INDEX', 'ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;', 'ACCESS EXCLUSIVE'),
        naiveDeploy('use', 'Deploy code that relies on the constraint', useConstraint('users_email_key', ['email'])),
      ],
    },
  ],
});
