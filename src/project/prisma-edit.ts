/**
 * What schema.prisma must say after each phase, so that `prisma migrate dev` (which diffs the
 * migrations against the schema and writes a migration for every difference) never finds drift:
 * exact line edits per phase. migscaffold applies the first phase's edit itself; the checklist gives
 * the later ones word for word (tighten to NOT NULL, @ignore, drop the ignored field, switch @map).
 */
import type { Answers } from '../operation.js';
import type { OperationName } from '../plan/types.js';
import { parseTable } from '../fields.js';
import { isVolatileDefault } from '../sql/volatility.js';
import {
  applyHunks,
  enumForType,
  fieldDeclaration,
  fieldForColumn,
  fieldName,
  findModel,
  parseEnums,
  parseModels,
  prismaDefault,
  prismaType,
  type Hunk,
  type PrismaField,
  type PrismaModel,
} from './prisma-schema.js';

export interface SchemaFile {
  path: string;
  text: string;
}

/** The edit for one phase: hunks applied to the schema file in order. */
export interface SchemaStep {
  phase: string;
  hunks: Hunk[];
}

export interface PrismaSchemaPlan {
  /** The file that declares the model. */
  file: string;
  original: string;
  /** The file after the first phase's edit (what migscaffold writes); null when it does not change. */
  written: string | null;
  steps: SchemaStep[];
  /** One line for the run's output. */
  summary: string;
  /** Things the user must know about the schema (Prisma's limits), for the output and the checklist. */
  notes: string[];
}

export type SchemaPlanResult = PrismaSchemaPlan | { file: null; summary: string; notes: string[] };

/** A field line split into its declaration head, attributes (`@x(...)`) and trailing comment. */
interface FieldLine {
  indent: string;
  name: string;
  type: string;
  attrs: string[];
  comment: string;
}

function splitLine(line: string): FieldLine {
  const m = /^(\s*)(\w+)(\s+)(\S+)(.*)$/.exec(line)!;
  const attrs: string[] = [];
  const rest = m[5];
  let comment = '';
  for (let i = 0; i < rest.length; ) {
    if (rest.startsWith('//', i)) {
      comment = rest.slice(i);
      break;
    }
    if (rest[i] !== '@') {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < rest.length && /[\w.]/.test(rest[j])) j++;
    if (rest[j] === '(') {
      let depth = 0;
      let quoted = false;
      for (; j < rest.length; j++) {
        const c = rest[j];
        if (quoted) {
          if (c === '\\') j++;
          else if (c === '"') quoted = false;
        } else if (c === '"') quoted = true;
        else if (c === '(') depth++;
        else if (c === ')' && --depth === 0) {
          j++;
          break;
        }
      }
    }
    attrs.push(rest.slice(i, j));
    i = j;
  }
  return { indent: m[1], name: m[2], type: m[4], attrs, comment };
}

/** Where a line's `//` comment starts (outside strings), or its length. */
function commentStart(line: string): number {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '/' && line[i + 1] === '/') return i;
  }
  return line.length;
}

/** The line with one more attribute, its spacing and comment left as they were. */
function addAttr(line: string, attr: string): string {
  const at = commentStart(line);
  const head = line.slice(0, at).trimEnd();
  return at < line.length ? `${head} ${attr} ${line.slice(at)}` : `${head} ${attr}`;
}

/** The line with its type made optional or required, nothing else touched. */
function setOptional(line: string, yes: boolean): string {
  return line.replace(/^(\s*\w+\s+\w+(?:\([^)]*\))?)(\[\])?\??/, (_, head: string, list: string | undefined) => `${head}${list ?? ''}${yes && !list ? '?' : ''}`);
}

function joinLine(f: FieldLine): string {
  return `${f.indent}${[f.name, f.type, ...f.attrs].join(' ')}${f.comment ? ` ${f.comment}` : ''}`;
}

const isAttr = (name: string) => (a: string) => a === `@${name}` || a.startsWith(`@${name}(`);
const without = (f: FieldLine, ...names: string[]): FieldLine => ({ ...f, attrs: f.attrs.filter((a) => !names.some((n) => isAttr(n)(a))) });
const withAttr = (f: FieldLine, attr: string): FieldLine => ({ ...f, attrs: [...f.attrs, attr] });
/** Attributes in Prisma's usual order: @default before @db.* and @map. */
const withDefault = (f: FieldLine, def: string | undefined): FieldLine => (def ? { ...f, attrs: [def, ...f.attrs] } : f);
const optional = (f: FieldLine, yes: boolean): FieldLine => {
  const base = f.type.replace(/\?$/, '');
  return { ...f, type: yes && !base.endsWith('[]') ? `${base}?` : base };
};
const mapTo = (f: FieldLine, column: string): FieldLine => {
  const rest = without(f, 'map');
  return f.name === column ? rest : { ...rest, attrs: [...rest.attrs, `@map(${JSON.stringify(column)})`] };
};

