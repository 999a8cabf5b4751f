/** Rails / ActiveRecord: db/migrate/<version>_<name>.rb, SQL through execute, up and down. */
import type { Migration, Plan, Statement } from '../plan/types.js';
import { oneQuery, timeoutSettings, type PartitionedIndexBuild } from '../plan/recipes/index.js';
import { render } from '../render/templates.js';
import { camelize, rubyHeredoc, rubyString } from '../render/strings.js';
import { backfillsOf, directionSql, headerLines, migrationsInOrder, version } from './shared.js';
import { renderBackfillRuby } from './backfill.js';
import { codeChange } from './code-changes.js';
import type { MigrationRef, Rendered, Target, TargetOptions } from './types.js';

function execute(sql: string, indent: number): string {
  const pad = ' '.repeat(indent);
  if (!sql.includes('\n')) return `${pad}execute ${rubyString(sql)}`;
  const h = rubyHeredoc(sql, indent);
  return `${pad}execute ${h.open}\n${h.body}`;
}

function statementLines(statements: Statement[], indent: number): string[] {
  const pad = ' '.repeat(indent);
  return statements.flatMap((s) => [`${pad}# ${s.comment}`, execute(s.sql, indent)]);
}

function body(m: Migration, direction: 'up' | 'down', lockTimeout: string): string {
  const { settings, statements } = directionSql(m, direction, lockTimeout);
  if (statements.length === 0) return `      # Nothing to undo: ${m.downNote ?? ''}`;
  if (m.transaction === 'transaction')
    return [...settings.map((s) => execute(s, 6)), ...statementLines(statements, 6)].join('\n');
  // disable_ddl_transaction!: session settings, reset however the statement ends. Not inside a
  // transaction (disable_ddl_transaction! removed, an outer transaction): there the failed statement
  // aborted it, a RESET would raise InFailedSqlTransaction and hide the real error, and the abort
  // undoes the SET anyway.
  const { set, reset } = timeoutSettings(statements, lockTimeout, 'session');
  // Nothing to reset: an ensure would be empty (rubocop Lint/EmptyEnsure), so no begin either.
  const guarded = reset.length > 0;
  // On a table that may be partitioned, the plain build sits in the `else` of the partitioned one.
  const base = m.partitioned ? 8 : 6;
  const at = guarded ? base + 2 : base;
  const inner: string[] = [];
  if (direction === 'up' && m.cleanup)
    inner.push(
      `${' '.repeat(at)}# ${m.cleanup.statement.comment}`,
      `${' '.repeat(at)}if select_value(${rubyString(m.cleanup.when)})`,
      execute(m.cleanup.statement.sql, at + 2),
      `${' '.repeat(at)}end`,
    );
  inner.push(...statementLines(statements, at));
  const pad = ' '.repeat(base);
  const setting = set.map((s) => execute(s, base));
  const plain = !guarded
    ? [...setting, ...inner]
    : [...setting, `${pad}begin`, ...inner, `${pad}ensure`, ...reset.map((s) => `${execute(s, base + 2)} unless transaction_open?`), `${pad}end`];
  if (!m.partitioned) return plain.join('\n');
  return [...partitionedBranch(m.partitioned, direction, lockTimeout), ...plain, '      end'].join('\n');
}

/**
 * The table is partitioned when the migration runs: the parent index ON ONLY, then each partition's
 * index CONCURRENTLY and attached, from the catalogue; the `else` that follows holds the plain build.
 */
function partitionedBranch(p: PartitionedIndexBuild, direction: 'up' | 'down', lockTimeout: string): string[] {
  const head = `      if select_value(${rubyString(p.detect)})`;
  if (direction === 'down') return [head, `        # ${p.down[0].comment}`, execute(oneQuery(p.down, lockTimeout), 8), '      else'];
  return [
    head,
    `        # ${p.prepare[p.prepare.length - 1].comment}`,
    execute(oneQuery(p.prepare, lockTimeout), 8),
    '        begin',
    execute('SET statement_timeout = 0;', 10),
    '          # Each partition still without the index: its own build, CONCURRENTLY, then attached.',
    `          select_all(${rubyString(p.partitions)}).each do |row|`,
    '            execute row["drop_leftover"] if row["drop_leftover"]',
    '            execute row["build"]',
    '            execute row["attach"]',
    '          end',
    '        ensure',
    `${execute('RESET statement_timeout;', 10)} unless transaction_open?`,
    '        end',
    `        # ${p.finish.comment}`,
    execute(p.finish.sql, 8),
    '      else',
  ];
}

export const rails: Target = {
  name: 'rails',
  title: 'Rails / ActiveRecord',
  language: 'Ruby',
  render(plan: Plan, o: TargetOptions): Rendered {
    const dir = o.paths.railsMigrate ?? 'db/migrate';
    const refs: MigrationRef[] = [];
    const files = migrationsInOrder(plan, o.phases).map((p) => {
      const v = version(o.timestamp, p.index);
      const path = `${dir}/${v}_${p.migration.name}.rb`;
      refs.push({
        migration: p.migration,
        phaseKey: p.phaseKey,
        id: v,
        files: [path],
        apply: `bin/rails db:migrate:up VERSION=${v}`,
        rollback: `bin/rails db:migrate:down VERSION=${v}`,
      });
      return {
        path,
        role: 'migration' as const,
        content: render('rails/migration.rb.hbs', {
          header: headerLines(plan, p),
          className: camelize(p.migration.name),
          railsVersion: o.railsVersion,
          noTransaction: p.migration.transaction === 'none',
          upBody: body(p.migration, 'up', plan.settings.lockTimeout),
          downBody: body(p.migration, 'down', plan.settings.lockTimeout),
        }),
      };
    });
    const backfills = backfillsOf(plan).map((b) => ({ phaseKey: b.phaseKey, ...renderBackfillRuby(plan, b.backfill, o.paths.backfills ?? 'script') }));
    return {
      files: [...files, ...backfills.map((b) => b.file)],
      migrations: refs,
      backfills: backfills.map((b) => ({ ...b.ref, phaseKey: b.phaseKey })),
      code: (c) => codeChange('rails', c),
      pipeline: 'bin/rails db:migrate',
      notes: [
        'Works with or without strong_migrations: when it is installed, `execute` runs inside `safety_assured`, since the SQL is already the safe form.',
      ],
      lockTimeoutRetry:
        'the migration rolled back as a whole (nothing was applied): find the blocker with the query below, then run the same `db:migrate:up` again.',
    };
  },
};
