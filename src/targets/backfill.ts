/**
 * The backfill script in each target's language. The batch SQL comes from the plan unchanged;
 * only its parameter style differs (`:name` for SQLAlchemy, `$n` for pg and Ruby's PG, PL/pgSQL
 * variables for psql).
 */
import type { Backfill, Plan } from '../plan/types.js';
import { quoteLiteral } from '../sql/ident.js';
import { render } from '../render/templates.js';
import { BLACK_LINE_LENGTH, plpgsqlVars, positional, pythonArgument, pythonString, pythonText, pythonTripleQuotedBody, rubyHeredoc, rubyString, tsTemplate } from '../render/strings.js';
import type { BackfillRef, GeneratedFile } from './types.js';

interface Out {
  file: GeneratedFile;
  ref: BackfillRef;
}

function common(plan: Plan, b: Backfill, path: string) {
  const phaseIndex = plan.phases.findIndex((p) => p.kind === 'backfill' && p.backfill === b);
  return {
    title: plan.title,
    phaseNumber: phaseIndex + 1,
    phaseCount: plan.phases.length,
    path,
    tableLabel: b.tableLabel.replace(/[^\x20-\x7e]/g, '?').replace(/["'`\\{}$#]/g, ''),
    // Only in each script's header comment: quotes are harmless there (an empty-string value must read
    // as '' rather than vanish); what could end the comment or the docstring is defused instead.
    description: b.description.replace(/[^\x20-\x7e]/g, '?').replace(/\\/g, '/').replace(/"""|\*\//g, '"').replace(/[`{}$#]/g, ''),
    batchSize: b.batchSize,
    pauseMs: b.pauseMs,
    maxRetries: b.maxRetries,
    hasReverse: Boolean(b.reverse),
  };
}

const FIRST = ['batch_size'];
const NEXT = ['last_key', 'batch_size'];

export function renderBackfillPython(plan: Plan, b: Backfill, dir: string, lineLength = BLACK_LINE_LENGTH): Out {
  const path = `${dir}/${b.name}.py`;
  const binds = ['last_key', 'batch_size'];
  // Laid out for the template line it lands on, as black would (src/render/strings.ts).
  const text = (lead: string, sql: string, keep: string[] = [], close = '),') => pythonArgument(lead, pythonText(sql, keep), close, lineLength);
  const content = render('alembic/backfill.py.hbs', {
    ...common(plan, b, path),
    title: pythonTripleQuotedBody(plan.title),
    pyDescription: pythonString(b.description),
    pyReverseDescription: b.reverse ? pythonString(b.reverse.description) : '',
    pyLockTimeout: pythonString(b.lockTimeout),
    first: text('    "first": sa.text(', b.firstBatchSql, binds),
    next: text('    "next": sa.text(', b.nextBatchSql, binds),
    remaining: text('    "remaining": sa.text(', b.remainingSql),
    reverseFirst: b.reverse ? text('    "first": sa.text(', b.reverse.firstBatchSql, binds) : '',
    reverseNext: b.reverse ? text('    "next": sa.text(', b.reverse.nextBatchSql, binds) : '',
    reverseRemaining: b.reverse ? text('    "remaining": sa.text(', b.reverse.remainingSql) : '',
    estimate: text('ESTIMATE = sa.text(', b.estimateSql, [], ')'),
    finish: text('FINISH = sa.text(', b.finishSql, [], ')'),
  });
  return {
    file: { path, content, role: 'backfill' },
    ref: {
      backfill: b,
      path,
      run: `python3 ${path}`,
      resume: `python3 ${path} --start-after <last key printed>`,
      reverse: b.reverse ? `python3 ${path} --reverse` : undefined,
    },
  };
}

/** A heredoc value inside a hash literal: the comma belongs on the opening line. */
function rubySql(sql: string, comma = true): string {
  const h = rubyHeredoc(sql, 4);
  return `${h.open}.strip${comma ? ',' : ''}\n${h.body}`;
}

export function renderBackfillRuby(plan: Plan, b: Backfill, dir: string): Out {
  const path = `${dir}/${b.name}.rb`;
  const content = render('rails/backfill.rb.hbs', {
    ...common(plan, b, path),
    rbDescription: rubyString(b.description),
    rbReverseDescription: b.reverse ? rubyString(b.reverse.description) : '',
    rbLockTimeout: rubyString(b.lockTimeout),
    first: rubySql(positional(b.firstBatchSql, FIRST)),
    next: rubySql(positional(b.nextBatchSql, NEXT)),
    remaining: rubySql(b.remainingSql),
    reverseFirst: b.reverse ? rubySql(positional(b.reverse.firstBatchSql, FIRST)) : '',
    reverseNext: b.reverse ? rubySql(positional(b.reverse.nextBatchSql, NEXT)) : '',
    reverseRemaining: b.reverse ? rubySql(b.reverse.remainingSql) : '',
    estimate: rubySql(b.estimateSql, false),
    finish: rubySql(b.finishSql, false),
  });
  return {
    file: { path, content, role: 'backfill' },
    ref: {
      backfill: b,
      path,
      run: `bin/rails runner ${path}`,
      resume: `bin/rails runner ${path} --start-after <last key printed>`,
      reverse: b.reverse ? `bin/rails runner ${path} --reverse` : undefined,
    },
  };
}

export function renderBackfillTypeScript(plan: Plan, b: Backfill, dir: string): Out {
  const path = `${dir}/${b.name}.ts`;
  const content = render('prisma/backfill.ts.hbs', {
    ...common(plan, b, path),
    tsDescription: JSON.stringify(b.description),
    tsReverseDescription: b.reverse ? JSON.stringify(b.reverse.description) : '',
    tsLockTimeout: JSON.stringify(b.lockTimeout),
    first: tsTemplate(positional(b.firstBatchSql, FIRST)),
    next: tsTemplate(positional(b.nextBatchSql, NEXT)),
    remaining: tsTemplate(b.remainingSql),
    reverseFirst: b.reverse ? tsTemplate(positional(b.reverse.firstBatchSql, FIRST)) : '',
    reverseNext: b.reverse ? tsTemplate(positional(b.reverse.nextBatchSql, NEXT)) : '',
    reverseRemaining: b.reverse ? tsTemplate(b.reverse.remainingSql) : '',
    estimate: tsTemplate(b.estimateSql),
    finish: tsTemplate(b.finishSql),
  });
  return {
    file: { path, content, role: 'backfill' },
    ref: {
      backfill: b,
      path,
      run: `npx tsx ${path}`,
      resume: `npx tsx ${path} --start-after <last key printed>`,
      reverse: b.reverse ? `npx tsx ${path} --reverse` : undefined,
    },
  };
}

export function renderBackfillPsql(plan: Plan, b: Backfill, dir: string): Out {
  const path = `${dir}/${b.name}.sql`;
  const vars = ['last_key', 'batch_size'];
  const c = common(plan, b, path);
  // The DO body embeds identifiers: its dollar-quote tag must not occur in them.
  const everything = [b.firstBatchSql, b.nextBatchSql, b.reverse?.firstBatchSql ?? '', b.reverse?.nextBatchSql ?? '', b.table, b.key].join('\n');
  let tag = 'backfill';
  for (let i = 1; everything.includes(`$${tag}$`); i++) tag = `backfill${i}`;
  const content = render('sql/backfill.sql.hbs', {
    ...c,
    tag,
    lockTimeout: b.lockTimeout,
    keyType: `${b.table}.${b.key}%TYPE`,
    noticeLabel: c.tableLabel.replace(/%/g, '%%'),
    sqlDescription: quoteLiteral(b.description),
    sqlReverseDescription: b.reverse ? quoteLiteral(b.reverse.description) : '',
    estimate: b.estimateSql,
    finish: b.finishSql,
    first: plpgsqlVars(b.firstBatchSql, vars),
    next: plpgsqlVars(b.nextBatchSql, vars),
    remaining: b.remainingSql,
    reverseFirst: b.reverse ? plpgsqlVars(b.reverse.firstBatchSql, vars) : '',
    reverseNext: b.reverse ? plpgsqlVars(b.reverse.nextBatchSql, vars) : '',
    reverseRemaining: b.reverse ? b.reverse.remainingSql : '',
  });
  const run = `psql "$DATABASE_URL" -X -v ON_ERROR_STOP=1 -f ${path}`;
  return {
    file: { path, content, role: 'backfill' },
    ref: {
      backfill: b,
      path,
      run,
      resume: `${run} -v start_after=<last key printed>`,
      reverse: b.reverse ? `${run} -v reverse=1` : undefined,
    },
  };
}
