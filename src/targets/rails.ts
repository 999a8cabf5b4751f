/** Rails / ActiveRecord: db/migrate/<version>_<name>.rb, Rails helpers where Rails has them, SQL through execute otherwise. */
import type { Migration, Plan, Statement } from '../plan/types.js';
import { oneQuery, timeoutSettings, type PartitionedIndexBuild } from '../plan/recipes/index.js';
import { railsCall, railsReversible, sqlReason, type RailsOptions } from './helpers.js';
import { render } from '../render/templates.js';
import { camelize, rubyHeredoc, rubyString } from '../render/strings.js';
import { backfillsOf, headerLines, migrationsInOrder, version } from './shared.js';
import { renderBackfillRuby } from './backfill.js';
import { codeChange } from './code-changes.js';
import type { MigrationRef, Rendered, Target, TargetOptions } from './types.js';

function execute(sql: string, indent: number): string {
  const pad = ' '.repeat(indent);
  if (!sql.includes('\n')) return `${pad}execute ${rubyString(sql)}`;
  const h = rubyHeredoc(sql, indent);
  return `${pad}execute ${h.open}\n${h.body}`;
}

/** Helpers from Rails 6.1 on (add_check_constraint, validate_check_constraint, remove_index's if_exists); false before. */
type Helpers = false | RailsOptions;

function helpersFor(railsVersion: string): Helpers {
  const [major, minor] = railsVersion.split('.').map(Number);
  if (major < 6 || (major === 6 && minor < 1)) return false;
  return { datetimePrecision: major >= 7 };
}

interface Rendering {
  lines: string[];
  /** Some statement runs in `safety_assured`. */
  assured: boolean;
}

/**
 * One statement: the Rails helper for its structured form where Rails has one, in `safety_assured`
 * only where strong_migrations refuses it; the SQL otherwise, always in `safety_assured` (the gem
 * cannot see into `execute`), with the reason it is SQL.
 */
function statementLines(s: Statement, previous: Statement[], indent: number, helpers: Helpers): Rendering {
  const pad = ' '.repeat(indent);
  const call = helpers && s.does ? railsCall(s.does, previous, helpers) : null;
  if (call && 'code' in call)
    return { lines: [`${pad}# ${s.comment}`, call.refused ? `${pad}safety_assured { ${call.code} }` : `${pad}${call.code}`], assured: call.refused };
  const reason = sqlReason(s, 'Rails', call && 'why' in call ? call.why : undefined);
  const sql = s.sql.includes('\n')
    ? [`${pad}safety_assured do`, execute(s.sql, indent + 2), `${pad}end`]
    : [`${pad}safety_assured { ${execute(s.sql, 0)} }`];
  return { lines: [`${pad}# ${s.comment}`, `${pad}# SQL: ${reason}.`, ...sql], assured: true };
}

function statementsLines(statements: Statement[], indent: number, helpers: Helpers): Rendering {
  const out: Rendering = { lines: [], assured: false };
  statements.forEach((s, i) => {
    const r = statementLines(s, statements.slice(0, i), indent, helpers);
    out.lines.push(...r.lines);
    out.assured ||= r.assured;
  });
  return out;
}

/** The INVALID leftover of a failed concurrent build, removed before the up builds again. */
function cleanupLines(m: Migration, indent: number, helpers: Helpers): Rendering {
  if (!m.cleanup) return { lines: [], assured: false };
  const pad = ' '.repeat(indent);
  const inner = statementLines({ ...m.cleanup.statement, comment: m.cleanup.statement.comment }, [], indent + 2, helpers);
  return {
    lines: [`${pad}if select_value(${rubyString(m.cleanup.when)})`, ...inner.lines, `${pad}end`],
    assured: inner.assured,
  };
}

interface Body {
  methods: string;
  assured: boolean;
}

/** `def change` when Rails reverses every helper of the up into the plan's down, `up` / `down` otherwise. */
function methods(m: Migration, helpers: Helpers, lockTimeout: string): Body {
  if (m.partitioned) return partitionedMethods(m, m.partitioned, helpers, lockTimeout);
  if (helpers && railsReversible(m.up, m.down, helpers)) {
    const cleanup = cleanupLines(m, 6, helpers);
    const body = statementsLines(m.up, 4, helpers);
    const lines = [
      '  def change',
      ...(cleanup.lines.length ? ['    up_only do', ...cleanup.lines, '    end'] : []),
      ...body.lines,
      '  end',
    ];
    return { methods: lines.join('\n'), assured: cleanup.assured || body.assured };
  }
  const cleanup = cleanupLines(m, 4, helpers);
  const up = statementsLines(m.up, 4, helpers);
  const down = m.down.length ? statementsLines(m.down, 4, helpers) : { lines: [`    # Nothing to undo: ${m.downNote ?? ''}`], assured: false };
  return {
    methods: ['  def up', ...cleanup.lines, ...up.lines, '  end', '', '  def down', ...down.lines, '  end'].join('\n'),
    assured: cleanup.assured || up.assured || down.assured,
  };
}

