/** The code that ships between migrations, in each framework's idiom (Markdown). */
import type { CodeChange } from '../plan/types.js';
import type { TargetName } from './types.js';
import { camelize } from '../render/strings.js';

/** The class name a framework gives the model of a table: `users` -> `User`. */
export const modelClassName = (table: string): string => camelize(table.split('.').pop()!.replace(/[^A-Za-z0-9_]/g, '_').replace(/s$/, ''));
const model = modelClassName;
/** A fenced Markdown code block. */
export const fence = (lang: string, code: string): string => '```' + lang + '\n' + code + '\n```';

/** `schemaSteps`: the checklist gives the exact schema.prisma lines per phase (Prisma, model found). */
export function codeChange(target: TargetName, c: CodeChange, schemaSteps = false): string {
  if (target === 'prisma' && schemaSteps) return prismaCode(c);
  switch (c.kind) {
    case 'write-column':
      return {
        alembic: `Set \`${c.column}\` on every insert and update of \`${c.table}\`: add it to the SQLAlchemy model and to every write path (bulk inserts and raw SQL included).`,
        rails: `Set \`${c.column}\` on every create and update of \`${model(c.table)}\` (callbacks, \`insert_all\` and raw SQL included), for example with a \`before_validation\` default.`,
        prisma: `Add \`${c.column}\` to the model in schema.prisma as an optional field, run \`npx prisma generate\`, and set it in every \`create\`/\`update\`/\`createMany\` (and raw query) on \`${c.table}\`.`,
        sql: `Make every INSERT and UPDATE on \`${c.table}\` set \`${c.column}\`.`,
      }[target];
    case 'use-new-column':
      return {
        alembic: `Add \`${c.column}\` to the SQLAlchemy model of \`${c.table}\` (\`mapped_column(${c.notNull ? 'nullable=False' : 'nullable=True'})\`) and use it.`,
        rails: `Use \`${c.column}\` on \`${model(c.table)}\`: ActiveRecord reads the new column at boot.${c.notNull ? ` Add \`validates :${c.column}, presence: true\` to match the constraint.` : ''}`,
        prisma: c.notNull
          ? `Have \`${c.column}\` in the model in schema.prisma as a required field (no \`?\`: the column is NOT NULL now), with \`@map("${c.column}")\` if the field name differs; run \`npx prisma generate\`, and use it.`
          : `Add \`${c.column}\` to the model in schema.prisma as optional (\`?\`) (with \`@map("${c.column}")\` if the field name differs), run \`npx prisma generate\`, and use it.`,
        sql: `Start reading and writing \`${c.column}\`.`,
      }[target];
    case 'switch-to-renamed':
      return {
        alembic:
          `Map the attribute to \`${c.to}\` and stop touching \`${c.from}\` (raw SQL included):\n\n` +
          fence('python', `${c.to} = mapped_column("${c.to}", ...)  # was: ${c.from} = mapped_column(...)`),
        rails:
          `Read and write \`${c.to}\`, and make ActiveRecord forget \`${c.from}\` (it caches the column list, and the contract drops it):\n\n` +
          fence(
            'ruby',
            `class ${model(c.table)} < ApplicationRecord\n  self.ignored_columns += ["${c.from}"]\n  # Optional, while call sites still say ${c.from}:\n  alias_attribute :${c.from}, :${c.to}\nend`,
          ),
        prisma:
          `In schema.prisma, use the new column and ignore the old one, then \`npx prisma generate\`:\n\n` +
          fence('prisma', `  ${c.to} <Type>            // the field your code uses now\n  ${c.from} <Type> @ignore  // remove this line after the contract phase`),
        sql: `Switch every query from \`${c.from}\` to \`${c.to}\`; the trigger keeps \`${c.from}\` filled for instances not yet redeployed.`,
      }[target];
    case 'stop-using-column':
      return {
        alembic: `Remove \`${c.column}\` from the SQLAlchemy model and from raw SQL. (Do not just defer it: a mapped column still appears in INSERTs.)`,
        rails:
          `Make ActiveRecord forget the column before it is dropped:\n\n` +
          fence('ruby', `class ${model(c.table)} < ApplicationRecord\n  self.ignored_columns += ["${c.column}"]\nend`),
        prisma: `Mark the field \`@ignore\` in schema.prisma and run \`npx prisma generate\`; delete the field after the drop phase. Do not let \`prisma migrate dev\` generate its own DROP meanwhile.`,
        sql: `Remove \`${c.column}\` from every query (SELECT * included if results are mapped by position).`,
      }[target];
    case 'idiom':
      return c.byTarget[target];
    case 'use-index':
      return `Nothing is required: the planner uses \`${c.index}\` as soon as it is valid. Code that depends on it (for example \`ON CONFLICT\` on a unique index) may ship now.`;
  }
}

/** Prisma, when the checklist already shows each schema.prisma edit: only what the code must do. */
function prismaCode(c: CodeChange): string {
  switch (c.kind) {
    case 'write-column':
      return `Set \`${c.column}\` in every \`create\`/\`update\`/\`upsert\`/\`createMany\` (and raw query) on \`${c.table}\`: the field is in schema.prisma since the first phase (run \`npx prisma generate\`).`;
    case 'use-new-column':
      return `Run \`npx prisma generate\` and use \`${c.column}\`: schema.prisma already has it as the database has it.`;
    case 'switch-to-renamed':
      return `After the schema edit above and \`npx prisma generate\`, the field for \`${c.to}\` is the one to read and write and the field for \`${c.from}\` is \`@ignore\`: fix every use the compiler shows. \`${c.to}\` gets the old column's default only in the contract phase: until then set it on every create.`;
    case 'stop-using-column':
      return `Remove every use of the field for \`${c.column}\` (after the schema edit above and \`npx prisma generate\`, the compiler shows them). Do not let \`prisma migrate dev\` generate its own DROP meanwhile.`;
    case 'use-index':
      return codeChange('sql', c);
    case 'idiom':
      return c.byTarget.prisma;
  }
}
