/**
 * `migscaffold rehearse <operation> [answers] [flags]`: runs the operation's plan against a local
 * scratch database under concurrent application traffic and reports, phase by phase, what the app
 * felt (failed queries, latency, lock waits) and which locks the migration took.
 * Exit codes: 0 clean, 1 an app query failed, a stall exceeded --max-stall, a check failed or a
 * phase could not run; 2 usage error.
 */
import { parseArgs } from 'node:util';
import type { Effects } from '../effects.js';
import { OPERATIONS, OPERATION_NAMES, findOperation } from '../../generators/index.js';
import type { Answers, Operation } from '../operation.js';
import { keyColumns } from '../fields.js';
import { completeAnswers, flagAnswers, settingsFrom, wholeNumber as int } from '../cli/answers.js';
import { tableAnswer } from '../fields.js';
import { errors, exitCodeOf, UsageError } from '../messages/errors.js';

const REHEARSE_OPTIONS = {
  'database-url': { type: 'string' },
  rows: { type: 'string' },
  partitions: { type: 'string' },
  clients: { type: 'string' },
  'max-stall': { type: 'string' },
  json: { type: 'boolean' },
  replica: { type: 'boolean' },
  'lock-timeout': { type: 'string' },
  'batch-size': { type: 'string' },
  'pause-ms': { type: 'string' },
  dwell: { type: 'string' },
  'time-limit': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const REHEARSE_HELP: [string, string][] = [
  ['--database-url URL', 'a local scratch database (127.0.0.1, localhost or a unix socket); default: start a throwaway cluster (needs initdb)'],
  ['--rows N', 'rows to seed when the table does not exist (default 1000000)'],
  ['--partitions N', 'seed the table range-partitioned by its key into N partitions (add-index\'s own --partitions list is not taken here)'],
  ['--clients N', 'concurrent application clients (default 4)'],
  ['--max-stall MS', 'fail when an application query takes longer (default 200)'],
  ['--json', 'print the report as JSON on stdout'],
  ['--replica', 'also start a streaming standby of the throwaway cluster and report its lag per phase (needs pg_basebackup; not with --database-url)'],
  ['--lock-timeout <time>', 'lock_timeout for DDL (default 1s), as for generation'],
  ['--batch-size <n>', 'rows per backfill batch (default 1000), as for generation'],
  ['--pause-ms <n>', 'pause between backfill batches (default 0), as for generation'],
  ['--dwell MS', 'traffic kept running after each phase before the next (default 500)'],
  ['--time-limit S', 'give up after this many seconds (default 1800)'],
];

export function rehearseHelp(op?: Operation): string {
  const pad = (rows: [string, string][]) => rows.map(([a, b]) => `  ${a.padEnd(30)} ${b}`).join('\n');
  const intro =
    'Runs the plan\'s step SQL (the very statements every target renders: alembic, prisma, rails, sql), so one\n' +
    'rehearsal covers all targets at once. Each phase runs as the plan says (transaction migrations with\n' +
    'SET LOCAL timeouts and bounded retries on lock_timeout, CONCURRENTLY ones alone in autocommit, backfills\n' +
    'in keyset batches) while concurrent clients play the application, switching from old code to new code\n' +
    'at each deploy phase. Reports per phase: app queries and failures, p99 and max latency, longest lock\n' +
    'wait, the locks the migration took, duration, backfill rows/s. It APPLIES the migrations: point it at a\n' +
    'scratch database, never production.\n';
  if (op) {
    // A field named like a rehearsal flag (add-index's --partitions) is the rehearsal's here.
    const rows = op.fields.filter((f) => !(f.name in REHEARSE_OPTIONS)).map((f): [string, string] => [
      `--${f.name}${f.kind === 'boolean' ? '' : f.kind === 'list' ? ' a,b' : ' <value>'}`,
      `${f.message}${f.required ? ' (required)' : f.default !== undefined && f.default !== false ? ` (default ${f.default})` : ''}`,
    ]);
    return `migscaffold rehearse ${op.name}: ${op.summary}\n\n${intro}\nUsage: migscaffold rehearse ${op.name} [flags]\n\n${pad(rows)}\n\nRehearsal flags:\n${pad(REHEARSE_HELP)}\n`;
  }
  return (
    `migscaffold rehearse: prove a migration set is zero-downtime, under load, before shipping it\n\n${intro}\n` +
    'Usage: migscaffold rehearse <operation> [answers] [flags]\n\nOperations:\n' +
    OPERATIONS.map((o, _i, all) => `  ${o.name.padEnd(Math.max(16, ...all.map((x) => x.name.length)))} ${o.summary}`).join('\n') +
    `\n\nRehearsal flags:\n${pad(REHEARSE_HELP)}\n\n` +
    'Example: migscaffold rehearse rename-column --table users --from name --to full_name --rows 200000\n' +
    'Exit codes: 0 clean, 1 an app query failed / a stall over --max-stall / a check failed, 2 usage error.\n'
  );
}

export async function rehearseMain(argv: string[], fx: Effects): Promise<number> {
  const args = argv[0] === 'rehearse' ? argv.slice(1) : argv;
  let json = args.includes('--json');
  const progress = (line: string) => fx.stderr(`rehearse: ${line}\n`);
  try {
    const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { ...REHEARSE_OPTIONS };
    for (const op of OPERATIONS) for (const f of op.fields) options[f.name] ??= { type: f.kind === 'boolean' ? 'boolean' : 'string' };
    const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true });
    json = Boolean(values.json);
    const [command, ...extra] = positionals;
    const op = command ? findOperation(command) : undefined;
    if (command && !op) throw errors.unknownOperation(command, OPERATIONS.map((o) => o.name));
    if (values.help || !op) {
      if (!op && !values.help) throw errors.missingAnswers([`<operation> (${OPERATION_NAMES.join(', ')})`]);
      fx.stdout(rehearseHelp(op));
      return 0;
    }
    if (extra.length) throw errors.unexpectedArgument(extra[0], 'rehearse');
    const known = new Set([...Object.keys(REHEARSE_OPTIONS), ...op.fields.map((f) => f.name)]);
    for (const k of Object.keys(values))
      if (!known.has(k)) throw errors.notAnOption(k, `rehearse ${op.name}`);

    const settings = settingsFrom(values);
    const answers: Answers = flagAnswers(op, Object.fromEntries(Object.entries(values).filter(([k]) => !(k in REHEARSE_OPTIONS))));
    const missing = op.fields.filter((f) => f.required && answers[f.name] === undefined);
    if (missing.length) throw errors.missingAnswers(missing.map((f) => f.name));
    await completeAnswers(op, answers);
    op.complete?.(answers, null);
    if (typeof answers.key === 'string' && keyColumns(answers.key).length > 1) throw errors.rehearseCompositeKey(answers.key);
    const rows = int('rows', values.rows, 1_000_000, 0);
    const partitions = int('partitions', values.partitions, 0, 1);
    const clients = int('clients', values.clients, 4, 1);
    if (clients > 64) throw errors.tooManyClients(clients);
    const maxStall = int('max-stall', values['max-stall'], 200, 1);
    const dwell = int('dwell', values.dwell, 500, 0);
    const timeLimit = int('time-limit', values['time-limit'], 1800, 1);
    const withReplica = Boolean(values.replica);
    if (withReplica && values['database-url']) throw errors.rehearseReplicaWithUrl();
    // Built once the table is seeded, from what it then shows (as generation's --database-url would).
    const planFor = (a: Answers) => op.plan(a, settings);

    // Everything that needs `pg` (or a server) loads only now.
    let connectModule: typeof import('./connect.js');
    try {
      connectModule = await import('./connect.js');
    } catch (e) {
      if ((e as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' && /'pg'/.test(String((e as Error).message)))
        throw errors.rehearseNeedsPg();
      throw e;
    }
    const { assertLocalUrl, RehearseError, redact } = connectModule;
    const { rehearse } = await import('./rehearse.js');
    const { buildReport, renderJson, renderText } = await import('./report.js');
    let url = values['database-url'] as string | undefined;
    let cluster: { stop(): Promise<void> } | undefined;
    let standby: import('./standby.js').Standby | undefined;
    try {
      if (url) {
        assertLocalUrl(url, fx.env);
        progress(`database ${redact(url)}`);
      } else {
        const { startLocalCluster } = await import('./cluster.js');
        progress('no --database-url: starting a throwaway PostgreSQL cluster on 127.0.0.1');
        const c = await startLocalCluster({ log: progress });
        cluster = c;
        url = c.url;
        progress(`cluster up: ${redact(url)}`);
        if (withReplica) {
          const { startStandby } = await import('./standby.js');
          standby = await startStandby({ port: c.port, user: 'postgres', binDir: c.binDir }, { log: progress });
          progress(`standby streaming on 127.0.0.1:${standby.port}`);
        }
      }
      const replica = standby && { ready: () => standby!.caughtUp(30 * 60_000) };
      const result = await rehearse({
        url,
        plan: planFor,
        operation: op,
        answers,
        rows,
        partitions,
        clients,
        baselineMs: Math.max(500, dwell),
        dwellMs: dwell,
        timeLimitMs: timeLimit * 1000,
        replica,
        log: progress,
      });
      const report = buildReport(result, {
        operation: op.name,
        plan: result.plan.name,
        title: result.plan.title,
        table: tableAnswer(op, answers),
        clients,
        maxStallMs: maxStall,
        phaseCount: result.plan.phases.length,
      });
      fx.stdout(json ? renderJson(report) : renderText(report));
      return report.ok ? 0 : 1;
    } catch (e) {
      if (e instanceof RehearseError) throw new UsageError(e.message);
      throw e;
    } finally {
      await standby?.stop();
      await cluster?.stop();
    }
  } catch (e) {
    const code = e instanceof UsageError ? 2 : isParseError(e) ? 2 : exitCodeOf(e);
    const message = e instanceof Error ? e.message : String(e);
    fx.stderr(`migscaffold rehearse: ${message}\n`);
    if (json) fx.stdout(JSON.stringify({ ok: false, error: message, exitCode: code }) + '\n');
    return code;
  }
}

function isParseError(e: unknown): boolean {
  return e instanceof TypeError && 'code' in e && String((e as { code: unknown }).code).startsWith('ERR_PARSE_ARGS');
}
