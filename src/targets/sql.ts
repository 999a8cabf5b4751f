/**
 * Plain SQL: golang-migrate pairs (<version>_<name>.up.sql / .down.sql) or dbmate files with
 * migrate:up / migrate:down sections (--sql-style dbmate).
 */
import type { Plan } from '../plan/types.js';
import { render } from '../render/templates.js';
import { backfillsOf, headerLines, migrationsInOrder, version } from './shared.js';
import { sqlDirection } from './sql-text.js';
import { renderBackfillPsql } from './backfill.js';
import { codeChange } from './code-changes.js';
import type { MigrationRef, Rendered, Target, TargetOptions } from './types.js';

export const sql: Target = {
  name: 'sql',
  title: 'Plain SQL',
  language: 'SQL',
  render(plan: Plan, o: TargetOptions): Rendered {
    const dir = o.paths.sqlMigrations ?? 'db/migrations';
    const dbmate = o.sqlStyle === 'dbmate';
    const flyway = o.sqlStyle === 'flyway';
    // The project's own numbering wins: a sequence continues where the folder stops.
    const versionAt = (i: number) =>
      o.sqlSequence ? String(o.sqlSequence.next + i).padStart(o.sqlSequence.width, '0') : version(o.timestamp, i);
    const refs: MigrationRef[] = [];
    const placed = migrationsInOrder(plan, o.phases);
    const files = placed.flatMap((p) => {
      const v = versionAt(p.index);
      const prev = p.index === 0 ? null : versionAt(p.index - 1);
      if (flyway) {
        const up = `${dir}/V${v}__${p.migration.name}.sql`;
        const undo = `${dir}/U${v}__${p.migration.name}.sql`;
        refs.push({
          migration: p.migration,
          phaseKey: p.phaseKey,
          id: v,
          files: [up, undo],
          apply: `flyway migrate -target=${v}`,
          rollback: `flyway undo -target=${prev ?? '0'}   # undo needs Flyway Teams; otherwise run ${undo} by hand`,
        });
        return [
          { path: up, role: 'migration' as const, content: sqlDirection(plan, p, 'up') },
          { path: undo, role: 'migration' as const, content: sqlDirection(plan, p, 'down') },
        ];
      }
      if (dbmate) {
        const path = `${dir}/${v}_${p.migration.name}.sql`;
        refs.push({ migration: p.migration, phaseKey: p.phaseKey, id: v, files: [path], apply: 'dbmate migrate', rollback: 'dbmate rollback' });
        const header = headerLines(plan, p).map((l) => `-- ${l}`).join('\n');
        return [
          {
            path,
            role: 'migration' as const,
            content:
              header +
              '\n' +
              render('sql/dbmate.sql.hbs', {
                noTransaction: p.migration.transaction === 'none',
                up: sqlDirection(plan, p, 'up', false).trim(),
                down: sqlDirection(plan, p, 'down', false).trim(),
              }),
          },
        ];
      }
      const up = `${dir}/${v}_${p.migration.name}.up.sql`;
      const down = `${dir}/${v}_${p.migration.name}.down.sql`;
      refs.push({
        migration: p.migration,
        phaseKey: p.phaseKey,
        id: v,
        files: [up, down],
        apply: `migrate -path ${dir} -database "$DATABASE_URL" goto ${v}`,
        rollback: prev
          ? `migrate -path ${dir} -database "$DATABASE_URL" goto ${prev}`
          : `migrate -path ${dir} -database "$DATABASE_URL" down 1`,
      });
      return [
        { path: up, role: 'migration' as const, content: sqlDirection(plan, p, 'up') },
        { path: down, role: 'migration' as const, content: sqlDirection(plan, p, 'down') },
      ];
    });
    const backfills = backfillsOf(plan).map((b) => ({ phaseKey: b.phaseKey, ...renderBackfillPsql(plan, b.backfill, o.paths.backfills ?? 'db/backfills') }));
    return {
      files: [...files, ...backfills.map((b) => b.file)],
      migrations: refs,
      backfills: backfills.map((b) => ({ ...b.ref, phaseKey: b.phaseKey })),
      code: (c) => codeChange('sql', c),
      pipeline: flyway ? 'flyway migrate' : dbmate ? 'dbmate migrate' : `migrate -path ${dir} -database "$DATABASE_URL" up`,
      notes: flyway
        ? ['Flyway detects CONCURRENTLY and runs that file outside a transaction; it holds a single statement.']
        : dbmate
        ? ['CONCURRENTLY migrations use `transaction:false` and hold a single statement.']
        : ['golang-migrate sends each file as one query (one implicit transaction): CONCURRENTLY migrations hold a single statement.'],
      lockTimeoutRetry: dbmate
        ? 'the migration rolled back as a whole (nothing was applied): find the blocker with the query below, then run `dbmate migrate` again.'
        : 'nothing was applied, but golang-migrate marks the version dirty: run `migrate force <previous version>`, find the blocker with the query below, then `goto` again.',
    };
  },
};
