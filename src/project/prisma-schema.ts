/**
 * Line-level reading and editing of schema.prisma: enough to find a model by its table (@@map),
 * a field by its column (@map), and to add a field, an attribute or an index while every other
 * byte of the file stays as it was.
 */
export interface PrismaField {
  name: string;
  column: string;
  type: string;
  optional: boolean;
  list: boolean;
  attrs: string;
  line: number;
  isId: boolean;
}

export interface PrismaModel {
  name: string;
  table: string;
  open: number;
  close: number;
  fields: PrismaField[];
  compositeId: string[];
  indent: string;
}

const SCALARS = new Set(['String', 'Boolean', 'Int', 'BigInt', 'Float', 'Decimal', 'DateTime', 'Json', 'Bytes', 'Unsupported']);

export function parseModels(text: string): PrismaModel[] {
  const lines = text.split('\n');
  const enums = new Set([...text.matchAll(/^\s*enum\s+(\w+)\s*\{/gm)].map((m) => m[1]));
  const models: PrismaModel[] = [];
  for (let i = 0; i < lines.length; i++) {
    const head = /^\s*model\s+(\w+)\s*\{\s*$/.exec(lines[i]);
    if (!head) continue;
    const model: PrismaModel = { name: head[1], table: head[1], open: i, close: i, fields: [], compositeId: [], indent: '  ' };
    for (let j = i + 1; j < lines.length; j++) {
      const line = lines[j].replace(/\/\/.*$/, '');
      if (/^\s*\}\s*$/.test(line)) {
        model.close = j;
        i = j;
        break;
      }
      const map = /^\s*@@map\(\s*(?:name:\s*)?"([^"]+)"/.exec(line);
      if (map) model.table = map[1];
      const id = /^\s*@@id\(\s*(?:fields:\s*)?\[([^\]]*)\]/.exec(line);
      if (id) model.compositeId = id[1].split(',').map((s) => s.trim()).filter(Boolean);
      const f = /^(\s*)(\w+)\s+(\w+)(\[\])?(\?)?(.*)$/.exec(line);
      if (!f || line.trim().startsWith('@@')) continue;
      const type = f[3];
      if (!SCALARS.has(type) && !enums.has(type)) continue; // a relation, not a column
      if (model.fields.length === 0) model.indent = f[1];
      const colMap = /@map\(\s*(?:name:\s*)?"([^"]+)"/.exec(f[6]);
      model.fields.push({
        name: f[2],
        column: colMap ? colMap[1] : f[2],
        type,
        list: Boolean(f[4]),
        optional: Boolean(f[5]),
        attrs: f[6].trim(),
        line: j,
        isId: /(^|\s)@id\b/.test(f[6]),
      });
    }
    models.push(model);
  }
  return models;
}

/** The model for a table name, or for a model name the user typed instead. */
export function findModel(models: PrismaModel[], table: string): PrismaModel | undefined {
  return models.find((m) => m.table === table) ?? models.find((m) => m.name === table);
}

export function fieldForColumn(m: PrismaModel, column: string): PrismaField | undefined {
  return m.fields.find((f) => f.column === column) ?? m.fields.find((f) => f.name === column);
}

const IDENT = /^[A-Za-z][A-Za-z0-9_]*$/;

/** A field name for a column: the column's own name when Prisma allows it and it is free, else camelCase. */
export function fieldName(column: string, taken: Set<string>): string {
  let name = IDENT.test(column) ? column : column.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : '')).replace(/^[^A-Za-z]+/, '') || 'field';
  while (taken.has(name)) name = `${name}_`;
  return name;
}

/** A field declaration for a column: its own name when Prisma allows it, else camelCase + @map. */
export function fieldDeclaration(m: PrismaModel, column: string, typeAndAttrs: string, taken = new Set(m.fields.map((f) => f.name))): string {
  const name = fieldName(column, taken);
  const map = name === column ? '' : ` @map(${JSON.stringify(column)})`;
  return `${m.indent}${name} ${typeAndAttrs}${map}`;
}

