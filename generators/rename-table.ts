/**
 * rename-table: the table takes its new name in one short transaction, and an updatable view under the
 * old name stands in for it, so old code keeps reading and writing while new code uses the new name.
 * The contract drops the view once no running code uses the old name.
 */
import { identifierProblem, parseTable, tableField } from '../src/fields.js';
import { defineOperation, type Field } from '../src/operation.js';
import { naiveDeploy, naiveMigrate } from '../src/bench-scenario.js';
import { copyGrants, createStandInView, dropStandInView, label, qualified, relkindSql, renameTable as renameTableStatement, type TableRef } from '../src/plan/recipes/index.js';
import type { Migration, Plan } from '../src/plan/types.js';
import { slug } from '../src/sql/ident.js';
import { replace } from '../src/project/prisma-edit.js';

const fromField: Field = { ...tableField, name: 'from', message: 'Current table name (schema.table or table)' };

const toField: Field = {
  name: 'to',
  kind: 'string',
  message: 'New table name (it stays in the same schema)',
  required: true,
  validate: (v, answers) => {
    if (typeof v !== 'string') return 'expected a table name';
    if (v.includes('.')) return 'give the name only: the table stays in its schema';
    const p = identifierProblem(v);
    if (p) return p;
    return typeof answers.from === 'string' && parseTable(answers.from).name === v ? 'it is the same as --from' : null;
  },
};

