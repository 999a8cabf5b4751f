/**
 * Tables and columns the project already declares (schema.prisma, db/schema.rb), so a request that
 * cannot work is refused with the reason before anything is written.
 */
import type { Answers } from '../operation.js';
import type { OperationName } from '../plan/types.js';
import { parseTable } from '../fields.js';
import { RefusedError } from '../messages/errors.js';
import { parseModels } from './prisma-schema.js';

export interface KnownTable {
  columns: Set<string>;
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
    tables.set(m.table, {
      columns: new Set(m.fields.map((f) => f.column)),
      primaryKey: m.compositeId.length ? m.compositeId.map((n) => byName.get(n) ?? n) : m.fields.filter((f) => f.isId).map((f) => f.column),
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
    if (pk) columns.add(pk);
    tables.set(block[1], { columns, primaryKey: pk ? [pk] : [] });
  }
  return { source, tables };
}

/** Refuse what cannot work against the declared schema. Unknown tables are left alone. */
export function checkAgainstSchema(op: OperationName, a: Answers, known: KnownSchema): void {
  const table = parseTable(String(a.table)).name;
  const t = known.tables.get(table);
  if (!t) return;
  const refuse = (why: string) => new RefusedError(`${why} (per ${known.source})`);
  const has = (c: string) => t.columns.has(c);
  switch (op) {
    case 'add-column':
      if (has(String(a.column))) throw refuse(`${table}.${a.column} already exists: choose another --column`);
      return;
    case 'rename-column':
      if (!has(String(a.from))) throw refuse(`${table} has no column ${a.from} to rename: check --from`);
      if (has(String(a.to))) throw refuse(`${table}.${a.to} already exists: renaming onto it would lose data; choose another --to`);
      if (t.primaryKey.includes(String(a.from))) throw refuse(`${table}.${a.from} is the primary key: rename it with a dedicated plan, not a trigger copy`);
      return;
    case 'remove-column':
      if (!has(String(a.column))) throw refuse(`${table} has no column ${a.column} to remove: check --column`);
      if (t.primaryKey.includes(String(a.column))) throw refuse(`${table}.${a.column} is (part of) the primary key: dropping it is not a zero-downtime change`);
      return;
    case 'add-index':
      for (const c of a.columns as string[]) if (!has(c)) throw refuse(`${table} has no column ${c} to index: check --columns`);
      return;
  }
}
