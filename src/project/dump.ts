/**
 * A schema dump the project keeps (`db/structure.sql`, Rails' `schema_format = :sql`, or
 * `db/schema.sql`): pg_dump's text, read with PostgreSQL's own parser. It tells what `--database-url`
 * would, as of the dump: the columns' types, and the indexes and constraints that depend on them.
 */
import { constraintTemplate, indexTemplate, listElements, tokenize } from '../sql/template.js';
import type { ColumnFacts, ConstraintFact, IndexFact, ReferenceFact, TableFacts } from './facts.js';
import type { TableRef } from '../plan/recipes/table.js';
import { errors } from '../messages/errors.js';

type Node = Record<string, any>;

export const DUMP_FILES = ['db/structure.sql', 'db/schema.sql'] as const;

function sameTable(rel: Node | undefined, t: TableRef): boolean {
  if (!rel || rel.relname !== t.name) return false;
  return (rel.schemaname ?? 'public') === (t.schema ?? 'public');
}

/** A type as the parser names it: `varchar(40)`, `int8`, `timestamptz(3)`, `myschema.mood[]`. */
function typeText(tn: Node): string {
  const names = (tn.names as Node[]).map((n) => n.String.sval as string);
  const internal = names[0] === 'pg_catalog' ? names.slice(1).join('.') : names.join('.');
  // The parser's internal names, as people (and format_type) write them.
  const name = ({ int2: 'smallint', int4: 'integer', int8: 'bigint', float4: 'real', float8: 'double precision', bool: 'boolean', bpchar: 'char' } as Record<string, string>)[internal] ?? internal;
  const mods = ((tn.typmods as Node[] | undefined) ?? []).map((m) => m.A_Const?.ival?.ival ?? 0);
  return `${name}${mods.length ? `(${mods.join(',')})` : ''}${'[]'.repeat(((tn.arrayBounds as unknown[]) ?? []).length)}`;
}

/** `CHECK (...)` or `FOREIGN KEY ...`: the definition after `CONSTRAINT name`, or after ADD CONSTRAINT name. */
function afterConstraintName(text: string): string {
  const toks = tokenize(text);
  const i = toks.findIndex((t) => t.kind === 'ident' && t.text.toLowerCase() === 'constraint');
  return i >= 0 && toks[i + 2] ? text.slice(toks[i + 2].start).trim() : text.trim();
}

function byteSlice(sql: Buffer, start: number, len: number | undefined): string {
  return sql.subarray(start, len === undefined ? undefined : start + len).toString('utf8');
}

