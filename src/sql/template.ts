/**
 * A definition PostgreSQL printed (pg_get_indexdef, pg_get_constraintdef, a pg_dump line) turned into
 * a template with a hole wherever it names one column, so the same index or constraint can be written
 * for another column (a rename's new column, a type change's shadow column) or for the old one again.
 *
 * The holes come from PostgreSQL's own parser (libpg-query), not from a pattern over the text: a
 * string literal 'name', a function name(...), a cast to the type name or another table's column of
 * the same name are not column references in the parse tree, so they are left alone. The parser gives
 * the position of every column reference inside an expression; a plain key, INCLUDE or FOREIGN KEY
 * column has no position in the tree, so it is found as the n-th element of its parenthesised list,
 * counting with a tokenizer that knows quotes and parentheses, and checked to be that column.
 */
import { quoteIdent } from './ident.js';

/** The text around each occurrence of the column: `parts.join(column)` gives a definition back. */
export type Template = string[];

export function fill(t: Template, column: string): string {
  return t.join(quoteIdent(column));
}

type Node = Record<string, unknown>;

let parser: Promise<(sql: string) => Promise<{ stmts?: { stmt: Node; stmt_location?: number; stmt_len?: number }[] }>> | undefined;
function load() {
  parser ??= import('libpg-query').then((m) => m.parse);
  return parser;
}

export interface Token {
  /** Index in the string (not bytes). */
  start: number;
  end: number;
  kind: 'ident' | 'quoted' | 'string' | 'number' | 'punct' | 'op';
  text: string;
}

/** The identifier a token names: quoted as written, bare folded to lower case (as PostgreSQL does). */
export function identValue(t: Token): string | null {
  if (t.kind === 'quoted') return t.text.slice(1, -1).replace(/""/g, '"');
  if (t.kind === 'ident') return t.text.toLowerCase();
  return null;
}

/** SQL tokens of a definition: enough to count list elements and find words, never to parse. */
export function tokenize(sql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const push = (start: number, end: number, kind: Token['kind']) => out.push({ start, end, kind, text: sql.slice(start, end) });
  while (i < sql.length) {
    const c = sql[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '-' && sql[i + 1] === '-') {
      while (i < sql.length && sql[i] !== '\n') i++;
    } else if (c === '/' && sql[i + 1] === '*') {
      const e = sql.indexOf('*/', i + 2);
      i = e < 0 ? sql.length : e + 2;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < sql.length; j++) if (sql[j] === '"') { if (sql[j + 1] === '"') j++; else break; }
      push(i, j + 1, 'quoted');
      i = j + 1;
    } else if (c === "'" || ((c === 'E' || c === 'e') && sql[i + 1] === "'")) {
      const escapes = c !== "'";
      let j = i + (escapes ? 2 : 1);
      for (; j < sql.length; j++) {
        if (escapes && sql[j] === '\\') j++;
        else if (sql[j] === "'") { if (sql[j + 1] === "'") j++; else break; }
      }
      push(i, j + 1, 'string');
      i = j + 1;
    } else if (c === '$' && /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.test(sql.slice(i))) {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i))![0];
      const e = sql.indexOf(tag, i + tag.length);
      const end = e < 0 ? sql.length : e + tag.length;
      push(i, end, 'string');
      i = end;
    } else if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      let j = i + 1;
      while (j < sql.length && /[A-Za-z0-9_$\u0080-\uffff]/.test(sql[j])) j++;
      push(i, j, 'ident');
      i = j;
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      let j = i + 1;
      while (j < sql.length && /[0-9.eE_]/.test(sql[j])) j++;
      push(i, j, 'number');
      i = j;
    } else if ('(),;[].'.includes(c)) {
      push(i, i + 1, 'punct');
      i++;
    } else {
      let j = i + 1;
      while (j < sql.length && '+-*/<>=~!@#%^&|`?:'.includes(sql[j]) && !(sql[j] === '-' && sql[j + 1] === '-')) j++;
      push(i, j, 'op');
      i = j;
    }
  }
  return out;
}

