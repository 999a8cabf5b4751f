/**
 * The bench's scenarios, from the registry: every operation's `bench` hook gives its answers and the
 * naive single-step way (the statement a hand-written migration would run, then the code deploy), run
 * by the rehearse runner side by side with ours.
 */
import { OPERATIONS } from '../generators/index.js';
import { naivePlan, type BenchScenario } from '../src/bench-scenario.js';
import type { Operation } from '../src/operation.js';
import type { Plan } from '../src/plan/types.js';

export interface Scenario extends Omit<BenchScenario, 'naive'> {
  operation: Operation;
  naive: Plan;
}

export const SCENARIOS: Scenario[] = (OPERATIONS as readonly Operation[]).flatMap((op) =>
  op.bench.map((b) => ({ ...b, operation: op, naive: naivePlan(op.name as Plan['operation'], `naive_${b.name.replace(/-/g, '_')}`, b.naive) })),
);
