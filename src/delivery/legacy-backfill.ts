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
  const phase = plan.phases.find((p) => p.kind === 'backfill');
  if (!phase || phase.kind !== 'backfill' || 'forward' in phase.backfill) return;
  const fresh = findOperation(plan.operation)
    ?.plan(answers, plan.settings)
    .phases.find((p) => p.kind === 'backfill');
  if (fresh?.kind === 'backfill') phase.backfill = fresh.backfill;
}
