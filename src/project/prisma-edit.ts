/**
 * What schema.prisma must say after each phase, so that `prisma migrate dev` (which diffs the
 * migrations against the schema and writes a migration for every difference) never finds drift:
 * exact line edits per phase. migscaffold applies the first phase's edit itself; the checklist gives
 * the later ones word for word (tighten to NOT NULL, @ignore, drop the ignored field, switch @map).
 */
import type { Answers, Operation } from '../operation.js';
import { fill, indexPredicate, type Template } from '../sql/template.js';
import { parseTable, tableAnswer } from '../fields.js';
import {
  applyHunks,
  fieldForColumn,
  findModel,
  parseEnums,
  parseModels,
  type Hunk,
  type PrismaField,
  type PrismaModel,
} from './prisma-schema.js';

/** What an operation's `prisma` hook edits with: the model of its table, and where to put each step. */
export interface PrismaEditContext {
  table: string;
  model: PrismaModel;
  /** The model's name. */
  M: string;
  /** The lines of the file that declares the model. */
  lines: string[];
  files: SchemaFile[];
  enums: ReturnType<typeof parseEnums>;
  /** The plan's phase keys, in order. */
  phases: string[];
  /** Things the user must know (Prisma's limits): for the output and the checklist. */
  notes: string[];
  steps: SchemaStep[];
  /** The hunks of one phase's edit (ignored for a phase the plan does not have). */
  step(phase: string, ...hunks: Hunk[]): void;
  lineOf(f: PrismaField): string;
  /** The model's last field line (where a new field goes). */
  lastField(): string;
}

/** The summary of the edit, or, when the schema is left as it is, why. */
export type PrismaEdit = { summary: string } | { unchanged: string };

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
export interface FieldLine {
  indent: string;
  name: string;
  type: string;
  attrs: string[];
  comment: string;
}

export function splitLine(line: string): FieldLine {
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
export function commentStart(line: string): number {
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
export function addAttr(line: string, attr: string): string {
  const at = commentStart(line);
  const head = line.slice(0, at).trimEnd();
  return at < line.length ? `${head} ${attr} ${line.slice(at)}` : `${head} ${attr}`;
}

/** The line without one attribute (`@unique`, `@unique(map: "x")`), its spacing and comment left as they were. */
export function removeAttr(line: string, name: string): string {
  const attr = splitLine(line).attrs.find(isAttr(name));
  if (!attr) return line;
  const at = line.indexOf(attr);
  return line.slice(0, at).replace(/[ \t]+$/, '') + line.slice(at + attr.length);
}

/** The line with its type made optional or required, nothing else touched. */
export function setOptional(line: string, yes: boolean): string {
  return line.replace(/^(\s*\w+\s+\w+(?:\([^)]*\))?)(\[\])?\??/, (_, head: string, list: string | undefined) => `${head}${list ?? ''}${yes && !list ? '?' : ''}`);
}

export function joinLine(f: FieldLine): string {
  return `${f.indent}${[f.name, f.type, ...f.attrs].join(' ')}${f.comment ? ` ${f.comment}` : ''}`;
}

export const isAttr = (name: string) => (a: string) => a === `@${name}` || a.startsWith(`@${name}(`);
export const without = (f: FieldLine, ...names: string[]): FieldLine => ({ ...f, attrs: f.attrs.filter((a) => !names.some((n) => isAttr(n)(a))) });
export const withAttr = (f: FieldLine, attr: string): FieldLine => ({ ...f, attrs: [...f.attrs, attr] });
/** Attributes in Prisma's usual order: @default before @db.* and @map. */
export const withDefault = (f: FieldLine, def: string | undefined): FieldLine => (def ? { ...f, attrs: [def, ...f.attrs] } : f);
export const optional = (f: FieldLine, yes: boolean): FieldLine => {
  const base = f.type.replace(/\?$/, '');
  return { ...f, type: yes && !base.endsWith('[]') ? `${base}?` : base };
};
export const mapTo = (f: FieldLine, column: string): FieldLine => {
  const rest = without(f, 'map');
  return f.name === column ? rest : { ...rest, attrs: [...rest.attrs, `@map(${JSON.stringify(column)})`] };
};

export const replace = (model: string, from: string[], to: string[]): Hunk => ({
  model,
  lines: [...from.map((text) => ({ op: '-' as const, text })), ...to.map((text) => ({ op: '+' as const, text }))],
});
export const insertAfter = (model: string, anchor: string, added: string[]): Hunk => ({
  model,
  lines: [{ op: ' ', text: anchor }, ...added.map((text) => ({ op: '+' as const, text }))],
});

/** Block attributes (@@index, @@unique, @@id) of the model that list this field. */
export function blockLinesUsing(lines: string[], m: PrismaModel, field: string): string[] {
  return lines
    .slice(m.open + 1, m.close)
    .filter((l) => /^\s*@@(index|unique|id)\b/.test(l) && new RegExp(`\\[[^\\]]*\\b${field}\\b[^\\]]*\\]`).test(l));
}

/** The database name of the index a block attribute (@@index, @@unique) declares: its map, or Prisma's default name. */
export function blockIndexName(line: string, table: string, m: PrismaModel): string {
  const map = /\bmap:\s*("(?:[^"\\]|\\.)*")/.exec(line);
  if (map) return JSON.parse(map[1]) as string;
  const unique = /^\s*@@unique\b/.test(line);
  const fields = (/\[([^\]]*)\]/.exec(line)?.[1] ?? '').split(',').map((f) => f.trim().replace(/\(.*$/, ''));
  const cols = fields.map((f) => m.fields.find((x) => x.name === f)?.column ?? f);
  return `${table}_${cols.join('_')}_${unique ? 'key' : 'idx'}`;
}

