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

/** Binds of the batch, end-key and split templates, in the order of `$n` for the positional styles. */
export const BATCH_BINDS = ['last_key', 'end_key', 'batch_end', 'batch_size', 'workers'];
/** Binds of `fillSql`. */
export const FILL_BINDS = ['template', 'colon', 'relation'];
/** Binds of `leavesSql`. */
export const LEAVES_BINDS = ['start_leaf', 'last_leaf', 'workers'];

/**
 * Markers in the templates. `decode` takes the bind that holds an encoded key as its argument, so
 * each language keeps its own bind syntax (`:last_key`, `$1`). The prefix is chosen so it occurs
 * nowhere in the user's names and expressions.
 */
interface Markers {
  /** The relation a batch reads and updates: one leaf of a partitioned table, or the plain table. */
  rel: string;
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
    rel: `${m}rel${m}`,
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
  const markerPattern = `(${[k.keyDesc, k.key, k.encode, k.names, k.rel].map(escapeRegex).join('|')}|${k.decodePattern})`;
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
    // The leaf named by `:relation`, as PostgreSQL quotes it: the bind is read as a regclass, so
    // nothing but an existing relation's name can reach the SQL.
    "    , (SELECT replace(format('%I.%I', n.nspname, c.relname), ':', CAST(:colon AS text)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace",
    '       WHERE c.oid = CAST(CAST(:relation AS text) AS regclass)) AS rel',
    '  FROM cols HAVING count(*) > 0',
    ')',
    // One pass over the template: the text between markers, each followed by what its marker stands
    // for, so a key column whose name looks like a marker is never replaced again.
    "SELECT string_agg(p.part || coalesce(CASE m.tok[1]",
    `    WHEN ${quoteLiteral(k.keyDesc)} THEN f.key_desc WHEN ${quoteLiteral(k.key)} THEN f.key`,
    `    WHEN ${quoteLiteral(k.encode)} THEN f.encode WHEN ${quoteLiteral(k.names)} THEN f.names`,
    `    WHEN ${quoteLiteral(k.rel)} THEN f.rel`,
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
function boundarySql(rel: string, k: Markers, after: boolean): string {
  return [
    `SELECT ${k.encode} AS batch_end, count(*) OVER () AS scanned`,
    `FROM (SELECT ${k.key} FROM ${rel} t`,
    `  WHERE ${after ? `(${k.key}) > (${k.decode(':last_key')}) AND ` : ''}(${k.key}) <= (${k.decode(':end_key')})`,
    `  ORDER BY ${k.key} LIMIT :batch_size) t`,
    `ORDER BY ${k.keyDesc} LIMIT 1`,
  ].join('\n');
}

function updateSql(rel: string, k: Markers, set: { column: string; expr: string }, pending: string, after: boolean): string {
  return [
    `UPDATE ${rel} AS t SET ${quoteIdent(set.column)} = ${set.expr}`,
    `WHERE ${after ? `(${k.key}) > (${k.decode(':last_key')}) AND ` : ''}(${k.key}) <= (${k.decode(':batch_end')})`,
    `  AND (${pending})`,
  ].join('\n');
}

/** The batch statements on the relation marker: one leaf partition, or the plain table, at a time. */
function queries(t: TableRef, k: Markers, set: { column: string; expr: string }, pending: string, description: string): BackfillQueries {
  return {
    description,
    firstBoundarySql: boundarySql(k.rel, k, false),
    nextBoundarySql: boundarySql(k.rel, k, true),
    firstUpdateSql: updateSql(k.rel, k, set, pending, false),
    nextUpdateSql: updateSql(k.rel, k, set, pending, true),
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
    leavesSql: leavesSql(t),
    // Ends each leaf's walk at its highest key when the run starts: rows inserted later are written
    // by code that already fills them, so an insert-heavy table cannot keep the backfill running.
    endKeySql: endKeySql(k.rel, k),
    splitSql: splitSql(t, k),
    forward: queries(t, k, set, pending, spec.description),
    reverse: spec.reverse && queries(t, k, spec.reverse.set, spec.reverse.pending, spec.reverse.description),
    // Set for the one transaction of each batch only (`true`: local), never for the session: behind
    // a transaction-mode pooler a session setting stays on whichever server connection ran it.
    settingsSql: `SELECT set_config('lock_timeout', CAST(:lock_timeout AS text), true), set_config('statement_timeout', CAST(:statement_timeout AS text), true)`,
    lagSql: lagSql(),
    durationSql: 'SELECT CAST(CAST(:value AS interval) AS text) AS value',
    // A partitioned parent's own reltuples is not kept up to date (autovacuum analyses only the
    // leaves): the leaves' sum. A plain table is its own only row.
    estimateSql: [
      'SELECT coalesce(sum(greatest(c.reltuples, 0)), 0)::bigint AS estimate FROM pg_class c',
      `WHERE c.oid IN (SELECT relid FROM pg_partition_tree(${regclass(t)}) WHERE isleaf) OR (c.oid = ${regclass(t)} AND c.relkind <> 'p')`,
    ].join('\n'),
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

function endKeySql(rel: string, k: Markers): string {
  return `SELECT ${k.encode} AS end_key FROM ${rel} t ORDER BY ${k.keyDesc} LIMIT 1`;
}

/** A partition as the user may type it (`events_p3`) or as a resume command printed it, in `leavesSql`'s spelling. */
function leafName(bind: string): string {
  return [
    "coalesce((SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace",
    `  WHERE c.oid = to_regclass(CAST(${bind} AS text))), CAST(${bind} AS text))`,
  ].join('\n');
}

/**
 * What a run walks, read when it starts (so a partition attached after generation is walked too):
 * the leaf partitions of a partitioned table (the default one included, sub-partitions down to
 * their leaves), or the plain table itself, one row each, in the order of their names (`leaf`,
 * schema-qualified and quoted as needed), from `:start_leaf` to `:last_leaf` (NULL: from the first,
 * to the last), numbered `n`. `resumes`: `--start-after` applies to this leaf (the plain table, or the leaf
 * `:start_leaf` names). `part`: which of up to `:workers` walks takes it. Leaves are the workers'
 * units, whole and in order, in runs of about as many pages each: a batch then never spans
 * partitions, two workers never share a leaf's pages and locks, and each worker's share is one
 * interval of the order, resumed with a first and a last partition like any run.
 */
function leavesSql(t: TableRef): string {
  const rel = regclass(t);
  return [
    'WITH tree AS (',
    `  SELECT relid FROM pg_partition_tree(${rel}) WHERE isleaf`,
    '  UNION',
    `  SELECT oid FROM pg_class WHERE oid = ${rel} AND relkind <> 'p'`,
    '), named AS (',
    "  SELECT format('%I.%I', n.nspname, c.relname) AS leaf, pg_relation_size(c.oid) + 1 AS weight",
    '  FROM tree JOIN pg_class c ON c.oid = tree.relid JOIN pg_namespace n ON n.oid = c.relnamespace',
    '), bounds AS (',
    `  SELECT ${leafName(':start_leaf').replace(/\n/g, '\n  ')} AS first_leaf,`,
    `    ${leafName(':last_leaf').replace(/\n/g, '\n    ')} AS last_leaf,`,
    `    (SELECT relkind = 'p' FROM pg_class WHERE oid = ${rel}) AS partitioned`,
    '), kept AS (',
    '  SELECT named.*, bounds.* FROM named, bounds',
    '  WHERE (NOT bounds.partitioned OR bounds.first_leaf IS NULL OR leaf COLLATE "C" >= bounds.first_leaf COLLATE "C")',
    '    AND (NOT bounds.partitioned OR bounds.last_leaf IS NULL OR leaf COLLATE "C" <= bounds.last_leaf COLLATE "C")',
    '), placed AS (',
    '  SELECT leaf, partitioned, NOT partitioned OR coalesce(leaf = first_leaf, false) AS resumes,',
    // Each leaf goes to the walk whose share of the pages holds its middle page.
    '    floor(CAST(:workers AS int) * (sum(weight) OVER (ORDER BY leaf COLLATE "C") - weight / 2.0) / sum(weight) OVER ()) AS slot',
    '  FROM kept',
    ')',
    'SELECT leaf, partitioned, resumes, dense_rank() OVER (ORDER BY slot) AS part, row_number() OVER (ORDER BY leaf COLLATE "C") AS n',
    'FROM placed',
    'ORDER BY leaf COLLATE "C"',
  ].join('\n');
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
