/**
 * Tables and columns the project already declares (schema.prisma, db/schema.rb), so a request that
 * cannot work is refused with the reason before anything is written.
 */
import type { Answers, Operation } from '../operation.js';
import { parseTable, tableAnswer } from '../fields.js';
import { errors } from '../messages/errors.js';
import { parseModels, type PrismaModel } from './prisma-schema.js';
import { commentStart, splitLine } from './prisma-edit.js';

export interface KnownTable {
  columns: Set<string>;
  /** Columns declared NOT NULL (primary keys included). */
  notNull: Set<string>;
  primaryKey: string[];
  /** The PostgreSQL type of the columns whose declaration says it unambiguously. */
  types: Map<string, string>;
  /** Indexes the file declares, the primary key's and unique constraints' own indexes included. */
  indexes: KnownIndex[];
}

/** An index as a declared schema describes it, in database names. */
export interface KnownIndex {
  name: string;
  /** Its columns in order; null when it is more than columns (expressions, operator classes, sort order, INCLUDE). */
  columns: string[] | null;
  unique: boolean;
  where?: string;
  /** The access method when not btree. */
  using?: string;
  /** The constraint the index backs, which DROP INDEX cannot remove. */
  constraint?: 'primary key' | 'unique';
}
export interface KnownSchema {
  source: string;
  tables: Map<string, KnownTable>;
}

export function fromPrisma(text: string, source: string): KnownSchema {
  const tables = new Map<string, KnownTable>();
  const lines = text.split('\n');
  for (const m of parseModels(text)) {
    const byName = new Map(m.fields.map((f) => [f.name, f.column]));
    const primaryKey = m.compositeId.length ? m.compositeId.map((n) => byName.get(n) ?? n) : m.fields.filter((f) => f.isId).map((f) => f.column);
    tables.set(m.table, {
      types: new Map(m.fields.flatMap((f) => {
        const t = prismaSqlType(f.type, f.attrs, f.list);
        return t ? [[f.column, t] as [string, string]] : [];
      })),
      columns: new Set(m.fields.map((f) => f.column)),
      // A list field has no `?` whatever the column allows: it says nothing about NULL.
      notNull: new Set([...m.fields.filter((f) => !f.optional && !f.list).map((f) => f.column), ...primaryKey]),
      primaryKey,
      indexes: prismaIndexes(m, lines).map((x) => x.index),
    });
  }
  return { source, tables };
}

const PRISMA_METHODS: Record<string, string> = { BTree: 'btree', Hash: 'hash', Gist: 'gist', Gin: 'gin', SpGist: 'spgist', Brin: 'brin' };

/**
 * The indexes of a model: @@index, @@unique and @@id lines, and @unique / @id on fields (`attr`: the
 * attribute's name then), with the line that declares each. Names are Prisma's defaults
 * (<table>_<columns>_idx, <table>_<columns>_key, <table>_pkey) unless `map:` gives the database
 * name. Prisma cannot tell a unique index from a unique constraint: @@unique is taken as an index.
 */
export function prismaIndexes(m: PrismaModel, lines: string[]): { index: KnownIndex; line: string; attr?: 'unique' | 'id' }[] {
  const out: { index: KnownIndex; line: string; attr?: 'unique' | 'id' }[] = [];
  const byName = new Map(m.fields.map((f) => [f.name, f.column]));
  const named = (map: string | undefined, cols: string[] | null, suffix: string) =>
    map ?? (suffix === 'pkey' ? `${m.table}_pkey` : cols ? [m.table, ...cols, suffix].join('_') : null);
  for (let i = m.open + 1; i < m.close; i++) {
    const raw = lines[i];
    const line = raw.slice(0, commentStart(raw)).trim();
    const block = /^@@(index|unique|id)\((.*)\)$/.exec(line);
    if (block) {
      const args = prismaArgs(block[2]);
      const list = args.get('fields') ?? args.get('');
      const refs = list ? splitTopLevel(list.replace(/^\[|\]$/g, '')) : [];
      // A field with arguments (sort, length, ops) is more than a column.
      const cols = refs.every((r) => /^\w+$/.test(r)) ? refs.map((r) => byName.get(r) ?? r) : null;
      const kind = block[1];
      const name = named(unquote(args.get('map')), cols, kind === 'index' ? 'idx' : kind === 'unique' ? 'key' : 'pkey');
      if (!name) continue;
      const where = /^raw\((".*")\)$/.exec(args.get('where') ?? '')?.[1];
      const type = args.get('type');
      const index: KnownIndex = {
        name,
        columns: cols,
        unique: kind !== 'index',
        ...(where ? { where: unquote(where) } : {}),
        ...(type && PRISMA_METHODS[type] && type !== 'BTree' ? { using: PRISMA_METHODS[type] } : {}),
        ...(kind === 'id' ? { constraint: 'primary key' as const } : {}),
      };
      out.push({ index, line: raw });
      continue;
    }
    const field = m.fields.find((f) => f.line === i);
    if (!field) continue;
    for (const a of splitLine(raw).attrs) {
      const attr = /^@(unique|id)(?:\((.*)\))?$/.exec(a);
      if (!attr) continue;
      const kind = attr[1] as 'unique' | 'id';
      const map = unquote(prismaArgs(attr[2] ?? '').get('map'));
      const index: KnownIndex = { name: named(map, [field.column], kind === 'id' ? 'pkey' : 'key')!, columns: [field.column], unique: true, ...(kind === 'id' ? { constraint: 'primary key' as const } : {}) };
      out.push({ index, line: raw, attr: kind });
    }
  }
  return out;
}

