/** Alembic: one revision per migration, chained by down_revision; SQL through op.execute. */
import type { Migration, Plan, Statement } from '../plan/types.js';
import { oneQuery, timeoutSettings, type PartitionedIndexBuild } from '../plan/recipes/index.js';
import { render } from '../render/templates.js';
import { BLACK_LINE_LENGTH, pythonCall, pythonText, pythonTripleQuotedBody } from '../render/strings.js';
import { backfillsOf, directionSql, headerLines, migrationsInOrder, revisionId } from './shared.js';
import { renderBackfillPython } from './backfill.js';
import { codeChange } from './code-changes.js';
import { alembicFileName } from '../project/alembic.js';
import type { MigrationRef, Rendered, Target, TargetOptions } from './types.js';

const PAD = '    ';

/** `op.execute("""...""")`; the SQL's own lines are indented with the call, for reading. */
function execute(sql: string, pad: string, width: number): string {
  return pythonCall(`${pad}op.execute(`, pythonText(sql.replace(/\n/g, `\n${pad}${PAD}`)), ')', width);
}

function statementLines(statements: Statement[], pad: string, width: number): string[] {
  return statements.flatMap((s) => [`${pad}# ${s.comment}`, execute(s.sql, pad, width)]);
}

function body(m: Migration, direction: 'up' | 'down', lockTimeout: string, width: number): string {
  const { settings, statements } = directionSql(m, direction, lockTimeout);
  if (statements.length === 0) return `${PAD}pass  # Nothing to undo: ${m.downNote ?? ''}`;
  if (m.transaction === 'transaction')
    return [...settings.map((s) => execute(s, PAD, width)), ...statementLines(statements, PAD, width)].join('\n');
  // Outside the migration transaction: autocommit_block commits what ran before and runs each
  // statement on its own, which CONCURRENTLY requires.
  // On a table that may be partitioned, the plain build sits in the `else:` of the partitioned one.
  const inner = m.partitioned ? `${PAD}${PAD}${PAD}` : `${PAD}${PAD}`;
  const { set, reset } = timeoutSettings(statements, lockTimeout, 'session');
  // With no setting to undo, a try/finally would only wrap an empty `finally`.
  const guarded = reset.length > 0;
  const deeper = guarded ? `${inner}${PAD}` : inner;
  const steps: string[] = [];
  if (direction === 'up' && m.cleanup)
    steps.push(
      `${deeper}# ${m.cleanup.statement.comment}`,
      // A name of its own for the query: inlined, black would break the call chain over six lines.
      pythonCall(`${deeper}find_leftover = sa.text(`, pythonText(m.cleanup.when), ')', width),
      `${deeper}if op.get_bind().execute(find_leftover).first() is not None:`,
      execute(m.cleanup.statement.sql, `${deeper}${PAD}`, width),
    );
  steps.push(...statementLines(statements, deeper, width));
  const lines = [...set.map((s) => execute(s, inner, width))];
  const plain = !guarded
    ? [...lines, ...steps]
    : [...lines, `${inner}try:`, ...steps, `${inner}finally:`, ...reset.map((s) => execute(s, deeper, width))];
  const head = `${PAD}with op.get_context().autocommit_block():`;
  if (!m.partitioned) return [head, ...plain].join('\n');
  return [head, ...partitionedBranch(m.partitioned, direction, lockTimeout, width), ...plain].join('\n');
}

/**
 * The table is partitioned when the migration runs: the parent index ON ONLY, then each partition's
 * index CONCURRENTLY and attached, from the catalogue; the `else:` that follows holds the plain build.
 */
function partitionedBranch(p: PartitionedIndexBuild, direction: 'up' | 'down', lockTimeout: string, width: number): string[] {
  const inner = `${PAD}${PAD}`;
  const deep = `${inner}${PAD}`;
  const lines = [
    pythonCall(`${inner}is_partitioned = sa.text(`, pythonText(p.detect), ')', width),
    `${inner}if op.get_bind().execute(is_partitioned).first() is not None:`,
  ];
  if (direction === 'down')
    return [...lines, `${deep}# ${p.down[0].comment}`, execute(oneQuery(p.down, lockTimeout), deep, width), `${inner}else:`];
  const loop = `${deep}${PAD}`;
  return [
    ...lines,
    `${deep}# ${p.prepare[p.prepare.length - 1].comment}`,
    execute(oneQuery(p.prepare, lockTimeout), deep, width),
    execute('SET statement_timeout = 0;', deep, width),
    `${deep}try:`,
    `${loop}# Each partition still without the index: its own build, CONCURRENTLY, then attached.`,
    pythonCall(`${loop}find_partitions = sa.text(`, pythonText(p.partitions), ')', width),
    // Statements PostgreSQL wrote: sent as they are, no bind or % processing.
    `${loop}raw = op.get_bind().execution_options(no_parameters=True)`,
    `${loop}for row in op.get_bind().execute(find_partitions).fetchall():`,
    `${loop}${PAD}if row.drop_leftover is not None:`,
    `${loop}${PAD}${PAD}raw.exec_driver_sql(row.drop_leftover)`,
    `${loop}${PAD}raw.exec_driver_sql(row.build)`,
    `${loop}${PAD}raw.exec_driver_sql(row.attach)`,
    `${deep}finally:`,
    execute('RESET statement_timeout;', `${deep}${PAD}`, width),
    `${deep}# ${p.finish.comment}`,
    execute(p.finish.sql, deep, width),
    `${inner}else:`,
  ];
}

export const alembic: Target = {
  name: 'alembic',
  title: 'Alembic',
  language: 'Python',
  render(plan: Plan, o: TargetOptions): Rendered {
    const root = o.paths.alembic ?? 'alembic';
    const width = o.alembicLineLength ?? BLACK_LINE_LENGTH;
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
          message: pythonTripleQuotedBody(message),
          revision: rev,
          revises: down ?? '',
          createDate: o.timestamp.toISOString().replace('T', ' ').replace('Z', '').replace(/\.\d+$/, '.000000'),
          header: headerLines(plan, p).map(pythonTripleQuotedBody),
          downRevision: down ? JSON.stringify(down) : 'None',
          returnNone: o.alembicStyle?.returnNone ?? true,
          typedIds: o.alembicStyle?.typedIds ?? false,
          upBody: body(p.migration, 'up', plan.settings.lockTimeout, width),
          downBody: body(p.migration, 'down', plan.settings.lockTimeout, width),
        }),
      };
    });
    const backfills = backfillsOf(plan).map((b) => ({
      phaseKey: b.phaseKey,
      ...renderBackfillPython(plan, b.backfill, `${o.paths.backfills ?? `${root}/backfills`}`, width),
    }));
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
