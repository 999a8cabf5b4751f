/**
 * The one flow: answers -> plan -> target files + checklist -> formatted file set.
 * Pure apart from the formatter: no disk, no clock (both come in as arguments).
 */
import type { Answers, Operation, PlanSettings } from './operation.js';
import type { Plan } from './plan/types.js';
import { renderChecklist } from './checklist/render.js';
import { version } from './targets/shared.js';
import type { GeneratedFile, Rendered, Target, TargetOptions } from './targets/types.js';
import { formatFile } from './render/format.js';

export interface Generation {
  plan: Plan;
  rendered: Rendered;
  files: GeneratedFile[];
  checklistPath: string;
  /** Things the run did or could not do that the user should read (schema edits). */
  notes: string[];
}

export async function generate(
  operation: Operation,
  target: Target,
  answers: Answers,
  settings: PlanSettings,
  options: TargetOptions,
): Promise<Generation> {
  const plan = operation.plan(answers, settings);
  const rendered = target.render(plan, options);
  const checklistPath = `${options.paths.checklist ?? 'migscaffold'}/${version(options.timestamp, 0)}_${plan.name}.md`;
  const checklist: GeneratedFile = { path: checklistPath, role: 'checklist', content: renderChecklist(plan, target, rendered) };
  const files = await Promise.all([...rendered.files, checklist].map(formatFile));
  return { plan, rendered, files, checklistPath, notes: [] };
}
