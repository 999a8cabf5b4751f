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
  foreignKeyIndexMissing: (table: string, columns: string[], index: string, phase: string) =>
    `migscaffold: no valid btree index on ${table} leads with (${columns.join(', ')}): finish "${phase}" first. ` +
    `If ${index} is INVALID (a failed build, which CREATE INDEX ... IF NOT EXISTS skips) or covers other columns, ` +
    'roll that phase back (its down drops it), apply it again, then apply this migration again',
} as const;
