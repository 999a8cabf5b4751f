/** Field definitions and checks shared by several operations. */
import type { Answers, AnswerValue, Field, Operation } from './operation.js';
import type { TableRef } from './plan/recipes/index.js';
import { byteLength, MAX_IDENT_BYTES } from './sql/ident.js';

/** Why an identifier cannot be used, or null. Everything else is quoted where it needs quoting. */
export function identifierProblem(name: string): string | null {
  if (name.length === 0) return 'it is empty';
  if (byteLength(name) > MAX_IDENT_BYTES)
    return `it is ${byteLength(name)} bytes long; PostgreSQL identifiers hold at most ${MAX_IDENT_BYTES}`;
  if (/\u0000/.test(name)) return 'it contains a NUL character';
  if (/[\u0001-\u001f\u007f]/.test(name)) return 'it contains a control character';
  if (name !== name.trim()) return 'it starts or ends with a space (quote-and-trim mistakes are easy to miss)';
  return null;
}

/** The table an operation works on: the answer of its field that identifies the table. */
export function tableAnswer(op: Pick<Operation, 'fields'>, a: Answers): string {
  const f = op.fields.find((x) => x.identifies === 'table');
  return String(a[f?.name ?? 'table']);
}

/** `users` or `schema.table`. A dot always separates the schema. */
export function parseTable(value: string): TableRef {
  const parts = value.split('.');
  if (parts.length === 1) return { name: parts[0] };
  if (parts.length === 2) return { schema: parts[0], name: parts[1] };
  throw new Error('use "table" or "schema.table"');
}

function validateIdent(value: AnswerValue): string | null {
  if (typeof value !== 'string') return 'expected a name';
  return identifierProblem(value);
}

export const tableField: Field = {
  name: 'table',
  kind: 'string',
  identifies: 'table',
  message: 'Table (schema.table or table)',
  required: true,
  validate: (v) => {
    if (typeof v !== 'string') return 'expected a table name';
    let t: TableRef;
    try {
      t = parseTable(v);
    } catch (e) {
      return (e as Error).message;
    }
    return (t.schema !== undefined && identifierProblem(t.schema)) || identifierProblem(t.name);
  },
};

/**
 * A column name. `differentFrom` names another field whose value this one must not repeat (a rename's
 * new name), refused at the prompt as well as on the command line.
 */
export function columnField(
  name: string,
  message: string,
  identifies: 'existing-column' | 'new-column',
  differentFrom?: string,
): Field {
  return {
    name,
    kind: 'string',
    message,
    required: true,
    identifies,
    validate: (v, answers) =>
      validateIdent(v) ?? (differentFrom && v === answers[differentFrom] ? `it is the same as --${differentFrom}` : null),
  };
}

// No default: the backfill script reads the primary key from the catalogue when it runs, so a
// composite or non-`id` key needs no flag. --key names another unique NOT NULL key to walk.
export const keyField: Field = {
  name: 'key',
  kind: 'string',
  message: 'Primary-key column(s) to walk (empty: read from the table when the backfill runs)',
  required: false,
  validate: (v) => {
    if (v === undefined || v === '') return null;
    return typeof v === 'string' ? (keyColumns(v).map(identifierProblem).find((p) => p !== null) ?? null) : 'expected column names';
  },
};

/** `--key org_id,user_id` as its columns. */
export function keyColumns(value: string): string[] {
  return value.split(',').map((s) => s.trim());
}

/** Refuses statement separators and comment openers in a fragment that must stay one expression. */
export function fragmentProblem(value: string): string | null {
  if (value.trim() === '') return 'it is empty';
  if (/;/.test(stripQuoted(value))) return 'it contains ";" outside a string; give one expression, not statements';
  if (/--|\/\*/.test(stripQuoted(value))) return 'it contains a comment opener outside a string';
  if (!balanced(stripQuoted(value))) return 'its parentheses or quotes are not balanced';
  return null;
}

function stripQuoted(s: string): string {
  return s.replace(/'(?:[^']|'')*'/g, "''").replace(/"(?:[^"]|"")*"/g, '""');
}

function balanced(s: string): boolean {
  if ((s.match(/'/g) ?? []).length % 2 || (s.match(/"/g) ?? []).length % 2) return false;
  let depth = 0;
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')' && --depth < 0) return false;
  }
  return depth === 0;
}

/** A column type: words, digits, parentheses, brackets, commas, dots and quotes only. */
export function typeProblem(value: string): string | null {
  const p = fragmentProblem(value);
  if (p) return p;
  if (!/^[\p{L}\p{N}_ ()[\],."]+$/u.test(value)) return 'it is not a type name (for example text, bigint, varchar(255), numeric(10,2), timestamptz)';
  return null;
}

/** An optional SQL expression (a default, a backfill value), checked by PostgreSQL's parser too. */
export function expressionField(name: string, message: string): Field {
  return {
    name,
    kind: 'string',
    message,
    required: false,
    sql: 'expression',
    validate: (v) => (v === undefined || v === '' ? null : fragmentProblem(String(v))),
  };
}

/** A list answer (columns) as strings, whether it arrived as a list or as `a, b`; blanks dropped. */
export function listOf(v: AnswerValue): string[] {
  return (Array.isArray(v) ? v : typeof v === 'string' ? v.split(',') : []).map((x) => String(x).trim()).filter((x) => x !== '');
}

/** Existing columns, in index order (indexes, unique constraints). */
export function columnsField(required: boolean, message = 'Columns, comma-separated, in index order'): Field {
  return {
    name: 'columns',
    kind: 'list',
    identifies: 'existing-columns',
    message,
    required,
    validate: (v) => {
      const cols = listOf(v).filter((c) => c !== '');
      // Optional: an empty answer at the prompt leaves it out.
      if (cols.length === 0) return required ? 'give at least one column' : null;
      for (const c of cols) {
        const p = identifierProblem(c);
        if (p) return `column ${JSON.stringify(c)}: ${p}`;
      }
      return null;
    },
  };
}

/** An optional object name (index, constraint); the message says what it defaults to. */
export function optionalNameField(message: string): Field {
  return { name: 'name', kind: 'string', message, required: false, validate: (v) => (v === undefined || v === '' ? null : identifierProblem(String(v))) };
}

/** A partial-index predicate, checked by PostgreSQL's parser. */
export function predicateField(message: string): Field {
  return { name: 'where', kind: 'string', message, sql: 'predicate', required: false, validate: (v) => (v === undefined || v === '' ? null : fragmentProblem(String(v))) };
}

export const INDEX_METHODS = ['btree', 'hash', 'gist', 'spgist', 'gin', 'brin'] as const;

/** An index access method; `btree` by default when `defaulted`. */
export function indexMethodField(message: string, defaulted: boolean): Field {
  return {
    name: 'using',
    kind: 'string',
    message,
    required: false,
    ...(defaulted ? { default: 'btree' } : {}),
    choices: INDEX_METHODS,
    validate: (v) => (INDEX_METHODS.includes(String(v) as (typeof INDEX_METHODS)[number]) ? null : `use one of ${INDEX_METHODS.join(', ')}`),
  };
}
