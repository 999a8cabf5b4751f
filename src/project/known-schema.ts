/**
 * Tables and columns the project already declares (schema.prisma, db/schema.rb), so a request that
 * cannot work is refused with the reason before anything is written.
 */
import type { Answers, Operation } from '../operation.js';
import { parseTable } from '../fields.js';
import { errors } from '../messages/errors.js';
import { parseModels } from './prisma-schema.js';

export interface KnownTable {
  columns: Set<string>;
  primaryKey: string[];
  /** The PostgreSQL type of the columns whose declaration says it unambiguously. */
  types: Map<string, string>;
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
      types: new Map(m.fields.flatMap((f) => {
        const t = prismaSqlType(f.type, f.attrs, f.list);
        return t ? [[f.column, t] as [string, string]] : [];
      })),
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
    const types = new Map<string, string>();
    for (const m of block[3].matchAll(/^\s*t\.(\w+)\s+"([^"]+)"(.*)$/gm)) {
      const t = railsSqlType(m[1], m[3]);
      if (t) types.set(m[2], t);
    }
    if (pk) {
      columns.add(pk);
      const idType = /\bid: :(\w+)/.exec(options)?.[1] ?? (/\bid: false/.test(options) ? null : 'bigint');
      const t = idType && railsSqlType(idType === 'serial' ? 'integer' : idType === 'bigserial' ? 'bigint' : idType, '');
      if (t && !types.has(pk)) types.set(pk, t);
    }
    tables.set(block[1], { columns, primaryKey: pk ? [pk] : [], types });
  }
  return { source, tables };
}

/**
 * The PostgreSQL type a db/schema.rb column line declares, where it says it without doubt: the
 * ActiveRecord PostgreSQL adapter's mapping (string -> character varying, integer limit 8 -> bigint,
 * decimal precision/scale -> numeric(p,s), ...). Null for what depends on the adapter's version
 * (datetime's default precision) or on types we do not know.
 */
export function railsSqlType(kind: string, options: string): string | null {
  const opt = (name: string) => new RegExp(`\\b${name}: (\\d+)`).exec(options)?.[1];
  const limit = opt('limit');
  const precision = opt('precision');
  const scale = opt('scale');
  switch (kind) {
    case 'string':
      return limit ? `varchar(${limit})` : 'varchar';
    case 'text':
      return 'text';
    case 'integer':
      return limit === '8' ? 'bigint' : limit === '2' ? 'smallint' : 'integer';
    case 'bigint':
      return 'bigint';
    case 'decimal':
      return precision ? `numeric(${precision}${scale ? `,${scale}` : ',0'})` : 'numeric';
    case 'boolean':
      return 'boolean';
    case 'datetime':
    case 'timestamp':
      return precision ? `timestamp(${precision})` : null;
    case 'timestamptz':
      return precision ? `timestamptz(${precision})` : 'timestamptz';
    case 'uuid':
      return 'uuid';
    case 'jsonb':
      return 'jsonb';
    default:
      return null;
  }
}

/** The PostgreSQL type a schema.prisma field declares (Prisma's defaults for PostgreSQL when no @db). */
export function prismaSqlType(type: string, attrs: string, list: boolean): string | null {
  const db = /@db\.(\w+)(?:\(([^)]*)\))?/.exec(attrs);
  const args = db?.[2]?.replace(/\s+/g, '');
  const base = ((): string | null => {
    if (db) {
      const native: Record<string, string> = {
        VarChar: args ? `varchar(${args})` : 'varchar',
        Char: `char(${args ?? 1})`,
        Text: 'text',
        Uuid: 'uuid',
        SmallInt: 'smallint',
        Integer: 'integer',
        BigInt: 'bigint',
        Decimal: args ? `numeric(${args})` : 'numeric',
        Timestamptz: `timestamptz(${args ?? 6})`,
        Timestamp: `timestamp(${args ?? 6})`,
        Date: 'date',
        Real: 'real',
        DoublePrecision: 'double precision',
        Inet: 'inet',
        Json: 'json',
        JsonB: 'jsonb',
      };
      return native[db[1]] ?? null;
    }
    const plain: Record<string, string> = {
      String: 'text',
      Int: 'integer',
      BigInt: 'bigint',
      Boolean: 'boolean',
      Float: 'double precision',
      Decimal: 'numeric(65,30)',
      DateTime: 'timestamp(3)',
      Json: 'jsonb',
      Bytes: 'bytea',
    };
    return plain[type] ?? null;
  })();
  return base && list ? `${base}[]` : base;
}

/**
 * Refuse what cannot work against the declared schema: a column the operation says exists must exist,
 * a new one must not, and then the operation's own rules. Unknown tables are left alone.
 */
export function checkAgainstSchema(op: Operation, a: Answers, known: KnownSchema): void {
  const table = parseTable(String(a.table)).name;
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
