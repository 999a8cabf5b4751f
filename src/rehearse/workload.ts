/**
 * What the simulated application does: the reads and writes of the "old code" (before the change)
 * and of the "new code" (after it), built from the table as it is in the database before the first
 * phase. Each operation says what its old and new code do (its `rehearsal.workload` hook); each
 * deploy phase of the plan moves the app from one to the other.
 */
import type pg from 'pg';
import type { Answers, Operation } from '../operation.js';
import type { TableRef } from '../plan/recipes/index.js';
import { qualified } from '../plan/recipes/index.js';
import type { Phase, Plan } from '../plan/types.js';
import { quoteIdent, quoteLiteral } from '../sql/ident.js';
import { parseTable, tableAnswer } from '../fields.js';
import { valueSql } from './seed.js';
import { errors } from '../messages/errors.js';

export interface ColumnInfo {
  name: string;
  type: string;
  notNull: boolean;
  defaultSql: string | null;
  identity: boolean;
  generated: boolean;
  unique: boolean;
}

export interface TableInfo {
  table: TableRef;
  key: string;
  keyIsInteger: boolean;
  columns: ColumnInfo[];
}

export async function introspect(client: pg.Client, t: TableRef, key: string): Promise<TableInfo> {
  const T = qualified(t);
  const r = await client.query<{ name: string; type: string; not_null: boolean; def: string | null; identity: string; generated: string; uniq: boolean }>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
            pg_get_expr(d.adbin, d.adrelid) AS def, a.attidentity AS identity, a.attgenerated AS generated,
            EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indisunique AND a.attnum = ANY (i.indkey)) AS uniq
       FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    [T],
  );
  const columns = r.rows.map((c) => ({
    name: c.name,
    type: c.type,
    notNull: c.not_null,
    defaultSql: c.generated ? null : c.def,
    identity: c.identity !== '',
    generated: c.generated !== '',
    unique: c.uniq,
  }));
  const k = columns.find((c) => c.name === key);
  if (!k) throw errors.rehearseMissingColumn(key, T, 'key');
  return { table: t, key, keyIsInteger: /^(smallint|integer|bigint)$/.test(k.type), columns };
}

export interface CodeShape {
  /** The table this code names, when it is not the one introspected (a renamed table's new name). */
  table?: TableRef;
  /** Columns this code reads. */
  read: string[];
  /** Columns this code names on insert, with the SQL of their value (may use the row alias t). */
  insert: { column: string; value: string; overRow?: boolean }[] | null;
  /** SET list of its updates (SQL over the updated row, alias t). */
  update: { column: string; value: string }[];
  /** A lookup through the new index (add-index new code). */
  lookup?: { columns: string[]; where?: string };
  /**
   * Inserts of the `insert` shape that name a unique index as their ON CONFLICT arbiter: they fail
   * (42P10) whenever no valid unique index or constraint on these columns exists.
   */
  upsert?: { columns: string[]; where?: string };
}

export interface Workload {
  info: TableInfo;
  old: CodeShape;
  new: CodeShape;
  /** Share of requests running new code after each phase, by phase index (applied at phase start for deploys, end otherwise). */
  newShareAt(phase: Phase, stage: 'start' | 'end'): number | undefined;
  describe: string;
}

const rnd = '(random() * 1000000000)::bigint';
const WIDE_RANDOM = '(random() * 9000000000000000)::bigint';

/** Value the app writes into a column of this type, or null when we cannot make one up. */
function appValue(c: ColumnInfo): string | null {
  return valueSql(c.type, rnd);
}

function insertShape(info: TableInfo, known: ColumnInfo[], special?: { column: string; value: string }): CodeShape['insert'] {
  const out: NonNullable<CodeShape['insert']> = [];
  for (const c of known) {
    if (c.generated || c.identity) continue;
    if (c.name === info.key && c.defaultSql) {
      out.push({ column: c.name, value: c.defaultSql });
      continue;
    }
    // Unique columns draw from 9e15 values: with 1e9 a long run's inserts met a birthday collision
    // and the app reported a duplicate key that had nothing to do with the migration.
    const v = c.unique ? valueSql(c.type, WIDE_RANDOM) : !c.defaultSql ? appValue(c) : c.defaultSql;
    if (v !== null) out.push({ column: c.name, value: v });
    else if (c.defaultSql) out.push({ column: c.name, value: c.defaultSql });
    else if (c.notNull) return null; // cannot make up a value: this code does not insert
  }
  if (special) out.push({ column: special.column, value: special.value, overRow: true });
  return out;
}

/** The column ordinary updates change: updated_at if there is one, else a plain column we can fill. */
function neutralColumn(info: TableInfo, avoid: Set<string>): ColumnInfo | undefined {
  const candidates = info.columns.filter((c) => c.name !== info.key && !c.unique && !c.generated && !c.identity && !avoid.has(c.name) && appValue(c));
  return candidates.find((c) => c.name === 'updated_at') ?? candidates[0];
}

