/**
 * The schema.prisma change that ships with the first migration of a run, so `prisma migrate dev`
 * sees no drift: a new optional field, the renamed column's twin, @ignore before a removal, or an
 * @@index with the index's real name.
 */
import type { Answers } from '../operation.js';
import type { OperationName } from '../plan/types.js';
import { parseTable } from '../fields.js';
import { isVolatileDefault } from '../sql/volatility.js';
import {
  addBlockAttribute,
  addFieldAttribute,
  fieldDeclaration,
  fieldForColumn,
  findModel,
  insertField,
  parseModels,
  prismaType,
} from './prisma-schema.js';

export type SchemaEdit = { content: string; summary: string } | { content: null; summary: string };

function withOptional(type: string, optional: boolean): string {
  const [head, ...rest] = type.split(' ');
  return [optional ? `${head}?` : head, ...rest].join(' ');
}

export function prismaSchemaEdit(op: OperationName, a: Answers, text: string, indexName: string): SchemaEdit {
  const table = parseTable(String(a.table)).name;
  const model = findModel(parseModels(text), table);
  if (!model) return { content: null, summary: `no model maps to table ${table}: make the change in schema.prisma by hand` };
  switch (op) {
    case 'add-column': {
      const cheapNotNull = Boolean(a['not-null']) && a.default && !a.backfill && !isVolatileDefault(String(a.default));
      const def = a.default ? ` @default(dbgenerated(${JSON.stringify(String(a.default))}))` : '';
      const decl = fieldDeclaration(model, String(a.column), withOptional(prismaType(String(a.type)), !cheapNotNull) + def);
      return { content: insertField(text, model, decl), summary: `added ${decl.trim()} to model ${model.name}` };
    }
    case 'rename-column': {
      const old = fieldForColumn(model, String(a.from));
      if (!old) return { content: null, summary: `model ${model.name} has no field for column ${a.from}` };
      // The twin keeps the native type (@db.*) but none of the constraints: it starts nullable.
      const native = old.attrs.match(/@db\.\w+(\([^)]*\))?/)?.[0];
      const decl = fieldDeclaration(model, String(a.to), `${old.type}${old.list ? '[]' : ''}?${native ? ` ${native}` : ''}`);
      return { content: insertField(text, model, decl), summary: `added ${decl.trim()} beside ${old.name} in model ${model.name}` };
    }
    case 'remove-column': {
      const f = fieldForColumn(model, String(a.column));
      if (!f) return { content: null, summary: `model ${model.name} has no field for column ${a.column}` };
      if (/@ignore\b/.test(f.attrs)) return { content: text, summary: `${model.name}.${f.name} is already @ignore` };
      return { content: addFieldAttribute(text, f, '@ignore'), summary: `marked ${model.name}.${f.name} @ignore` };
    }
    case 'add-index': {
      if (a.where) return { content: null, summary: 'Prisma cannot describe a partial index: leave schema.prisma as it is' };
      const cols = (a.columns as string[]).map((c) => fieldForColumn(model, c)?.name ?? c);
      const using = String(a.using ?? 'btree');
      const type = using === 'btree' ? '' : `, type: ${{ hash: 'Hash', gist: 'Gist', gin: 'Gin', spgist: 'SpGist', brin: 'Brin' }[using]}`;
      const attr = `${a.unique ? '@@unique' : '@@index'}([${cols.join(', ')}], map: ${JSON.stringify(indexName)}${a.unique ? '' : type})`;
      return { content: addBlockAttribute(text, model, attr), summary: `added ${attr} to model ${model.name}` };
    }
  }
}

/**
 * Users of Prisma think in model and field names; the database has tables and columns. A model or
 * field name given where a table or column is expected is translated through @@map / @map.
 */
export function resolvePrismaNames(op: OperationName, a: Answers, text: string): Answers {
  const t = parseTable(String(a.table));
  const model = findModel(parseModels(text), t.name);
  if (!model) return a;
  const out: Answers = { ...a, table: t.schema ? `${t.schema}.${model.table}` : model.table };
  const col = (c: string) => fieldForColumn(model, c)?.column ?? c;
  if (op !== 'add-column' && typeof a.column === 'string') out.column = col(a.column);
  if (typeof a.from === 'string') out.from = col(a.from);
  if (Array.isArray(a.columns)) out.columns = a.columns.map((c) => col(String(c)));
  return out;
}
