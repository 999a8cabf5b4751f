/**
 * Prisma Migrate: prisma/migrations/<version>_<name>/migration.sql, sent by the engine as one
 * query; down.sql beside it for `prisma db execute` (Prisma has no down migrations of its own).
 */
import type { Plan } from '../plan/types.js';
import { backfillOf, migrationsInOrder, version } from './shared.js';
import { sqlDirection } from './sql-text.js';
import { renderBackfillTypeScript } from './backfill.js';
import { codeChange } from './code-changes.js';
import type { MigrationRef, Rendered, Target, TargetOptions } from './types.js';

export const prisma: Target = {
  name: 'prisma',
  title: 'Prisma Migrate',
  language: 'TypeScript',
  render(plan: Plan, o: TargetOptions): Rendered {
    const dir = o.paths.prismaMigrations ?? 'prisma/migrations';
    const refs: MigrationRef[] = [];
    const files = migrationsInOrder(plan, o.phases).flatMap((p) => {
      const folder = `${version(o.timestamp, p.index)}_${p.migration.name}`;
      const up = `${dir}/${folder}/migration.sql`;
      const down = `${dir}/${folder}/down.sql`;
      refs.push({
        migration: p.migration,
        phaseKey: p.phaseKey,
        id: folder,
        files: [up, down],
        apply: 'npx prisma migrate deploy',
        // `migrate resolve --rolled-back` only accepts failed migrations, so a successfully applied
        // one is un-recorded by hand after its down.sql ran.
        rollback:
          `npx prisma db execute --file ${down} && ` +
          `echo "DELETE FROM _prisma_migrations WHERE migration_name = '${folder}';" | npx prisma db execute --stdin`,
      });
      return [
        { path: up, role: 'migration' as const, content: sqlDirection(plan, p, 'up') },
        { path: down, role: 'migration' as const, content: sqlDirection(plan, p, 'down') },
      ];
    });
    const bf = backfillOf(plan);
    const backfill = bf && renderBackfillTypeScript(plan, bf, o.paths.backfills ?? 'prisma/backfills');
    return {
      files: [...files, ...(backfill ? [backfill.file] : [])],
      migrations: refs,
      backfill: backfill?.ref,
      code: (c) => codeChange('prisma', c),
      pipeline: 'npx prisma migrate deploy',
      notes: [
        'Never edit a folder after it was applied: Prisma checksums migration.sql.',
        'A migration that runs CONCURRENTLY is alone in its folder, because Prisma sends the whole file as one implicit transaction.',
      ],
      lockTimeoutRetry:
        'the migration is recorded as failed and nothing was applied (one implicit transaction): run `npx prisma migrate resolve --rolled-back <folder>` (it accepts failed migrations), find the blocker with the query below, then `npx prisma migrate deploy` again.',
    };
  },
};
