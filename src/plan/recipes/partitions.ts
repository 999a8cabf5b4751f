/**
 * Indexes on partitioned tables (relkind 'p'). PostgreSQL 15 facts, each proved by
 * test/integration/partition-facts.test.ts (the recipe itself by test/integration/partitions.test.ts):
 *   - CREATE INDEX CONCURRENTLY on a partitioned table fails (0A000 "cannot create index on
 *     partitioned table ... concurrently"), IF NOT EXISTS or not.
 *   - CREATE INDEX ... ON ONLY parent makes an INVALID parent index and builds nothing; it takes SHARE
 *     on the parent (a catalogue change: brief, but it queues behind any long transaction, hence
 *     lock_timeout). On a plain table ON ONLY builds a whole, valid index under SHARE: never run it
 *     without knowing the table is partitioned.
 *   - ALTER INDEX parent ATTACH PARTITION child takes SHARE UPDATE EXCLUSIVE on the parent index,
 *     ACCESS EXCLUSIVE on the child index (writes to that partition wait) and ACCESS SHARE on both
 *     tables; attaching an index already attached is a no-op. The parent turns valid when every
 *     partition has a valid index attached.
 *   - A partition created (CREATE TABLE ... PARTITION OF) after the parent index exists gets its own
 *     copy of the index, attached, even while the parent is still INVALID.
 *   - A unique index on a partitioned table must contain every partition key column (0A000 "unique
 *     constraint on partitioned table must include all partitioning columns").
 *   - DROP INDEX CONCURRENTLY on a partitioned index fails (0A000); a plain DROP INDEX of it takes
 *     ACCESS EXCLUSIVE on the table and every partition, and drops the attached children with it.
 */
import { PARTITION_GUARDS } from '../../messages/guards.js';
import { byteLength, MAX_IDENT_BYTES, quoteIdent, quoteLiteral, slug } from '../../sql/ident.js';
import type { Migration, Statement } from '../types.js';
import type { IndexSpec } from './indexes.js';
import { createIndexConcurrently, dropIndexConcurrently } from './indexes.js';
import { doBlock } from './plpgsql.js';
import { timeoutSettings } from './timeouts.js';
import { guard } from './guards.js';
import { inSchema, label, qualified, regclass, type TableRef } from './table.js';

/**
 * The steps a host-language migration (Alembic, Rails; rehearse) runs when the table turns out to be
 * partitioned at migration time. Each is SQL from this module; the host only loops.
 */
export interface PartitionedIndexBuild {
  /** A row when the table is partitioned, none otherwise. */
  detect: string;
  /** Run in one transaction (the target adds SET LOCAL lock_timeout): guards, then the parent index ON ONLY. */
  prepare: Statement[];
  /**
   * One row per partition whose index is not attached yet: `partition` (its name), `drop_leftover`
   * (a DROP INDEX CONCURRENTLY of an INVALID earlier build, or NULL), `build` (CREATE INDEX
   * CONCURRENTLY, alone) and `attach` (SET LOCAL lock_timeout + ALTER INDEX ... ATTACH PARTITION, one
   * query, so one implicit transaction). Statements are written by PostgreSQL (quote_ident), not by
   * the host code.
   */
  partitions: string;
  /** Raises, naming the partitions without a valid index, unless the parent index is valid. */
  finish: Statement;
  /** The down on a partitioned table, in one transaction: the parent index and every child of ours. */
  down: Statement[];
}

/**
 * The name of the index on one partition: PostgreSQL's own convention for the copies it makes
 * (`<partition>_<columns>_idx`): the index's name with its table's name replaced by the partition's.
 * Cut to 63 bytes on a character boundary, as PostgreSQL cuts a `name` (the SQL side casts to name).
 */
export function childSuffix(t: TableRef, index: string): string {
  return index.startsWith(`${t.name}_`) ? index.slice(t.name.length + 1) : index;
}

export function childIndexName(partition: string, suffix: string): string {
  let out = '';
  for (const ch of `${partition}_${suffix}`) {
    if (byteLength(out + ch) > MAX_IDENT_BYTES) break;
    out += ch;
  }
  return out;
}

/** The same name computed by PostgreSQL from a partition's relname (`c.relname`). */
function childNameSql(suffix: string, rel = 'c.relname'): string {
  return `(${rel} || ${quoteLiteral(`_${suffix}`)})::name::text`;
}