/** An index build on a table that may be partitioned when it runs: the plain build in the `else`. */
function partitionedMethods(m: Migration, p: PartitionedIndexBuild, helpers: Helpers, lockTimeout: string): Body {
  const direction = (d: 'up' | 'down'): Rendering => {
    const plain = d === 'up' ? [cleanupLines(m, 6, helpers), statementsLines(m.up, 6, helpers)] : [statementsLines(m.down, 6, helpers)];
    return { lines: [...partitionedBranch(p, d, lockTimeout), ...plain.flatMap((r) => r.lines), '    end'], assured: true };
  };
  const up = direction('up');
  const down = direction('down');
  return { methods: ['  def up', ...up.lines, '  end', '', '  def down', ...down.lines, '  end'].join('\n'), assured: true };
}

/**
 * The timeouts, which no Rails helper sets: SQL, once, for whichever direction runs, before its first
 * statement. In a migration's transaction, SET LOCAL ends with it. Without one
 * (disable_ddl_transaction!): session settings, reset however the migration ends, except inside a
 * transaction (disable_ddl_transaction! removed, an outer transaction): there the failed statement
 * aborted it, a RESET would raise InFailedSqlTransaction and hide the real error, and the abort undoes
 * the SET anyway. `connection.execute` is not a migration method: strong_migrations does not check it.
 */
function timeouts(m: Migration, lockTimeout: string): string | null {
  const scope = m.transaction === 'transaction' ? 'local' : 'session';
  const up = timeoutSettings(m.up, lockTimeout, scope);
  const down = timeoutSettings(m.down, lockTimeout, scope);
  const when = (x: string, inUp: string[], inDown: string[]) =>
    inUp.includes(x) && inDown.includes(x) ? '' : inUp.includes(x) ? ' if direction == :up' : ' if direction == :down';
  const sets = [...new Set([...up.set, ...down.set])].map((x) => `    connection.execute(${rubyString(x)})${when(x, up.set, down.set)}`);
  if (!sets.length) return null;
  const resets = [...new Set([...up.reset, ...down.reset])].map((x) => {
    const dir = when(x, up.reset, down.reset);
    return `    connection.execute(${rubyString(x)}) ${dir ? `${dir.trim()} && !connection.transaction_open?` : 'unless connection.transaction_open?'}`;
  });
  const what = [...new Set([...up.set, ...down.set].map((x) => /(\w+_timeout)/.exec(x)![1]))].join(' and ');
  const comment =
    m.transaction === 'transaction'
      ? [`  # SQL: Rails has no helper for ${what}. Set for whichever direction runs; SET LOCAL ends with`, "  # the migration's transaction."]
      : [
          `  # SQL: Rails has no helper for ${what}. Set for whichever direction runs, reset however it ends (not inside a`,
          '  # transaction: there a failure already undid the SET, and a RESET would hide the error).',
        ];
  return [
    ...comment,
    '  def exec_migration(connection, direction)',
    ...sets,
    '    super',
    ...(resets.length ? ['  ensure', ...resets] : []),
    '  end',
  ].join('\n');
}

/**
 * The table is partitioned when the migration runs: the parent index ON ONLY, then each partition's
 * index CONCURRENTLY and attached, from the catalogue; the `else` that follows holds the plain build.
 * SQL throughout (Rails has no helper for ON ONLY or ATTACH PARTITION), so in safety_assured.
 */
function partitionedBranch(p: PartitionedIndexBuild, direction: 'up' | 'down', lockTimeout: string): string[] {
  const head = [
    `    if select_value(${rubyString(p.detect)})`,
    '      # SQL: Rails has no helper for an index ON ONLY a partitioned table or ATTACH PARTITION.',
    '      safety_assured do',
  ];
  if (direction === 'down') return [...head, `        # ${p.down[0].comment}`, execute(oneQuery(p.down, lockTimeout), 8), '      end', '    else'];
  return [
    ...head,
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
    '      end',
    '    else',
  ];
}

function railsBody(m: Migration, lockTimeout: string, helpers: Helpers): { methods: string; timeouts: string | null; assured: boolean } {
  const b = methods(m, helpers, lockTimeout);
  return { methods: b.methods, timeouts: timeouts(m, lockTimeout), assured: b.assured };
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
          ...railsBody(p.migration, plan.settings.lockTimeout, helpersFor(o.railsVersion)),
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
        'Works with or without strong_migrations: Rails helpers where Rails has them, so the gem checks them; `safety_assured` only around the SQL it cannot see into and the steps it always refuses (`remove_column`, after the deploy that ignores the column).',
      ],
      lockTimeoutRetry:
        'the migration rolled back as a whole (nothing was applied): find the blocker with the query below, then run the same `db:migrate:up` again.',
    };
  },
};
