/**
 * add-index: CREATE INDEX CONCURRENTLY, alone, outside any transaction; a leftover INVALID index
 * from an earlier failed build is removed first where the target can check for it.
 */
import { fragmentProblem, identifierProblem, parseTable, tableField } from '../src/fields.js';
import type { Answers, Operation } from '../src/operation.js';
import { buildIndexMigration, duplicatesVerify, indexValidVerify, label } from '../src/plan/recipes/index.js';
import type { Plan, Verify } from '../src/plan/types.js';
import { objectName, slug } from '../src/sql/ident.js';

const METHODS = ['btree', 'hash', 'gist', 'spgist', 'gin', 'brin'] as const;

/** The index's name: --name, or PostgreSQL's own convention <table>_<columns>_idx (or _key). */
export function indexName(a: Answers): string {
  if (a.name) return String(a.name);
  const cols = (Array.isArray(a.columns) ? a.columns : String(a.columns).split(',')).map(String);
  return objectName(parseTable(String(a.table)).name, ...cols, a.unique ? 'key' : 'idx');
}

export const addIndex: Operation = {
  name: 'add-index',
  summary: 'Build an index CONCURRENTLY (unique and partial too), cleaning up a failed earlier build',
  fields: [
    tableField,
    {
      name: 'columns',
      kind: 'list',
      message: 'Columns, comma-separated, in index order',
      required: true,
      validate: (v) => {
        const cols = Array.isArray(v) ? v : typeof v === 'string' ? v.split(',') : [];
        if (cols.length === 0) return 'give at least one column';
        for (const c of cols) {
          const p = identifierProblem(c);
          if (p) return `column ${JSON.stringify(c)}: ${p}`;
        }
        return null;
      },
    },
    { name: 'unique', kind: 'boolean', message: 'Unique?', required: false, default: false },
    {
      name: 'where',
      kind: 'string',
      message: 'Partial-index predicate (empty for none)',
      sql: 'predicate',
      required: false,
      validate: (v) => (v === undefined || v === '' ? null : fragmentProblem(String(v))),
    },
    {
      name: 'using',
      kind: 'string',
      message: 'Index method',
      required: false,
      default: 'btree',
      choices: METHODS,
      validate: (v) => (METHODS.includes(String(v) as (typeof METHODS)[number]) ? null : `use one of ${METHODS.join(', ')}`),
    },
    {
      name: 'name',
      kind: 'string',
      message: 'Index name (empty: <table>_<columns>_idx)',
      required: false,
      validate: (v) => (v === undefined || v === '' ? null : identifierProblem(String(v))),
    },
  ],
  plan(a, s): Plan {
    const t = parseTable(String(a.table));
    const cols = (Array.isArray(a.columns) ? a.columns : String(a.columns).split(',')).map(String);
    const unique = Boolean(a.unique);
    const where = a.where ? String(a.where) : undefined;
    const using = String(a.using ?? 'btree');
    const name = indexName(a);
    const tl = label(t);
    const ix = { name, columns: cols, unique, using, where };
    const verify: Verify[] = [...(unique ? [duplicatesVerify(t, cols, where)] : []), indexValidVerify(t, name)];
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
};
