/** Alembic: one revision per migration, chained by down_revision; SQL through op.execute. */
import type { Migration, Plan, Statement } from '../plan/types.js';
import { timeoutSettings } from '../plan/recipes/index.js';
import { render } from '../render/templates.js';
import { pythonText } from '../render/strings.js';
import { backfillsOf, directionSql, headerLines, migrationsInOrder, revisionId } from './shared.js';
import { renderBackfillPython } from './backfill.js';
import { codeChange } from './code-changes.js';
import { alembicFileName } from '../project/alembic.js';
import type { MigrationRef, Rendered, Target, TargetOptions } from './types.js';

const PAD = '    ';

function execute(sql: string, pad: string): string {
  return `${pad}op.execute(\n${pad}    ${pythonText(sql.replace(/\n/g, `\n${pad}    `))}\n${pad})`;
}

function statementLines(statements: Statement[], pad: string): string[] {
  return statements.flatMap((s) => [`${pad}# ${s.comment}`, execute(s.sql, pad)]);
}

function body(m: Migration, direction: 'up' | 'down', lockTimeout: string): string {
  const { statements } = directionSql(m, direction, lockTimeout);
  if (statements.length === 0) return `${PAD}pass  # Nothing to undo: ${m.downNote ?? ''}`;
  if (m.transaction === 'transaction') {
    const { settings } = directionSql(m, direction, lockTimeout);
    return [
      ...settings.map((s) => `${PAD}op.execute(${pythonText(s)})`),
      ...statementLines(statements, PAD),
    ].join('\n');
  }
  // Outside the migration transaction: autocommit_block commits what ran before and runs each
  // statement on its own, which CONCURRENTLY requires.
  const inner = `${PAD}${PAD}`;
  const { set, reset } = timeoutSettings(statements, lockTimeout, 'session');
  const lines = [`${PAD}with op.get_context().autocommit_block():`];
  lines.push(...set.map((s) => `${inner}op.execute(${pythonText(s)})`));
  lines.push(`${inner}try:`);
  const deeper = `${inner}${PAD}`;
  if (direction === 'up' && m.cleanup) {
    lines.push(
      `${deeper}# ${m.cleanup.statement.comment}`,
      `${deeper}leftover = op.get_bind().execute(sa.text(${pythonText(m.cleanup.when)})).first()`,
      `${deeper}if leftover is not None:`,
      execute(m.cleanup.statement.sql, `${deeper}${PAD}`),
    );
  }
  lines.push(...statementLines(statements, deeper));
  lines.push(`${inner}finally:`);
  lines.push(...(reset.length ? reset.map((s) => `${deeper}op.execute(${pythonText(s)})`) : [`${deeper}pass`]));
  return lines.join('\n');
}

export const alembic: Target = {
  name: 'alembic',
  title: 'Alembic',
  language: 'Python',
  render(plan: Plan, o: TargetOptions): Rendered {
    const root = o.paths.alembic ?? 'alembic';
    const placed = migrationsInOrder(plan, o.phases);
    const refs: MigrationRef[] = [];
    const files = placed.map((p) => {
      const rev = revisionId(o.revisionSeed, p.index);
      const down = p.index === 0 ? o.downRevision : refs[p.index - 1].id;
      const message = p.migration.name.replace(/_/g, ' ');
      const file = alembicFileName(o.alembicFileTemplate ?? '%(rev)s_%(slug)s', rev, truncateSlug(p.migration.name), o.timestamp);
      const path = `${o.paths.alembicVersions ?? `${root}/versions`}/${file}`;
      refs.push({
        migration: p.migration,
        phaseKey: p.phaseKey,
        id: rev,
        files: [path],
        apply: `alembic upgrade ${rev}`,
        rollback: `alembic downgrade ${down ?? 'base'}`,
      });
      return {
        path,
        role: 'migration' as const,
        content: render('alembic/revision.py.hbs', {
          message,
          revision: rev,
          revises: down ?? '',
          createDate: o.timestamp.toISOString().replace('T', ' ').replace('Z', '').replace(/\.\d+$/, '.000000'),
          header: headerLines(plan, p),
          downRevision: down ? JSON.stringify(down) : 'None',
          returnNone: o.alembicStyle?.returnNone ?? true,
          typedIds: o.alembicStyle?.typedIds ?? false,
          upBody: body(p.migration, 'up', plan.settings.lockTimeout),
          downBody: body(p.migration, 'down', plan.settings.lockTimeout),
        }),
      };
    });
    const backfills = backfillsOf(plan).map((b) => ({ phaseKey: b.phaseKey, ...renderBackfillPython(plan, b.backfill, `${o.paths.backfills ?? `${root}/backfills`}`) }));
    return {
      files: [...files, ...backfills.map((b) => b.file)],
      migrations: refs,
      backfills: backfills.map((b) => ({ ...b.ref, phaseKey: b.phaseKey })),
      code: (c) => codeChange('alembic', c),
      pipeline: 'alembic upgrade head',
      notes: [
        'Recommended in env.py: `context.configure(..., transaction_per_migration=True)`, so each revision commits on its own.',
      ],
      lockTimeoutRetry:
        'the revision rolled back as a whole (nothing was applied): find the blocker with the query below, then run the same `alembic upgrade` again.',
    };
  },
};

/** Alembic cuts the slug at 40 characters on a word boundary. */
function truncateSlug(slug: string): string {
  if (slug.length <= 40) return slug;
  const cut = slug.slice(0, 40);
  const i = cut.lastIndexOf('_');
  return i > 0 ? cut.slice(0, i) : cut;
}
