/**
 * A bench scenario: our plan for some answers, against the naive one-step form a hand-written
 * migration would use, both run by the rehearse runner under the same application load.
 */
import type { Answers } from './operation.js';
import type { CodeChange, Phase, Plan, Statement } from './plan/types.js';

export interface BenchScenario {
  name: string;
  label: string;
  /** CLI flags of our way (after the operation name). */
  args: string[];
  answers: Answers;
  /** SQL run on each side's fresh copy of the table before it starts (an index the column has, say); not timed. */
  setup?: string[];
  naiveSummary: string;
  /** The naive way's phases: its statements, then the code deploy. */
  naive: Phase[];
}

const stmt = (sql: string, lock: Statement['lock']): Statement => ({ sql, lock, comment: 'naive' });

/** A naive migrate phase: one statement in one transaction. */
export function naiveMigrate(key: string, title: string, sql: string, lock: Statement['lock']): Phase {
  return { kind: 'migrate', key, title, why: 'naive', verify: [], migrations: [{ name: key, transaction: 'transaction', up: [stmt(sql, lock)], down: [] }] };
}

export function naiveDeploy(key: string, title: string, code: CodeChange): Phase {
  return { kind: 'deploy', key, title, why: 'naive', verify: [], code };
}

export function naivePlan(operation: Plan['operation'], name: string, phases: Phase[]): Plan {
  return { operation, name, title: name, table: 'users', phases, hazards: [], settings: { lockTimeout: '1s', batchSize: 1000, pauseMs: 0 } };
}
