/**
 * The `migscaffold` command: flags first, prompts only on a terminal for what is missing,
 * then generate, stage, check and write. Returns the exit code; never calls process.exit.
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { realEffects, type Effects } from '../effects.js';
import { OPERATIONS, OPERATION_NAMES, findOperation } from '../../generators/index.js';
import { TARGETS, findTarget } from '../targets/index.js';
import { TARGET_NAMES, type TargetName } from '../targets/types.js';
import type { Answers, Field, Operation } from '../operation.js';
import { errors } from '../messages/errors.js';
import { prepareAndGenerate } from '../prepare.js';
import { stage, diff, commit } from '../write/writer.js';
import { flagAnswers, settingsFrom } from './answers.js';
import { VERSION } from '../version.js';
import { report, reportJson } from './output.js';
import { parseTimestamp, reportFailure } from './failure.js';
import { chooseTarget, inspectProject } from '../project/detect.js';

const GLOBAL_OPTIONS = {
  target: { type: 'string' },
  out: { type: 'string' },
  'dry-run': { type: 'boolean' },
  force: { type: 'boolean' },
  json: { type: 'boolean' },
  yes: { type: 'boolean', short: 'y' },
  timestamp: { type: 'string' },
  'rev-id': { type: 'string' },
  'down-revision': { type: 'string' },
  'lock-timeout': { type: 'string' },
  'batch-size': { type: 'string' },
  'pause-ms': { type: 'string' },
  'sql-style': { type: 'string' },
  'rails-version': { type: 'string' },
  'all-phases': { type: 'boolean' },
  'database-url': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

const GLOBAL_HELP: [string, string][] = [
  ['--target alembic|prisma|rails|sql', 'framework to write for'],
  ['--out <dir>', 'project root (default: current directory)'],
  ['--dry-run', 'write nothing; show every file that would be written'],
  ['--force', 'replace existing files that differ'],
  ['--json', 'print one JSON result on stdout'],
  ['--yes, -y', 'never prompt; missing answers are an error'],
  ['--timestamp YYYYMMDDHHMMSS', 'version of the first migration (UTC); later ones follow by the second'],
  ['--rev-id <hex>', 'Alembic revision id of the first revision (others derive from it)'],
  ['--down-revision <rev>', 'Alembic revision the first new one revises (default: none)'],
  ['--lock-timeout <time>', "lock_timeout for DDL (default 1s; e.g. 500ms, 2s)"],
  ['--batch-size <n>', 'rows per backfill batch (default 1000)'],
  ['--pause-ms <n>', 'pause between backfill batches (default 0)'],
  ['--sql-style golang-migrate|dbmate', 'file layout for --target sql (default golang-migrate)'],
  ['--rails-version <x.y>', 'ActiveRecord::Migration[x.y] (default 7.1)'],
  ['--all-phases', 'write every phase now, to apply by version by hand (default: only what may ship in the next deploy)'],
  [
    '--database-url <url>',
    `read the columns' types, indexes and constraints from this database (read-only; ${OPERATIONS.filter((o) => (o as Operation).learnsColumns).map((o) => o.name).join(', ')})`,
  ],
];

/** The operation names' column in help and list: as wide as the longest name. */
const NAME_WIDTH = Math.max(14, ...OPERATIONS.map((o) => o.name.length));