/** `[a, b], map: "x", type: Hash`: named arguments by name, the positional one under ''. */
function prismaArgs(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of splitTopLevel(text)) {
    const kv = /^(\w+)\s*:\s*([\s\S]*)$/.exec(part);
    if (kv) out.set(kv[1], kv[2].trim());
    else if (part) out.set('', part);
  }
  return out;
}

/** Splits on commas outside brackets, parentheses and strings. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      cur += c;
      if (c === '\\') cur += text[++i] ?? '';
      else if (c === '"') quoted = false;
      continue;
    }
    if (c === '"') quoted = true;
    else if (c === '[' || c === '(') depth++;
    else if (c === ']' || c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(cur.trim());
      cur = '';
      continue;
    }
    cur += c;
  }
  if (cur.trim()) parts.push(cur.trim());
  return parts;
}

/** The text of a double-quoted string (Prisma's and Ruby's escapes of `"` and `\`). */
function unquote(s: string | undefined): string | undefined {
  if (s === undefined) return undefined;
  const m = /^"((?:[^"\\]|\\.)*)"$/.exec(s.trim());
  return m ? m[1].replace(/\\(.)/g, '$1') : undefined;
}

export function fromSchemaRb(text: string, source: string): KnownSchema {
  const tables = new Map<string, KnownTable>();
  for (const block of text.matchAll(/create_table "([^"]+)"([^\n]*)\n([\s\S]*?)\n\s*end\b/g)) {
    const options = block[2];
    const pk = /primary_key: "([^"]+)"/.exec(options)?.[1] ?? (/id: false/.test(options) ? null : 'id');
    // t.index "lower(...)" (an expression index) names no column.
    const columns = new Set([...block[3].matchAll(/^\s*t\.(?!index\b)\w+\s+"([^"]+)"/gm)].map((m) => m[1]));
    const notNull = new Set([...block[3].matchAll(/^\s*t\.(?!index\b)\w+\s+"([^"]+)"[^\n]*\bnull: false\b/gm)].map((m) => m[1]));
    const types = new Map<string, string>();
    for (const m of block[3].matchAll(/^\s*t\.(?!index\b)(\w+)\s+"([^"]+)"(.*)$/gm)) {
      const t = railsSqlType(m[1], m[3]);
      if (t) types.set(m[2], t);
    }
    if (pk) {
      columns.add(pk);
      notNull.add(pk);
      const idType = /\bid: :(\w+)/.exec(options)?.[1] ?? (/\bid: false/.test(options) ? null : 'bigint');
      const t = idType && railsSqlType(idType === 'serial' ? 'integer' : idType === 'bigserial' ? 'bigint' : idType, '');
      if (t && !types.has(pk)) types.set(pk, t);
    }
    const indexes: KnownIndex[] = pk ? [{ name: `${block[1]}_pkey`, columns: [pk], unique: true, constraint: 'primary key' }] : [];
    for (const m of block[3].matchAll(/^\s*t\.(index|unique_constraint)\s+(.*)$/gm)) indexes.push(railsIndex(m[1], m[2]));
    tables.set(block[1], { columns, notNull, primaryKey: pk ? [pk] : [], types, indexes });
  }
  // Older dumps (and hand-written files) declare indexes after the tables.
  for (const m of text.matchAll(/^\s*add_(index|unique_constraint)\s+"([^"]+)",\s*(.*)$/gm)) {
    const t = tables.get(m[2]);
    if (t) t.indexes.push(railsIndex(m[1], m[3]));
  }
  return { source, tables };
}

/** `["a", "b"], name: "x", unique: true, where: "(...)", using: :gin`, as db/schema.rb writes it. */
function railsIndex(kind: string, args: string): KnownIndex {
  const parts = splitTopLevel(args);
  const list = /^\[(.*)\]$/.exec(parts[0] ?? '');
  const opts = prismaArgs(parts.slice(1).join(', '));
  const cols = list ? splitTopLevel(list[1]).map((c) => unquote(c)) : [];
  // An expression (a string instead of a list) or options the flags cannot give make it more than columns.
  const plain = list && cols.every((c): c is string => c !== undefined) && !['opclass', 'order', 'include', 'nulls_not_distinct', 'length'].some((o) => opts.has(o));
  const using = opts.get('using')?.replace(/^:/, '').replace(/^"(.*)"$/, '$1');
  const where = unquote(opts.get('where'));
  return {
    name: unquote(opts.get('name')) ?? '',
    columns: plain ? (cols as string[]) : null,
    unique: kind === 'unique_constraint' || opts.get('unique') === 'true',
    ...(where ? { where } : {}),
    ...(using && using !== 'btree' ? { using } : {}),
    ...(kind === 'unique_constraint' ? { constraint: 'unique' as const } : {}),
  };
}

/** The table the answers name, when the file declares it. */
export function declaredTable(known: KnownSchema, op: Pick<Operation, 'fields'>, a: Answers): KnownTable | undefined {
  return known.tables.get(parseTable(tableAnswer(op, a)).name);
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
