/**
 * Batched backfill: keyset on the table's primary key (or unique NOT NULL key), one short
 * transaction per batch, an idempotent predicate so a stopped run can start again, and the queries
 * for progress, replica lag, parallel ranges and verification.
 *
 * The key is not named at generation time: a script reads it from the catalogue when it starts
 * (`fillSql`), so a composite, uuid or text key works as well as `id`, and a table without a usable
 * key is refused before any row is touched. The batch queries are therefore templates whose key
 * parts are markers; `fillSql` is one query that replaces them on the server with the quoted key
 * columns and their types. The scripts only run it, once per template, and never build SQL.
 *
 * Keys travel between batches, and to the user for `--start-after`, as text: the value itself for
 * a one-column key (so `--start-after 1234` still works), a JSON array for a composite key
 * (`[17, "b2c1..."]`). Decoding casts each element to the column's own type, so any type with a
 * text form that round-trips (integers, uuid, text, timestamps) works.
 */
import { quoteIdent, quoteLiteral } from '../../sql/ident.js';
import type { Backfill, BackfillQueries } from '../types.js';
import { label, qualified, regclass, type TableRef } from './table.js';

export interface BackfillSpec {
  name: string;
  table: TableRef;
  /** Columns the user asked the backfill to walk (`--key`); undefined: the primary key. */
  key?: string[];
  set: { column: string; expr: string };
  /** SQL predicate true for rows that still need the change; false once done (idempotence). */
  pending: string;
  description: string;
  batchSize: number;
  pauseMs: number;
  lockTimeout: string;
  reverse?: { set: { column: string; expr: string }; pending: string; description: string };
}

/** Target time of one batch; the scripts' `--batch-ms` default. */
export const DEFAULT_BATCH_MS = 100;
/** Per-batch statement_timeout; the scripts' `--statement-timeout` default. */
export const DEFAULT_STATEMENT_TIMEOUT = '30s';
/** Size of the first batch when the maximum is larger: the run measures before it grows. */
export const FIRST_BATCH_ROWS = 100;
/** Pages read to choose the ranges of parallel workers, whatever the table's size. */
const SPLIT_SAMPLE_PAGES = 500;

/**
 * Markers in the templates. `decode` takes the bind that holds an encoded key as its argument, so
 * each language keeps its own bind syntax (`:last_key`, `$1`). The prefix is chosen so it occurs
 * nowhere in the user's names and expressions.
 */
interface Markers {
  key: string;
  keyDesc: string;
  encode: string;
  names: string;
  decode: (bind: string) => string;
  /** A POSIX regular expression matching `decode(...)`, the bind captured. */
  decodePattern: string;
}

function escapeRegex(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
}

function markers(avoid: string): Markers {
  let m = '@';
  while (avoid.includes(m)) m += '@';
  return {
    key: `${m}key${m}`,
    keyDesc: `${m}key_desc${m}`,
    encode: `${m}encode${m}`,
    names: `${m}key_names${m}`,
    decode: (bind) => `${m}decode(${bind})${m}`,
    decodePattern: `${m}decode\\(([^)]*)\\)${m}`,
  };
}

/**
 * The query that turns a template into runnable SQL: finds the key (the primary key; else the
 * unique, immediate, non-partial index on plain NOT NULL columns with the fewest columns; or, with
 * `--key`, the one on exactly those columns), then replaces the markers. Returns no row when the
 * table has no such key. Binds: `:template`, and `:colon`, what a `:` in a quoted name becomes (the
 * Python script passes `\:` so SQLAlchemy does not read it as a bind).
 */
