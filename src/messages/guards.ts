/**
 * What a migration says when it refuses to run because an earlier phase is not finished. These texts
 * are raised by the migration itself (PL/pgSQL), so whichever tool applied it shows them; written
 * once here and put in the SQL by the guard recipe.
 */
export const GUARDS = {
  backfillUnfinished: (table: string, description: string, phase: string) =>
    `migscaffold: rows of ${table} still need the backfill (${description}): ` +
    `finish "${phase}" first (run the backfill script to the end), then apply this migration again`,
  syncTriggerMissing: (table: string, phase: string) =>
    `migscaffold: the sync trigger on ${table} is missing: "${phase}" is not applied, ` +
    'so dropping the old column now would lose data written since; apply that phase first',
  columnsDiffer: (table: string, from: string, to: string, phase: string) =>
    `migscaffold: ${table}.${to} does not yet equal ${table}.${from} on every row: ` +
    `finish "${phase}" first (run the backfill script to the end), then apply this migration again`,
  unknownDependents: (table: string, column: string, names: string) =>
    `migscaffold: ${table}.${column} has indexes or constraints this plan was not written for (${names}): ` +
    'they would not be copied and would be lost with the column. Generate the plan again with --database-url ' +
    'pointing at this database, so it copies them, and apply that plan instead',
  inPlaceWouldScan: (table: string, column: string, names: string) =>
    `migscaffold: changing the type of ${table}.${column} in place would rebuild or check again ${names} ` +
    'while holding an ACCESS EXCLUSIVE lock (a scan of the table): nothing was changed. Generate the plan again ' +
    'with --database-url pointing at this database: it then takes the expand/contract path',
  previousTypeUnrecorded: (table: string, column: string, shadow: string) =>
    `migscaffold: the comment of ${table}.${shadow} no longer says which type ${column} had (this plan was generated without it): ` +
    `set it back (COMMENT ON COLUMN ... IS 'migscaffold change-column-type: the type before was <type>'), then roll back again`,
  identityColumn: (table: string, column: string) =>
    `migscaffold: ${table}.${column} is an identity column, whose sequence a copy cannot take over: ` +
    'change its type with ALTER TABLE ... ALTER COLUMN ... TYPE at a quiet time instead',
  referencingNarrower: (table: string, column: string, type: string, found: string) =>
    `migscaffold: ${found} reference ${table}.${column} and cannot hold every ${type} value: change them to ${type} first ` +
    '(migscaffold change-column-type on each), then apply this migration again',
  columnHasNulls: (table: string, column: string) =>
    `migscaffold: some rows of ${table} have ${column} NULL, so it cannot be made NOT NULL yet: ` +
    `give each of them a value first (UPDATE ${table} SET ${column} = ... WHERE ${column} IS NULL, in batches on a big table, ` +
    'or generate the plan again with --backfill <SQL expression> for a batched backfill script), then apply this migration again',
  duplicatesFound: (table: string, columns: string[], index: string, listSql: string) =>
    `migscaffold: rows of ${table} share values of (${columns.join(', ')}), so the unique index ${index} cannot be built: ` +
    `list them with ${listSql}; merge or delete them (and stop the code that writes them), then apply this migration again`,
  foreignKeyIndexMissing: (table: string, columns: string[], index: string, phase: string) =>
    `migscaffold: no valid btree index on ${table} leads with (${columns.join(', ')}): finish "${phase}" first. ` +
    `If ${index} is INVALID (a failed build, which CREATE INDEX ... IF NOT EXISTS skips) or covers other columns, ` +
    'roll that phase back (its down drops it), apply it again, then apply this migration again',
} as const;

/**
 * What a migration on a partitioned table says when it refuses. `{names}` is filled in by the
 * migration at run time from the catalogue (partitions, the partition key), so these are templates.
 */
