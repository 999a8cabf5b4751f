/**
 * The type changes PostgreSQL makes in place: `ALTER COLUMN ... TYPE` rewrites nothing (the table's
 * relfilenode is kept), so it holds its ACCESS EXCLUSIVE lock only for the catalog change. This is the
 * one list of them; change-column-type takes its fast path only for a pair found here.
 *
 * Settled on PostgreSQL 15 by experiment, per pair: a table of 1,000 rows with the column indexed
 * (btree; hash and varchar_pattern_ops too for varchar -> text), pg_relation_filenode of the table and
 * of every index before and after the ALTER, and pg_stat_user_tables.seq_scan to see a scan:
 *
 * | change                                                        | table | plain index | scans |
 * |---------------------------------------------------------------|-------|-------------|-------|
 * | varchar(n) -> varchar(m >= n), varchar, text; text -> varchar | kept  | kept        | 0     |
 * | numeric(p,s) -> numeric(p' >= p, s), numeric                  | kept  | kept        | 0     |
 * | timestamp(p), timestamptz(p), time(p), timetz(p),             |       |             |       |
 * |   interval(p) -> same type with p' >= p or no precision       | kept  | kept        | 0     |
 * | varbit(n) -> varbit(m >= n), varbit                           | kept  | kept        | 0     |
 * | cidr -> inet                                                  | kept  | kept        | 0     |
 * | timestamp <-> timestamptz, with TimeZone = 'UTC'              | kept  | REBUILT     | 1     |
 * | text -> varchar(n), varchar(n) -> varchar(m < n), char(n) ->  |       |             |       |
 * |   char(m) or text, numeric scale change, numeric -> numeric(p,s),|   |             |       |
 * |   integer -> bigint, smallint -> integer, timestamp with      |       |             |       |
 * |   another TimeZone                                            | REWRITTEN | REBUILT | -     |
 *
 * On every in-place pair an index whose expression or predicate uses the column is rebuilt (a scan
 * under the lock), a CHECK constraint on the column is checked again (a scan under the lock), while a
 * FOREIGN KEY on it is not checked again (0 scans, varchar -> text). PostgreSQL's documentation
 * (ALTER TABLE, Notes) says the same in general terms: no rewrite when the old type is binary
 * coercible to the new one or an unconstrained domain over it, and for timestamp to timestamptz
 * when the session time zone is UTC; indexes are rebuilt unless the change keeps them valid.
 */
import { quoteIdent, quoteLiteral } from '../../sql/ident.js';
import { GUARDS } from '../../messages/guards.js';
import type { Statement } from '../types.js';
import { attnumSql } from './catalogue.js';
import { columnTypeSql } from './columns.js';
import { doBlock } from './plpgsql.js';
import { label, qualified, regclass, type TableRef } from './table.js';

export interface SqlType {
  /** Canonical name: varchar, text, numeric, timestamp, timestamptz, time, timetz, interval, varbit, cidr, inet, int2, int4, int8, ... */
  base: string;
  /** Type modifiers: (20), (12,2), precision. Empty when none. */
  mods: number[];
  array: boolean;
}

const ALIASES: Record<string, string> = {
  'character varying': 'varchar',
  varchar: 'varchar',
  text: 'text',
  numeric: 'numeric',
  decimal: 'numeric',
  timestamp: 'timestamp',
  'timestamp without time zone': 'timestamp',
  timestamptz: 'timestamptz',
  'timestamp with time zone': 'timestamptz',
  time: 'time',
  'time without time zone': 'time',
  timetz: 'timetz',
  'time with time zone': 'timetz',
  interval: 'interval',
  'bit varying': 'varbit',
  varbit: 'varbit',
  cidr: 'cidr',
  inet: 'inet',
  smallint: 'int2',
  int2: 'int2',
  integer: 'int4',
  int: 'int4',
  int4: 'int4',
  bigint: 'int8',
  int8: 'int8',
  character: 'bpchar',
  char: 'bpchar',
  bpchar: 'bpchar',
  boolean: 'bool',
  bool: 'bool',
  'double precision': 'float8',
  float8: 'float8',
  real: 'float4',
  float4: 'float4',
};

