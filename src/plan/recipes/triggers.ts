/**
 * The sync trigger of an expand/contract: two columns kept equal whichever one a writer sets, so old
 * code (old column) and new code (new column) run side by side.
 */
import { objectName, quoteIdent, quoteLiteral } from '../../sql/ident.js';
import type { Statement } from '../types.js';
import { dollarQuote } from './plpgsql.js';
import { inSchema, qualified, regclass, type TableRef } from './table.js';

export function syncTriggerName(t: TableRef, from: string, to: string): string {
  return objectName(t.name, from, 'to', to, 'sync');
}

export function triggerExistsSql(t: TableRef, trigger: string): string {
  return `SELECT count(*) FROM pg_trigger WHERE tgrelid = ${regclass(t)} AND tgname = ${quoteLiteral(trigger)}`;
}

export function createSyncTrigger(t: TableRef, from: string, to: string): Statement[] {
  const F = quoteIdent(from);
  const N = quoteIdent(to);
  const name = syncTriggerName(t, from, to);
  const fn = inSchema(t, name);
  // IS DISTINCT FROM stops ping-pong, and any update of a not-yet-backfilled row fills it in.
  const body = [
    'BEGIN',
    "  IF TG_OP = 'INSERT' THEN",
    `    IF NEW.${N} IS NULL THEN`,
    `      NEW.${N} := NEW.${F};`,
    '    ELSE',
    `      NEW.${F} := NEW.${N};`,
    '    END IF;',
    `  ELSIF NEW.${N} IS DISTINCT FROM OLD.${N} THEN`,
    `    NEW.${F} := NEW.${N};`,
    `  ELSIF NEW.${F} IS DISTINCT FROM OLD.${F} OR NEW.${N} IS DISTINCT FROM NEW.${F} THEN`,
    `    NEW.${N} := NEW.${F};`,
    '  END IF;',
    '  RETURN NEW;',
    'END',
  ].join('\n');
  return [
    {
      sql: `CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS ${dollarQuote(body, 'sync')};`,
      lock: null,
      comment: `Copies ${from} <-> ${to} on every write, so old and new code both see their column.`,
    },
    {
      sql: `CREATE TRIGGER ${quoteIdent(name)} BEFORE INSERT OR UPDATE ON ${qualified(t)}\n  FOR EACH ROW EXECUTE FUNCTION ${fn}();`,
      lock: 'SHARE ROW EXCLUSIVE',
      comment: 'Brief write lock to attach the trigger.',
    },
  ];
}

export function dropSyncTrigger(t: TableRef, from: string, to: string): Statement[] {
  const name = syncTriggerName(t, from, to);
  return [
    { sql: `DROP TRIGGER IF EXISTS ${quoteIdent(name)} ON ${qualified(t)};`, lock: 'ACCESS EXCLUSIVE', comment: 'Stop syncing.' },
    { sql: `DROP FUNCTION IF EXISTS ${inSchema(t, name)}();`, lock: null, comment: 'Remove the sync function.' },
  ];
}

export function typeSyncTriggerName(t: TableRef, column: string): string {
  return objectName(t.name, column, 'type_change_sync');
}

/**
 * The sync trigger of a type change: every write of `column` (old type) is converted into `shadow`
 * (new type) with `forward`; with a `reverse`, a write of `shadow` is converted back into `column`.
 * `forward` and `reverse` are PL/pgSQL expressions over NEW (src/plan/recipes/type-changes.ts' callers
 * build them). A write of `shadow` that is exactly the forward image of `column` (the backfill's) is
 * not converted back: a lossy reverse would otherwise change the old column's values.
 */
export function createTypeSyncTrigger(t: TableRef, column: string, shadow: string, forward: string, reverse: string | null): Statement[] {
  const C = quoteIdent(column);
  const S = quoteIdent(shadow);
  const name = typeSyncTriggerName(t, column);
  const fn = inSchema(t, name);
  // One way: the shadow is always the forward image of the column. Two ways: a write of the shadow
  // alone (not the forward image, which is what the backfill writes) is converted back.
  const body = reverse
    ? [
        'BEGIN',
        "  IF TG_OP = 'INSERT' THEN",
        `    IF NEW.${S} IS NULL THEN`,
        `      NEW.${S} := ${forward};`,
        '    ELSE',
        `      NEW.${C} := ${reverse};`,
        '    END IF;',
        `  ELSIF NEW.${C} IS DISTINCT FROM OLD.${C} OR (NEW.${S} IS NULL AND NEW.${C} IS NOT NULL) THEN`,
        `    NEW.${S} := ${forward};`,
        `  ELSIF NEW.${S} IS DISTINCT FROM OLD.${S} AND NEW.${S} IS DISTINCT FROM ${forward} THEN`,
        `    NEW.${C} := ${reverse};`,
        '  END IF;',
        '  RETURN NEW;',
        'END',
      ]
    : ['BEGIN', `  NEW.${S} := ${forward};`, '  RETURN NEW;', 'END'];
  return [
    {
      sql: `CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS ${dollarQuote(body.join('\n'), 'sync')};`,
      lock: null,
      comment: reverse
        ? `Converts every write of ${column} into ${shadow}, and every write of ${shadow} back into ${column}.`
        : `Converts every write of ${column} into ${shadow}; one way only (no --reverse-using): ${shadow} always follows ${column}.`,
    },
    {
      sql: `CREATE TRIGGER ${quoteIdent(name)} BEFORE INSERT OR UPDATE ON ${qualified(t)}\n  FOR EACH ROW EXECUTE FUNCTION ${fn}();`,
      lock: 'SHARE ROW EXCLUSIVE',
      comment: 'Brief write lock to attach the trigger.',
    },
  ];
}

export function dropTypeSyncTrigger(t: TableRef, column: string): Statement[] {
  const name = typeSyncTriggerName(t, column);
  return [
    { sql: `DROP TRIGGER IF EXISTS ${quoteIdent(name)} ON ${qualified(t)};`, lock: 'ACCESS EXCLUSIVE', comment: 'Stop converting.' },
    { sql: `DROP FUNCTION IF EXISTS ${inSchema(t, name)}();`, lock: null, comment: 'Remove the conversion function.' },
  ];
}