function fillSql(t: TableRef, key: string[] | undefined, k: Markers): string {
  const rel = regclass(t);
  const wanted = key ? `ARRAY[${[...key].sort().map(quoteLiteral).join(', ')}]::text[]` : null;
  const cols = (i: string) =>
    `unnest(${i}.indkey) WITH ORDINALITY AS u(attnum, ord) JOIN pg_attribute a ON a.attrelid = ${i}.indrelid AND a.attnum = u.attnum`;
  const ident = (s: string) => `replace(format('t.%I', ${s}), ':', CAST(:colon AS text))`;
  const bind = '\\1';
  const markerPattern = `(${[k.keyDesc, k.key, k.encode, k.names].map(escapeRegex).join('|')}|${k.decodePattern})`;
  return [
    'WITH idx AS (',
    '  SELECT i.indexrelid, i.indrelid, i.indkey, i.indnkeyatts FROM pg_index i',
    `  WHERE i.indrelid = ${rel} AND i.indisunique AND i.indisvalid AND i.indimmediate`,
    '    AND i.indpred IS NULL AND i.indexprs IS NULL',
    `    AND NOT EXISTS (SELECT FROM ${cols('i')} WHERE u.ord <= i.indnkeyatts AND NOT a.attnotnull)`,
    ...(wanted
      ? [`    AND (SELECT array_agg(CAST(a.attname AS text) ORDER BY a.attname) FROM ${cols('i')} WHERE u.ord <= i.indnkeyatts) = ${wanted}`]
      : []),
    '  ORDER BY i.indisprimary DESC, i.indnkeyatts, i.indexrelid',
    '  LIMIT 1',
    '), cols AS (',
    `  SELECT u.ord, a.attname, format_type(a.atttypid, a.atttypmod) AS typ FROM idx i CROSS JOIN LATERAL ${cols('i')} WHERE u.ord <= i.indnkeyatts`,
    '), frag AS (',
    '  SELECT',
    `    string_agg(${ident('attname')}, ', ' ORDER BY ord) AS key,`,
    `    string_agg(${ident('attname')} || ' DESC', ', ' ORDER BY ord) AS key_desc,`,
    `    string_agg(replace(quote_ident(attname), ':', CAST(:colon AS text)), ', ' ORDER BY ord) AS names,`,
    '    CASE WHEN count(*) = 1',
    `      THEN 'CAST(' || min(${ident('attname')}) || ' AS text)'`,
    `      ELSE 'CAST(jsonb_build_array(' || string_agg(${ident('attname')}, ', ' ORDER BY ord) || ') AS text)'`,
    '    END AS encode,',
    '    CASE WHEN count(*) = 1',
    `      THEN 'CAST(CAST(${bind} AS text) AS ' || min(typ) || ')'`,
    `      ELSE string_agg('CAST(CAST(CAST(${bind} AS text) AS jsonb)->>' || (ord - 1) || ' AS ' || typ || ')', ', ' ORDER BY ord)`,
    '    END AS decode',
    '  FROM cols HAVING count(*) > 0',
    ')',
    // One pass over the template: the text between markers, each followed by what its marker stands
    // for, so a key column whose name looks like a marker is never replaced again.
    "SELECT string_agg(p.part || coalesce(CASE m.tok[1]",
    `    WHEN ${quoteLiteral(k.keyDesc)} THEN f.key_desc WHEN ${quoteLiteral(k.key)} THEN f.key`,
    `    WHEN ${quoteLiteral(k.encode)} THEN f.encode WHEN ${quoteLiteral(k.names)} THEN f.names`,
    `    ELSE replace(f.decode, '${bind}', m.tok[2]) END, ''), '' ORDER BY p.n) AS sql`,
    'FROM frag f',
    `CROSS JOIN regexp_split_to_table(CAST(:template AS text), ${quoteLiteral(markerPattern)}) WITH ORDINALITY AS p(part, n)`,
    `LEFT JOIN regexp_matches(CAST(:template AS text), ${quoteLiteral(markerPattern)}, 'g') WITH ORDINALITY AS m(tok, n) ON m.n = p.n`,
    'HAVING count(*) > 0',
  ].join('\n');
}

/**
 * The last key of the next batch and how many keys it spans: a read of the key index only. The
 * batch is then the key range (after, batch_end], so the update below gets both ends as values and
 * the planner sees a small range, whatever the table's size or the key's type.
 */
function boundarySql(t: TableRef, k: Markers, after: boolean): string {
  return [
    `SELECT ${k.encode} AS batch_end, count(*) OVER () AS scanned`,
    `FROM (SELECT ${k.key} FROM ${qualified(t)} t`,
    `  WHERE ${after ? `(${k.key}) > (${k.decode(':last_key')}) AND ` : ''}(${k.key}) <= (${k.decode(':end_key')})`,
    `  ORDER BY ${k.key} LIMIT :batch_size) t`,
    `ORDER BY ${k.keyDesc} LIMIT 1`,
  ].join('\n');
}

function updateSql(t: TableRef, k: Markers, set: { column: string; expr: string }, pending: string, after: boolean): string {
  return [
    `UPDATE ${qualified(t)} AS t SET ${quoteIdent(set.column)} = ${set.expr}`,
    `WHERE ${after ? `(${k.key}) > (${k.decode(':last_key')}) AND ` : ''}(${k.key}) <= (${k.decode(':batch_end')})`,
    `  AND (${pending})`,
  ].join('\n');
}

function queries(t: TableRef, k: Markers, set: { column: string; expr: string }, pending: string, description: string): BackfillQueries {
  return {
    description,
    firstBoundarySql: boundarySql(t, k, false),
    nextBoundarySql: boundarySql(t, k, true),
    firstUpdateSql: updateSql(t, k, set, pending, false),
    nextUpdateSql: updateSql(t, k, set, pending, true),
    remainingSql: remainingSql(t, pending),
  };
}