/** String index of a UTF-8 byte offset (the parser counts bytes). */
function indexOfByte(sql: string, byte: number): number {
  let b = 0;
  for (let i = 0; i < sql.length; i++) {
    if (b >= byte) return i;
    const cp = sql.codePointAt(i)!;
    b += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (cp >= 0x10000) i++;
  }
  return sql.length;
}

function isWord(t: Token | undefined, word: string): boolean {
  return t !== undefined && t.kind === 'ident' && t.text.toLowerCase() === word;
}

/** The elements of the parenthesised list opening at tokens[open]: each a range of token indexes. */
export function listElements(tokens: Token[], open: number): { first: number; last: number }[] {
  const out: { first: number; last: number }[] = [];
  let depth = 0;
  let first = open + 1;
  for (let k = open; k < tokens.length; k++) {
    const t = tokens[k];
    if (t.kind === 'punct' && (t.text === '(' || t.text === '[')) depth++;
    else if (t.kind === 'punct' && (t.text === ')' || t.text === ']')) {
      depth--;
      if (depth === 0) {
        out.push({ first, last: k - 1 });
        return out;
      }
    } else if (depth === 1 && t.kind === 'punct' && t.text === ',') {
      out.push({ first, last: k - 1 });
      first = k + 1;
    }
  }
  throw new Error('unbalanced parentheses');
}

function depthAt(tokens: Token[]): number[] {
  let d = 0;
  return tokens.map((t) => {
    if (t.kind === 'punct' && (t.text === ')' || t.text === ']')) d--;
    const here = d;
    if (t.kind === 'punct' && (t.text === '(' || t.text === '[')) d++;
    return here;
  });
}

/** Every ColumnRef naming `column` alone (unqualified), by its position in the text. */
function columnRefs(node: unknown, column: string, out: number[]): void {
  if (Array.isArray(node)) return node.forEach((n) => columnRefs(n, column, out));
  if (!node || typeof node !== 'object') return;
  const o = node as Node;
  const ref = o.ColumnRef as { fields?: { String?: { sval: string } }[]; location?: number } | undefined;
  if (ref) {
    const f = ref.fields ?? [];
    if (f.length === 1 && f[0].String?.sval === column && typeof ref.location === 'number') out.push(ref.location);
    return;
  }
  for (const v of Object.values(o)) columnRefs(v, column, out);
}

/** The identifier token starting at `index`, checked to name `column`. */
function tokenNaming(tokens: Token[], index: number, column: string, what: string): Token {
  const t = tokens.find((x) => x.start === index);
  if (!t || identValue(t) !== column) throw new Error(`cannot find column ${column} in ${what}`);
  return t;
}

function cut(text: string, offset: number, spans: Token[]): Template {
  const sorted = [...new Map(spans.map((s) => [s.start, s])).values()].sort((a, b) => a.start - b.start);
  const parts: string[] = [];
  let at = offset;
  for (const s of sorted) {
    parts.push(text.slice(at, s.start));
    at = s.end;
  }
  parts.push(text.slice(at));
  return parts;
}

async function parseOne(sql: string, what: string): Promise<Node> {
  const parse = await load();
  const ast = await parse(sql);
  const stmts = ast.stmts ?? [];
  if (stmts.length !== 1) throw new Error(`${what} is not one statement`);
  return stmts[0].stmt;
}

export interface IndexTemplate {
  unique: boolean;
  /** The column appears in an expression or the predicate (not only as a plain key or INCLUDE column). */
  inExpression: boolean;
  /**
   * Everything after the index's name, with holes for the column:
   * `ON public.users USING btree (`, `) WHERE (`, ` <> 'name'::text)`.
   */
  body: Template;
}