const replace = (model: string, from: string[], to: string[]): Hunk => ({
  model,
  lines: [...from.map((text) => ({ op: '-' as const, text })), ...to.map((text) => ({ op: '+' as const, text }))],
});
const insertAfter = (model: string, anchor: string, added: string[]): Hunk => ({
  model,
  lines: [{ op: ' ', text: anchor }, ...added.map((text) => ({ op: '+' as const, text }))],
});

/** Block attributes (@@index, @@unique, @@id) of the model that list this field. */
function blockLinesUsing(lines: string[], m: PrismaModel, field: string): string[] {
  return lines
    .slice(m.open + 1, m.close)
    .filter((l) => /^\s*@@(index|unique|id)\b/.test(l) && new RegExp(`\\[[^\\]]*\\b${field}\\b[^\\]]*\\]`).test(l));
}

function lastLine(lines: string[], m: PrismaModel): string {
  for (let i = m.close - 1; i > m.open; i--) if (lines[i].trim() !== '') return lines[i];
  return lines[m.open];
}

function partialIndexesEnabled(files: SchemaFile[]): boolean {
  return files.some((f) =>
    [...f.text.matchAll(/^\s*generator\s+\w+\s*\{([^}]*)\}/gm)].some((g) => /previewFeatures\s*=\s*\[[^\]]*"partialIndexes"/.test(g[1])),
  );
}

/**
 * The schema edits of a run, per phase. `phases` are the plan's phase keys, in order: a step is
 * given only for a phase the plan has.
 */