/** A type as written (`varchar(40)`) or as format_type prints it (`character varying(40)`), or null when unknown here. */
export function parseSqlType(text: string): SqlType | null {
  const t = text.trim().toLowerCase().replace(/\s+/g, ' ').replace(/^pg_catalog\./, '').replace(/"/g, '');
  const m = /^([a-z_0-9 ]+?)\s*(?:\(\s*([\d\s,]+)\))?\s*(with time zone|without time zone)?\s*(\[\])?$/.exec(t);
  if (!m) return null;
  const name = m[3] ? `${m[1].trim()} ${m[3]}` : m[1].trim();
  const base = ALIASES[name];
  if (!base) return null;
  return { base, mods: m[2] ? m[2].split(',').map((x) => Number(x.trim())) : [], array: Boolean(m[4]) };
}

export interface InPlace {
  /** For the migration's comment: why PostgreSQL rewrites nothing. */
  why: string;
  /** Which indexes on the column ALTER rebuilds anyway (under its lock). */
  rebuilds: 'expression-indexes' | 'all-indexes';
  /** Needs `SET LOCAL TimeZone = 'UTC'` in the migration. */
  utc?: boolean;
}

const PRECISION = new Set(['timestamp', 'timestamptz', 'time', 'timetz', 'interval']);

/** How PostgreSQL changes `from` into `to` without a rewrite, or null when it rewrites the table. */
export function inPlaceChange(fromText: string, toText: string): InPlace | null {
  const from = parseSqlType(fromText);
  const to = parseSqlType(toText);
  if (!from || !to || from.array || to.array) return null;
  const wider = (a: number | undefined, b: number | undefined) => b === undefined || (a !== undefined && b >= a);
  const keep = (why: string): InPlace => ({ why, rebuilds: 'expression-indexes' });
  if (from.base === 'varchar' && to.base === 'varchar' && wider(from.mods[0], to.mods[0]))
    return keep('a longer (or unlimited) varchar accepts every value as it is stored');
  if ((from.base === 'varchar' || from.base === 'text') && (to.base === 'text' || (to.base === 'varchar' && to.mods.length === 0)))
    return keep('varchar and text are stored alike (binary coercible)');
  if (from.base === 'numeric' && to.base === 'numeric' && from.mods.length > 0) {
    if (to.mods.length === 0) return keep('unconstrained numeric holds every value as it is stored');
    if ((to.mods[1] ?? 0) === (from.mods[1] ?? 0) && to.mods[0] >= from.mods[0])
      return keep('more numeric precision at the same scale keeps every value as it is stored');
  }
  if (PRECISION.has(from.base) && to.base === from.base && from.mods.length > 0 && wider(from.mods[0], to.mods[0]))
    return keep('more fractional-second precision keeps every value as it is stored');
  if (from.base === 'varbit' && to.base === 'varbit' && wider(from.mods[0], to.mods[0]))
    return keep('a longer (or unlimited) bit varying accepts every value as it is stored');
  if (from.base === 'cidr' && to.base === 'inet') return keep('cidr and inet are stored alike (binary coercible)');
  if ((from.base === 'timestamp' && to.base === 'timestamptz') || (from.base === 'timestamptz' && to.base === 'timestamp')) {
    if (wider(from.mods[0], to.mods[0]))
      return {
        why: "with TimeZone = 'UTC' the stored microseconds mean the same instant (PostgreSQL 12+); every index on the column is rebuilt, though",
        rebuilds: 'all-indexes',
        utc: true,
      };
  }
  return null;
}


/** For the migration's transaction only: timestamp <-> timestamptz is in place only in UTC. */
export function utcForThisTransaction(): Statement {
  return { sql: "SET LOCAL TimeZone = 'UTC';", lock: null, comment: 'In UTC the stored values keep their meaning: PostgreSQL changes the type in place.' };
}

export function alterColumnType(t: TableRef, column: string, type: string, o: { long: boolean; comment: string }): Statement {
  return {
    sql: `ALTER TABLE ${qualified(t)} ALTER COLUMN ${quoteIdent(column)} TYPE ${type};`,
    lock: 'ACCESS EXCLUSIVE',
    long: o.long,
    comment: o.comment,
  };
}

/** ALTER COLUMN TYPE clears the column's statistics: ANALYZE brings them back (SHARE UPDATE EXCLUSIVE, a sample). */
export function analyzeColumn(t: TableRef, column: string): Statement {
  return {
    sql: `ANALYZE ${qualified(t)} (${quoteIdent(column)});`,
    lock: 'SHARE UPDATE EXCLUSIVE',
    comment: 'The planner gets the column statistics back (reads a sample; reads and writes go on).',
  };
}

/**
 * A plan generated without the column's current type learns it when its expand runs: the type is
 * kept in the shadow column's comment, which follows the column through the swap, so the swap's down
 * can re-create the old column. The comment stays on the column after the swap (removing it removes
 * the way back).
 */
const PREVIOUS_TYPE = 'migscaffold change-column-type: the type before was ';

const attType = (t: TableRef, column: string) => `(${columnTypeSql(t, column)})`;

/** `column`'s type, read from the catalogue now, kept as `shadow`'s comment. */
export function recordPreviousType(t: TableRef, column: string, shadow: string): Statement {
  return {
    sql: doBlock(
      [
        'BEGIN',
        `  EXECUTE format('COMMENT ON COLUMN %s.%I IS %L', ${regclass(t)}, ${quoteLiteral(shadow)}, ${quoteLiteral(PREVIOUS_TYPE)} || ${attType(t, column)});`,
        'END',
      ].join('\n'),
    ),
    lock: 'SHARE UPDATE EXCLUSIVE',
    comment: `Keep the type ${column} has now as the comment of ${shadow}: this plan was generated without it, and the swap's down re-creates ${column} with it.`,
  };
}

/** `column` added again with the type recordPreviousType kept on `shadow`; refuses when there is none. */
export function addColumnOfRecordedType(t: TableRef, column: string, shadow: string, comment: string): Statement {
  const note = `col_description(${regclass(t)}, (${attnumSql(t, shadow)}))`;
  return {
    sql: doBlock(
      [
        'DECLARE',
        `  note text := ${note};`,
        'BEGIN',
        `  IF note IS NULL OR left(note, ${PREVIOUS_TYPE.length}) <> ${quoteLiteral(PREVIOUS_TYPE)} THEN`,
        `    RAISE EXCEPTION USING MESSAGE = ${quoteLiteral(GUARDS.previousTypeUnrecorded(label(t), column, shadow))}, ERRCODE = 'object_not_in_prerequisite_state';`,
        '  END IF;',
        `  EXECUTE format('ALTER TABLE %s ADD COLUMN %I %s', ${regclass(t)}, ${quoteLiteral(column)}, substr(note, ${PREVIOUS_TYPE.length + 1}));`,
        'END',
      ].join('\n'),
    ),
    lock: 'ACCESS EXCLUSIVE',
    comment,
  };
}

/** Every row's `column` set to `shadow` cast to the type `column` has (read when it runs): a rollback path. */
export function castBackAllValues(t: TableRef, column: string, shadow: string, comment: string): Statement {
  return {
    sql: doBlock(
      [
        'BEGIN',
        `  EXECUTE format('UPDATE %s SET %I = CAST(%I AS %s)', ${regclass(t)}, ${quoteLiteral(column)}, ${quoteLiteral(shadow)}, ${attType(t, column)});`,
        'END',
      ].join('\n'),
    ),
    lock: 'ROW EXCLUSIVE',
    long: true,
    comment,
  };
}

export interface Conversions {
  /** The new value from the row being written (PL/pgSQL, over NEW). */
  forwardNew: string;
  /** The old value from the shadow being written (PL/pgSQL), or null: one way only. */
  reverseNew: string | null;
  /** The new value of a row (SQL over the table aliased `t`): the backfill's SET, the guards. */
  forwardRow: string;
  /** The old value from the shadow column of the same row (SQL, unaliased): the swap's down; null: a cast to the old type, unknown at generation. */
  back: string | null;
  /** Rows still to convert (SQL over alias `t`). */
  pending: string;
}

/**
 * The conversions of a type change. `using` is an expression over the row (the column by its name, as
 * in ALTER COLUMN ... USING); `reverse` is an expression over the column holding the new type's value,
 * evaluated on a one-column row where the shadow's value bears the column's name. Without `using`, a
 * cast; without `reverse`, the trigger converts one way and the swap's down casts back.
 */
export function conversions(column: string, shadow: string, type: string, fromType: string | null, using: string | null, reverse: string | null): Conversions {
  const C = quoteIdent(column);
  const S = quoteIdent(shadow);
  const forwardRow = using ? `(${using})` : `CAST(t.${C} AS ${type})`;
  return {
    forwardNew: using ? `(SELECT ${using} FROM (SELECT NEW.*) AS t)` : `CAST(NEW.${C} AS ${type})`,
    reverseNew: reverse ? `(SELECT ${reverse} FROM (SELECT NEW.${S} AS ${C}) AS t)` : null,
    forwardRow,
    back: reverse ? `(SELECT ${reverse} FROM (SELECT ${S} AS ${C}) AS x)` : fromType ? `CAST(${S} AS ${fromType})` : null,
    pending: `t.${S} IS NULL AND ${forwardRow} IS NOT NULL`,
  };
}