/** A CREATE INDEX statement (as pg_get_indexdef or pg_dump prints it) with holes for `column`. */
export async function indexTemplate(def: string, column: string): Promise<IndexTemplate> {
  const sql = def.trim().replace(/;$/, '');
  const stmt = (await parseOne(sql, 'the index definition')).IndexStmt as Node | undefined;
  if (!stmt) throw new Error(`not a CREATE INDEX statement: ${def}`);
  const tokens = tokenize(sql);
  const depth = depthAt(tokens);
  const spans: Token[] = [];
  const refs: number[] = [];
  columnRefs([stmt.indexParams, stmt.indexIncludingParams, stmt.whereClause], column, refs);
  for (const r of refs) spans.push(tokenNaming(tokens, indexOfByte(sql, r), column, def));
  const on = tokens.findIndex((t, k) => depth[k] === 0 && isWord(t, 'on'));
  if (on < 0) throw new Error(`no ON in ${def}`);
  const open = tokens.findIndex((t, k) => k > on && depth[k] === 0 && t.kind === 'punct' && t.text === '(');
  const plain = (list: unknown, openAt: number) => {
    const elems = (list as { IndexElem?: { name?: string } }[] | undefined) ?? [];
    if (!elems.some((e) => e.IndexElem?.name === column)) return;
    const ranges = listElements(tokens, openAt);
    elems.forEach((e, n) => {
      if (e.IndexElem?.name === column) spans.push(tokenNaming(tokens, tokens[ranges[n].first].start, column, def));
    });
  };
  plain(stmt.indexParams, open);
  if (stmt.indexIncludingParams) {
    const inc = tokens.findIndex((t, k) => k > open && depth[k] === 0 && isWord(t, 'include'));
    plain(stmt.indexIncludingParams, inc + 1);
  }
  return { unique: Boolean(stmt.unique), inExpression: refs.length > 0, body: cut(sql, tokens[on].start, spans) };
}

/**
 * A CHECK or FOREIGN KEY definition (as pg_get_constraintdef prints it) with holes for `column`,
 * without a trailing NOT VALID (copies are always added NOT VALID, then validated).
 */
export async function constraintTemplate(def: string, column: string): Promise<Template> {
  let text = def.trim();
  const toks = tokenize(text);
  const n = toks.length;
  if (n >= 2 && isWord(toks[n - 2], 'not') && isWord(toks[n - 1], 'valid')) text = text.slice(0, toks[n - 2].start).trimEnd();
  const prefix = 'ALTER TABLE t ADD CONSTRAINT c ';
  const sql = prefix + text;
  const stmt = (await parseOne(sql, 'the constraint definition')).AlterTableStmt as Node | undefined;
  const cmd = ((stmt?.cmds as { AlterTableCmd?: Node }[] | undefined) ?? [])[0]?.AlterTableCmd;
  const con = (cmd?.def as { Constraint?: Node } | undefined)?.Constraint;
  if (!con) throw new Error(`not a constraint definition: ${def}`);
  const tokens = tokenize(sql);
  const spans: Token[] = [];
  const refs: number[] = [];
  columnRefs(con.raw_expr, column, refs);
  for (const r of refs) spans.push(tokenNaming(tokens, indexOfByte(sql, r), column, def));
  const fk = (con.fk_attrs as { String?: { sval: string } }[] | undefined) ?? [];
  if (fk.some((a) => a.String?.sval === column)) {
    const key = tokens.findIndex((t, k) => isWord(t, 'key') && isWord(tokens[k - 1], 'foreign'));
    const ranges = listElements(tokens, key + 1);
    fk.forEach((a, i) => {
      if (a.String?.sval === column) spans.push(tokenNaming(tokens, tokens[ranges[i].first].start, column, def));
    });
  }
  return cut(sql, prefix.length, spans);
}

/** The predicate of a CREATE INDEX statement (inside the parentheses pg_get_indexdef puts around it), or null. */
export function indexPredicate(def: string): string | null {
  const tokens = tokenize(def);
  const depth = depthAt(tokens);
  const at = tokens.findIndex((t, k) => depth[k] === 0 && isWord(t, 'where'));
  if (at < 0) return null;
  const rest = def.slice(tokens[at].end).trim();
  return rest.startsWith('(') && rest.endsWith(')') ? rest.slice(1, -1) : rest;
}
