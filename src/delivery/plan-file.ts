/**
 * The plan file: `migscaffold/<version>_<name>.plan.json`, committed with the code. It holds the whole
 * plan (so later phases are written from exactly what was reviewed, whatever migscaffold version runs
 * `next`) and the progress: which phases are written, applied and checked, with the ids the target
 * gave their migrations.
 */
import type { Answers } from '../operation.js';
import type { Plan } from '../plan/types.js';
import type { MigrationRef, TargetName, TargetOptions } from '../targets/types.js';
import { errors } from '../messages/errors.js';
import { upgradeLegacyBackfill } from './legacy-backfill.js';
import type { PrismaSchemaPlan, SchemaPlanResult } from '../project/prisma-edit.js';

export const PLAN_FORMAT = 'migscaffold-plan/1';

export type Mode = 'phased' | 'all-phases';

/**
 * `pending`: nothing done yet (a migrate phase: not even written). `written`: its migrations are in
 * the project, waiting for the pipeline. `done`: applied and checked (or passed without a database
 * when `checked` is false; deploy phases: declared with `--deployed`).
 */
export type PhaseState = 'pending' | 'written' | 'done';

export interface WrittenMigration {
  name: string;
  id: string;
  files: string[];
  apply: string;
  rollback: string;
}

export interface PhaseProgress {
  key: string;
  state: PhaseState;
  /** Whether `done` was proven by the verification queries against a database. */
  checked?: boolean;
  /** When the phase became `done` (ISO 8601). */
  at?: string;
  migrations?: WrittenMigration[];
}

export interface PlanFile {
  format: typeof PLAN_FORMAT;
  generatedBy: string;
  createdAt: string;
  /** The command that made it, for people reading the file. */
  command: string;
  target: TargetName;
  mode: Mode;
  checklist: string;
  answers: Answers;
  /**
   * The target options chosen once for the whole plan. Paths are not kept: each delivery takes them
   * from the project (its config and layout) as it is then.
   */
  options: Pick<TargetOptions, 'railsVersion' | 'sqlStyle'> & { prismaSchema?: StoredSchemaPlan };
  progress: PhaseProgress[];
  plan: Plan;
}

/**
 * Prisma: the schema edits of every phase, kept from the first run, since the schema file has been
 * edited since and cannot be read again for them. The file's text is not kept: later deliveries only
 * need the steps, and whether the first one was already written into the file.
 */
export type StoredSchemaPlan = Omit<PrismaSchemaPlan, 'original' | 'written'> & { firstStepWritten: boolean };

export function storeSchemaPlan(s: SchemaPlanResult | undefined): StoredSchemaPlan | undefined {
  if (!s || s.file === null) return undefined;
  const { original: _o, written, ...rest } = s;
  return { ...rest, firstStepWritten: written !== null };
}

/** The stored steps in the shape the Prisma target renders; `written` only says whether step 1 was applied. */
export function loadSchemaPlan(s: StoredSchemaPlan | undefined): PrismaSchemaPlan | undefined {
  if (!s) return undefined;
  const { firstStepWritten, ...rest } = s;
  return { ...rest, original: '', written: firstStepWritten ? '' : null };
}

export function planFilePath(checklistPath: string): string {
  return checklistPath.replace(/\.md$/, '.plan.json');
}

export function serialise(f: PlanFile): string {
  return JSON.stringify(f, null, 2) + '\n';
}

export function parsePlanFile(path: string, text: string): PlanFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw errors.badPlanFile(path, `not valid JSON (${(e as Error).message})`);
  }
  const f = raw as Partial<PlanFile>;
  if (!f || typeof f !== 'object' || f.format !== PLAN_FORMAT)
    throw errors.badPlanFile(path, `not a migscaffold plan (expected "format": "${PLAN_FORMAT}")`);
  if (!f.plan || !Array.isArray(f.plan.phases) || !Array.isArray(f.progress) || !f.target)
    throw errors.badPlanFile(path, 'its plan or progress is missing');
  const keys = f.plan.phases.map((p) => p.key);
  if (f.progress.length !== keys.length || f.progress.some((p, i) => p.key !== keys[i]))
    throw errors.badPlanFile(path, 'its progress does not list the phases of its plan');
  upgradeLegacyBackfill(f.plan, f.answers ?? {});
  return f as PlanFile;
}

/** Progress records for the migrations a run has just written, by phase. */
export function writtenByPhase(refs: MigrationRef[]): Map<string, WrittenMigration[]> {
  const out = new Map<string, WrittenMigration[]>();
  for (const r of refs) {
    const list = out.get(r.phaseKey) ?? [];
    list.push({ name: r.migration.name, id: r.id, files: r.files, apply: r.apply, rollback: r.rollback });
    out.set(r.phaseKey, list);
  }
  return out;
}

/** The migration refs of every written phase, joined with the plan's migrations (for the checklist). */
export function refsOf(f: Pick<PlanFile, 'plan' | 'progress'>): MigrationRef[] {
  const out: MigrationRef[] = [];
  for (const p of f.plan.phases) {
    if (p.kind !== 'migrate') continue;
    const written = f.progress.find((x) => x.key === p.key)?.migrations ?? [];
    for (const w of written) {
      const migration = p.migrations.find((m) => m.name === w.name);
      if (migration) out.push({ migration, phaseKey: p.key, id: w.id, files: w.files, apply: w.apply, rollback: w.rollback });
    }
  }
  return out;
}

/** The first phase not done, or null when the whole plan is. */
export function currentPhase(f: PlanFile): number | null {
  const i = f.progress.findIndex((p) => p.state !== 'done');
  return i < 0 ? null : i;
}

/** Every migration is written: nothing is left for `next` to write. */
export function allWritten(f: PlanFile): boolean {
  return f.plan.phases.every((p, i) => p.kind !== 'migrate' || f.progress[i].state !== 'pending');
}