/** The index definition after `ON <table>`: method, columns, predicate. */
function indexTail(ix: IndexSpec): string {
  const using = ix.using ?? 'btree';
  return `${using !== 'btree' ? ` USING ${using}` : ''} (${ix.columns.map(quoteIdent).join(', ')})${ix.where ? ` WHERE ${ix.where}` : ''}`;
}

/** Partitions of the table: `c` is the partition's pg_class row. */
function partitionsOf(t: TableRef): string {
  return `pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = ${regclass(t)}`;
}

/** True when partition `c` has an index attached to the parent index. */
function attachedTo(t: TableRef, index: string, validOnly = false): string {
  return (
    `EXISTS (SELECT 1 FROM pg_inherits ii JOIN pg_index x ON x.indexrelid = ii.inhrelid ` +
    `WHERE ii.inhparent = to_regclass(${quoteLiteral(inSchema(t, index))}) AND x.indrelid = c.oid${validOnly ? ' AND x.indisvalid' : ''})`
  );
}

/**
 * Raises `message` (a PARTITION_GUARDS template) with `{names}` replaced by what `names` (a query of
 * one text column, NULL when all is well) returns. Runs under ACCESS SHARE of catalogue reads.
 */
export function namingGuard(names: string, message: string, comment: string): Statement {
  return {
    sql: doBlock(
      [
        'DECLARE',
        '  found text;',
        'BEGIN',
        `  found := (${names});`,
        '  IF found IS NOT NULL THEN',
        `    RAISE EXCEPTION USING MESSAGE = replace(${quoteLiteral(message)}, '{names}', found), ERRCODE = 'object_not_in_prerequisite_state';`,
        '  END IF;',
        'END',
      ].join('\n'),
    ),
    lock: 'ACCESS SHARE',
    comment,
  };
}

/** Refuses unless the table is partitioned (for migrations written for a partitioned table). */
export function partitionedGuard(t: TableRef): Statement {
  return namingGuard(
    `SELECT c.relname::text FROM pg_class c WHERE c.oid = ${regclass(t)} AND c.relkind <> 'p'`,
    PARTITION_GUARDS.notPartitioned(label(t)),
    'Guard: these migrations were written for a partitioned table.',
  );
}

/** Refuses when a partition is itself partitioned, or a foreign table: one level of plain partitions only. */
export function nestedPartitionsGuard(t: TableRef): Statement {
  return namingGuard(
    `SELECT string_agg(c.relname::text, ', ' ORDER BY c.relname) FROM ${partitionsOf(t)} AND c.relkind <> 'r'`,
    PARTITION_GUARDS.nestedPartitions(label(t)),
    'Guard: every partition must be a plain table, which CREATE INDEX CONCURRENTLY can build on.',
  );
}

/** Refuses a unique index that does not contain every partition key column (or a key expression). */
export function uniqueCoversKeyGuard(t: TableRef, columns: string[]): Statement {
  const cols = columns.map((c) => quoteLiteral(c)).join(', ');
  return namingGuard(
    `SELECT pg_get_partkeydef(p.partrelid) FROM pg_partitioned_table p WHERE p.partrelid = ${regclass(t)} ` +
      `AND EXISTS (SELECT 1 FROM unnest(p.partattrs::int2[]) AS k(attnum) WHERE k.attnum = 0 OR k.attnum NOT IN ` +
      `(SELECT attnum FROM pg_attribute WHERE attrelid = p.partrelid AND attname IN (${cols})))`,
    PARTITION_GUARDS.uniqueWithoutPartitionKey(label(t), columns),
    'Guard: PostgreSQL refuses a unique index on a partitioned table without the partition key; say why first.',
  );
}

/** Refuses when the partitions attached now are not exactly those listed at generation. */
export function listedPartitionsGuard(t: TableRef, listed: string[]): Statement {
  const list = `ARRAY[${listed.map(quoteLiteral).join(', ')}]::text[]`;
  return namingGuard(
    `SELECT string_agg(d, '; ') FROM (` +
      `SELECT 'not listed: ' || string_agg(c.relname::text, ', ' ORDER BY c.relname) AS d FROM ${partitionsOf(t)} AND NOT c.relname::text = ANY (${list}) ` +
      `UNION ALL SELECT 'listed but not attached: ' || string_agg(l, ', ' ORDER BY l) FROM unnest(${list}) AS l ` +
      `WHERE NOT EXISTS (SELECT 1 FROM ${partitionsOf(t)} AND c.relname::text = l)) AS diff`,
    PARTITION_GUARDS.partitionsChanged(label(t)),
    'Guard: a partition missing from this plan would stay without the index; refuse before anything is built.',
  );
}

