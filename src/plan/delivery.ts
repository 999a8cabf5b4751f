/**
 * Phased delivery: which migrations may ship in one deploy. A pipeline that runs "migrate to latest"
 * applies every migration it finds, so migrations separated by a backfill or a code deploy must not
 * exist in the project at the same time. A plan is cut into deliveries: each one is a run of
 * consecutive migrate phases, preceded by the gates (backfill and deploy phases) that must be
 * finished before its migrations may be written.
 */
import type { Phase, Plan } from './types.js';

export interface Delivery {
  /** 0-based, in plan order. */
  index: number;
  /** Backfill and deploy phases that must be finished before this delivery's migrations are written. */
  gates: Phase[];
  /** Migrate phases shipped together (empty only for the trailing gates of a plan). */
  phases: Extract<Phase, { kind: 'migrate' }>[];
}

export function deliveries(plan: Plan): Delivery[] {
  const out: Delivery[] = [];
  let current: Delivery = { index: 0, gates: [], phases: [] };
  for (const p of plan.phases) {
    if (p.kind === 'migrate') {
      current.phases.push(p);
      continue;
    }
    // A gate after migrations closes the delivery: what follows waits for it.
    if (current.phases.length) {
      out.push(current);
      current = { index: out.length, gates: [], phases: [] };
    }
    current.gates.push(p);
  }
  if (current.phases.length || current.gates.length) out.push(current);
  return out;
}

/** The migrate phases a run writes now: all of them, or those of the first delivery. */
export function phasesWrittenFirst(plan: Plan, allPhases: boolean): Set<string> {
  const ds = deliveries(plan);
  const chosen = allPhases ? ds : ds.filter((d) => d.index === 0 && d.gates.length === 0);
  return new Set(chosen.flatMap((d) => d.phases.map((p) => p.key)));
}

/** True when some migration must wait for a later `migscaffold next`. */
export function needsLaterDeliveries(plan: Plan, written: Set<string>): boolean {
  return plan.phases.some((p) => p.kind === 'migrate' && !written.has(p.key));
}
