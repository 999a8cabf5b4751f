/**
 * The backfill script in each target's language. The SQL comes from the plan unchanged; only its
 * bind style differs (`:name` for SQLAlchemy, `$n` for pg and Ruby's PG, and for PL/pgSQL's
 * EXECUTE ... USING), and the user messages come from the catalogue, rendered for each language.
 */
import type { Backfill, BackfillQueries, Plan } from '../plan/types.js';
import { BACKFILL_MESSAGES as M, plpgsqlRaise, pythonFString, rubyInterpolated, tsTemplateLiteral, type ScriptText } from '../messages/backfill.js';
import { quoteLiteral } from '../sql/ident.js';
import { BATCH_BINDS, FILL_BINDS, LEAVES_BINDS } from '../plan/recipes/backfills.js';
import { render } from '../render/templates.js';
import { BLACK_LINE_LENGTH, bindsOf, positional, pythonArgument, pythonAssigned, pythonString, pythonText, pythonTripleQuotedBody, rubyHeredoc, rubyString, tsTemplate } from '../render/strings.js';
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
    batchMs: b.batchMs,
    firstBatchRows: b.firstBatchRows,
    pauseMs: b.pauseMs,
    maxRetries: b.maxRetries,
    hasReverse: Boolean(b.reverse),
  };
}


/** Every message a script prints, in one language; `lagFlag` is how its user spells --max-replica-lag. */
function messages(b: Backfill, lang: (t: ScriptText) => string, lagFlag = '--max-replica-lag ') {
  const psql = lagFlag.startsWith('-v');
  const flag = (name: string) => (psql ? `-v ${name.replace(/-/g, '_')}` : `--${name}`);
  return {
    noKey: lang(b.key ? M.keyNotUnique(b.tableLabel, b.key) : M.noKey(b.tableLabel)),
    badWholeNumber: lang(M.badWholeNumber()),
    badDuration: lang(M.badDuration(lagFlag)),
    lagHidden: lang(M.lagHidden(lagFlag)),
    waitingForReplica: lang(M.waitingForReplica(lagFlag)),
    replicaCaughtUp: lang(M.replicaCaughtUp()),
    header: lang(M.header()),
    emptyTable: lang(M.emptyTable()),
    stoppedRanges: lang(M.stoppedRanges()),
    rangeDone: lang(M.rangeDone(flag('end-at'))),
    headerPartitioned: lang(M.headerPartitioned()),
    leafStarts: lang(M.leafStarts()),
    startAfterNeedsPartition: lang(M.startAfterNeedsPartition(b.tableLabel, flag('start-after'), flag('partition'))),
    notPartitioned: lang(M.notPartitioned(b.tableLabel, flag('partition'), flag('last-partition'))),
    rangeDonePartitioned: lang(M.rangeDonePartitioned(`${flag('partition')}, ${flag('last-partition')} and ${flag('end-at')}`)),
  };
}

/** Each query of a direction, through one language's literal syntax: the batches on one leaf at a time. */
function direction(q: BackfillQueries, lit: (sql: string) => string) {
  return {
    firstBoundary: lit(q.firstBoundarySql),
    nextBoundary: lit(q.nextBoundarySql),
    firstUpdate: lit(q.firstUpdateSql),
    nextUpdate: lit(q.nextUpdateSql),
    remaining: lit(q.remainingSql),
  };
}