/** Refuses unless the parent index is valid: names the partitions without a valid index attached. */
export function parentIndexValidGuard(t: TableRef, index: string): Statement {
  return namingGuard(
    `SELECT coalesce(string_agg(c.relname::text, ', ' ORDER BY c.relname), '(none: the index is missing)') FROM ${partitionsOf(t)} AND NOT ${attachedTo(t, index, true)} ` +
      `HAVING NOT coalesce((SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass(${quoteLiteral(inSchema(t, index))})), false)`,
    PARTITION_GUARDS.indexNotValid(label(t), index),
    'Guard: the parent index is valid only once every partition has a valid index attached.',
  );
}

/** CREATE INDEX ... ON ONLY parent: the INVALID parent index, no build (SHARE on the parent, briefly). */
export function createIndexOnOnly(t: TableRef, ix: IndexSpec): Statement {
  return {
    sql: `CREATE ${ix.unique ? 'UNIQUE ' : ''}INDEX IF NOT EXISTS ${quoteIdent(ix.name)} ON ONLY ${qualified(t)}${indexTail(ix)};`,
    lock: 'SHARE',
    comment: 'The parent index, INVALID until every partition has one attached; builds nothing (a catalogue change).',
  };
}

function attachStatement(t: TableRef, index: string, child: string): Statement {
  return {
    sql: `ALTER INDEX ${inSchema(t, index)} ATTACH PARTITION ${inSchema(t, child)};`,
    lock: 'ACCESS EXCLUSIVE',
    comment: `Attach ${child}: ACCESS EXCLUSIVE on that index for a catalogue change (writes to its partition wait that long).`,
  };
}

/** The down on a partitioned table: the parent index, its attached children, and children not attached yet. */
function dropPartitionedIndex(t: TableRef, ix: IndexSpec, children: string[]): Statement {
  return {
    sql: `DROP INDEX IF EXISTS ${[ix.name, ...children].map((n) => inSchema(t, n)).join(', ')};`,
    lock: 'ACCESS EXCLUSIVE',
    comment:
      'PostgreSQL refuses DROP INDEX CONCURRENTLY on a partitioned index; this takes ACCESS EXCLUSIVE on the table and every partition, for a catalogue change only.',
  };
}

/** The run-time procedure for Alembic, Rails and rehearse (see PartitionedIndexBuild). */
export function partitionedIndexBuild(t: TableRef, ix: IndexSpec, lockTimeout: string): PartitionedIndexBuild {
  const suffix = childSuffix(t, ix.name);
  const child = childNameSql(suffix);
  const nsp = '(SELECT nspname FROM pg_namespace WHERE oid = c.relnamespace)';
  const build =
    `'CREATE ${ix.unique ? 'UNIQUE ' : ''}INDEX CONCURRENTLY IF NOT EXISTS ' || quote_ident(${child}) || ' ON ' || quote_ident(${nsp}) || '.' || quote_ident(c.relname) || ` +
    `${quoteLiteral(`${indexTail(ix)};`)}`;
  const attach =
    `${quoteLiteral(`SET LOCAL lock_timeout = ${quoteLiteral(lockTimeout)}; ALTER INDEX ${inSchema(t, ix.name)} ATTACH PARTITION `)} || quote_ident(${nsp}) || '.' || quote_ident(${child}) || ';'`;
  const leftover =
    `(SELECT 'DROP INDEX CONCURRENTLY IF EXISTS ' || quote_ident(${nsp}) || '.' || quote_ident(${child}) || ';' FROM pg_index x JOIN pg_class xc ON xc.oid = x.indexrelid ` +
    `WHERE xc.relname = ${child} AND xc.relnamespace = c.relnamespace AND NOT x.indisvalid)`;
  const prepare = [nestedPartitionsGuard(t), ...(ix.unique ? [uniqueCoversKeyGuard(t, ix.columns)] : []), createIndexOnOnly(t, ix)];
  return {
    detect: `SELECT 1 FROM pg_class WHERE oid = ${regclass(t)} AND relkind = 'p'`,
    prepare,
    partitions:
      `SELECT c.relname::text AS partition, ${leftover} AS drop_leftover, ${build} AS build, ${attach} AS attach ` +
      `FROM ${partitionsOf(t)} AND NOT ${attachedTo(t, ix.name)} ORDER BY c.relname`,
    finish: parentIndexValidGuard(t, ix.name),
    down: [
      {
        sql: doBlock(
          [
            'DECLARE',
            '  r record;',
            'BEGIN',
            `  FOR r IN SELECT quote_ident(n.nspname) || '.' || quote_ident(${child}) AS child FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE i.inhparent = ${regclass(t)} LOOP`,
            `    EXECUTE 'DROP INDEX IF EXISTS ${inSchema(t, ix.name).replace(/'/g, "''")}, ' || r.child;`,
            '  END LOOP;',
            `  EXECUTE ${quoteLiteral(`DROP INDEX IF EXISTS ${inSchema(t, ix.name)}`)};`,
            'END',
          ].join('\n'),
        ),
        lock: 'ACCESS EXCLUSIVE',
        comment:
          'PostgreSQL refuses DROP INDEX CONCURRENTLY on a partitioned index: a plain DROP takes ACCESS EXCLUSIVE on the table and every partition, for a catalogue change only.',
      },
    ],
  };
}