function helpText(op?: Operation): string {
  const pad = (rows: [string, string][]) => rows.map(([a, b]) => `  ${a.padEnd(38)} ${b}`).join('\n');
  if (op) {
    const rows = op.fields.map((f): [string, string] => [
      `--${f.name}${f.kind === 'boolean' ? '' : f.kind === 'list' ? ' a,b' : ' <value>'}`,
      `${f.message}${f.required ? ' (required)' : f.default !== undefined && f.default !== false ? ` (default ${f.default})` : ''}`,
    ]);
    const examples = op.examples.map((e) => `  migscaffold ${op.name} ${e.args.map(shellWord).join(' ')}`).join('\n');
    return `migscaffold ${op.name}: ${op.summary}\n\nUsage: migscaffold ${op.name} [flags]\n\n${pad(rows)}\n\nExamples:\n${examples}\n\nCommon flags:\n${pad(GLOBAL_HELP)}\n`;
  }
  return (
    `migscaffold ${VERSION}: zero-downtime PostgreSQL migrations for Alembic, Prisma, Rails and SQL\n\n` +
    'Usage: migscaffold <operation> [flags]      write what may ship in the next deploy, and the plan for the rest\n' +
    '       migscaffold next [<plan>] [flags]   check the previous phase against the database, then write the next one\n' +
    '       migscaffold status                  the plans in progress: where each stands, what comes next\n' +
    '       migscaffold rehearse <operation> [flags]   (run the plan under load on PostgreSQL)\n       migscaffold list\n\nOperations:\n' +
    OPERATIONS.map((o) => `  ${o.name.padEnd(NAME_WIDTH)} ${o.summary}`).join('\n') +
    `\n\nCommon flags:\n${pad(GLOBAL_HELP)}\n\n` +
    'Without a terminal, with CI set or with --yes it never prompts. Exit codes: 0 done, 1 refused, 2 usage error.\n' +
    'Help for one operation: migscaffold <operation> --help\n'
  );
}

function listText(): string {
  const w = Math.max(14, ...OPERATIONS.map((o) => o.name.length));
  return (
    OPERATIONS.map((o) => `operation  ${o.name.padEnd(NAME_WIDTH)} ${o.summary}`).join('\n') +
    '\n' +
    TARGETS.map((t) => `target     ${t.name.padEnd(NAME_WIDTH)} ${t.title} (${t.language} backfill)`).join('\n') +
    '\n'
  );
}

/** Every flag any operation knows, so parseArgs can be strict; per-operation checks follow. */
function allOptions() {
  const opts: Record<string, { type: 'string' | 'boolean'; short?: string }> = { ...GLOBAL_OPTIONS };
  for (const op of OPERATIONS) for (const f of op.fields) opts[f.name] = { type: f.kind === 'boolean' ? 'boolean' : 'string' };
  return opts;
}