/** The facts of `columns` of table `t` from a pg_dump text; undefined when the dump does not create the table. */
export async function factsFromDump(text: string, source: string, t: TableRef, columns: string[]): Promise<TableFacts | undefined> {
  const { parse } = await import('libpg-query');
  // psql meta-commands (pg_dump 15.14+ writes \restrict and \unrestrict) are not SQL: blanked out,
  // with the same length so the parser's positions still point into the text.
  text = text.replace(/^\\.*$/gm, (line) => ' '.repeat(line.length));
  let ast: { stmts?: { stmt: Node; stmt_location?: number; stmt_len?: number }[] };
  try {
    ast = await parse(text);
  } catch (e) {
    throw errors.dumpUnreadable(source, (e as Error).message);
  }
  const bytes = Buffer.from(text, 'utf8');
  const types = new Map<string, { type: string; notNull: boolean }>();
  const indexes: { name: string; def: string; constraint: IndexFact['constraint'] }[] = [];
  const constraints: { name: string; def: string; validated: boolean }[] = [];
  const references: { table: string; name: string; def: string; attrs: string[]; fk: string[]; rel: Node }[] = [];
  // Every table's column types, for the types of the columns that reference ours.
  const allTypes = new Map<string, Map<string, string>>();
  let found = false;
  for (const s of ast.stmts ?? []) {
    const stmtText = byteSlice(bytes, s.stmt_location ?? 0, s.stmt_len);
    const create = s.stmt.CreateStmt as Node | undefined;
    if (create)
      allTypes.set(
        `${create.relation.schemaname ?? 'public'}.${create.relation.relname}`,
        new Map(((create.tableElts as Node[]) ?? []).filter((el) => el.ColumnDef).map((el) => [el.ColumnDef.colname, typeText(el.ColumnDef.typeName)])),
      );
    if (create && sameTable(create.relation, t)) {
      found = true;
      const tokens = tokenize(stmtText);
      const open = tokens.findIndex((x) => x.kind === 'punct' && x.text === '(');
      const parts = listElements(tokens, open).map((r) => ({ start: tokens[r.first].start, end: tokens[r.last].end }));
      (create.tableElts as Node[]).forEach((el, i) => {
        if (el.ColumnDef)
          types.set(el.ColumnDef.colname, {
            type: typeText(el.ColumnDef.typeName),
            notNull: ((el.ColumnDef.constraints as Node[]) ?? []).some((c) => c.Constraint.contype === 'CONSTR_NOTNULL'),
          });
        else if (el.Constraint?.contype === 'CONSTR_CHECK' && el.Constraint.conname)
          constraints.push({ name: el.Constraint.conname, def: afterConstraintName(stmtText.slice(parts[i].start, parts[i].end)), validated: true });
      });
    }
    const index = s.stmt.IndexStmt as Node | undefined;
    if (index && sameTable(index.relation, t)) indexes.push({ name: index.idxname, def: stmtText, constraint: null });
    const alter = s.stmt.AlterTableStmt as Node | undefined;
    for (const c of (alter?.cmds as Node[] | undefined) ?? []) {
      const con = c.AlterTableCmd?.def?.Constraint as Node | undefined;
      if (c.AlterTableCmd?.subtype !== 'AT_AddConstraint' || !con) continue;
      const def = afterConstraintName(stmtText).replace(/;$/, '');
      const validated = !con.skip_validation;
      if (sameTable(alter!.relation, t)) {
        if (con.contype === 'CONSTR_PRIMARY' || con.contype === 'CONSTR_UNIQUE') {
          const keys = ((con.keys as Node[]) ?? []).map((k) => k.String.sval as string);
          const rel = `${alter!.relation.schemaname ?? 'public'}.${alter!.relation.relname}`;
          indexes.push({
            name: con.conname,
            def: `CREATE UNIQUE INDEX ${con.conname} ON ${rel} USING btree (${keys.map((k) => `"${k.replace(/"/g, '""')}"`).join(', ')})`,
            constraint: { name: con.conname, kind: con.contype === 'CONSTR_PRIMARY' ? 'primary' : 'unique' },
          });
        } else if (con.contype === 'CONSTR_CHECK' || con.contype === 'CONSTR_FOREIGN') constraints.push({ name: con.conname, def, validated });
      }
      if (con.contype === 'CONSTR_FOREIGN' && sameTable(con.pktable, t))
        references.push({
          table: `${alter!.relation.schemaname && alter!.relation.schemaname !== 'public' ? `${alter!.relation.schemaname}.` : ''}${alter!.relation.relname}`,
          name: con.conname,
          def,
          attrs: ((con.pk_attrs as Node[]) ?? []).map((a) => a.String.sval as string),
          fk: ((con.fk_attrs as Node[]) ?? []).map((a) => a.String.sval as string),
          rel: alter!.relation,
        });
    }
  }
  if (!found) return undefined;
  const out: TableFacts = { source, columns: {} };
  for (const column of columns) {
    const col = types.get(column);
    if (!col) continue;
    const ix: IndexFact[] = [];
    for (const i of indexes) {
      const tpl = await indexTemplate(i.def, column);
      if (tpl.body.length > 1) ix.push({ name: i.name, unique: tpl.unique, valid: true, inExpression: tpl.inExpression, constraint: i.constraint, body: tpl.body });
    }
    const cons: ConstraintFact[] = [];
    for (const c of constraints) {
      const tpl = await constraintTemplate(c.def, column);
      if (tpl.length > 1) cons.push({ name: c.name, kind: /^check\b/i.test(c.def) ? 'check' : 'foreign-key', validated: c.validated, def: tpl });
    }
    const refs: ReferenceFact[] = references
      .filter((r) => r.attrs.includes(column))
      .map((r) => {
        const types = allTypes.get(`${r.rel.schemaname ?? 'public'}.${r.rel.relname}`);
        return { table: r.table, constraint: r.name, def: r.def, columns: r.fk.map((name) => ({ name, type: types?.get(name) ?? null })) };
      });
    out.columns[column] = { type: col.type, notNull: col.notNull, dependents: { indexes: ix, constraints: cons, referencedBy: refs } } satisfies ColumnFacts;
  }
  return out;
}