/**
 * The plan for targets that send a file as one query (Prisma, golang-migrate, dbmate), with the
 * partitions listed at generation (--partitions): a first migration that checks the list against
 * the catalogue and creates the parent index ON ONLY, one CREATE INDEX CONCURRENTLY per partition,
 * each alone in its migration, and a last one that attaches them and refuses unless the parent index
 * turned valid. A partition created after the first migration gets its index from PostgreSQL itself.
 */
export function partitionedIndexMigrations(t: TableRef, ix: IndexSpec, partitions: string[]): Migration[] {
  const suffix = childSuffix(t, ix.name);
  const children = partitions.map((p) => childIndexName(p, suffix));
  const prepare: Migration = {
    name: slug(`add index ${ix.name} on only ${t.name}`),
    transaction: 'transaction',
    up: [
      partitionedGuard(t),
      listedPartitionsGuard(t, partitions),
      nestedPartitionsGuard(t),
      ...(ix.unique ? [uniqueCoversKeyGuard(t, ix.columns)] : []),
      createIndexOnOnly(t, ix),
    ],
    down: [dropPartitionedIndex(t, ix, children)],
  };
  const builds: Migration[] = partitions.map((p, k) => {
    const pt: TableRef = { schema: t.schema, name: p };
    const cix: IndexSpec = { ...ix, name: children[k], ifNotExists: true };
    return {
      name: slug(`add index ${children[k]}`),
      transaction: 'none',
      up: [createIndexConcurrently(pt, cix)],
      down: [],
      downNote: `${children[k]} is dropped with ${ix.name} by the down of the first migration of this phase (an attached index cannot be dropped alone).`,
      cleanup: {
        when:
          `SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.oid = to_regclass(${quoteLiteral(inSchema(t, children[k]))}) AND NOT i.indisvalid`,
        statement: dropIndexConcurrently(t, children[k], 'An INVALID index of this name is a failed earlier build: remove it before building again.'),
      },
    };
  });
  const attach: Migration = {
    name: slug(`attach partitions of ${ix.name}`),
    transaction: 'transaction',
    up: [...children.map((c) => attachStatement(t, ix.name, c)), parentIndexValidGuard(t, ix.name)],
    down: [],
    downNote: `an attached index partition cannot be detached; the down of the first migration of this phase drops ${ix.name} with every partition's index.`,
  };
  return [prepare, ...builds, attach];
}

/**
 * Statements sent as one query, so one implicit transaction: `SET LOCAL lock_timeout` holds for them
 * and for nothing after (PostgreSQL 15, checked: the session's own value is back after the query).
 * How host code runs a transactional step from inside its autocommit block.
 */
export function oneQuery(statements: Statement[], lockTimeout: string): string {
  const { set } = timeoutSettings(statements.map((s) => ({ ...s, long: false })), lockTimeout, 'local');
  return [...set, ...statements.map((s) => s.sql)].join('\n');
}

/**
 * Refuses on a partitioned table, for an operation PostgreSQL 15 cannot run safely on one
 * (PARTITIONED_REFUSALS gives the reason). A catalogue read: runs first, before any lock.
 */
export function notPartitionedGuard(
  t: TableRef,
  message: string,
  comment = 'Guard: PostgreSQL 15 has no safe form of this on a partitioned table; refuse before any lock.',
): Statement {
  // Not a phase's precondition (Statement.guard): it refuses the table, not an early apply.
  const { guard: _precondition, ...statement } = guard(`SELECT 1 FROM pg_class WHERE oid = ${regclass(t)} AND relkind = 'p'`, message, comment);
  return statement;
}