/** Prisma's type (and native attribute) for a PostgreSQL type; Unsupported() otherwise. */
export function prismaType(sqlType: string, enums: PrismaEnum[] = []): string {
  const e = enumForType(sqlType, enums);
  if (e) return e.name;
  const t = sqlType.trim().toLowerCase().replace(/\s+/g, ' ');
  const args = /\(([^)]*)\)/.exec(t)?.[1]?.replace(/\s+/g, '');
  const base = t.replace(/\(.*\)/, '').trim();
  switch (base) {
    case 'text':
      return 'String';
    case 'varchar':
    case 'character varying':
      return args ? `String @db.VarChar(${args})` : 'String @db.VarChar';
    case 'char':
    case 'character':
      return `String @db.Char(${args ?? '1'})`;
    case 'uuid':
      return 'String @db.Uuid';
    case 'int':
    case 'integer':
    case 'int4':
    case 'serial':
    case 'serial4':
      return 'Int';
    case 'smallint':
    case 'int2':
    case 'smallserial':
    case 'serial2':
      return 'Int @db.SmallInt';
    case 'bigint':
    case 'int8':
    case 'bigserial':
    case 'serial8':
      return 'BigInt';
    case 'boolean':
    case 'bool':
      return 'Boolean';
    case 'timestamptz':
    case 'timestamp with time zone':
      return `DateTime @db.Timestamptz(${args ?? '6'})`;
    case 'timestamp':
    case 'timestamp without time zone':
      return `DateTime @db.Timestamp(${args ?? '6'})`;
    case 'date':
      return 'DateTime @db.Date';
    case 'double precision':
    case 'float8':
      return 'Float';
    case 'real':
    case 'float4':
      return 'Float @db.Real';
    case 'numeric':
    case 'decimal':
      return args ? `Decimal @db.Decimal(${args})` : 'Decimal';
    case 'jsonb':
      return 'Json';
    case 'json':
      return 'Json @db.Json';
    case 'bytea':
      return 'Bytes';
    default:
      return `Unsupported(${JSON.stringify(sqlType)})`;
  }
}

// ---------------------------------------------------------------------------------------------
// Enums, defaults

export interface PrismaEnum {
  name: string;
  /** The database type name (@@map, else the enum's name). */
  dbName: string;
  /** Database value -> Prisma value name (values may carry their own @map). */
  values: Map<string, string>;
}

export function parseEnums(text: string): PrismaEnum[] {
  const out: PrismaEnum[] = [];
  for (const m of text.matchAll(/^\s*enum\s+(\w+)\s*\{([^}]*)\}/gm)) {
    const e: PrismaEnum = { name: m[1], dbName: m[1], values: new Map() };
    for (const raw of m[2].split('\n')) {
      const line = raw.replace(/\/\/.*$/, '').trim();
      const map = /^@@map\(\s*(?:name:\s*)?"([^"]+)"/.exec(line);
      if (map) e.dbName = map[1];
      const v = /^(\w+)\b(.*)$/.exec(line);
      if (v && !line.startsWith('@@')) e.values.set(/@map\(\s*(?:name:\s*)?"([^"]+)"/.exec(v[2])?.[1] ?? v[1], v[1]);
    }
    out.push(e);
  }
  return out;
}

