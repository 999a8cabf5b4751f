import { createHash } from 'node:crypto';

/** PostgreSQL truncates identifiers to NAMEDATALEN-1 bytes; we never rely on that silently. */
export const MAX_IDENT_BYTES = 63;

// Lower-case words PostgreSQL reserves (or restricts) as bare identifiers. Quoting them is always
// safe; leaving one bare is a syntax error, so the list errs on the side of quoting.
const RESERVED = new Set(
  (
    'all analyse analyze and any array as asc asymmetric authorization binary both case cast check ' +
    'collate collation column concurrently constraint create cross current_catalog current_date ' +
    'current_role current_schema current_time current_timestamp current_user default deferrable desc ' +
    'distinct do else end except false fetch for foreign freeze from full grant group having ilike in ' +
    'initially inner intersect into is isnull join lateral leading left like limit localtime ' +
    'localtimestamp natural not notnull null offset on only or order outer overlaps placing primary ' +
    'references returning right select session_user similar some symmetric system_user table tablesample ' +
    'then to trailing true union unique user using variadic verbose when where window with ' +
    'between bigint bit boolean char character coalesce dec decimal exists extract float greatest ' +
    'grouping inout int integer interval least national nchar none normalize nullif numeric out overlay ' +
    'position precision real row setof smallint substring time timestamp treat trim values varchar ' +
    'xmlattributes xmlconcat xmlelement xmlexists xmlforest xmlnamespaces xmlparse xmlpi xmlroot ' +
    'xmlserialize xmltable'
  ).split(' '),
);

const BARE = /^[a-z_][a-z0-9_$]*$/;

export function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** Quote an identifier only when PostgreSQL needs it, so the common case reads naturally. */
export function quoteIdent(name: string): string {
  if (BARE.test(name) && !RESERVED.has(name)) return name;
  return `"${name.replace(/"/g, '""')}"`;
}

/** A SQL string literal; standard_conforming_strings is on in every supported PostgreSQL. */
export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * A generated object name (index, constraint, trigger, function) that always fits in 63 bytes.
 * When the natural name is too long, it is cut on a character boundary and a short hash of the
 * full name is appended, so two long names that share a prefix still differ.
 */
export function objectName(...parts: string[]): string {
  const full = parts.filter(Boolean).join('_');
  if (byteLength(full) <= MAX_IDENT_BYTES) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 8);
  let cut = '';
  for (const ch of full) {
    if (byteLength(cut + ch) > MAX_IDENT_BYTES - hash.length - 1) break;
    cut += ch;
  }
  return `${cut.replace(/_+$/, '')}_${hash}`;
}

/** A file-name-safe slug: lower case, words joined by `_`, nothing a path could escape with. */
export function slug(text: string, maxLength = 60): string {
  const s = text
    .normalize('NFKD')
    .replace(/[^\p{L}\p{N}]+/gu, '_')
    .replace(/[^\x00-\x7f]/g, '')
    .replace(/^_+|_+$/g, '')
    .toLowerCase();
  if (s.length <= maxLength) return s || 'migration';
  const cut = s.slice(0, maxLength);
  const atWord = cut.lastIndexOf('_');
  return (atWord > 10 ? cut.slice(0, atWord) : cut).replace(/_+$/, '');
}

// Words that may stand bare in an expression without naming a column (beyond RESERVED).
const EXPRESSION_WORDS = new Set(['escape', 'unknown', 'at', 'zone', 'without', 'collate', 'nulls']);

/**
 * The first column a SQL expression mentions (unquoted names folded to lower case, as PostgreSQL
 * does), or null: the first identifier that is not a keyword, a function (followed by `(`), a
 * qualifier (followed by `.`), a type after `::` or the type of a typed literal (followed by a
 * string). PostgreSQL names a CHECK constraint after it (`<table>_<column>_check`); a wrong guess
 * only gives an odd name, never wrong SQL.
 */
export function firstColumnIn(expr: string): string | null {
  type Tok = { kind: 'string' | 'ident' | 'cast' | 'other'; name?: string; text: string };
  const toks: Tok[] = [];
  const re = /\s+|[Ee]?'(?:[^']|'')*'|"((?:[^"]|"")+)"|([\p{L}_][\p{L}\p{N}_$]*)|(::)|(\d[\w.]*)|([\s\S])/gu;
  for (const m of expr.matchAll(re)) {
    if (/^\s+$/.test(m[0])) continue;
    if (m[1] !== undefined) toks.push({ kind: 'ident', name: m[1].replace(/""/g, '"'), text: m[0] });
    else if (m[2] !== undefined) {
      const word = m[2].toLowerCase();
      toks.push({ kind: RESERVED.has(word) || EXPRESSION_WORDS.has(word) ? 'other' : 'ident', name: word, text: m[0] });
    } else if (m[3] !== undefined) toks.push({ kind: 'cast', text: m[0] });
    else toks.push({ kind: m[0].includes("'") ? 'string' : 'other', text: m[0] });
  }
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    if (t.kind !== 'ident') continue;
    const next = toks[i + 1];
    if (toks[i - 1]?.kind === 'cast') continue;
    if (next && (next.text === '(' || next.text === '.' || next.kind === 'string')) continue;
    return t.name!;
  }
  return null;
}
