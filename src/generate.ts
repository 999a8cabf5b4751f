/**
 * The one flow: answers -> plan -> target files + checklist (+ plan file) -> formatted file set.
 * Pure apart from the formatter: no disk, no clock (both come in as arguments). The first run and
 * every `migscaffold next` go through `renderDelivery`, so a later delivery is rendered exactly like
 * the first one.
 */
import type { Answers, Operation, PlanSettings } from './operation.js';
import type { Plan } from './plan/types.js';
import { renderChecklist } from './checklist/render.js';
import { version } from './targets/shared.js';
import type { GeneratedFile, MigrationRef, Rendered, Target, TargetOptions } from './targets/types.js';
import { formatFile } from './render/format.js';
import { needsLaterDeliveries, phasesWrittenFirst } from './plan/delivery.js';
import {
  PLAN_FORMAT,
  planFilePath,
  refsOf,
  serialise,
  storeSchemaPlan,
  writtenByPhase,
  type Mode,
  type PlanFile,
} from './delivery/plan-file.js';
import { VERSION } from './version.js';

export interface Generation {
  plan: Plan;
  /** The answers the plan was built from (with what generation learned: `facts`). */
  answers: Answers;
  mode: Mode;
  rendered: Rendered;
  files: GeneratedFile[];
  checklistPath: string;
  /** The plan file, when later deliveries remain to be written by `migscaffold next`. */
  planFile: PlanFile | null;
  planFilePath: string | null;
  /** Migration refs this run wrote. */
  written: MigrationRef[];
  /** Things the run did or could not do that the user should read (schema edits). */
  notes: string[];
}

export interface DeliveryRequest {
  mode: Mode;
  /** The command line, recorded in the plan file for its readers. */
  command: string;
  createdAt: Date;
}

export async function generate(
  operation: Operation,
  target: Target,
  answers: Answers,
  settings: PlanSettings,
  options: TargetOptions,
  request: DeliveryRequest,
): Promise<Generation> {
  const plan = operation.plan(answers, settings);
  const phases = phasesWrittenFirst(plan, request.mode === 'all-phases');
  const checklistPath = `${options.paths.checklist ?? 'migscaffold'}/${version(options.timestamp, 0)}_${plan.name}.md`;
  const later = needsLaterDeliveries(plan, phases);
  const state: PlanFile | null = later
    ? {
        format: PLAN_FORMAT,
        generatedBy: `migscaffold ${VERSION}`,
        createdAt: request.createdAt.toISOString(),
        command: request.command,
        target: target.name,
        mode: request.mode,
        checklist: checklistPath,
        answers,
        options: { railsVersion: options.railsVersion, sqlStyle: options.sqlStyle, prismaSchema: storeSchemaPlan(options.prismaSchema) },
        progress: plan.phases.map((p) => ({ key: p.key, state: 'pending' })),
        plan,
      }
    : null;
  const d = await renderDelivery(plan, target, { ...options, phases }, state, checklistPath, request.mode);
  return { ...d, plan, answers, mode: request.mode, checklistPath, notes: [] };
}

/**
 * The files of one delivery: the migrations of `options.phases`, the backfill script on the first
 * delivery, the checklist with every migration written so far, and the plan file with its progress.
 */
export async function renderDelivery(
  plan: Plan,
  target: Target,
  options: TargetOptions & { phases: ReadonlySet<string> },
  state: PlanFile | null,
  checklistPath: string,
  mode: Mode,
): Promise<{ rendered: Rendered; files: GeneratedFile[]; planFile: PlanFile | null; planFilePath: string | null; written: MigrationRef[] }> {
  const rendered = target.render(plan, options);
  const first = !state || state.progress.every((p) => p.state === 'pending');
  const byPhase = writtenByPhase(rendered.migrations);
  const planFile: PlanFile | null = state && {
    ...state,
    progress: state.progress.map((p) => (byPhase.has(p.key) ? { key: p.key, state: 'written', migrations: byPhase.get(p.key) } : p)),
  };
  const planPath = planFile ? planFilePath(checklistPath) : null;
  const refs = planFile ? refsOf(planFile) : rendered.migrations;
  const checklist: GeneratedFile = {
    path: checklistPath,
    role: 'checklist',
    replaces: !first,
    content: renderChecklist(plan, target, rendered, { mode, refs, planFile: planPath }),
  };
  const files = rendered.files.filter((f) => first || f.role === 'migration');
  if (planFile && planPath) files.push({ path: planPath, role: 'plan', replaces: !first, content: serialise(planFile) });
  return {
    rendered,
    files: await Promise.all([...files, checklist].map(formatFile)),
    planFile,
    planFilePath: planPath,
    written: rendered.migrations,
  };
}
