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
