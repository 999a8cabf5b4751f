/** Alembic: one revision per migration, chained by down_revision; Alembic operations where Alembic has them, SQL through op.execute otherwise. */
import type { Migration, Plan, Statement } from '../plan/types.js';
import { oneQuery, timeoutSettings, type PartitionedIndexBuild } from '../plan/recipes/index.js';
import { render } from '../render/templates.js';
import { BLACK_LINE_LENGTH, pythonCall, pythonText, pythonTripleQuotedBody } from '../render/strings.js';
import { backfillsOf, directionSql, headerLines, migrationsInOrder, revisionId } from './shared.js';
import { alembicCall, sqlReason } from './helpers.js';
import { renderBackfillPython } from './backfill.js';
import { codeChange } from './code-changes.js';
import { alembicFileName } from '../project/alembic.js';
import type { MigrationRef, Rendered, Target, TargetOptions } from './types.js';

const PAD = '    ';

/**
 * `op.execute("""...""")`; the SQL's own lines are indented with the call, for reading, except a
 * function's: PostgreSQL stores its body as written, and indented it would differ from the function
 * every other target creates (pg_dump shows it: test/integration/generated-sql-rails-alembic.test.ts).
 */
function execute(sql: string, pad: string, width: number): string {
  const stored = /^\s*CREATE\s+(OR\s+REPLACE\s+)?(FUNCTION|PROCEDURE)\b/i.test(sql);
  return pythonCall(`${pad}op.execute(`, pythonText(stored ? sql : sql.replace(/\n/g, `\n${pad}${PAD}`)), ')', width);
}

interface Rendering {
  lines: string[];
  imports: Set<string>;
}

/**
 * A call laid out as black lays it out: on one line when it fits; else its arguments on one line,
 * one level deeper, when they fit; else one argument a line with a trailing comma, each argument
 * laid out the same way.
 */
export type PyExpr = string | { fn: string; args: PyExpr[] };

function flat(e: PyExpr): string {
  return typeof e === 'string' ? e : `${e.fn}(${e.args.map(flat).join(', ')})`;
}

function layout(e: PyExpr, pad: string, suffix: string, width: number): string[] {
  const one = `${pad}${flat(e)}${suffix}`;
  if (typeof e === 'string' || [...one].length <= width || e.args.length === 0) return [one];
  const inner = `${pad}${PAD}${e.args.map(flat).join(', ')}`;
  if ([...inner].length <= width) return [`${pad}${e.fn}(`, inner, `${pad})${suffix}`];
  return [`${pad}${e.fn}(`, ...e.args.flatMap((a) => layout(a, `${pad}${PAD}`, ',', width)), `${pad})${suffix}`];
}

/** Split `op.name(a, b(c))` as written by helpers.ts into a PyExpr (no strings with brackets are split). */
export function parseCall(code: string): PyExpr {
  let i = 0;
  const expr = (): PyExpr => {
    const start = i;
    let depth = 0;
    let quote: string | null = null;
    for (; i < code.length; i++) {
      const c = code[i];
      if (quote) {
        if (c === '\\') i++;
        else if (c === quote) quote = null;
        continue;
      }
      if (c === '"' || c === "'") quote = c;
      // `name(` or a keyword argument's `key=name(`: black splits either at its bracket.
      else if (c === '(' && depth === 0 && /^(\w+=)?[\w.]+$/.test(code.slice(start, i).trim()) && i > start) {
        const fn = code.slice(start, i).trim();
        i++;
        const args: PyExpr[] = [];
        while (code[i] !== ')') {
          while (code[i] === ' ') i++;
          if (code[i] === ')') break;
          args.push(expr());
          if (code[i] === ',') i++;
        }
        i++;
        return { fn, args };
      } else if (c === '(' || c === '[') depth++;
      else if (c === ')' || c === ']') {
        if (depth === 0) break;
        depth--;
      } else if (c === ',' && depth === 0) break;
    }
    return code.slice(start, i).trim();
  };
  return expr();
}