/** What an operation's workload hook builds from: the table, its columns, and the shapes of plain code. */
export interface WorkloadKit {
  info: TableInfo;
  byName(name: string): ColumnInfo | undefined;
  names(cs: ColumnInfo[]): string[];
  /** The SET list of an ordinary update (a column no operation touches). */
  neutralSet: CodeShape['update'];
  neutral: ColumnInfo | undefined;
  /** Code that reads every column, inserts full rows and makes ordinary updates. */
  plain: CodeShape;
  insertShape(known: ColumnInfo[], special?: { column: string; value: string }): CodeShape['insert'];
  /** A value the app writes into a column, or null when none can be made up. */
  appValue(c: ColumnInfo): string | null;
  /** A value of a SQL type, or null. */
  valueOf(type: string): string | null;
  /** The same from a range wide enough for a unique column's inserts not to collide. */
  uniqueValueOf(type: string): string | null;
}

export function buildWorkload(op: Operation, answers: Answers, info: TableInfo): Workload {
  const base = info.columns;
  // The columns the operation names are never the ones ordinary updates change.
  const involved = new Set<string>();
  for (const f of op.fields)
    if ((f.identifies === 'existing-column' || f.identifies === 'new-column') && typeof answers[f.name] === 'string') involved.add(String(answers[f.name]));
  const neutral = neutralColumn(info, involved);
  const neutralSet = neutral ? [{ column: neutral.name, value: appValue(neutral)! }] : [{ column: info.key, value: `t.${quoteIdent(info.key)}` }];
  const names = (cs: ColumnInfo[]) => cs.map((c) => c.name);
  return op.rehearsal.workload(answers, {
    info,
    byName: (n) => base.find((c) => c.name === n),
    names,
    neutral,
    neutralSet,
    plain: { read: names(base), insert: insertShape(info, base), update: neutralSet },
    insertShape: (known, special) => insertShape(info, known, special),
    appValue,
    valueOf: (type) => valueSql(type, rnd),
    uniqueValueOf: (type) => valueSql(type, WIDE_RANDOM),
  });
}

export interface AppQuery {
  kind: 'read' | 'update' | 'insert' | 'lookup' | 'upsert';
  text: string;
  needsKey: boolean;
}

/** The SQL of each request kind a code shape makes. */
export function queriesOf(info: TableInfo, shape: CodeShape): AppQuery[] {
  const T = qualified(shape.table ?? info.table);
  const K = quoteIdent(info.key);
  const keyParam = info.keyIsInteger ? '$1::bigint' : '$1';
  const out: AppQuery[] = [];
  out.push({ kind: 'read', text: `SELECT ${shape.read.map(quoteIdent).join(', ')} FROM ${T} WHERE ${K} = ${keyParam}`, needsKey: true });
  out.push({
    kind: 'update',
    text: `UPDATE ${T} AS t SET ${shape.update.map((u) => `${quoteIdent(u.column)} = ${u.value}`).join(', ')} WHERE t.${K} = ${keyParam}`,
    needsKey: true,
  });
  if (shape.insert) {
    const plainCols = shape.insert.filter((c) => !c.overRow);
    const over = shape.insert.filter((c) => c.overRow);
    const inner = plainCols.map((c) => `${c.value} AS ${quoteIdent(c.column)}`).join(', ');
    const cols = [...plainCols, ...over].map((c) => quoteIdent(c.column)).join(', ');
    const select = [...plainCols.map((c) => `t.${quoteIdent(c.column)}`), ...over.map((c) => c.value)].join(', ');
    const insert = `INSERT INTO ${T} (${cols}) SELECT ${select} FROM (SELECT ${inner}) AS t`;
    out.push({ kind: 'insert', text: insert, needsKey: false });
    if (shape.upsert)
      out.push({
        kind: 'upsert',
        text: `${insert} ON CONFLICT (${shape.upsert.columns.map(quoteIdent).join(', ')})${shape.upsert.where ? ` WHERE ${shape.upsert.where}` : ''} DO NOTHING`,
        needsKey: false,
      });
  }
  if (shape.lookup) {
    const c = shape.lookup.columns.map(quoteIdent);
    out.push({
      kind: 'lookup',
      text:
        `SELECT ${K} FROM ${T} WHERE (${c.join(', ')}) = (SELECT ${c.join(', ')} FROM ${T} WHERE ${K} = ${keyParam})` +
        `${shape.lookup.where ? ` AND (${shape.lookup.where})` : ''} LIMIT 5`,
      needsKey: true,
    });
  }
  return out;
}

/** Keys the app picks from: the integer range, or a sample of existing keys. */
export async function keySource(client: pg.Client, info: TableInfo): Promise<() => string> {
  const T = qualified(info.table);
  const K = quoteIdent(info.key);
  if (info.keyIsInteger) {
    const r = await client.query<{ lo: string | null; hi: string | null }>(`SELECT min(${K})::text AS lo, max(${K})::text AS hi FROM ${T}`);
    const lo = Number(r.rows[0].lo ?? 1);
    const hi = Number(r.rows[0].hi ?? 1);
    return () => String(lo + Math.floor(Math.random() * (hi - lo + 1)));
  }
  const r = await client.query<{ k: string }>(`SELECT ${K}::text AS k FROM ${T} ORDER BY random() LIMIT 2000`);
  const keys = r.rows.map((x) => x.k);
  return () => (keys.length ? keys[Math.floor(Math.random() * keys.length)] : '0');
}

export function tableOf(op: Operation, answers: Answers): TableRef {
  return parseTable(tableAnswer(op, answers));
}

export { quoteLiteral };
export type { Plan };