export function renderBackfillPython(plan: Plan, b: Backfill, dir: string, lineLength = BLACK_LINE_LENGTH): Out {
  const path = `${dir}/${b.name}.py`;
  // Laid out for the template line it lands on, as black would (src/render/strings.ts).
  const call = (lead: string, sql: string, keep: string[] = [], close = ')') => pythonArgument(lead, pythonText(sql, keep), close, lineLength);
  const assigned = (lead: string, literal: string) => pythonAssigned(lead, literal, lineLength);
  // Dict values: black leaves a string there as it is.
  const tpl = (sql: string) => pythonText(sql, BATCH_BINDS);
  const msg = messages(b, pythonFString);
  const c = common(plan, b, path);
  const content = render('alembic/backfill.py.hbs', {
    ...c,
    title: pythonTripleQuotedBody(plan.title),
    pyPath: pythonString(path),
    pyTableLabel: pythonString(c.tableLabel),
    pyDescription: pythonString(b.forward.description),
    pyReverseDescription: b.reverse ? pythonString(b.reverse.description) : '',
    pyLockTimeout: pythonString(b.lockTimeout),
    pyStatementTimeout: pythonString(b.statementTimeout),
    fill: call('FILL = sa.text(', b.fillSql, FILL_BINDS),
    leaves: call('LEAVES = sa.text(', b.leavesSql, LEAVES_BINDS),
    keyNames: assigned('KEY_NAMES = ', pythonString(b.keyNamesTemplate)),
    endKey: assigned('END_KEY = ', tpl(b.endKeySql)),
    split: assigned('SPLIT = ', tpl(b.splitSql)),
    fwd: { ...direction(b.forward, tpl), remaining: call('    "remaining": sa.text(', b.forward.remainingSql, [], '),') },
    reverse: b.reverse ? { ...direction(b.reverse, tpl), remaining: call('    "remaining": sa.text(', b.reverse.remainingSql, [], '),') } : undefined,
    settings: call('SETTINGS = sa.text(', b.settingsSql, ['lock_timeout', 'statement_timeout']),
    lag: call('LAG = sa.text(', b.lagSql, ['max_lag']),
    duration: call('DURATION = sa.text(', b.durationSql, ['value']),
    estimate: call('ESTIMATE = sa.text(', b.estimateSql),
    finish: call('FINISH = sa.text(', b.finishSql),
    noKey: assigned('NO_KEY = ', msg.noKey),
    startAfterNeedsPartition: assigned('START_AFTER_NEEDS_PARTITION = ', msg.startAfterNeedsPartition),
    notPartitioned: assigned('NOT_PARTITIONED = ', msg.notPartitioned),
    msg,
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

/** `[%w[binds], <<~'SQL'.strip]`: a statement with its own `$n` numbering and the names behind it. */
function rubyQuery(sql: string, names: string[], comma = true): string {
  const binds = bindsOf(sql, names);
  const h = rubyHeredoc(positional(sql, binds), 4);
  return `[%w[${binds.join(' ')}], ${h.open}.strip]${comma ? ',' : ''}\n${h.body}`;
}

/** `{ text: `...`, binds: [...] }`: a statement with its own `$n` numbering and the names behind it. */
function tsQuery(sql: string, names: string[]): string {
  const binds = bindsOf(sql, names);
  return `{ text: ${tsTemplate(positional(sql, binds))}, binds: ${JSON.stringify(binds)} }`;
}

export function renderBackfillRuby(plan: Plan, b: Backfill, dir: string): Out {
  const path = `${dir}/${b.name}.rb`;
  const tpl = (sql: string) => rubyQuery(sql, BATCH_BINDS);
  const msg = messages(b, rubyInterpolated);
  const content = render('rails/backfill.rb.hbs', {
    ...common(plan, b, path),
    rbPath: rubyString(path),
    rbDescription: rubyString(b.forward.description),
    rbReverseDescription: b.reverse ? rubyString(b.reverse.description) : '',
    rbLockTimeout: rubyString(b.lockTimeout),
    rbStatementTimeout: rubyString(b.statementTimeout),
    fill: rubyQuery(b.fillSql, FILL_BINDS, false),
    leaves: rubyQuery(b.leavesSql, LEAVES_BINDS, false),
    keyNames: `[[], ${rubyString(b.keyNamesTemplate)}]`,
    endKey: rubyQuery(b.endKeySql, BATCH_BINDS, false),
    split: rubyQuery(b.splitSql, BATCH_BINDS, false),
    fwd: direction(b.forward, tpl),
    reverse: b.reverse ? direction(b.reverse, tpl) : undefined,
    settings: rubyQuery(b.settingsSql, ['lock_timeout', 'statement_timeout'], false),
    lag: rubyQuery(b.lagSql, ['max_lag'], false),
    duration: rubyQuery(b.durationSql, ['value'], false),
    estimate: rubyQuery(b.estimateSql, [], false),
    finish: rubyQuery(b.finishSql, [], false),
    msg,
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
  const tpl = (sql: string) => tsQuery(sql, BATCH_BINDS);
  const msg = messages(b, tsTemplateLiteral);
  const content = render('prisma/backfill.ts.hbs', {
    ...common(plan, b, path),
    tsPath: JSON.stringify(path),
    tsDescription: JSON.stringify(b.forward.description),
    tsReverseDescription: b.reverse ? JSON.stringify(b.reverse.description) : '',
    tsLockTimeout: JSON.stringify(b.lockTimeout),
    tsStatementTimeout: JSON.stringify(b.statementTimeout),
    fill: tsQuery(b.fillSql, FILL_BINDS),
    leaves: tsQuery(b.leavesSql, LEAVES_BINDS),
    keyNames: `{ text: ${JSON.stringify(b.keyNamesTemplate)}, binds: [] }`,
    endKey: tpl(b.endKeySql),
    split: tpl(b.splitSql),
    fwd: direction(b.forward, tpl),
    reverse: b.reverse ? direction(b.reverse, tpl) : undefined,
    settings: tsQuery(b.settingsSql, ['lock_timeout', 'statement_timeout']),
    lag: tsQuery(b.lagSql, ['max_lag']),
    duration: tsQuery(b.durationSql, ['value']),
    estimate: tsQuery(b.estimateSql, []),
    finish: tsQuery(b.finishSql, []),
    msg,
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

/** A dollar-quoted SQL string literal with a tag that occurs nowhere in it. */
function dollarQuoted(sql: string, base: string): string {
  let tag = base;
  for (let i = 1; sql.includes(`$${tag}$`); i++) tag = `${base}${i}`;
  return `$${tag}$${sql}$${tag}$`;
}

/** psql variables the DO blocks receive as literals (through \gexec), and the built-in ones for the workers' connections. */
const PSQL_VARS = ['batch_size', 'batch_ms', 'pause_ms', 'workers', 'worker', 'max_replica_lag', 'start_after', 'end_at', 'partition', 'last_partition', 'lock_timeout', 'reverse', 'psql', 'script', 'HOST', 'PORT', 'DBNAME', 'USER'];

/** A PL/pgSQL expression: the text of `expr` as one shell word, quoted only when it needs to be. */
function shellWord(expr: string): string {
  return `CASE WHEN ${expr} ~ '^[A-Za-z0-9_@%+=:,./-]+$' THEN ${expr} ELSE '''' || replace(${expr}, '''', '''"''"''') || '''' END`;
}

export function renderBackfillPsql(plan: Plan, b: Backfill, dir: string): Out {
  const path = `${dir}/${b.name}.sql`;
  const c = common(plan, b, path);
  const msg = {
    ...messages(b, plpgsqlRaise, '-v max_replica_lag='),
    psqlWorkers: plpgsqlRaise(M.psqlWorkers()),
    rangeQueued: plpgsqlRaise(M.rangeQueued()),
    rangesStopped: plpgsqlRaise(M.rangesStopped()),
    psqlStatementTimeout: plpgsqlRaise(M.psqlStatementTimeout()),
  };
  const queryTexts = (q: BackfillQueries) => Object.values(q);
  const everything = [b.fillSql, b.leavesSql, b.endKeySql, b.splitSql, b.lagSql, ...queryTexts(b.forward), ...(b.reverse ? queryTexts(b.reverse) : []), b.table, b.tableLabel].join('\n');
  // The DO bodies are one dollar-quoted literal in a SELECT that psql runs with \gexec: the tag
  // and the markers of psql's variables must occur nowhere in them.
  let m = '@@@';
  while (everything.includes(m)) m += '@';
  let outer = 'migscaffold';
  for (let i = 1; everything.includes(`$${outer}$`); i++) outer = `migscaffold${i}`;
  const dq = (sql: string) => dollarQuoted(sql, 'q');
  // Inside the DO block the templates run through EXECUTE ... USING, every bind typed: $n there.
  const tpl = (sql: string) => dq(positional(sql, BATCH_BINDS));
  const content = render('sql/backfill.sql.hbs', {
    ...c,
    m,
    outer,
    varsOpen: 'replace('.repeat(PSQL_VARS.length),
    varsClose: PSQL_VARS.map((v) => `, '${m}${v}${m}', quote_literal(:'${v}'))`).join(''),
    shell: (expr: string) => shellWord(expr),
    lockTimeout: b.lockTimeout,
    sqlTableLabel: quoteLiteral(c.tableLabel),
    sqlDescription: quoteLiteral(b.forward.description),
    sqlReverseDescription: b.reverse ? quoteLiteral(b.reverse.description) : '',
    fill: dq(positional(b.fillSql, FILL_BINDS)),
    leaves: dq(positional(b.leavesSql, LEAVES_BINDS)),
    keyNames: quoteLiteral(b.keyNamesTemplate),
    endKey: tpl(b.endKeySql),
    split: tpl(b.splitSql),
    fwd: direction(b.forward, tpl),
    reverse: b.reverse ? direction(b.reverse, tpl) : undefined,
    lag: dq(positional(b.lagSql, ['max_lag'])),
    duration: dq(positional(b.durationSql, ['value'])),
    estimate: dq(b.estimateSql),
    finish: b.finishSql,
    remaining: b.forward.remainingSql,
    reverseRemaining: b.reverse?.remainingSql ?? '',
    msg,
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