/**
 * A block attribute for the copy of an index: `field` listed as `to`, named `name`, and its predicate
 * (when it has one) as PostgreSQL prints the copy's, which is what Prisma compares.
 */
export function copyBlock(line: string, field: string, to: string, name: string, where: string | null): string {
  let out = line.replace(/\[[^\]]*\]/, (list) => list.replace(new RegExp(`\\b${field}\\b`, 'g'), to));
  out = /\bmap:\s*"/.test(out)
    ? out.replace(/\bmap:\s*"(?:[^"\\]|\\.)*"/, `map: ${JSON.stringify(name)}`)
    : out.replace(/\)(\s*(?:\/\/.*)?)$/, `, map: ${JSON.stringify(name)})$1`);
  if (where !== null) out = out.replace(/\bwhere:\s*raw\("(?:[^"\\]|\\.)*"\)/, `where: raw(${JSON.stringify(where)})`);
  return out;
}

/**
 * The block attributes (@@index, @@unique) among `blocks` that describe an index `copies` copies, each
 * with how to write its copy: listing `field` as another field, under a given name, with the copy's
 * predicate (its definition filled with `column`, the copy's column).
 */
export function copiedBlocks<C extends { fact: { name: string; body: Template } }>(
  blocks: string[],
  copies: C[],
  table: string,
  m: PrismaModel,
  field: string,
  column: string,
): { copy: C; line: (asField: string, name: string) => string }[] {
  const byName = new Map(copies.map((c) => [c.fact.name, c]));
  return blocks.flatMap((b) => {
    const copy = byName.get(blockIndexName(b, table, m));
    if (!copy) return [];
    const where = indexPredicate(`CREATE INDEX x ${fill(copy.fact.body, column)}`);
    return [{ copy, line: (asField: string, name: string) => copyBlock(b, field, asField, name, where) }];
  });
}

/** Every field of a model as written, relation fields included (parseModels keeps only columns). */
export function modelFields(lines: string[], m: PrismaModel): { name: string; type: string; list: boolean; optional: boolean; line: string }[] {
  const out: { name: string; type: string; list: boolean; optional: boolean; line: string }[] = [];
  for (let i = m.open + 1; i < m.close; i++) {
    const code = lines[i].slice(0, commentStart(lines[i]));
    const f = /^\s*(\w+)\s+(\w+)(\[\])?(\?)?/.exec(code);
    if (f && !code.trim().startsWith('@@')) out.push({ name: f[1], type: f[2], list: Boolean(f[3]), optional: Boolean(f[4]), line: lines[i] });
  }
  return out;
}

export function lastLine(lines: string[], m: PrismaModel): string {
  for (let i = m.close - 1; i > m.open; i--) if (lines[i].trim() !== '') return lines[i];
  return lines[m.open];
}

