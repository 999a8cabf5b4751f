/**
 * The framework-neutral plan: what a run will do to the database, phase by phase. Operations build
 * it, targets render it, rehearse executes it. The SQL of every step lives here and nowhere else.
 */
import type { HazardKey } from '../messages/hazards.js';
import type { TargetName } from '../targets/types.js';
import type { PartitionedIndexBuild } from './recipes/partitions.js';

/** Table-level lock modes, strongest first (PostgreSQL docs, "Table-Level Locks"). */
export type Lock =
  | 'ACCESS EXCLUSIVE'
  | 'EXCLUSIVE'
  | 'SHARE ROW EXCLUSIVE'
  | 'SHARE'
  | 'SHARE UPDATE EXCLUSIVE'
  | 'ROW EXCLUSIVE'
  | 'ACCESS SHARE';

/** Locks that make application reads or writes wait: these always run under `lock_timeout`. */
export const BLOCKING_LOCKS: ReadonlySet<Lock> = new Set([
  'ACCESS EXCLUSIVE',
  'EXCLUSIVE',
  'SHARE ROW EXCLUSIVE',
  'SHARE',
]);

export interface Statement {
  /** One SQL statement, ending with `;`. */
  sql: string;
  /** The strongest table lock it takes, or null when it takes none worth naming. */
  lock: Lock | null;
  /** Scans or builds over the whole table (runs with `statement_timeout = 0`). */
  long?: boolean;
  /** One line for the reader of the generated file: why this statement is here. */
  comment: string;
  /**
   * What the statement does, in structured form, written by the same recipe as `sql`: Rails and
   * Alembic render it with the framework's own helper when one exists (src/targets/helpers.ts), the
   * SQL otherwise. Absent: the statement has no helper anywhere (DO blocks, triggers, functions).
   */
  does?: Does;
  /** A guard (recipes/guards.ts): refuses, before any lock, when its migration is applied too early. */
  guard?: true;
}

/** An index as the recipes build it (unquoted names; `where` and `using` are SQL as given). */
export interface IndexSpec {
  name: string;
  columns: string[];
  unique?: boolean;
  /** Access method; btree when absent. */
  using?: string;
  where?: string;
  /**
   * `IF NOT EXISTS`: an index of that name already there is kept, whatever it is. PostgreSQL skips an
   * INVALID leftover of a failed build too (a NOTICE, no error), so a plan that builds this way must
   * check validity later (see `leadingIndexSql`) before relying on the index.
   */
  ifNotExists?: boolean;
}

/** A table as the recipes take it (unquoted names). */
export interface TableName {
  schema?: string;
  name: string;
}

/**
 * The structured form of a statement. Every field is as the user gave it (unquoted); `type`,
 * `default`, `expression` and `where` are SQL fragments, exactly as they appear in the SQL text.
 */
export type Does =
  | { helper: 'add_column'; table: TableName; column: string; type: string; default?: string; notNull?: boolean }
  /** `type`: when the recipe knows it, so the framework's remove can be reversed. */
  | { helper: 'drop_column'; table: TableName; column: string; ifExists: boolean; type?: string }
  | { helper: 'set_not_null'; table: TableName; column: string; notNull: boolean }
  | { helper: 'add_check'; table: TableName; name: string; expression: string; validate: false }
  | { helper: 'drop_check'; table: TableName; name: string; ifExists: boolean; expression?: string }
  | { helper: 'validate_constraint'; table: TableName; name: string; kind: 'check' | 'foreign_key' | 'other' }
  | ({ helper: 'create_index'; table: TableName; concurrently: true } & IndexSpec)
  | {
      helper: 'add_foreign_key';
      table: TableName;
      name: string;
      columns: string[];
      references: TableName;
      refColumns: string[];
      onDelete?: 'no action' | 'restrict' | 'cascade' | 'set null' | 'set default';
      validate: false;
    }
  | { helper: 'drop_foreign_key'; table: TableName; name: string; ifExists: boolean; references: TableName }
  /**
   * `mayBeGone`: the IF EXISTS is needed even in a down whose up was applied (a later step adopts the
   * index into a constraint whose rollback drops it): rendered only with a helper that has IF EXISTS.
   */
  | { helper: 'drop_index'; table: TableName; name: string; concurrently: true; ifExists: boolean; mayBeGone?: boolean }
  /** `default`: the new default's SQL, or null to drop it. */
  | { helper: 'change_default'; table: TableName; column: string; default: string | null }
  | { helper: 'rename_column'; table: TableName; from: string; to: string };

