/**
 * Prisma Migrate: prisma/migrations/<version>_<name>/migration.sql, sent by the engine as one
 * query; down.sql beside it for `prisma db execute` (Prisma has no down migrations of its own).
 */
import type { Plan } from '../plan/types.js';
import { backfillsOf, migrationsInOrder, version } from './shared.js';
import { sqlDirection } from './sql-text.js';
import { renderBackfillTypeScript } from './backfill.js';
import { codeChange } from './code-changes.js';
import type { MigrationRef, Rendered, Target, TargetOptions } from './types.js';
import type { Hunk } from '../project/prisma-schema.js';

/** Hunks as a `diff` block: exact lines, `@@ model X @@` naming the model they are in. */
export function hunksMarkdown(hunks: Hunk[]): string {
  const body = hunks.flatMap((h) => [`@@ model ${h.model} @@`, ...h.lines.map((l) => `${l.op}${l.text}`)]);
  return '```diff\n' + body.join('\n') + '\n```';
}

function schemaStep(plan: Plan, o: TargetOptions, phaseKey: string): string | undefined {
  const s = o.prismaSchema;
  if (!s || s.file === null) return undefined;
  const step = s.steps.find((x) => x.phase === phaseKey);
  if (!step) return undefined;
  const phase = plan.phases.find((p) => p.key === phaseKey)!;
  const first = plan.phases[0].key === phaseKey && s.written !== null;
  const when =
    phase.kind === 'migrate'
      ? "in the commit with this phase's migration folders (so `prisma migrate dev` finds them in agreement)"
      : 'in this release';
  return (
    (first
      ? `migscaffold made this edit to \`${s.file}\` already: ship it ${when} and run \`npx prisma generate\`:`
      : `Edit \`${s.file}\` as below ${when} and run \`npx prisma generate\`:`) +
    '\n\n' +
    hunksMarkdown(step.hunks)
  );
}

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
    const backfills = backfillsOf(plan).map((b) => ({ phaseKey: b.phaseKey, ...renderBackfillTypeScript(plan, b.backfill, o.paths.backfills ?? 'prisma/backfills') }));
    return {
      files: [...files, ...backfills.map((b) => b.file)],
      migrations: refs,
      backfills: backfills.map((b) => ({ ...b.ref, phaseKey: b.phaseKey })),
      code: (c) => codeChange('prisma', c, Boolean(o.prismaSchema?.file)),
      schema: (key) => schemaStep(plan, o, key),
      pipeline: 'npx prisma migrate deploy',
      notes: [
        ...(o.prismaSchema?.notes ?? []),
        'Never edit a folder after it was applied: Prisma checksums migration.sql.',
        'A migration that runs CONCURRENTLY is alone in its folder, because Prisma sends the whole file as one implicit transaction.',
      ],
      lockTimeoutRetry:
        'the migration is recorded as failed and nothing was applied (one implicit transaction): run `npx prisma migrate resolve --rolled-back <folder>` (it accepts failed migrations), find the blocker with the query below, then `npx prisma migrate deploy` again.',
    };
  },
};
