/**
 * Every hazard we explain, written once. Generated files and the checklist both quote these, so a
 * wording fix lands everywhere at once.
 */
export const HAZARDS = {
  'drop-column-data-loss': {
    title: 'Dropping a column destroys its data',
    text:
      'The down migration re-creates the column, but its values are gone: rows come back NULL ' +
      '(or with the default), and the column comes back last in the table. Take a copy first if you ' +
      'may need the data.',
  },
  'add-column-down-drops-data': {
    title: 'Rolling back the add drops the new column and any values written to it',
    text: 'Values that code wrote into the new column since the deploy are lost when this is rolled back.',
  },
  'rename-contract-rollback-copies-table': {
    title: "Rolling back the rename's contract step copies every row in one transaction",
    text:
      'The down re-creates the old column and copies the data back in one UPDATE under an ACCESS ' +
      'EXCLUSIVE lock, then re-adds its constraints, checking every row under that lock: on a big table ' +
      'that blocks traffic for as long as it takes (its indexes are rebuilt CONCURRENTLY). Prefer to fix ' +
      'forward; roll the contract back only at a quiet time. The column comes back last in the table ' +
      '(PostgreSQL cannot re-add a column in its old position), which matters only to SELECT * by position.',
  },
  'copies-from-generation': {
    title: "The column's indexes and constraints are copied as they were when the plan was generated",
    text:
      'An index built CONCURRENTLY cannot be decided inside a migration (PostgreSQL refuses it in a ' +
      'transaction, a function or a DO block), so the copies are written from what generation read ' +
      '(--database-url, or the schema dump in db/structure.sql or db/schema.sql). The expand and the contract refuse, before they take any lock, when the ' +
      'column has an index or constraint the plan does not copy (one created since, say): generate the ' +
      'plan again then.',
  },
  'dependents-not-looked-up': {
    title: "The column's indexes and constraints were not looked up",
    text:
      'Without --database-url (or a schema dump in db/structure.sql or db/schema.sql) this plan copies no index and no constraint. If the column has any, the ' +
      'expand migration refuses before it changes anything, naming them: generate the plan again with ' +
      '--database-url so it copies them.',
  },
  'type-swap-rollback-copies-table': {
    title: "Rolling back the type change's swap rebuilds the old column in one transaction",
    text:
      'The down re-creates the old column, converts every row back into it in one UPDATE (with ' +
      '--reverse-using, or else a plain cast), re-adds its constraints and rebuilds its indexes, all under ' +
      'an ACCESS EXCLUSIVE lock: on a big table that blocks traffic for as long as it takes. Prefer to fix ' +
      'forward; roll the swap back only at a quiet time.',
  },
  'type-kept-in-comment': {
    title: "The column's current type was not known at generation",
    text:
      'Without --from-type, --database-url or a declared schema, migscaffold cannot tell whether PostgreSQL would change the type in place, so this plan ' +
      'takes the full path, which is right for every pair of types. Its expand keeps the old type as the comment of the new column; the ' +
      "swap's down reads it there to re-create the old column. The comment stays on the column after the swap: leave it while you may roll back. A comment the column had before is not carried over to it. " +
      'Give --from-type to let migscaffold choose the in-place change where PostgreSQL rewrites nothing.',
  },
  'type-change-one-way': {
    title: 'Without --reverse-using the sync trigger converts one way only',
    text:
      'Until the swap, every writer writes the column in its old type and the trigger converts each write ' +
      'into the new column; a write of the new column alone would be overwritten. So code that writes ' +
      'values of the new type must not ship before the swap, and rolling the swap back converts with a ' +
      'plain cast, which fails on values the old type cannot hold. Give --reverse-using to convert both ways.',
  },
  'type-change-cached-plans': {
    title: 'Prepared statements that return the column fail once its type has changed',
    text:
      'Once the column has its new type (after the swap, or the in-place ALTER, as after any ALTER COLUMN ' +
      'TYPE), PostgreSQL refuses to run a statement prepared before whose result includes the column: ' +
      '"cached plan must not change result type". ActiveRecord prepares again by itself outside a ' +
      'transaction; other clients that keep named prepared statements must reconnect or DEALLOCATE. ' +
      'Deploy the new code (or restart) right after that migration.',
  },
  'in-place-type-down-rewrites': {
    title: "Rolling back an in-place type change may rewrite the table",
    text:
      'The down changes the type back; when PostgreSQL cannot do that in place (a shorter varchar, less ' +
      'precision), it rewrites the table and its indexes under an ACCESS EXCLUSIVE lock, and fails if a ' +
      'value written since does not fit. Prefer to fix forward.',
  },
  'rename-insert-null-with-default': {
    title: 'An explicit NULL written to the new column takes the old column\'s value on insert',
    text:
      'While both columns exist, an INSERT that sets only the new column to NULL gets the value the old ' +
      "column received (its default). Updates are exact in both directions.",
  },
  'not-null-restore-needs-data': {
    title: 'NOT NULL comes back on rollback only if no row is NULL',
    text:
      'Rolling back the relax step restores NOT NULL only when every row has a value; after the drop ' +
      'was rolled back the rows are NULL, so the column stays nullable and a warning says so.',
  },
  'concurrent-index-no-lock-timeout': {
    title: 'A concurrent index build waits for old transactions',
    text:
      'CREATE INDEX CONCURRENTLY takes SHARE UPDATE EXCLUSIVE, which never blocks reads or writes, but ' +
      'it waits for every transaction older than itself. It runs without lock_timeout and without ' +
      'statement_timeout; watch pg_stat_progress_create_index.',
  },
  'invalid-index-leftover': {
    title: 'A failed concurrent build leaves an INVALID index behind',
    text:
      'If the build fails (deadlock, duplicate key, cancel), PostgreSQL keeps an INVALID index; once the build got ' +
      'past its first pass it is still updated on every write (a unique one even refuses duplicates). Run the down ' +
      '(DROP INDEX CONCURRENTLY IF EXISTS) before trying again.',
  },
  'partitioned-table-index': {
    title: 'On a partitioned table the index is built partition by partition',
    text:
      'PostgreSQL refuses CREATE INDEX CONCURRENTLY on a partitioned table. Alembic and Rails migrations check the catalogue ' +
      'when they run: on a partitioned table they create the parent index ON ONLY (invalid, under lock_timeout), build each ' +
      "partition's index CONCURRENTLY on its own and attach it (under lock_timeout); the parent turns valid with the last one. " +
      'Prisma and plain SQL send a file as one query and cannot loop outside a transaction: there PostgreSQL refuses the build ' +
      '("cannot create index on partitioned table ... concurrently") before taking any lock; generate again with ' +
      '--partitions naming every partition.',
  },
  'partitions-listed': {
    title: 'The partitions were listed when the plan was generated',
    text:
      'The first migration refuses unless the partitions attached then are exactly the listed ones, so none is left ' +
      'without the index; a partition created after it gets its own copy of the index from PostgreSQL. The last migration ' +
      'attaches every partition\'s index and refuses unless the parent index is then valid. An attached index cannot be ' +
      'detached: rolling back this phase means the down of its first migration, which drops the parent index and every ' +
      "partition's index (ACCESS EXCLUSIVE on each partition, for a catalogue change, under lock_timeout).",
  },
  'unique-index-may-fail': {
    title: 'A unique index fails on existing duplicates',
    text: 'Check for duplicates first with the verification query; the build aborts on the first one it finds.',
  },
  'unique-build-duplicates': {
    title: 'Duplicates make a unique build fail',
    text:
      'The first migration refuses while rows share values of the columns (the check before the phase counts them; ' +
      'its message gives the query that lists them): merge or delete them, and make the code stop writing new ones, first. ' +
      'A duplicate written while the index builds still makes the build fail, leaving an INVALID index that already ' +
      'rejects inserts repeating an existing value: Alembic and Rails drop that leftover themselves when the migration ' +
      "is applied again; elsewhere run the build's down (DROP INDEX CONCURRENTLY IF EXISTS) before applying it again.",
  },
  'unique-constraint-rollback-drops-index': {
    title: 'Rolling back the constraint drops its index too',
    text:
      "DROP CONSTRAINT removes the index the constraint uses, so the build's down then finds nothing left to drop. Roll " +
      "the build back with it (this phase's rollback does both); to bring the constraint back, apply both again, the build first.",
  },
  'concurrent-drop-waits': {
    title: 'A concurrent index drop waits for old transactions',
    text:
      'DROP INDEX CONCURRENTLY takes SHARE UPDATE EXCLUSIVE, which never blocks reads or writes, but it waits for every ' +
      'transaction that could still use the index. It runs without lock_timeout; a plain DROP INDEX would queue every query on the table behind it.',
  },
  'drop-index-rollback-rebuilds': {
    title: 'Rolling back the drop builds the index again',
    text:
      'The down runs CREATE INDEX CONCURRENTLY with the same definition: it takes as long as the first build did (writes go on). ' +
      'A unique index fails to build if duplicates were written since the drop and leaves an INVALID index: remove the ' +
      'duplicates, DROP INDEX CONCURRENTLY IF EXISTS the leftover, then roll back again.',
  },
  'volatile-default': {
    title: 'A volatile default would rewrite the table',
    text:
      'ADD COLUMN with a volatile default (a random or clock-based value) rewrites every row under an ACCESS ' +
      'EXCLUSIVE lock. The column is added without it, the default is set for new rows, and existing rows ' +
      'are filled by the batched backfill.',
  },
  'rename-table-view-limits': {
    title: 'Old code works through a view until the contract',
    text:
      'Reads and writes through the view under the old name behave as on the table (defaults, sequences, ' +
      'constraints, ON CONFLICT, RETURNING, its triggers), and its table-level grants are copied. But ' +
      'DDL on the old name fails (ALTER TABLE or DROP TABLE of a view), columns added to the table after ' +
      'the rename are not visible through the view, column-level grants are not copied, and triggers see ' +
      'TG_TABLE_NAME as the new name.',
  },
  'not-null-check-refuses-null-writes': {
    title: 'Writes that leave the column NULL fail from the first tighten migration on',
    text:
      'The NOT VALID check refuses every INSERT or UPDATE that leaves the column NULL (SQLSTATE 23514; 23502 once ' +
      'the column is NOT NULL), and every UPDATE of a row that is still NULL, even one that sets other columns only. ' +
      'Every writer of the table (bulk inserts, raw SQL, other services) must set a value first; the first tighten ' +
      'migration refuses to run while a row is NULL.',
  },
  'check-violating-rows': {
    title: 'Rows that violate the check cannot be updated, and make VALIDATE fail',
    text:
      'From the first migration on, PostgreSQL checks every INSERT and UPDATE, including an UPDATE of an old row that ' +
      'violates the check, even one that sets other columns only (SQLSTATE 23514). Before applying it, run the first ' +
      "phase's verification queries: fix every row they list (UPDATE it to a value the check accepts, or delete it), " +
      'and make sure the code writes only values the check accepts. If VALIDATE fails all the same ("is violated by ' +
      'some row"), nothing changed: the constraint stays NOT VALID and keeps checking new writes; fix the rows the ' +
      'queries list, then apply the VALIDATE migration again.',
  },
  'foreign-key-locks-both-tables': {
    title: 'Adding the foreign key briefly blocks writes to both tables',
    text:
      'ADD CONSTRAINT ... FOREIGN KEY takes SHARE ROW EXCLUSIVE on the referencing and on the referenced ' +
      'table: inserts, updates and deletes on both wait until it commits (reads go on). NOT VALID makes ' +
      'that a catalog change without a scan, under lock_timeout; but it queues behind any open ' +
      'transaction that wrote to either table, and gives up after lock_timeout rather than make every ' +
      'later write wait. VALIDATE CONSTRAINT then takes only SHARE UPDATE EXCLUSIVE on the referencing ' +
      'table and ROW SHARE on the referenced one: writes to both go on during its scan. The down ' +
      '(DROP CONSTRAINT) takes ACCESS EXCLUSIVE on both tables, briefly.',
  },
  'foreign-key-orphans': {
    title: 'VALIDATE fails on rows that reference nothing',
    text:
      'A row written before the constraint whose key matches no referenced row makes VALIDATE CONSTRAINT ' +
      'fail (SQLSTATE 23503, naming one such key). Nothing is lost: the constraint stays NOT VALID and ' +
      'still checks every new write. Count the rows with the orphan query of the NOT VALID phase (replace ' +
      '`count(*)` by `c.*` to see them), then point them at an existing row, set their key to NULL, or ' +
      'delete them, and apply the validate migration again (after a failed migration, as the lock_timeout ' +
      'section below says for your tool).',
  },
  'foreign-key-index-if-not-exists': {
    title: 'The index migration keeps an index of the same name, and its down drops it',
    text:
      'The index is built with CREATE INDEX CONCURRENTLY IF NOT EXISTS: an index of that name that is ' +
      'already there is left as it is (the next migration refuses if it is INVALID or on other columns), ' +
      'and rolling the phase back drops it even if it was there before. When the referencing table ' +
      'already has an index that starts with these columns, generate with --no-index instead.',
  },
  'foreign-key-no-index': {
    title: 'Without an index on the referencing columns, deletes on the referenced table scan',
    text:
      'Every DELETE of a referenced row (and every UPDATE of its key) looks for referencing rows; without ' +
      'an index that starts with the referencing columns, that is a sequential scan of the referencing ' +
      'table inside the deleting transaction. --no-index is right when such an index exists already, or ' +
      'when referenced rows are never deleted.',
  },
} as const satisfies Record<string, { title: string; text: string }>;

export type HazardKey = keyof typeof HAZARDS;