/** One atomic unit of schema change: one migration file (or folder, or revision) per target. */
export interface Migration {
  /** snake_case, used in file names and class names: `add_full_name_to_users`. */
  name: string;
  /**
   * `transaction`: every statement of a direction runs in one transaction.
   * `none`: a single statement that PostgreSQL refuses inside a transaction block
   * (`CONCURRENTLY`); targets give it a migration of its own with nothing before it.
   */
  transaction: 'transaction' | 'none';
  up: Statement[];
  /** Empty when there is nothing to undo (the reason is in `downNote`). */
  down: Statement[];
  /** Why the down is not a perfect inverse (data it cannot bring back), from the catalogue. */
  downHazard?: HazardKey;
  /** Nothing to undo, said in the file so a reader does not think it was forgotten. */
  downNote?: string;
  /**
   * A query returning one row when a leftover must be removed before `up` (an INVALID index from a
   * failed concurrent build), with the statement that removes it. Targets that run host-language
   * code (Alembic, Rails) check it automatically; the checklist tells everyone else what to do.
   */
  cleanup?: { when: string; statement: Statement };
  /**
   * An index build that must also work when the table turns out to be partitioned when the migration
   * runs: targets that run host code (Alembic, Rails) and rehearse check `detect` first and run this
   * procedure instead of `up` / `down`; targets that send a file as one query cannot, and write `up`
   * (which PostgreSQL refuses on a partitioned table before taking any lock: see --partitions).
   */
  partitioned?: PartitionedIndexBuild;
}

/**
 * The queries of one direction of a backfill. Templates: the key's columns and the relation a batch
 * walks (one leaf partition, or the plain table) are markers that the backfill's `fillSql` replaces at
 * run time from the catalogue. Binds: `:last_key`, `:end_key`, `:batch_end` (encoded keys, text) and
 * `:batch_size`.
 */
export interface BackfillQueries {
  /** Human description of the change per row: `full_name = name`. */
  description: string;
  /** The first batch's last key (`batch_end`) and its row count (`scanned`), up to `:end_key`. */
  firstBoundarySql: string;
  /** The same for the keys after `:last_key`. */
  nextBoundarySql: string;
  /** Updates the rows up to `:batch_end` that still need it. */
  firstUpdateSql: string;
  /** Updates the rows in (`:last_key`, `:batch_end`] that still need it. */
  nextUpdateSql: string;
  /** Rows still to do, in the whole table; 0 when finished. Also the phase's verification query. */
  remainingSql: string;
}

export interface Backfill {
  /** snake_case name of the script: `backfill_users_full_name`. */
  name: string;
  table: string; // quoted, possibly schema-qualified
  tableLabel: string; // as the user typed it, for messages
  /** Key columns asked for with `--key`; undefined: the primary key, read from the catalogue. */
  key?: string[];
  /** Human description of the change per row: `full_name = name`. */
  description: string;
  /**
   * Turns a template (bind `:template`) into runnable SQL with the table's key, and the relation
   * marker with the relation `:relation` names (read as a regclass; NULL where a template has no
   * marker); no row when the table has no usable key. Bind `:colon`: what a `:` inside a quoted name
   * becomes.
   */
  fillSql: string;
  /**
   * What a run walks, one row per leaf partition (or one for a plain table), in order: `leaf`,
   * `partitioned`, `resumes` (`--start-after` applies to it), `part` (its walk, of `:workers`), `n`,
   * from `:start_leaf` to `:last_leaf`.
   */
  leavesSql: string;