export function prismaSchemaPlan(
  op: OperationName,
  a: Answers,
  files: SchemaFile[],
  indexName: string,
  phases: string[],
): SchemaPlanResult {
  const table = parseTable(String(a.table)).name;
  const all = files.map((f) => f.text).join('\n');
  const enums = parseEnums(all);
  const home = files.find((f) => findModel(parseModels(f.text), table));
  if (!home) return { file: null, summary: `no model maps to table ${table}: make the change in schema.prisma by hand`, notes: [] };
  const text = home.text;
  const lines = text.split('\n');
  const model = findModel(parseModels(text), table)!;
  const M = model.name;
  const notes: string[] = [];
  const steps: SchemaStep[] = [];
  const step = (phase: string, ...hunks: Hunk[]) => {
    if (phases.includes(phase) && hunks.length) steps.push({ phase, hunks });
  };
  const lineOf = (f: PrismaField) => lines[f.line];
  const lastField = () => (model.fields.length ? lines[Math.max(...model.fields.map((f) => f.line))] : lastLine(lines, model));
  let summary = '';

  switch (op) {
    case 'add-column': {
      const column = String(a.column);
      const sqlType = String(a.type);
      const type = prismaType(sqlType, enums);
      const def = a.default ? String(a.default) : undefined;
      const notNull = Boolean(a['not-null']);
      const serial = /^(small|big)?serial[248]?$/i.test(sqlType.trim());
      const d = serial ? { attr: '@default(autoincrement())', literal: true } : def ? prismaDefault(def, type, enumForType(sqlType, enums)) : undefined;
      if (d && !d.literal)
        notes.push(
          `${d.attr} is compared as text with what PostgreSQL stores: if \`prisma migrate dev\` proposes a SET DEFAULT for ${column}, copy the expression from \`SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef WHERE adrelid = '${table}'::regclass\``,
        );
      const cheap = !a.backfill && !(def && isVolatileDefault(def));
      const [head, ...native] = type.split(' ');
      const decl = (opt: boolean) => fieldDeclaration(model, column, [opt ? `${head}?` : head, ...(d ? [d.attr] : []), ...native].join(' '));
      const first = decl(!(cheap && notNull));
      step(cheap ? 'add' : 'expand', insertAfter(M, lastField(), [first]));
      if (!cheap && notNull) step('tighten', replace(M, [first], [decl(false)]));
      summary = `added ${first.trim()} to model ${M}`;
      break;
    }
    case 'rename-column': {
      const from = String(a.from);
      const to = String(a.to);
      const F = fieldForColumn(model, from);
      if (!F) return { file: null, summary: `model ${M} has no field for column ${from}`, notes: [] };
      const f0 = splitLine(lineOf(F));
      const def = f0.attrs.find(isAttr('default'));
      const native = f0.attrs.filter((x) => x.startsWith('@db.'));
      // The new column starts with the old one's type and nothing else: no default, no NOT NULL
      // (both arrive in later phases), no index.
      const twinDecl = splitLine(fieldDeclaration(model, to, [optional(f0, true).type, ...native].join(' ')));
      const twin = (opt: boolean) => joinLine(optional(twinDecl, opt));
      const tight = twin(F.optional);
      step('expand', insertAfter(M, lineOf(F), [twin(true)]));
      if (!F.optional) step('tighten', replace(M, [twin(true)], [tight]));
      const blocks = blockLinesUsing(lines, model, F.name);
      if (F.name === F.column) {
        // The field is the column: the new column gets its own field, the old one is ignored, then removed.
        const ignored = addAttr(lineOf(F), '@ignore');
        const final = joinLine(withDefault(optional(twinDecl, F.optional), def));
        step('switch', replace(M, [lineOf(F)], [ignored]));
        step('contract', replace(M, [ignored, tight], [final]), ...blocks.map((b) => replace(M, [b], [])));
        summary = `added ${twin(true).trim()} beside ${F.name} in model ${M}`;
      } else {
        // The field already has its own name (@map): it keeps it and switches its @map to the new
        // column, so code keeps using ${F.name}; the old column stays as an ignored field until dropped.
        const switched = joinLine(mapTo(without(f0, 'default', 'unique', 'id'), to));
        const oldName = fieldName(from, new Set([...model.fields.map((x) => x.name), twinDecl.name]));
        const ignoredOld = joinLine(withAttr(mapTo({ ...without(f0, 'map'), name: oldName, comment: '' }, from), '@ignore'));
        const final = joinLine(withDefault(splitLine(switched), def));
        const renamed = blocks.map((b) => b.replace(new RegExp(`\\b${F.name}\\b`, 'g'), oldName));
        step('switch', replace(M, [lineOf(F), tight], [switched, ignoredOld]), ...blocks.map((b, i) => replace(M, [b], [renamed[i]])));
        step('contract', replace(M, [switched, ignoredOld], [final]), ...renamed.map((b) => replace(M, [b], [])));
        summary = `added ${twin(true).trim()} beside ${F.name} in model ${M}; ${F.name} moves to ${to} in the switch phase`;
      }
      if (blocks.length || f0.attrs.some(isAttr('unique')))
        notes.push(`indexes on ${from} are dropped with it: re-create the ones you need on ${to} (migscaffold add-index) before the contract phase`);
      break;
    }
    case 'remove-column': {
      const column = String(a.column);
      const F = fieldForColumn(model, column);
      if (!F) return { file: null, summary: `model ${M} has no field for column ${column}`, notes: [] };
      let cur = lineOf(F);
      if (phases.includes('relax') && !F.optional) {
        const relaxed = setOptional(cur, true);
        step('relax', replace(M, [cur], [relaxed]));
        cur = relaxed;
      }
      if (!/@ignore\b/.test(F.attrs)) {
        const ignored = addAttr(cur, '@ignore');
        step('ignore', replace(M, [cur], [ignored]));
        cur = ignored;
      }
      step('drop', replace(M, [cur], []), ...blockLinesUsing(lines, model, F.name).map((b) => replace(M, [b], [])));
      summary = steps[0].phase === 'relax' ? `made ${M}.${F.name} optional` : steps[0].phase === 'ignore' ? `marked ${M}.${F.name} @ignore` : `${M}.${F.name} is already @ignore`;
      break;
    }
    case 'add-index': {
      const cols = (a.columns as string[]).map((c) => fieldForColumn(model, c)?.name ?? c);
      const using = String(a.using ?? 'btree');
      const type = using === 'btree' ? '' : `, type: ${{ hash: 'Hash', gist: 'Gist', gin: 'Gin', spgist: 'SpGist', brin: 'Brin' }[using]}`;
      const where = a.where ? `, where: raw(${JSON.stringify(String(a.where))})` : '';
      const attr = `${model.indent}${a.unique ? '@@unique' : '@@index'}([${cols.join(', ')}], map: ${JSON.stringify(indexName)}${a.unique ? '' : type}${where})`;
      if (a.where && !partialIndexesEnabled(files)) {
        notes.push(
          `Prisma describes a partial index only with the partialIndexes preview feature, which this project does not enable; without it Prisma's schema engine leaves ${indexName} alone (\`prisma migrate dev\` neither drops nor re-creates it). ` +
            `If you enable previewFeatures = ["partialIndexes"] later, add \`${attr.trim()}\` to model ${M} at the same time, or migrate dev will drop the index`,
        );
        return { file: null, summary: `schema.prisma left as it is: ${indexName} is a partial index (see the notes)`, notes };
      }
      step('build', insertAfter(M, lastLine(lines, model), [attr]));
      summary = `added ${attr.trim()} to model ${M}`;
      break;
    }
  }
  const firstPhase = phases[0];
  const written = steps[0]?.phase === firstPhase ? applyHunks(text, steps[0].hunks) : null;
  if (steps[0]?.phase === firstPhase && written === null) throw new Error(`internal error: the ${firstPhase} edit does not apply to ${home.path}`);
  return { file: home.path, original: text, written: written === text ? null : written, steps, summary, notes };
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
