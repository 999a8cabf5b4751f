/**
 * rename-column: expand / contract with a sync trigger, so old code (old column) and new code
 * (new column) run side by side. The new column copies the old one's exact type, NOT NULL and
 * default from the live database at migration time, so nothing has to be retyped by hand.
 */
import { columnField, keyField, parseTable, tableField } from '../src/fields.js';
import type { Operation } from '../src/operation.js';
import {
  doBlock,
  dollarQuote,
  inSchema,
  label,
  qualified,
  regclass,
  backfill,
  notNullConstraintName,
  validateNotNullCheck,
  setNotNullFromCheck,
  unsetNotNullToCheck,
  addNotNullCheck,
  columnExistsSql,
  isNotNullSql,
  backfillFinishedGuard,
  guard,
  type TableRef,
} from '../src/plan/recipes.js';
import type { Migration, Plan, Statement } from '../src/plan/types.js';
import { objectName, quoteIdent, quoteLiteral, slug } from '../src/sql/ident.js';
import { errors } from '../src/messages/errors.js';
import { GUARDS } from '../src/messages/guards.js';

export const renameColumn: Operation = {
  name: 'rename-column',
  summary: 'Rename a column with no downtime: new column, sync trigger, backfill, switch code, drop old',
  fields: [tableField, columnField('from', 'Current column name'), columnField('to', 'New column name'), keyField],
  check(a) {
    if (a.from === a.to) throw errors.invalid('to', String(a.to), 'it is the same as --from');
  },
  plan(a, s): Plan {
    const t = parseTable(String(a.table));
    const from = String(a.from);
    const to = String(a.to);
    const key = String(a.key ?? 'id');
    const T = qualified(t);
    const F = quoteIdent(from);
    const N = quoteIdent(to);
    const fn = inSchema(t, objectName(t.name, from, 'to', to, 'sync'));
    const trigger = quoteIdent(objectName(t.name, from, 'to', to, 'sync'));
    const base = `${t.name}_${from}_to_${to}`;

    const attr = (col: string) =>
      `SELECT format_type(a.atttypid, a.atttypmod), a.attnotnull FROM pg_attribute a\n` +
      `  WHERE a.attrelid = ${regclass(t)} AND a.attname = ${quoteLiteral(col)} AND NOT a.attisdropped`;

    const addLike = (source: string, target: string, withCheck: boolean): Statement => ({
      sql: doBlock(
        [
          'DECLARE',
          '  col_type text;',
          '  col_not_null boolean;',
          'BEGIN',
          `  ${attr(source).replace(/\n/g, '\n  ')}`,
          '    INTO col_type, col_not_null;',
          '  IF col_type IS NULL THEN',
          `    RAISE EXCEPTION 'column % of table % does not exist', ${quoteLiteral(source)}, ${regclass(t)};`,
          '  END IF;',
          `  EXECUTE format('ALTER TABLE %s ADD COLUMN %I %s', ${regclass(t)}, ${quoteLiteral(target)}, col_type);`,
          ...(withCheck
            ? [
                '  IF col_not_null THEN',
                `    ${addNotNullCheck(t, target).sql}`,
                '  END IF;',
              ]
            : []),
          'END',
        ].join('\n'),
      ),
      lock: 'ACCESS EXCLUSIVE',
      comment: withCheck
        ? `Add ${to} with the exact type of ${from} (nullable for now; if ${from} is NOT NULL, a NOT VALID check guards new writes).`
        : `Re-add ${target} with the type of ${source}.`,
    });

    // Keeps both columns equal whichever one a writer sets; IS DISTINCT FROM stops ping-pong and
    // any update of a not-yet-backfilled row fills it in.
    const syncBody = [
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
    const createSync: Statement[] = [
      {
        sql: `CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS ${dollarQuote(syncBody, 'sync')};`,
        lock: null,
        comment: `Copies ${from} <-> ${to} on every write, so old and new code both see their column.`,
      },
      {
        sql: `CREATE TRIGGER ${trigger} BEFORE INSERT OR UPDATE ON ${T}\n  FOR EACH ROW EXECUTE FUNCTION ${fn}();`,
        lock: 'SHARE ROW EXCLUSIVE',
        comment: 'Brief write lock to attach the trigger.',
      },
    ];
    const dropSync: Statement[] = [
      { sql: `DROP TRIGGER IF EXISTS ${trigger} ON ${T};`, lock: 'ACCESS EXCLUSIVE', comment: 'Stop syncing.' },
      { sql: `DROP FUNCTION IF EXISTS ${fn}();`, lock: null, comment: 'Remove the sync function.' },
    ];
    const ifCheckExists = (body: string) =>
      doBlock(
        [
          'BEGIN',
          `  IF EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = ${regclass(t)} AND conname = ${quoteLiteral(notNullConstraintName(t, to))}) THEN`,
          `    ${body.replace(/\n/g, '\n    ')}`,
          '  END IF;',
          'END',
        ].join('\n'),
      );
    const ifNotNull = (col: string, body: string) =>
      doBlock(
        [
          'BEGIN',
          `  IF (${isNotNullSql(t, col)}) THEN`,
          `    ${body.replace(/\n/g, '\n    ')}`,
          '  END IF;',
          'END',
        ].join('\n'),
      );
    const copyDefault = (source: string, target: string): Statement => ({
      sql: doBlock(
        [
          'DECLARE',
          '  col_default text;',
          'BEGIN',
          '  SELECT pg_get_expr(d.adbin, d.adrelid) INTO col_default',
          '  FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum',
          `  WHERE d.adrelid = ${regclass(t)} AND a.attname = ${quoteLiteral(source)};`,
          '  IF col_default IS NOT NULL THEN',
          `    EXECUTE format('ALTER TABLE %s ALTER COLUMN %I SET DEFAULT %s', ${regclass(t)}, ${quoteLiteral(target)}, col_default);`,
          '  END IF;',
          'END',
        ].join('\n'),
      ),
      lock: 'ACCESS EXCLUSIVE',
      comment:
        target === to
          ? `Give ${to} the default ${from} had (only now: while both columns exist, a default on ${to} would overwrite what old code writes).`
          : `Give ${from} back the default ${to} has.`,
    });

    const pendingFwd = `t.${N} IS DISTINCT FROM t.${F}`;
    const expandTitle = `Expand: add ${to} and keep it in sync with ${from}`;
    const backfillTitle = `Backfill: copy ${from} into ${to} for existing rows`;
    const triggerName = objectName(t.name, from, 'to', to, 'sync');
    const tl = label(t);

    const expand: Migration = {
      name: slug(`add ${to} to ${t.name} for rename of ${from}`),
      transaction: 'transaction',
      up: [addLike(from, to, true), ...createSync],
      down: [...dropSync, { sql: `ALTER TABLE ${T} DROP COLUMN IF EXISTS ${N};`, lock: 'ACCESS EXCLUSIVE', comment: `Drop ${to} (and its check).` }],
    };
    const validate: Migration = {
      name: slug(`validate ${t.name} ${to} not null`),
      transaction: 'transaction',
      up: [
        backfillFinishedGuard(t, pendingFwd, `${to} = ${from}`, backfillTitle),
        { ...validateNotNullCheck(t, to), sql: ifCheckExists(validateNotNullCheck(t, to).sql), comment: `If ${from} is NOT NULL: prove ${to} has no NULLs, scanning under SHARE UPDATE EXCLUSIVE (reads and writes go on).` },
      ],
      down: [],
      downNote: 'validation changes no data and no definition.',
    };
    const setNotNull: Migration = {
      name: slug(`set ${t.name} ${to} not null`),
      transaction: 'transaction',
      up: [{ sql: ifCheckExists(setNotNullFromCheck(t, to).map((x) => x.sql).join('\n')), lock: 'ACCESS EXCLUSIVE', comment: `If ${from} is NOT NULL: make ${to} NOT NULL without a scan (the validated check proves it), then drop the check.` }],
      down: [{ sql: ifNotNull(to, unsetNotNullToCheck(t, to).map((x) => x.sql).join('\n')), lock: 'ACCESS EXCLUSIVE', comment: `Make ${to} nullable again, guarded by the NOT VALID check.` }],
    };
    const contract: Migration = {
      name: slug(`drop ${from} from ${t.name} after rename to ${to}`),
      transaction: 'transaction',
      up: [
        guard(
          `SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = ${regclass(t)} AND tgname = ${quoteLiteral(triggerName)})`,
          GUARDS.syncTriggerMissing(tl, expandTitle),
          'Guard: without the sync trigger, writes since the expand may be missing from the new column.',
        ),
        guard(
          `SELECT 1 FROM ${T} AS t WHERE ${pendingFwd} LIMIT 1`,
          GUARDS.columnsDiffer(tl, from, to, backfillTitle),
          `Guard: every value must already be in ${to} before ${from} is dropped.`,
        ),
        ...dropSync,
        copyDefault(from, to),
        { sql: `ALTER TABLE ${T} DROP COLUMN ${F};`, lock: 'ACCESS EXCLUSIVE', comment: `Drop ${from}: every value lives in ${to}.` },
      ],
      down: [
        addLike(to, from, false),
        copyDefault(to, from),
        { sql: `UPDATE ${T} SET ${F} = ${N};`, lock: 'ROW EXCLUSIVE', comment: `Copy every value back into ${from} (one statement: see the warning above).` },
        { sql: ifNotNull(to, `ALTER TABLE ${T} ALTER COLUMN ${F} SET NOT NULL;`), lock: 'ACCESS EXCLUSIVE', comment: `Restore NOT NULL on ${from} if ${to} has it.` },
        { sql: `ALTER TABLE ${T} ALTER COLUMN ${N} DROP DEFAULT;`, lock: 'ACCESS EXCLUSIVE', comment: `While both columns exist, only ${from} carries the default.` },
        ...createSync,
      ],
      downHazard: 'rename-contract-rollback-copies-table',
    };

    const bf = backfill({
      name: slug(`backfill ${t.name} ${to}`),
      table: t,
      key,
      set: { column: to, expr: `t.${F}` },
      pending: pendingFwd,
      description: `${to} = ${from}`,
      batchSize: s.batchSize,
      pauseMs: s.pauseMs,
      lockTimeout: s.lockTimeout,
      reverse: { set: { column: from, expr: `t.${N}` }, pending: `t.${F} IS DISTINCT FROM t.${N}`, description: `${from} = ${to}` },
    });

    return {
      operation: 'rename-column',
      name: slug(`rename ${base}`),
      title: `Rename ${tl}.${from} to ${to}`,
      schema: t.schema,
      table: t.name,
      settings: s,
      hazards: ['rename-indexes-not-copied', 'rename-insert-null-with-default', 'rename-contract-rollback-copies-table'],
      phases: [
        {
          kind: 'migrate',
          key: 'expand',
          title: expandTitle,
          why: `Old code keeps writing ${from}; the trigger copies each write into ${to} (and back).`,
          migrations: [expand],
          verify: [
            { sql: columnExistsSql(t, to), expect: `1 (the column ${to} exists)`, expectValue: 1 },
            { sql: `SELECT count(*) FROM pg_trigger WHERE tgrelid = ${regclass(t)} AND tgname = ${quoteLiteral(triggerName)}`, expect: '1 (the sync trigger is installed)', expectValue: 1 },
          ],
        },
        {
          kind: 'backfill',
          key: 'backfill',
          title: backfillTitle,
          why: 'Rows written before the trigger existed still have an empty new column.',
          backfill: bf,
          verify: [{ sql: bf.remainingSql, expect: '0 rows left to copy', expectValue: 0 }],
        },
        {
          kind: 'migrate',
          key: 'tighten',
          title: `Tighten: carry NOT NULL over to ${to} (when ${from} has it)`,
          why: 'VALIDATE scans without blocking writes; SET NOT NULL then needs no scan.',
          migrations: [validate, setNotNull],
          verify: [
            { sql: `SELECT (${isNotNullSql(t, to)}) IS NOT DISTINCT FROM (${isNotNullSql(t, from)})`, expect: `true (${to} and ${from} agree on NOT NULL)`, expectValue: true },
            {
              sql: `SELECT string_agg(indexrelid::regclass::text, ', ') FROM pg_index WHERE indrelid = ${regclass(t)} AND (SELECT attnum FROM pg_attribute WHERE attrelid = ${regclass(t)} AND attname = ${quoteLiteral(from)}) = ANY (indkey)`,
              expect: `NULL, or the indexes on ${from} you have re-created on ${to} (they are dropped with ${from})`,
            },
          ],
        },
        {
          kind: 'deploy',
          key: 'switch',
          title: `Deploy code that reads and writes only ${to}`,
          why: `The trigger keeps ${from} filled for instances still running the old code during the rollout.`,
          code: { kind: 'switch-to-renamed', table: tl, from, to },
          verify: [{ sql: `SELECT count(*) FROM ${T} WHERE ${N} IS DISTINCT FROM ${F}`, expect: '0 (both columns still agree)', expectValue: 0 }],
        },
        {
          kind: 'migrate',
          key: 'contract',
          title: `Contract: drop the trigger and ${from}`,
          why: `Only once no running code reads or writes ${from}.`,
          migrations: [contract],
          verify: [{ sql: columnExistsSql(t, from), expect: `0 (${from} is gone)`, expectValue: 0 }],
        },
      ],
    };
  },
};

export type { TableRef };
