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

/** A field declaration for a column: its own name when Prisma allows it, else camelCase + @map. */
export function fieldDeclaration(m: PrismaModel, column: string, typeAndAttrs: string): string {
  let name = IDENT.test(column) ? column : column.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : '')).replace(/^[^A-Za-z]+/, '') || 'field';
  while (m.fields.some((f) => f.name === name)) name = `${name}_`;
  const map = name === column ? '' : ` @map(${JSON.stringify(column)})`;
  return `${m.indent}${name} ${typeAndAttrs}${map}`;
}

/** Insert a field after the last field line of the model (before @@ attributes). */
export function insertField(text: string, m: PrismaModel, declaration: string): string {
  const lines = text.split('\n');
  const after = m.fields.length ? Math.max(...m.fields.map((f) => f.line)) : m.open;
  lines.splice(after + 1, 0, declaration);
  return lines.join('\n');
}

/** Append an attribute to a field's line, before its trailing comment if any. */
export function addFieldAttribute(text: string, f: PrismaField, attribute: string): string {
  const lines = text.split('\n');
  const line = lines[f.line];
  const comment = line.indexOf('//');
  lines[f.line] = comment >= 0 ? `${line.slice(0, comment).trimEnd()} ${attribute} ${line.slice(comment)}` : `${line.trimEnd()} ${attribute}`;
  return lines.join('\n');
}

/** Add a block attribute (@@index, @@unique) as the model's last line. */
export function addBlockAttribute(text: string, m: PrismaModel, attribute: string): string {
  const lines = text.split('\n');
  lines.splice(m.close, 0, `${m.indent}${attribute}`);
  return lines.join('\n');
}

/** Prisma's type (and native attribute) for a PostgreSQL type; Unsupported() otherwise. */
export function prismaType(sqlType: string): string {
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
      return 'Int';
    case 'smallint':
    case 'int2':
      return 'Int @db.SmallInt';
    case 'bigint':
    case 'int8':
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