/** The enum a column type names (`status`, `"Status"`, `public.status`), if the schema declares it. */
export function enumForType(sqlType: string, enums: PrismaEnum[]): PrismaEnum | undefined {
  const bare = sqlType.trim().replace(/^(\w+|"[^"]+")\./, '');
  const name = /^"(.*)"$/.exec(bare)?.[1] ?? bare.toLowerCase();
  return enums.find((e) => e.dbName === name);
}

const PRISMA_STRING = (s: string) => JSON.stringify(s);
const STRING_CAST = /::\s*(text|character varying|varchar|character|char|bpchar)(\(\d+\))?$/i;

/**
 * `@default(...)` for a SQL default on a column of this Prisma type. A Prisma literal wherever it
 * means what PostgreSQL stores (Prisma compares it by value); otherwise dbgenerated(), which Prisma
 * compares as text with what PostgreSQL prints back (pg_get_expr), so it must be written that way.
 */
export function prismaDefault(sqlDefault: string, prismaTypeText: string, e?: PrismaEnum): { attr: string; literal: boolean } {
  const expr = sqlDefault.trim();
  const base = prismaTypeText.split(/[\s?[]/)[0];
  const native = /@db\.(\w+)/.exec(prismaTypeText)?.[1];
  const lit = (v: string) => ({ attr: `@default(${v})`, literal: true });
  const str = /^'((?:[^']|'')*)'(::.*)?$/s.exec(expr);
  const strValue = str && (!str[2] || (e ? new RegExp(`^::\\s*"?${e.dbName}"?$`, 'i').test(str[2]) : STRING_CAST.test(str[2]))) ? str[1].replace(/''/g, "'") : null;
  if (e && strValue !== null && e.values.has(strValue)) return lit(e.values.get(strValue)!);
  if (base === 'String' && native !== 'Uuid' && strValue !== null) return lit(PRISMA_STRING(strValue));
  if (base === 'Json' && str && !str[2]) return lit(PRISMA_STRING(str[1].replace(/''/g, "'")));
  if (base === 'Boolean' && /^(true|false)$/i.test(expr)) return lit(expr.toLowerCase());
  if ((base === 'Int' || base === 'BigInt') && /^-?\d+$/.test(expr)) return lit(expr);
  if ((base === 'Float' || base === 'Decimal') && /^-?\d+(\.\d+)?$/.test(expr)) return lit(expr);
  if (base === 'DateTime' && /^(now\(\s*\)|current_timestamp)$/i.test(expr)) return lit('now()');
  // PostgreSQL prints a string constant of another type with its cast, and SQL-standard keywords
  // (CURRENT_DATE, ...) in capitals.
  let text = expr;
  const castTo: Record<string, string> = { Uuid: 'uuid', Date: 'date', Time: 'time without time zone', Inet: 'inet' };
  if (str && !str[2] && native && castTo[native]) text = `${expr}::${castTo[native]}`;
  if (/^(current_date|current_time|localtime|localtimestamp)$/i.test(expr)) text = expr.toUpperCase();
  if (/^[a-z_][\w.]*\(\s*\)$/i.test(expr)) text = expr.replace(/\s+/g, '').toLowerCase();
  return { attr: `@default(dbgenerated(${PRISMA_STRING(text)}))`, literal: false };
}

// ---------------------------------------------------------------------------------------------
// Exact line edits, as a checklist shows them and as migscaffold applies them

/** One unified-diff hunk inside a model: ` ` context, `-` removed, `+` added, in file order. */
export interface Hunk {
  model: string;
  lines: { op: ' ' | '-' | '+'; text: string }[];
}

/** Applies hunks by exact line match inside their model block; null when a hunk does not match. */
export function applyHunks(text: string, hunks: Hunk[]): string | null {
  let lines = text.split('\n');
  for (const h of hunks) {
    const open = lines.findIndex((l) => new RegExp(`^\\s*model\\s+${h.model}\\s*\\{`).test(l));
    if (open < 0) return null;
    let close = open + 1;
    while (close < lines.length && !/^\s*\}\s*(\/\/.*)?$/.test(lines[close])) close++;
    const old = h.lines.filter((l) => l.op !== '+').map((l) => l.text);
    const neu = h.lines.filter((l) => l.op !== '-').map((l) => l.text);
    let at = -1;
    for (let i = open + 1; i + old.length <= close + (old.length ? 0 : 1); i++)
      if (old.every((l, k) => lines[i + k] === l)) {
        at = i;
        break;
      }
    if (at < 0 && old.length === 0) at = close;
    if (at < 0) return null;
    lines = [...lines.slice(0, at), ...neu, ...lines.slice(at + old.length)];
  }
  return lines.join('\n');
}
