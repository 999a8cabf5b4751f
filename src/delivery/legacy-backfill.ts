/**
 * Plan files written before backfills read their key from the catalogue hold the backfill in its old
 * shape (one batch statement walking a named column). `next` still renders the backfill to name its
 * command, so such a plan gets its backfill rebuilt from the answers it stored: the same operation,
 * the same settings, and the key it was given (the old default `id` becomes an explicit --key id).
 */
import { findOperation } from '../../generators/index.js';
import type { Plan } from '../plan/types.js';
import type { Answers } from '../operation.js';

export function upgradeLegacyBackfill(plan: Plan, answers: Answers): void {
  // A plan may have several backfill phases (one script each): each old one is matched by its key.
  // Or one from before backfills walked a partitioned table one leaf at a time (no leavesSql, or the
  // whole-table batch queries still beside the leaf ones under `forward.leaf`).
  const old = plan.phases.filter(
    (p) => p.kind === 'backfill' && (!('forward' in p.backfill) || !('leavesSql' in p.backfill) || 'leaf' in (p.backfill.forward as object)),
  );
  if (!old.length) return;
  const fresh = findOperation(plan.operation)?.plan(answers, plan.settings).phases ?? [];
  for (const phase of old) {
    const f = fresh.find((p) => p.kind === 'backfill' && p.key === phase.key);
    if (phase.kind === 'backfill' && f?.kind === 'backfill') phase.backfill = f.backfill;
  }
}
