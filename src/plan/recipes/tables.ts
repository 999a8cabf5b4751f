/**
 * Renaming a table while old code still uses the old name: the table takes its new name and a view
 * under the old name stands in for it. A plain `SELECT *` view is automatically updatable, so old
 * code keeps reading and writing through it (PostgreSQL 15, proven in test/integration/rename-table.test.ts):
 * the table's defaults, sequences, constraints, `ON CONFLICT` and `RETURNING` all work through it, and
 * the table's row triggers fire (with TG_TABLE_NAME the new name). What it does not carry: grants
 * (copied here), columns added to the table later (the view's column list is fixed when it is
 * created), and DDL on the old name (ALTER TABLE / DROP TABLE refuse a view).
 */
import { quoteIdent, quoteLiteral } from '../../sql/ident.js';
import type { Statement } from '../types.js';
import { doBlock } from './plpgsql.js';
import { qualified, regclass, schemaExpr, type TableRef } from './table.js';

export function renameTable(from: TableRef, to: string, comment: string): Statement {
  return { sql: `ALTER TABLE ${qualified(from)} RENAME TO ${quoteIdent(to)};`, lock: 'ACCESS EXCLUSIVE', comment };
}

/** The view under the old name that old code reads and writes through. */
export function createStandInView(view: TableRef, table: TableRef): Statement {
  return {
    sql: `CREATE VIEW ${qualified(view)} AS SELECT * FROM ${qualified(table)};`,
    lock: 'ACCESS SHARE',
    comment: 'A plain SELECT * view is automatically updatable: old code reads and writes the table through it.',
  };
}

export function dropStandInView(view: TableRef, comment: string): Statement {
  return { sql: `DROP VIEW IF EXISTS ${qualified(view)};`, lock: 'ACCESS EXCLUSIVE', comment };
}

/**
 * Every table-level grant of `table` (other than its owner's) given on `view` too: without them the
 * application's role meets "permission denied for view" the moment the rename commits.
 */
export function copyGrants(table: TableRef, view: TableRef): Statement {
  return {
    sql: doBlock(
      [
        'DECLARE',
        '  g record;',
        'BEGIN',
        "  FOR g IN SELECT a.privilege_type, CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END AS grantee, a.is_grantable",
        '    FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a LEFT JOIN pg_roles r ON r.oid = a.grantee',
        `    WHERE c.oid = ${regclass(table)} AND a.grantee <> c.relowner`,
        '  LOOP',
        `    EXECUTE format('GRANT %s ON %s TO %s%s', g.privilege_type, ${quoteLiteral(qualified(view))}, g.grantee,`,
        "      CASE WHEN g.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);",
        '  END LOOP;',
        'END',
      ].join('\n'),
    ),
    lock: null,
    comment: 'Grants are not inherited by a view: give it the table-level grants the table has.',
  };
}

/**
 * The kind of relation a name is now: 'r' table ('p', a partitioned table, reads as 'r' too: a rename
 * and its stand-in view work the same on one), 'v' view, or no row.
 */
export function relkindSql(t: TableRef): string {
  return (
    `SELECT translate(c.relkind::text, 'p', 'r') FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace ` +
    `WHERE c.relname = ${quoteLiteral(t.name)} AND n.nspname = ${schemaExpr(t)}`
  );
}