  /** A template that fills to the key's column names, for messages. */
  keyNamesTemplate: string;
  /** Template: the highest key of one leaf (`end_key`) when the run starts; no row when it is empty. */
  endKeySql: string;
  /** Template: boundaries (`boundary`) cutting (`:last_key`, `:end_key`] into `:workers` ranges. */
  splitSql: string;
  forward: BackfillQueries;
  /** Optional reverse direction (rename rollback). */
  reverse?: BackfillQueries;
  /** Sets lock_timeout and statement_timeout for the current transaction only (`:lock_timeout`, `:statement_timeout`). */
  settingsSql: string;
  /** `behind` (a standby replays more than `:max_lag` behind), `lag`, `visible` (the role may read it). */
  lagSql: string;
  /** Checks a duration flag (`:value`) and returns it normalised; fails on a value that is not one. */
  durationSql: string;
  /** Planner's row estimate, for progress and ETA without a count(*) scan. */
  estimateSql: string;
  /**
   * Run once the backfill is done, outside any transaction: VACUUM (ANALYZE) clears the dead rows
   * every batch left, so autovacuum does not wake up and hold SHARE UPDATE EXCLUSIVE exactly when
   * the next migration needs its lock (it yields only after deadlock_timeout, 1 s by default).
   */
  finishSql: string;
  /** Forward rows still to do (the phase's verification query). */
  remainingSql: string;
  /** Most rows in one batch. */
  batchSize: number;
  /** Target time of one batch: sizes grow and shrink towards it, up to batchSize. */
  batchMs: number;
  firstBatchRows: number;
  pauseMs: number;
  lockTimeout: string;
  statementTimeout: string;
  maxRetries: number;
}

/** A query a human (or rehearse) runs before moving on; `expect` is what the result must show. */
export interface Verify {
  sql: string;
  expect: string;
  /** Machine-checkable expectation: the first column of the first row. */
  expectValue?: string | number | boolean;
  /**
   * A precondition of the phase's migrations (no duplicates before a unique build): the checklist
   * shows it before them. It still holds after the phase, where `next` and rehearse check it too.
   */
  before?: boolean;
}

/** What application code must do between two migrations; each target renders it in its idiom. */
export type CodeChange =
  | { kind: 'use-new-column'; table: string; column: string; notNull: boolean }
  | { kind: 'write-column'; table: string; column: string }
  | { kind: 'switch-to-renamed'; table: string; from: string; to: string }
  | { kind: 'stop-using-column'; table: string; column: string }
  | { kind: 'use-index'; table: string; index: string }
  /**
   * A change only its operation knows how to describe: the operation writes it in each framework's
   * idiom (Markdown), so a new operation needs no new case in the targets.
   */
  | { kind: 'idiom'; byTarget: Record<TargetName, string> };

export type Phase =
  | { kind: 'migrate'; key: string; title: string; why: string; migrations: Migration[]; verify: Verify[] }
  | {
      kind: 'backfill';
      key: string;
      title: string;
      why: string;
      backfill: Backfill;
      verify: Verify[];
      /** What rolling this phase back means, for the checklist (the reverse script, if any, is added). */
      undo: string;
    }
  | { kind: 'deploy'; key: string; title: string; why: string; code: CodeChange; verify: Verify[] };

export type { OperationName } from '../../generators/index.js';
import type { OperationName } from '../../generators/index.js';

export interface Plan {
  operation: OperationName;
  /** `rename_users_name_to_full_name`: names the run's checklist and shared prefixes. */
  name: string;
  /** `Rename users.name to full_name`. */
  title: string;
  schema?: string;
  table: string; // unquoted, as given
  /**
   * Other tables its migrations lock (a foreign key's referenced table): the checklist's "who is
   * blocking" query covers them too.
   */
  otherTables?: { schema?: string; name: string }[];
  phases: Phase[];
  hazards: HazardKey[];
  settings: { lockTimeout: string; batchSize: number; pauseMs: number };
}
