/**
 * `migscaffold next` and `migscaffold status`: phased delivery driven by the plan files in
 * `migscaffold/`. `next` proves the phases since the last delivery are finished (the plan's own
 * verification queries, against the database), then writes the next delivery's migrations, fitted to
 * the project as it is now. `status` says where every plan stands.
 */
import { parseArgs } from 'node:util';
import { join, relative, resolve } from 'node:path';
import type { Database, Effects } from '../effects.js';
import { errors } from '../messages/errors.js';
import { parseTimestamp, redact, reportFailure } from '../cli/failure.js';
import { inspectProject } from '../project/detect.js';
import { fitToProject } from '../project/fit.js';
import { findTarget } from '../targets/index.js';
import type { Target, TargetOptions } from '../targets/types.js';
import type { Phase, Verify } from '../plan/types.js';
import { deliveries } from '../plan/delivery.js';
import { renderDelivery } from '../generate.js';
import { stage, diff, commit, type FileChange } from '../write/writer.js';
import { allWritten, currentPhase, loadSchemaPlan, parsePlanFile, type PhaseProgress, type PlanFile } from './plan-file.js';
import { listDir, readText } from '../project/files.js';

const OPTIONS = {
  out: { type: 'string' },
  'database-url': { type: 'string' },
  deployed: { type: 'boolean' },
  yes: { type: 'boolean', short: 'y' },
  'dry-run': { type: 'boolean' },
  json: { type: 'boolean' },
  timestamp: { type: 'string' },
  'rev-id': { type: 'string' },
  'down-revision': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const HELP = {
  next:
    'Usage: migscaffold next [<plan file>] [--database-url <url>] [--deployed] [--yes] [--dry-run] [--json] [--out <dir>]\n\n' +
    'Checks that the phases since the last delivery are finished (their verification queries, against\n' +
    '--database-url or DATABASE_URL), then writes the next delivery\'s migrations into the project.\n' +
    'A code deploy cannot be proven by a query: pass --deployed once every instance runs the new code.\n' +
    'Without a database it says what it could not check, and asks on a terminal or needs --yes.\n' +
    'With one plan in progress the plan file may be left out.\n',
  status:
    'Usage: migscaffold status [--database-url <url>] [--json] [--out <dir>]\n\n' +
    'Lists the plans in migscaffold/: the phase each one is in, what was checked, and what comes next.\n' +
    'With a database it also runs the current phase\'s checks.\n',
};

interface Located {
  path: string; // relative to the project root
  file: PlanFile;
}

export async function deliveryMain(command: 'next' | 'status', argv: string[], fx: Effects): Promise<number> {
  let json = argv.includes('--json');
  let db: Database | null = null;
  try {
    const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
    json = Boolean(values.json);
    if (values.help) {
      fx.stdout(HELP[command]);
      return 0;
    }
    if (positionals.length > (command === 'next' ? 1 : 0))
      throw errors.unexpectedArgument(String(positionals.at(-1)), command);
    if (command === 'status') for (const k of ['deployed', 'yes', 'dry-run', 'timestamp', 'rev-id', 'down-revision'] as const)
      if (values[k] !== undefined) throw errors.notAnOption(k, 'status');
    const root = resolve(fx.cwd, values.out ?? '.');
    const project = await inspectProject(fx.fs, root);
    const dir = project.config.paths?.checklist ?? 'migscaffold';
    const url = values['database-url'] ?? fx.env.DATABASE_URL;
    const open = async (): Promise<Database | null> => {
      if (!url) return null;
      try {
        return (db = await fx.database(url));
      } catch (e) {
        throw errors.databaseUnreachable(redact(url), (e as Error).message);
      }
    };

    if (command === 'status') {
      const plans = await findPlans(fx, root, dir);
      const live = plans.length ? await open() : null;
      const rows = [];
      for (const p of plans) rows.push(await describe(p, live, { ...(project.config.paths ?? {}) }));
      if (json) fx.stdout(JSON.stringify({ ok: true, plans: rows }, null, 2) + '\n');
      else fx.stdout(rows.length ? rows.map(statusText).join('\n') : `no plans in ${dir}/\n`);
      return 0;
    }

    const located = await choosePlan(fx, root, dir, positionals[0]);
    return await next(located, { fx, root, values, project, url, open, json });
  } catch (e) {
    return reportFailure(e, fx, json);
  } finally {
    await (db as Database | null)?.close();
  }
}



async function findPlans(fx: Effects, root: string, dir: string): Promise<Located[]> {
  const names = (await listDir(fx.fs, join(root, dir))).filter((n) => n.endsWith('.plan.json')).sort();
  const out: Located[] = [];
  for (const n of names) {
    const path = `${dir}/${n}`;
    out.push({ path, file: parsePlanFile(path, (await readText(fx.fs, join(root, path)))!) });
  }
  return out;
}

async function choosePlan(fx: Effects, root: string, dir: string, given: string | undefined): Promise<Located> {
  if (given) {
    const abs = resolve(fx.cwd, given);
    const text = (await readText(fx.fs, abs)) ?? (await readText(fx.fs, resolve(root, given)));
    if (text === null) throw errors.planFileMissing(given);
    const path = relative(root, (await readText(fx.fs, abs)) !== null ? abs : resolve(root, given));
    return { path, file: parsePlanFile(path, text) };
  }
  const open = (await findPlans(fx, root, dir)).filter((p) => currentPhase(p.file) !== null && !allWritten(p.file));
  if (open.length === 0) throw errors.noPlanInProgress(dir);
  if (open.length > 1) throw errors.severalPlans(open.map((p) => p.path));
  return open[0];
}

const phaseLabel = (f: PlanFile, i: number) => `${i + 1}. ${f.plan.phases[i].title}`;

/** Checks with a machine-checkable expectation; the others are for people. */
const checksOf = (p: Phase): Verify[] => p.verify.filter((v) => v.expectValue !== undefined);

/** First column of the first row, as the checklist shows it, against the expectation. */
async function runCheck(db: Database, v: Verify): Promise<{ ok: boolean; got: string }> {
  const rows = await db.query(v.sql);
  const got = rows.length ? Object.values(rows[0])[0] : undefined;
  const norm = typeof v.expectValue === 'number' ? Number(got) : got;
  return { ok: norm === v.expectValue, got: got === undefined ? 'no row' : String(got) };
}

/** What the person must do to finish phase `i`, in the target's own commands. */
function howToFinish(f: PlanFile, i: number, target: Target, planPath: string, paths: TargetOptions['paths']): string {
  const p = f.plan.phases[i];
  if (p.kind === 'backfill') {
    const r = target.render(f.plan, { ...baseOptions(f, paths), phases: new Set() });
    return `run the backfill to the end (${r.backfills.find((b) => b.phaseKey === p.key)?.run}), then migscaffold next ${planPath}`;
  }
  if (p.kind === 'deploy') return `deploy the code change of phase ${i + 1} (see ${f.checklist}), then migscaffold next ${planPath} --deployed`;
  return f.progress[i].state === 'written'
    ? afterDelivery(f, i, target, planPath, paths, 'deploy the written migrations')
    : `migscaffold next ${planPath} writes its migrations`;
}

/** Options for rendering what only needs the plan's commands (pipeline, backfill command, code). */
function baseOptions(f: PlanFile, paths: TargetOptions['paths']): TargetOptions {
  return { ...f.options, prismaSchema: loadSchemaPlan(f.options.prismaSchema), paths, timestamp: new Date(f.createdAt), revisionSeed: '000000000000', downRevision: null };
}

interface NextContext {
  fx: Effects;
  root: string;
  values: Record<string, string | boolean | undefined>;
  project: Awaited<ReturnType<typeof inspectProject>>;
  url: string | undefined;
  open(): Promise<Database | null>;
  json: boolean;
}

async function next({ path, file: f }: Located, c: NextContext): Promise<number> {
  const { fx, values } = c;
  const paths = { ...(c.project.config.paths ?? {}) };
  const target = findTarget(f.target)!;
  const phases = f.plan.phases;
  const progress: PhaseProgress[] = structuredClone(f.progress);
  const start = currentPhase(f);
  const lines: string[] = [`plan            ${path}`];

  // The phases this run passes: up to the first migrate phase still to write, or a deploy that
  // --deployed does not cover.
  const pass: number[] = [];
  let writeFrom: number | null = null;
  let waitingDeploy: number | null = null;
  let deployedUsed = false;
  for (let i = start ?? phases.length; i < phases.length; i++) {
    const p = phases[i];
    if (progress[i].state === 'done') continue;
    if (p.kind === 'migrate' && progress[i].state === 'pending') {
      writeFrom = i;
      break;
    }
    if (p.kind === 'deploy') {
      if (!values.deployed || deployedUsed) {
        waitingDeploy = i;
        break;
      }
      deployedUsed = true;
    }
    pass.push(i);
  }

  // Checks: against the database, or knowingly skipped.
  const toCheck = pass.filter((i) => checksOf(phases[i]).length > 0);
  const db = toCheck.length ? await c.open() : null;
  if (toCheck.length && !db) {
    const what = toCheck.map((i) => `${phaseLabel(f, i)} (${checksOf(phases[i]).map((v) => v.expect).join('; ')})`);
    if (!values.yes) {
      const interactive = fx.interactive && !fx.env.CI && !c.json;
      if (!interactive) throw errors.uncheckedWithoutDatabase(what);
      fx.stderr(`No database (--database-url or DATABASE_URL), so these cannot be checked:\n${what.map((w) => `  - ${w}\n`).join('')}`);
      if (!(await (await fx.prompter()).confirm('Are they done? Go on without checking'))) throw errors.declinedUnchecked();
    }
  }
  const now = fx.now().toISOString();
  for (const i of pass) {
    const p = phases[i];
    if (db)
      for (const v of checksOf(p)) {
        const r = await runCheck(db, v);
        if (!r.ok) throw errors.phaseNotFinished(phaseLabel(f, i), oneLine(v.sql), r.got, v.expect, howToFinish(f, i, target, path, paths));
      }
    const checked = Boolean(db) || checksOf(p).length === 0;
    progress[i] = { ...progress[i], state: 'done', checked, at: now };
    const how = p.kind === 'deploy' ? 'deployed' : checked ? 'checked' : 'unchecked';
    lines.push(`${how.padEnd(16)}${phaseLabel(f, i)}${checksOf(p).length ? (db ? ` (${checksOf(p).length} check${checksOf(p).length > 1 ? 's' : ''} passed)` : ' (no database: not checked)') : ''}`);
  }

  const state: PlanFile = { ...f, progress };
  const laterMigrations = (from: number) => phases.slice(from).some((p, k) => p.kind === 'migrate' && progress[from + k].state === 'pending');
  if (waitingDeploy !== null && laterMigrations(waitingDeploy)) {
    const t = target.render(f.plan, { ...baseOptions(f, paths), phases: new Set() });
    const p = phases[waitingDeploy] as Extract<Phase, { kind: 'deploy' }>;
    fx.stdout(`${lines.join('\n')}\n\nPhase ${waitingDeploy + 1}: ${p.title}\n\n${t.code(p.code)}\n\n`);
    throw errors.awaitingDeploy(phaseLabel(f, waitingDeploy), path);
  }

  let changes: FileChange[] = [];
  let written: string[] = [];
  const dryRun = Boolean(values['dry-run']);
  if (writeFrom !== null) {
    const delivery = deliveries(f.plan).find((d) => d.phases[0] === phases[writeFrom!])!;
    const options = fitToProject(
      f.target,
      c.project,
      {
        ...f.options,
        prismaSchema: loadSchemaPlan(f.options.prismaSchema),
        paths,
        timestamp: values.timestamp ? parseTimestamp(String(values.timestamp)) : fx.now(),
        revisionSeed: (values['rev-id'] as string | undefined) ?? fx.randomHex(6),
        downRevision: null,
      },
      values['down-revision'] as string | undefined,
    );
    const d = await renderDelivery(f.plan, target, { ...options, phases: new Set(delivery.phases.map((p) => p.key)) }, state, f.checklist, f.mode);
    written = d.written.map((r) => r.id);
    changes = await diff(fx.fs, c.root, stage(d.files), d.files, false);
  } else if (JSON.stringify(progress) !== JSON.stringify(f.progress)) {
    const d = await renderDelivery(f.plan, target, { ...baseOptions(f, paths), phases: new Set() }, state, f.checklist, f.mode);
    const files = d.files.filter((x) => x.role !== 'migration');
    changes = await diff(fx.fs, c.root, stage(files), files, false);
  }
  if (!dryRun) await commit(fx.fs, c.root, changes);

  const after = writeFrom !== null ? afterDelivery(f, writeFrom, target, path, paths) : waitingDeploy !== null ? `what remains is code: ${howToFinish(f, waitingDeploy, target, path, paths)}` : 'every phase of this plan is done';
  if (c.json)
    fx.stdout(
      JSON.stringify(
        {
          ok: true,
          dryRun,
          plan: path,
          passed: pass.map((i) => ({ number: i + 1, key: phases[i].key, checked: progress[i].checked })),
          written,
          files: changes.map((x) => ({ path: x.path, status: x.status, role: x.role, ...(dryRun ? { content: x.content } : {}) })),
          next: after,
        },
        null,
        2,
      ) + '\n',
    );
  else {
    for (const x of changes) lines.push(`${(dryRun ? `would ${x.status}` : x.status).padEnd(16)}${x.path}`);
    if (writeFrom === null && pass.length === 0 && waitingDeploy === null) lines.push('nothing to do: every phase of this plan is done');
    fx.stdout(`${lines.join('\n')}\n\nNext: ${after}${dryRun ? ' (dry run: nothing was written)' : ''}\n`);
  }
  return 0;
}

/** What the person does once this delivery is written. */
function afterDelivery(
  f: PlanFile,
  from: number,
  target: Target,
  planPath: string,
  paths: TargetOptions['paths'],
  lead = 'commit these files and deploy them',
): string {
  const pipeline = target.render(f.plan, { ...baseOptions(f, paths), phases: new Set() }).pipeline;
  let i = from;
  while (i < f.plan.phases.length && f.plan.phases[i].kind === 'migrate') i++;
  const then = i < f.plan.phases.length ? `; then ${howToFinish(f, i, target, planPath, paths)}` : '; that is the last delivery of this plan';
  return `${lead} (your pipeline's \`${pipeline}\` applies them)${then}`;
}

function oneLine(sql: string): string {
  return sql.replace(/\s*\n\s*/g, ' ');
}


// ---------------------------------------------------------------------------------------------
// status

interface StatusRow {
  plan: string;
  title: string;
  target: string;
  mode: string;
  phases: { number: number; key: string; title: string; state: string; checked?: boolean; migrations: string[] }[];
  current: number | null;
  live: { expect: string; got: string; ok: boolean }[];
  next: string;
}

async function describe({ path, file: f }: Located, db: Database | null, paths: TargetOptions['paths']): Promise<StatusRow> {
  const target = findTarget(f.target)!;
  const cur = currentPhase(f);
  const live: StatusRow['live'] = [];
  if (db && cur !== null)
    for (const v of checksOf(f.plan.phases[cur])) {
      const r = await runCheck(db, v);
      live.push({ expect: v.expect, got: r.got, ok: r.ok });
    }
  return {
    plan: path,
    title: f.plan.title,
    target: f.target,
    mode: f.mode,
    phases: f.plan.phases.map((p, i) => ({
      number: i + 1,
      key: p.key,
      title: p.title,
      state: f.progress[i].state,
      ...(f.progress[i].checked !== undefined ? { checked: f.progress[i].checked } : {}),
      migrations: (f.progress[i].migrations ?? []).map((m) => m.id),
    })),
    current: cur === null ? null : cur + 1,
    live,
    next: cur === null ? 'nothing: every phase is done' : howToFinish(f, cur, target, path, paths),
  };
}

function statusText(r: StatusRow): string {
  const lines = [r.plan, `  ${r.title}: ${r.target}, ${r.mode === 'phased' ? 'one delivery at a time' : 'all phases written at once'}`];
  for (const p of r.phases) {
    const mark = p.number === r.current ? '>' : ' ';
    const detail =
      p.state === 'done'
        ? p.checked === false
          ? ' (passed without a database check)'
          : ''
        : p.migrations.length
          ? ` (${p.migrations.join(', ')})`
          : '';
    lines.push(`${mark} ${String(p.number).padStart(2)}. ${p.state.padEnd(8)} ${p.title}${detail}`);
  }
  for (const l of r.live) lines.push(`     now: ${l.expect}: ${l.ok ? 'yes' : `no (got ${l.got})`}`);
  lines.push(`  next: ${r.next}`);
  return lines.join('\n') + '\n';
}