/** The other side of a relation that couples a scalar field with one of another model (or the same). */
export interface RelationPartner {
  model: string;
  field: string;
  type: string;
}

/**
 * The scalar fields a relation pairs with `field` of `m`: the referenced field when `field` is one of a
 * relation's `fields`, the referencing field when a relation lists it in `references`. Prisma requires
 * both sides of each pair to have the same type (`prisma validate`: "is not matching the type of the
 * referenced field").
 */
export function relationPartners(files: SchemaFile[], m: PrismaModel, field: string): RelationPartner[] {
  const all = files.flatMap((f) => {
    const lines = f.text.split('\n');
    return parseModels(f.text).map((model) => ({ model, lines }));
  });
  const byName = new Map(all.map((x) => [x.model.name, x.model]));
  const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);
  const out: RelationPartner[] = [];
  for (const { model, lines } of all)
    for (let i = model.open + 1; i < model.close; i++) {
      const r = /^\s*\w+\s+(\w+)\??\s.*@relation\((.*)\)/.exec(lines[i].replace(/\/\/.*$/, ''));
      if (!r) continue;
      const fields = /fields:\s*\[([^\]]*)\]/.exec(r[2]);
      const refs = /references:\s*\[([^\]]*)\]/.exec(r[2]);
      const target = byName.get(r[1]);
      if (!fields || !refs || !target) continue;
      const [fs, rs] = [list(fields[1]), list(refs[1])];
      fs.forEach((name, k) => {
        const ref = target.fields.find((x) => x.name === rs[k]);
        const own = model.fields.find((x) => x.name === name);
        if (!ref || !own) return;
        if (model.name === m.name && name === field) out.push({ model: target.name, field: ref.name, type: ref.type });
        if (target.name === m.name && ref.name === field) out.push({ model: model.name, field: own.name, type: own.type });
      });
    }
  return out;
}

export function partialIndexesEnabled(files: SchemaFile[]): boolean {
  return files.some((f) =>
    [...f.text.matchAll(/^\s*generator\s+\w+\s*\{([^}]*)\}/gm)].some((g) => /previewFeatures\s*=\s*\[[^\]]*"partialIndexes"/.test(g[1])),
  );
}

/**
 * The schema edits of a run, per phase. `phases` are the plan's phase keys, in order: a step is
 * given only for a phase the plan has.
 */
export function prismaSchemaPlan(op: Operation, a: Answers, files: SchemaFile[], phases: string[]): SchemaPlanResult {
  const table = parseTable(tableAnswer(op, a)).name;
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

  const edit = op.prisma(
    { table, model, M, lines, files, enums, phases, notes, steps, step, lineOf, lastField },
    a,
  );
  if ('unchanged' in edit) return { file: null, summary: edit.unchanged, notes };
  const summary = edit.summary;
  const firstPhase = phases[0];
  const written = steps[0]?.phase === firstPhase ? applyHunks(text, steps[0].hunks) : null;
  if (steps[0]?.phase === firstPhase && written === null) throw new Error(`internal error: the ${firstPhase} edit does not apply to ${home.path}`);
  return { file: home.path, original: text, written: written === text ? null : written, steps, summary, notes };
}

/**
 * Users of Prisma think in model and field names; the database has tables and columns. A model or
 * field name given where a table or column is expected is translated through @@map / @map.
 */
export function resolvePrismaNames(op: Operation, a: Answers, text: string): Answers {
  const tableField = op.fields.find((f) => f.identifies === 'table')?.name ?? 'table';
  const t = parseTable(tableAnswer(op, a));
  const model = findModel(parseModels(text), t.name);
  if (!model) return a;
  const out: Answers = { ...a, [tableField]: t.schema ? `${t.schema}.${model.table}` : model.table };
  const col = (c: string) => fieldForColumn(model, c)?.column ?? c;
  for (const f of op.fields) {
    const v = a[f.name];
    if (f.identifies === 'existing-column' && typeof v === 'string') out[f.name] = col(v);
    if (f.identifies === 'existing-columns' && Array.isArray(v)) out[f.name] = v.map((c) => col(String(c)));
  }
  return out;
}

// The schema reading helpers operations' `prisma` hooks use, from one place.
export { enumForType, fieldDeclaration, fieldForColumn, fieldName, findModel, parseModels, prismaDefault, prismaType } from './prisma-schema.js';
