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
      'If the build fails (deadlock, duplicate key, cancel), PostgreSQL keeps an INVALID index that is ' +
      'still updated on every write. Run the down (DROP INDEX CONCURRENTLY IF EXISTS) before trying again.',
  },
  'unique-index-may-fail': {
    title: 'A unique index fails on existing duplicates',
    text: 'Check for duplicates first with the verification query; the build aborts on the first one it finds.',
  },
  'volatile-default': {
    title: 'A volatile default would rewrite the table',
    text:
      'ADD COLUMN with a volatile default (a random or clock-based value) rewrites every row under an ACCESS ' +
      'EXCLUSIVE lock. The column is added without it, the default is set for new rows, and existing rows ' +
      'are filled by the batched backfill.',
  },
} as const satisfies Record<string, { title: string; text: string }>;

export type HazardKey = keyof typeof HAZARDS;

