/**
 * SQL fragments from the command line (types, defaults, backfill expressions, index predicates)
 * are checked with PostgreSQL's own parser (libpg-query, compiled to wasm, offline) before any file
 * is written. Loaded only when a run has such a fragment.
 */
type Ast = { stmts?: { stmt: Record<string, unknown> }[] };

let parser: Promise<(sql: string) => Promise<Ast>> | undefined;
function load() {
  parser ??= import('libpg-query').then((m) => m.parse as (sql: string) => Promise<Ast>);
  return parser;
}

export type FragmentKind = 'type' | 'expression' | 'predicate';

const WRAP: Record<FragmentKind, (s: string) => string> = {
  type: (s) => `SELECT CAST(NULL AS ${s})`,
  expression: (s) => `SELECT ${s}`,
  predicate: (s) => `SELECT 1 WHERE ${s}`,
};

/** One-line reason the fragment is not a single valid piece of SQL of its kind, or null. */
export async function fragmentError(kind: FragmentKind, text: string): Promise<string | null> {
  const parse = await load();
  let ast: Ast;
  try {
    ast = await parse(WRAP[kind](text));
  } catch (e) {
    return `PostgreSQL cannot parse it (${(e as Error).message})`;
  }
  const stmts = ast.stmts ?? [];
  if (stmts.length !== 1) return 'it contains more than one statement';
  const select = stmts[0].stmt.SelectStmt as Record<string, unknown> | undefined;
  if (!select) return 'it is not a single expression';
  const targets = (select.targetList as unknown[]) ?? [];
  if (targets.length !== 1) return 'give one expression (a comma separates several)';
  if (select.fromClause || select.groupClause || select.sortClause || select.limitCount || select.withClause)
    return 'it contains more than a single expression';
  if (kind !== 'predicate' && select.whereClause) return 'it contains more than a single expression';
  // PostgreSQL refuses a subquery in a CHECK and in an index predicate (0A000) as in a default.
  if (kind !== 'type' && JSON.stringify(select).includes('"SubLink"')) return 'subqueries are not allowed here';
  return null;
}

/** Lower-case names of every function the fragment calls (schema-qualified ones by their last part). */
export async function calledFunctions(expression: string): Promise<string[]> {
  const parse = await load();
  const names: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    const o = node as Record<string, unknown>;
    if (o.FuncCall) {
      const parts = ((o.FuncCall as { funcname?: { String?: { sval: string } }[] }).funcname ?? []).map((p) => p.String?.sval ?? '');
      names.push(parts[parts.length - 1].toLowerCase());
    }
    for (const v of Object.values(o)) walk(v);
  };
  walk(await parse(`SELECT ${expression}`));
  return names;
}