export async function main(argv: string[], fx: Effects = realEffects()): Promise<number> {
  let json = argv.includes('--json');
  if (argv[0] === 'next' || argv[0] === 'status') {
    // Loaded on demand: they read plan files and may query a database.
    const { deliveryMain } = await import('../delivery/cli.js');
    return deliveryMain(argv[0], argv.slice(1), fx);
  }
  if (argv[0] === 'rehearse') {
    // Loaded on demand: rehearse brings pg and a cluster manager that generation never needs.
    const { rehearseMain } = await import('../rehearse/cli.js');
    return rehearseMain(argv.slice(1), fx);
  }
  try {
    const { values, positionals } = parseArgs({ args: argv, options: allOptions(), allowPositionals: true, strict: true });
    json = Boolean(values.json);
    if (values.version) {
      fx.stdout(`${VERSION}\n`);
      return 0;
    }
    const [command, ...extra] = positionals;
    if (command === 'list') {
      fx.stdout(listText());
      return 0;
    }
    if (extra.length) throw errors.unexpectedArgument(extra[0], command ?? '');
    let op = command ? findOperation(command) : undefined;
    if (command && !op) throw errors.unknownOperation(command, OPERATIONS.map((o) => o.name));
    if (values.help) {
      fx.stdout(helpText(op));
      return 0;
    }
    const interactive = fx.interactive && !fx.env.CI && !values.yes && !json;

    if (!op) {
      if (!interactive) throw errors.missingAnswers([`<operation> (${OPERATION_NAMES.join(', ')})`]);
      const p = await fx.prompter();
      op = findOperation(await p.choose('Operation', OPERATIONS.map((o) => ({ value: o.name, name: `${o.name}: ${o.summary}` }))))!;
    }
    const known = new Set([...Object.keys(GLOBAL_OPTIONS), ...op.fields.map((f) => f.name)]);
    for (const k of Object.keys(values))
      if (!known.has(k)) throw errors.notAnOption(k, op.name);

    const root = resolve(fx.cwd, (values.out as string | undefined) ?? '.');
    const project = await inspectProject(fx.fs, root);
    const cfg = project.config;
    const settings = settingsFrom({
      'lock-timeout': values['lock-timeout'] ?? cfg.lockTimeout,
      'batch-size': values['batch-size'] ?? (cfg.batchSize !== undefined ? String(cfg.batchSize) : undefined),
      'pause-ms': values['pause-ms'] ?? (cfg.pauseMs !== undefined ? String(cfg.pauseMs) : undefined),
    });
    const chosen = chooseTarget(values.target as string | undefined, project);
    let targetName = chosen.name;
    if (targetName !== undefined && !findTarget(targetName)) throw errors.unknownTarget(targetName, [...TARGET_NAMES]);
    const sqlStyle = (values['sql-style'] as string | undefined) ?? cfg.sqlStyle ?? project.sql?.style ?? 'golang-migrate';
    if (sqlStyle !== 'golang-migrate' && sqlStyle !== 'dbmate' && sqlStyle !== 'flyway')
      throw errors.badSqlStyle(sqlStyle);
    const railsVersion = (values['rails-version'] as string | undefined) ?? cfg.railsVersion ?? project.rails?.version ?? '7.1';
    if (!/^\d+\.\d+$/.test(railsVersion)) throw errors.badRailsVersion(railsVersion);
    const timestamp = values.timestamp ? parseTimestamp(values.timestamp as string) : fx.now();
    const revId = values['rev-id'] as string | undefined;
    if (revId !== undefined && !/^[0-9a-f]{12}$/.test(revId))
      throw errors.badRevId(revId);

    // Answers: flags first, then prompts for what is missing (terminal only).
    const answers: Answers = flagAnswers(op, values);
    const missing: Field[] = op.fields.filter((f) => f.required && answers[f.name] === undefined);
    if (!targetName || missing.length) {
      if (!interactive)
        throw errors.missingAnswers([...(targetName ? [] : ['target']), ...missing.map((f) => f.name)]);
      const p = await fx.prompter();
      if (!targetName) targetName = await p.choose('Target framework', TARGETS.map((t) => ({ value: t.name, name: t.title })));
      Object.assign(answers, await p.ask(op.fields.filter((f) => answers[f.name] === undefined), answers));
    }
    const target = findTarget(targetName!)!;
    const gen = await prepareAndGenerate({
      op,
      answers,
      project,
      target,
      settings,
      options: {
        timestamp,
        revisionSeed: revId ?? fx.randomHex(6),
        railsVersion,
        sqlStyle,
        downRevision: (values['down-revision'] as string | undefined) ?? null,
        paths: { ...(cfg.paths ?? {}) },
      },
      downRevisionFlag: values['down-revision'] as string | undefined,
      database: values['database-url'] ? { url: values['database-url'] as string, open: fx.database } : undefined,
      delivery: {
        mode: values['all-phases'] ? 'all-phases' : 'phased',
        command: ['migscaffold', ...argv.filter((a) => a !== '--dry-run' && a !== '--json')].map(shellWord).join(' '),
        createdAt: fx.now(),
      },
    });
    const vol = stage(gen.files);
    const changes = await diff(fx.fs, root, vol, gen.files, Boolean(values.force));
    const dryRun = Boolean(values['dry-run']);
    if (!dryRun) await commit(fx.fs, root, changes);
    const detected = chosen.reason ? `${target.name} (${chosen.reason})` : null;
    if (json) fx.stdout(reportJson(gen, changes, target.name as TargetName, dryRun, detected));
    else fx.stdout(report(gen, changes, dryRun, detected));
    return 0;
  } catch (e) {
    return reportFailure(e, fx, json);
  }
}



/** A word as a POSIX shell reads it back. */
function shellWord(w: string): string {
  return /^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
}