export const renameTable = defineOperation({
  name: 'rename-table',
  summary: 'Rename a table with no downtime: rename it, old code goes through a view under the old name, drop the view',
  examples: [{ name: 'rename', args: ['--from', 'users', '--to', 'accounts'] }],
  fields: [fromField, toField],
  plan(a, s): Plan {
    const from = parseTable(String(a.from));
    const to: TableRef = { schema: from.schema, name: String(a.to) };
    const fl = label(from);
    const tl = label(to);
    const rename: Migration = {
      name: slug(`rename table ${from.name} to ${to.name}`),
      transaction: 'transaction',
      up: [
        renameTableStatement(from, to.name, 'Catalog-only: instant once the lock is granted; indexes, constraints, sequences and triggers follow the table.'),
        createStandInView(from, to),
        copyGrants(to, from),
      ],
      down: [dropStandInView(from, 'The stand-in view goes first: it holds the old name.'), renameTableStatement(to, from.name, 'The table takes its old name back.')],
    };
    const contract: Migration = {
      name: slug(`drop view ${from.name} after rename to ${to.name}`),
      transaction: 'transaction',
      up: [dropStandInView(from, `No running code uses ${fl} any more.`)],
      down: [createStandInView(from, to), copyGrants(to, from)],
    };
    return {
      operation: 'rename-table',
      name: slug(`rename table ${from.name} to ${to.name}`),
      title: `Rename table ${fl} to ${to.name}`,
      schema: from.schema,
      table: from.name,
      settings: s,
      hazards: ['rename-table-view-limits'],
      phases: [
        {
          kind: 'migrate',
          key: 'rename',
          title: `Rename ${fl} to ${to.name}, with a view under the old name`,
          why: 'Old code keeps reading and writing through the view; new code may use the new name from now on.',
          migrations: [rename],
          verify: [
            { sql: relkindSql(to), expect: `r (${tl} is the table)`, expectValue: 'r' },
            { sql: relkindSql(from), expect: `v (${fl} is the stand-in view)`, expectValue: 'v' },
          ],
        },
        {
          kind: 'deploy',
          key: 'switch',
          title: `Deploy code that uses ${to.name}`,
          why: `Every instance must stop naming ${fl} before the view is dropped.`,
          code: {
            kind: 'idiom',
            byTarget: {
              alembic: `Point the model at the new table and stop naming \`${fl}\` in raw SQL:\n\n\`\`\`python\n__tablename__ = "${to.name}"\n\`\`\`\n\nMigrations written from now on must name \`${tl}\`: DDL on the old name fails on a view.`,
              rails: `Point the model at the new table (or rename the model), and regenerate \`db/schema_cache.yml\` if you use one:\n\n\`\`\`ruby\nself.table_name = "${to.name}"\n\`\`\`\n\nMigrations written from now on must name \`${tl}\`: DDL on the old name fails on a view.`,
              prisma: `The model's \`@@map\` says \`${to.name}\` since the first phase: run \`npx prisma generate\` and deploy. Raw queries must name \`${tl}\`.`,
              sql: `Switch every query from \`${fl}\` to \`${tl}\`.`,
            },
          },
          verify: [],
        },
        {
          kind: 'migrate',
          key: 'contract',
          title: `Contract: drop the view ${fl}`,
          why: 'Only once no running code uses the old name.',
          migrations: [contract],
          verify: [{ sql: `SELECT count(*) FROM (${relkindSql(from)}) AS r`, expect: `0 (${fl} is gone)`, expectValue: 0 }],
        },
      ],
    };
  },
  declared: () => null,
  prisma(ctx, a) {
    const { M, model, lines, step } = ctx;
    const from = parseTable(String(a.from)).name;
    const to = String(a.to);
    const body = lines.slice(model.open + 1, model.close);
    // Prisma names a table's constraints after the table: with the new @@map it would expect
    // <to>_pkey and the like, so names the rename leaves as they were are pinned with map:.
    const hunks = [];
    const map = body.find((l) => /^\s*@@map\(/.test(l));
    if (map) hunks.push(replace(M, [map], [map.replace(/@@map\("[^"]*"\)/, `@@map(${JSON.stringify(to)})`)]));
    const idField = model.fields.find((f) => f.isId && /@id(?!\()/.test(f.attrs));
    if (idField) {
      const l = lines[idField.line];
      hunks.push(replace(M, [l], [l.replace(/@id(?!\()/, `@id(map: ${JSON.stringify(`${from}_pkey`)})`)]));
    }
    const compositeId = body.find((l) => /^\s*@@id\(\[[^\]]*\]\)/.test(l));
    if (compositeId) hunks.push(replace(M, [compositeId], [compositeId.replace(/\]\)/, `], map: ${JSON.stringify(`${from}_pkey`)})`)]));
    if (!map) {
      const last = lines[model.close - 1];
      hunks.push(replace(M, [last], [last, `${model.indent}@@map(${JSON.stringify(to)})`]));
    }
    step('rename', ...hunks);
    return { summary: `model ${M} maps to ${to} (its primary key keeps the name ${from}_pkey)` };
  },
  rehearsal: {
    cases: [{ name: 'rename', args: ['--from', 'users', '--to', 'accounts'] }],
    seed: () => [],
    workload(answers, k) {
      const from = parseTable(String(answers.from));
      const to: TableRef = { schema: from.schema, name: String(answers.to) };
      return {
        info: k.info,
        old: k.plain,
        new: { ...k.plain, table: to },
        newShareAt: (p, stage) => {
          if (p.kind === 'deploy' && stage === 'start') return 1;
          if (p.kind === 'migrate' && p.key === 'rename' && stage === 'end') return 0.5;
          return undefined;
        },
        describe: `old code reads and writes ${qualified(from)} (the view after the rename), new code ${qualified(to)}; half of the requests run new code from the end of the rename (rolling deploy), all after the switch`,
      };
    },
  },
  bench: [
    {
      name: 'rename-table',
      label: 'rename-table users -> accounts',
      args: ['--from', 'users', '--to', 'accounts'],
      answers: { from: 'users', to: 'accounts' },
      naiveSummary: '`RENAME TO` while old code still runs, then deploy the new code',
      naive: [
        naiveMigrate('rename', 'RENAME TO accounts', 'ALTER TABLE users RENAME TO accounts;', 'ACCESS EXCLUSIVE'),
        naiveDeploy('switch', 'Deploy code that uses accounts', { kind: 'idiom', byTarget: { alembic: '', prisma: '', rails: '', sql: '' } }),
      ],
    },
  ],
});
