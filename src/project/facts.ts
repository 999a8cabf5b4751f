/**
 * What generation knows about the columns an operation names, before any migration runs: their type,
 * and the indexes and constraints that depend on them (which a rename or a type change must copy).
 * Learned from the live database (`--database-url`) or from a declared schema; carried in the answers
 * (`answers.facts`), so the plan stays a function of its answers and the plan file keeps them.
 *
 * Indexes are copied CONCURRENTLY, which PostgreSQL refuses inside a transaction, a function or a DO
 * block: no migration can read the catalogue and build what it finds, and Prisma and golang-migrate
 * send a file as one query. So every target gets the same static statements, written from these facts
 * at generation time, and the migrations carry guards that refuse (before any lock) when the column
 * has an index or constraint the plan does not know, such as one created after generation.
 */
import type { Database } from '../effects.js';
import type { Answers, Operation } from '../operation.js';
import { columnFactsSql, tableOidSql, type TableRef } from '../plan/recipes/index.js';
import { constraintTemplate, indexTemplate, type Template } from '../sql/template.js';
import { label } from '../plan/recipes/table.js';
import { errors } from '../messages/errors.js';

export interface IndexFact {
  name: string;
  unique: boolean;
  /** False for the INVALID leftover of a failed concurrent build. */
  valid: boolean;
  /** The column is in an expression or the predicate, not only a plain key or INCLUDE column. */
  inExpression: boolean;
  /** The PRIMARY KEY, UNIQUE or EXCLUDE constraint this index backs, if any. */
  constraint: { name: string; kind: 'primary' | 'unique' | 'exclude' } | null;
  /** The definition after the index's name, with a hole wherever it names the column. */
  body: Template;
}

export interface ConstraintFact {
  name: string;
  kind: 'check' | 'foreign-key';
  validated: boolean;
  /** The definition (`CHECK (...)`, `FOREIGN KEY (...) REFERENCES ...`), with holes for the column. */
  def: Template;
}

export interface ReferenceFact {
  /** The referencing table, as regclass prints it. */
  table: string;
  constraint: string;
  def: string;
  /** The referencing columns and their types (null when the source does not say). */
  columns: { name: string; type: string | null }[];
}

export interface ColumnFacts {
  /** format_type: `character varying(20)`, `integer`, `timestamp without time zone`. */
  type: string;
  notNull?: boolean;
  /**
   * What depends on the column, or absent when the source does not say (a type from `--from-type` or
   * a declared schema that lists no indexes): then the guards know of nothing to copy.
   */
  dependents?: { indexes: IndexFact[]; constraints: ConstraintFact[]; referencedBy: ReferenceFact[] };
}

export interface TableFacts {
  /** Where they were learned: `--database-url`, `db/schema.rb`, `--from-type`. */
  source: string;
  columns: Record<string, ColumnFacts>;
  /** True when the database says the table is partitioned (relkind 'p'); absent when not, or not known. */
  partitioned?: true;
}

const CONTYPE = { p: 'primary', u: 'unique', x: 'exclude' } as const;

/** The facts of these columns from the live database. */
export async function introspectColumns(db: Database, t: TableRef, columns: string[], source: string): Promise<TableFacts> {
  const [{ oid, partitioned }] = await db.query(tableOidSql(t));
  if (oid === null || oid === undefined) throw errors.introspectNoTable(label(t), source);
  // Definitions are printed under an empty search_path, so every name in them is qualified.
  await db.query("SELECT pg_catalog.set_config('search_path', '', false)");
  const out: TableFacts = { source, columns: {}, ...(partitioned === true ? { partitioned: true as const } : {}) };
  for (const column of columns) {
    const rows = await db.query(columnFactsSql(Number(oid), column));
    if (!rows.length) throw errors.introspectNoColumn(label(t), column, source);
    const r = rows[0] as {
      type: string;
      not_null: boolean;
      indexes: { name: string; def: string; valid: boolean; constraint: string | null; contype: 'p' | 'u' | 'x' | null }[];
      constraints: { name: string; type: 'c' | 'f'; def: string; validated: boolean }[];
      referenced_by: { table: string; name: string; def: string; columns: { name: string; type: string }[] }[];
    };
    const indexes: IndexFact[] = [];
    for (const ix of r.indexes) {
      const tpl = await indexTemplate(ix.def, column);
      indexes.push({
        name: ix.name,
        unique: tpl.unique,
        valid: ix.valid,
        inExpression: tpl.inExpression,
        constraint: ix.constraint && ix.contype ? { name: ix.constraint, kind: CONTYPE[ix.contype] } : null,
        body: tpl.body,
      });
    }
    const constraints: ConstraintFact[] = [];
    for (const c of r.constraints)
      constraints.push({ name: c.name, kind: c.type === 'c' ? 'check' : 'foreign-key', validated: c.validated, def: await constraintTemplate(c.def, column) });
    out.columns[column] = {
      type: r.type,
      notNull: r.not_null,
      dependents: { indexes, constraints, referencedBy: r.referenced_by.map((x) => ({ table: x.table, constraint: x.name, def: x.def, columns: x.columns })) },
    };
  }
  return out;
}

/** The columns the operation names that exist already: those whose type and dependents matter. */
export function existingColumns(op: Operation, answers: Answers): string[] {
  return op.fields.flatMap((f) => {
    const v = answers[f.name];
    if (f.identifies === 'existing-column' && typeof v === 'string') return [v];
    if (f.identifies === 'existing-columns' && Array.isArray(v)) return v.map(String);
    return [];
  });
}

/** The columns whose facts generation learns for this operation: none unless it plans from them. */
export function columnsToLearn(op: Operation, answers: Answers): string[] {
  return op.learnsColumns ? existingColumns(op, answers) : [];
}

/** The facts the answers carry for this column, if any. */
export function factsOf(answers: Record<string, unknown>, column: string): ColumnFacts | undefined {
  const f = answers.facts as TableFacts | undefined;
  return f?.columns?.[column];
}

/** True when generation learned that the table is partitioned. */
export function tablePartitioned(answers: Record<string, unknown>): boolean {
  return (answers.facts as TableFacts | undefined)?.partitioned === true;
}

