/**
 * What the simulated application does: the reads and writes of the "old code" (before the change)
 * and of the "new code" (after it), built from the operation's answers and the table as it is in the
 * database before the first phase. Each deploy phase of the plan moves the app from one to the other.
 *
 *   add-column     old code never names the column; new code (after a write/use deploy) sets it on
 *                  every insert and update (to the --backfill expression, else the default, else a
 *                  value of its type) and reads it.
 *   rename-column  old code reads and writes the old column, new code the new one. Once the expand
 *                  phase is in, half the requests run new code (a rolling deploy), all after switch.
 *   remove-column  old code reads and writes the column; after the ignore deploy nobody touches it.
 *   add-index      both read by key; new code (after the use deploy) also looks rows up by the index.
 */
import type pg from 'pg';
import type { Answers } from '../operation.js';
import type { TableRef } from '../plan/recipes/index.js';
import { qualified } from '../plan/recipes/index.js';
import type { Phase, Plan } from '../plan/types.js';
import { quoteIdent, quoteLiteral } from '../sql/ident.js';
import { parseTable } from '../fields.js';
import { valueSql } from './seed.js';

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
  if (!k) throw new Error(`table ${T} has no column ${key} (the --key the backfill walks)`);
  return { table: t, key, keyIsInteger: /^(smallint|integer|bigint)$/.test(k.type), columns };
}

export interface CodeShape {
  /** Columns this code reads. */
  read: string[];
  /** Columns this code names on insert, with the SQL of their value (may use the row alias t). */
  insert: { column: string; value: string; overRow?: boolean }[] | null;
  /** SET list of its updates (SQL over the updated row, alias t). */
  update: { column: string; value: string }[];
  /** A lookup through the new index (add-index new code). */
  lookup?: { columns: string[]; where?: string };
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

export function buildWorkload(operation: string, answers: Answers, info: TableInfo): Workload {
  const base = info.columns;
  const byName = (n: string) => base.find((c) => c.name === n);
  const names = (cs: ColumnInfo[]) => cs.map((c) => c.name);
  const involved = new Set<string>();
  if (operation === 'rename-column') involved.add(String(answers.from)).add(String(answers.to));
  if (operation === 'remove-column' || operation === 'add-column') involved.add(String(answers.column));
  const neutral = neutralColumn(info, involved);
  const neutralSet = neutral ? [{ column: neutral.name, value: appValue(neutral)! }] : [{ column: info.key, value: `t.${quoteIdent(info.key)}` }];
  const plain: CodeShape = { read: names(base), insert: insertShape(info, base), update: neutralSet };

  if (operation === 'add-column') {
    const column = String(answers.column);
    const type = String(answers.type);
    const fill = answers.backfill ? String(answers.backfill) : answers.default ? String(answers.default) : valueSql(type, rnd) ?? `NULL::${type}`;
    const value = `(${fill})`;
    const ins = insertShape(info, base, { column, value });
    return {
      info,
      old: plain,
      new: { read: [...names(base), column], insert: ins, update: [...neutralSet, { column, value }] },
      newShareAt: (p, stage) => (p.kind === 'deploy' && stage === 'start' && (p.code.kind === 'write-column' || p.code.kind === 'use-new-column') ? 1 : undefined),
      describe: `old code ignores ${column}; new code writes ${column} = ${fill} on every insert and update and reads it`,
    };
  }
  if (operation === 'rename-column') {
    const from = String(answers.from);
    const to = String(answers.to);
    const fromCol = byName(from);
    if (!fromCol) throw new Error(`column ${from} does not exist in ${qualified(info.table)}`);
    const toCol: ColumnInfo = { ...fromCol, name: to, defaultSql: null };
    const newCols = base.map((c) => (c.name === from ? toCol : c));
    const v = appValue(fromCol);
    const expandKeys = new Set(['expand']);
    return {
      info,
      old: { ...plain, update: v ? [...neutralSet, { column: from, value: v }] : neutralSet },
      new: { read: names(newCols), insert: insertShape(info, newCols), update: v ? [...neutralSet, { column: to, value: v }] : neutralSet },
      newShareAt: (p, stage) => {
        if (p.kind === 'deploy' && stage === 'start' && p.code.kind === 'switch-to-renamed') return 1;
        if (p.kind === 'migrate' && stage === 'end' && expandKeys.has(p.key)) return 0.5;
        return undefined;
      },
      describe: `old code reads and writes ${from}, new code ${to}; half of the requests run new code from the end of the expand phase (rolling deploy), all after the switch`,
    };
  }
  if (operation === 'remove-column') {
    const column = String(answers.column);
    const col = byName(column);
    if (!col) throw new Error(`column ${column} does not exist in ${qualified(info.table)}`);
    const v = appValue(col);
    const rest = base.filter((c) => c.name !== column);
    return {
      info,
      old: { ...plain, update: v ? [...neutralSet, { column, value: v }] : neutralSet },
      new: { read: names(rest), insert: insertShape(info, rest), update: neutralSet },
      newShareAt: (p, stage) => (p.kind === 'deploy' && stage === 'start' && p.code.kind === 'stop-using-column' ? 1 : undefined),
      describe: `old code reads and writes ${column}; after the ignore deploy nobody touches it`,
    };
  }
  if (operation === 'add-index') {
    const cols = (Array.isArray(answers.columns) ? answers.columns : String(answers.columns).split(',')).map(String);
    const where = answers.where ? String(answers.where) : undefined;
    const first = byName(cols[0]);
    const v = first && first.name !== info.key && !first.unique ? appValue(first) : null;
    const upd = v && first!.name !== neutral?.name ? [...neutralSet, { column: first!.name, value: v }] : neutralSet;
    return {
      info,
      old: { ...plain, update: upd },
      new: { ...plain, update: upd, lookup: { columns: cols, where } },
      newShareAt: (p, stage) => (p.kind === 'deploy' && stage === 'start' && p.code.kind === 'use-index' ? 1 : undefined),
      describe: `both read by key and update ${upd.map((u) => u.column).join(', ')}; after the use deploy new code also looks rows up by (${cols.join(', ')})`,
    };
  }
  throw new Error(`no workload for operation ${operation}`);
}

export interface AppQuery {
  kind: 'read' | 'update' | 'insert' | 'lookup';
  text: string;
  needsKey: boolean;
}

/** The SQL of each request kind a code shape makes. */
export function queriesOf(info: TableInfo, shape: CodeShape): AppQuery[] {
  const T = qualified(info.table);
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
    out.push({ kind: 'insert', text: `INSERT INTO ${T} (${cols}) SELECT ${select} FROM (SELECT ${inner}) AS t`, needsKey: false });
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

export function tableOf(answers: Answers): TableRef {
  return parseTable(String(answers.table));
}

export { quoteLiteral };
export type { Plan };