export function remainingSql(t: TableRef, pending: string): string {
  return `SELECT count(*) AS remaining FROM ${qualified(t)} AS t WHERE ${pending}`;
}

export function backfill(spec: BackfillSpec): Backfill {
  const { table: t, set, pending } = spec;
  const k = markers([qualified(t), set.column, set.expr, pending, spec.reverse?.set.column ?? '', spec.reverse?.set.expr ?? '', spec.reverse?.pending ?? '', ...(spec.key ?? [])].join('\n'));
  return {
    name: spec.name,
    table: qualified(t),
    tableLabel: label(t),
    key: spec.key,
    description: spec.description,
    fillSql: fillSql(t, spec.key, k),
    keyNamesTemplate: k.names,
    // Ends the run at the highest key present when it starts: rows inserted later are written by
    // code that already fills them, so an insert-heavy table cannot keep the backfill running.
    endKeySql: `SELECT ${k.encode} AS end_key FROM ${qualified(t)} t ORDER BY ${k.keyDesc} LIMIT 1`,
    splitSql: splitSql(t, k),
    forward: queries(t, k, set, pending, spec.description),
    reverse: spec.reverse && queries(t, k, spec.reverse.set, spec.reverse.pending, spec.reverse.description),
    // Set for the one transaction of each batch only (`true`: local), never for the session: behind
    // a transaction-mode pooler a session setting stays on whichever server connection ran it.
    settingsSql: `SELECT set_config('lock_timeout', CAST(:lock_timeout AS text), true), set_config('statement_timeout', CAST(:statement_timeout AS text), true)`,
    lagSql: lagSql(),
    durationSql: 'SELECT CAST(CAST(:value AS interval) AS text) AS value',
    estimateSql: `SELECT greatest(reltuples, 0)::bigint AS estimate FROM pg_class WHERE oid = ${regclass(t)}`,
    finishSql: `VACUUM (ANALYZE) ${qualified(t)}`,
    remainingSql: remainingSql(t, pending),
    batchSize: spec.batchSize,
    batchMs: DEFAULT_BATCH_MS,
    firstBatchRows: FIRST_BATCH_ROWS,
    pauseMs: spec.pauseMs,
    lockTimeout: spec.lockTimeout,
    statementTimeout: DEFAULT_STATEMENT_TIMEOUT,
    maxRetries: 5,
  };
}

/**
 * Boundaries that cut (:last_key, :end_key] into up to :workers ranges of about as many rows each,
 * from a sample of the table's pages (TABLESAMPLE SYSTEM reads whole pages, so a few hundred pages
 * cost the same on any table). Returns the boundaries in order, encoded; fewer than :workers - 1
 * when the sample has fewer rows than workers.
 */
function splitSql(t: TableRef, k: Markers): string {
  return [
    'WITH sample AS (',
    `  SELECT ${k.key}, ntile(CAST(:workers AS int)) OVER (ORDER BY ${k.key}) AS part`,
    `  FROM ${qualified(t)} t TABLESAMPLE SYSTEM ((`,
    // A plain table is its own only member; a partitioned one is the sum of its partitions.
    `    SELECT least(100, 100.0 * ${SPLIT_SAMPLE_PAGES} / greatest(coalesce(sum(pg_relation_size(relid)), pg_relation_size(${regclass(t)})) / current_setting('block_size')::int, 1))`,
    `    FROM pg_partition_tree(${regclass(t)})))`,
    `  WHERE (CAST(:last_key AS text) IS NULL OR (${k.key}) > (${k.decode(':last_key')}))`,
    `    AND (${k.key}) <= (${k.decode(':end_key')})`,
    ')',
    `SELECT DISTINCT ON (part) ${k.encode} AS boundary, part FROM sample t`,
    'WHERE part < CAST(:workers AS int)',
    `ORDER BY part, ${k.keyDesc}`,
  ].join('\n');
}

/**
 * The standby furthest behind, as the primary sees it. Physical standbys only (a logical walsender
 * is attached to a database; a stalled CDC consumer must not stop the backfill), streaming or
 * catching up. replay_lag keeps growing while a standby's replay is stuck (the primary interpolates
 * from the WAL it sent), and is NULL once the standby has replayed everything. Without
 * pg_read_all_stats the lag columns read NULL for other roles' connections: `visible` says so, and
 * the scripts refuse rather than wait on nothing.
 */
function lagSql(): string {
  return [
    'SELECT coalesce(bool_or(r.replay_lag > CAST(:max_lag AS interval)), false) AS behind,',
    '       CAST(max(r.replay_lag) AS text) AS lag,',
    "       pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') AS visible",
    'FROM pg_stat_replication r JOIN pg_stat_activity a ON a.pid = r.pid',
    "WHERE a.datname IS NULL AND r.state IN ('streaming', 'catchup')",
  ].join('\n');
}