export const PARTITION_GUARDS = {
  notPartitioned: (table: string) =>
    `migscaffold: ${table} is not a partitioned table, but this migration was generated with --partitions: ` +
    'generate it again without --partitions (a plain table takes one CREATE INDEX CONCURRENTLY)',
  partitionsChanged: (table: string) =>
    `migscaffold: the partitions of ${table} are not the ones listed at generation ({names}): ` +
    'a partition listed in no migration would stay without the index. Generate the plan again with --partitions naming every partition now attached, then apply it',
  nestedPartitions: (table: string) =>
    `migscaffold: partitions of ${table} that are themselves partitioned or foreign tables ({names}): ` +
    'migscaffold builds per-partition indexes on one level of plain partitions only; build this index by hand, level by level',
  uniqueWithoutPartitionKey: (table: string, columns: string[]) =>
    `migscaffold: a unique index on a partitioned table must contain every partition key column, and (${columns.join(', ')}) ` +
    `does not cover the partition key of ${table} ({names}): add the key columns to --columns, or use a non-unique index`,
  indexNotValid: (table: string, index: string) =>
    `migscaffold: ${index} on ${table} is not valid yet: these partitions have no valid index attached ({names}). ` +
    'A partition created before the parent index and not listed at generation, or a failed build: generate again with --partitions listing them (or roll this phase back and apply it again)',
} as const;

/**
 * Where a refusal is said: by a guard at the start of the migration, before any lock (so it changed
 * nothing), or at generation, when --database-url already shows the table partitioned.
 */
export type RefusedAt = 'migration' | 'generation';
const written = (at: RefusedAt) => (at === 'generation' ? '. Nothing was written' : '');

/**
 * Refusals of an operation that PostgreSQL 15 cannot run safely on a partitioned table (PostgreSQL 15
 * facts: docs/partitions.md). One text for the guard and for generation.
 */
export const PARTITIONED_REFUSALS = {
  foreignKeyFrom: (table: string, at: RefusedAt = 'migration') =>
    `migscaffold: ${table} is a partitioned table, and PostgreSQL 15 refuses ADD FOREIGN KEY ... NOT VALID on one ` +
    '(the only other form validates every partition under SHARE ROW EXCLUSIVE, blocking writes for the whole scan): add the foreign key to each partition instead (NOT VALID, then VALIDATE, which PostgreSQL allows on a plain partition)' +
    written(at),
  uniqueConstraint: (table: string, at: RefusedAt = 'migration') =>
    `migscaffold: ${table} is a partitioned table, and PostgreSQL 15 refuses ADD CONSTRAINT ... UNIQUE USING INDEX on one ` +
    '(ADD CONSTRAINT UNIQUE builds every partition\'s index under SHARE, blocking writes for the whole build): use add-index --unique (it covers the partition key) instead of a constraint' +
    written(at),
  copies: (table: string, column: string, copies: string[], final: string, at: RefusedAt = 'migration') =>
    `migscaffold: ${table} is a partitioned table, and PostgreSQL 15 refuses CREATE INDEX CONCURRENTLY (and ADD FOREIGN KEY ... NOT VALID) on one, ` +
    `so this plan cannot copy what depends on ${column} (${copies.join(', ')}): nothing was ${at === 'generation' ? 'written' : 'changed'}. ` +
    `Drop those first (DROP INDEX under a short lock_timeout; each partition's foreign key by name), ${at === 'generation' ? 'generate and apply' : 'apply'} this plan, ` +
    `then build them again on ${final} with migscaffold add-index --partitions ... (each partition CONCURRENTLY) and add-foreign-key on each partition`,
  keyCopies: (table: string, column: string, keys: string[], at: RefusedAt = 'migration') =>
    `migscaffold: ${table} is a partitioned table, and ${column} is in its ${keys.join(', ')}, which PostgreSQL 15 can build there only with every partition locked ` +
    '(CREATE INDEX CONCURRENTLY and ADD CONSTRAINT ... USING INDEX are refused on a partitioned table), so this plan cannot move it to a new column: ' +
    'make this change with a plain ALTER TABLE in a maintenance window instead' +
    written(at),
  dropIndex: (table: string, index: string, at: RefusedAt = 'migration') =>
    `migscaffold: ${index} on ${table} is a partitioned index, and PostgreSQL 15 refuses DROP INDEX CONCURRENTLY on one: ` +
    'drop it with a plain DROP INDEX under a short lock_timeout (it takes ACCESS EXCLUSIVE on the table and every partition, for a catalogue change only)' +
    written(at),
} as const;