/**
 * One statement: the Alembic operation for its structured form where Alembic has one, the SQL through
 * op.execute otherwise, with the reason it is SQL.
 */
function statementLines(s: Statement, pad: string, width: number, out: Rendering): void {
  const call = s.does ? alembicCall(s.does) : null;
  if (call && 'code' in call) {
    out.lines.push(`${pad}# ${s.comment}`, ...layout(parseCall(call.code), pad, '', width));
    call.imports.forEach((x) => out.imports.add(x));
    return;
  }
  out.lines.push(`${pad}# ${s.comment}`, `${pad}# SQL: ${sqlReason(s, 'Alembic', call && 'why' in call ? call.why : undefined)}.`, execute(s.sql, pad, width));
}

function settingsLines(settings: string[], pad: string, width: number, scope: 'local' | 'session'): string[] {
  if (!settings.length) return [];
  const what = [...new Set(settings.map((x) => /(\w+_timeout)/.exec(x)![1]))].join(' and ');
  return [
    `${pad}# SQL: Alembic has no operation for ${what}${scope === 'local' ? "; SET LOCAL ends with the revision's transaction" : ''}.`,
    ...settings.map((x) => execute(x, pad, width)),
  ];
}

function body(m: Migration, direction: 'up' | 'down', lockTimeout: string, width: number, out: Rendering): string {
  const { settings, statements } = directionSql(m, direction, lockTimeout);
  if (statements.length === 0) return `${PAD}pass  # Nothing to undo: ${m.downNote ?? ''}`;
  const lines: string[] = [];
  const collect = (f: (r: Rendering) => void) => {
    const r: Rendering = { lines: [], imports: out.imports };
    f(r);
    return r.lines;
  };
  if (m.transaction === 'transaction') {
    lines.push(...settingsLines(settings, PAD, width, 'local'));
    for (const s of statements) lines.push(...collect((r) => statementLines(s, PAD, width, r)));
    return lines.join('\n');
  }
  // Outside the migration transaction: autocommit_block commits what ran before and runs each
  // statement on its own, which CONCURRENTLY requires.
  // On a table that may be partitioned, the plain build sits in the `else:` of the partitioned one.
  const inner = m.partitioned ? `${PAD}${PAD}${PAD}` : `${PAD}${PAD}`;
  const { set, reset } = timeoutSettings(statements, lockTimeout, 'session');
  // With no setting to undo, a try/finally would only wrap an empty `finally`.
  const guarded = reset.length > 0;
  const deeper = guarded ? `${inner}${PAD}` : inner;
  const steps: string[] = [];
  if (direction === 'up' && m.cleanup) {
    const cleanup = m.cleanup;
    steps.push(
      `${deeper}# ${cleanup.statement.comment}`,
      // A name of its own for the query: inlined, black would break the call chain over six lines.
      pythonCall(`${deeper}find_leftover = sa.text(`, pythonText(cleanup.when), ')', width),
      `${deeper}if op.get_bind().execute(find_leftover).first() is not None:`,
      ...collect((r) => statementLines({ ...cleanup.statement, comment: 'Remove it.' }, `${deeper}${PAD}`, width, r)),
    );
  }
  for (const s of statements) steps.push(...collect((r) => statementLines(s, deeper, width, r)));
  const setting = settingsLines(set, inner, width, 'session');
  const plain = !guarded
    ? [...setting, ...steps]
    : [...setting, `${inner}try:`, ...steps, `${inner}finally:`, ...reset.map((x) => execute(x, deeper, width))];
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
    `${inner}# SQL: Alembic has no operation for an index ON ONLY a partitioned table or ATTACH PARTITION.`,
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
      const used: Rendering = { lines: [], imports: new Set() };
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
          upBody: body(p.migration, 'up', plan.settings.lockTimeout, width, used),
          downBody: body(p.migration, 'down', plan.settings.lockTimeout, width, used),
          postgresql: used.imports.has('postgresql'),
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
