/**
 * Tables and columns the project already declares (schema.prisma, db/schema.rb), so a request that
 * cannot work is refused with the reason before anything is written.
 */
import type { Answers, Operation } from '../operation.js';
import { parseTable, tableAnswer } from '../fields.js';
import { errors } from '../messages/errors.js';
import { parseModels } from './prisma-schema.js';

export interface KnownTable {
  columns: Set<string>;
  /** Columns declared NOT NULL (primary keys included). */
  notNull: Set<string>;
  primaryKey: string[];
}
export interface KnownSchema {
  source: string;
  tables: Map<string, KnownTable>;
}

export function fromPrisma(text: string, source: string): KnownSchema {
  const tables = new Map<string, KnownTable>();
  for (const m of parseModels(text)) {
    const byName = new Map(m.fields.map((f) => [f.name, f.column]));
    const primaryKey = m.compositeId.length ? m.compositeId.map((n) => byName.get(n) ?? n) : m.fields.filter((f) => f.isId).map((f) => f.column);
    tables.set(m.table, {
      columns: new Set(m.fields.map((f) => f.column)),
      // A list field has no `?` whatever the column allows: it says nothing about NULL.
      notNull: new Set([...m.fields.filter((f) => !f.optional && !f.list).map((f) => f.column), ...primaryKey]),
      primaryKey,
    });
  }
  return { source, tables };
}

export function fromSchemaRb(text: string, source: string): KnownSchema {
  const tables = new Map<string, KnownTable>();
  for (const block of text.matchAll(/create_table "([^"]+)"([^\n]*)\n([\s\S]*?)\n\s*end\b/g)) {
    const options = block[2];
    const pk = /primary_key: "([^"]+)"/.exec(options)?.[1] ?? (/id: false/.test(options) ? null : 'id');
    const columns = new Set([...block[3].matchAll(/^\s*t\.\w+\s+"([^"]+)"/gm)].map((m) => m[1]));
    const notNull = new Set([...block[3].matchAll(/^\s*t\.\w+\s+"([^"]+)"[^\n]*\bnull: false\b/gm)].map((m) => m[1]));
    if (pk) columns.add(pk);
    if (pk) notNull.add(pk);
    tables.set(block[1], { columns, notNull, primaryKey: pk ? [pk] : [] });
  }
  return { source, tables };
}

/**
 * Refuse what cannot work against the declared schema: a column the operation says exists must exist,
 * a new one must not, and then the operation's own rules. Unknown tables are left alone.
 */
export function checkAgainstSchema(op: Operation, a: Answers, known: KnownSchema): void {
  const table = parseTable(tableAnswer(op, a)).name;
  const t = known.tables.get(table);
  if (!t) return;
  const refuse = (why: string) => errors.declaredSchema(why, known.source);
  for (const f of op.fields) {
    const v = a[f.name];
    if (f.identifies === 'existing-column' && typeof v === 'string' && !t.columns.has(v))
      throw refuse(`${table} has no column ${v}: check --${f.name}`);
    if (f.identifies === 'existing-columns' && Array.isArray(v))
      for (const c of v) if (!t.columns.has(String(c))) throw refuse(`${table} has no column ${c}: check --${f.name}`);
    if (f.identifies === 'new-column' && typeof v === 'string' && t.columns.has(v))
      throw refuse(`${table}.${v} already exists: choose another --${f.name}`);
  }
  const why = op.declared(a, t);
  if (why) throw refuse(`${table}.${why}`);
}
