/**
 * What an operation is: one module in generators/ holds everything specific to it. The questions it
 * asks (as flags and as prompts, from one definition), the plan it builds, what it refuses against a
 * declared schema, its schema.prisma edit, the application it simulates in rehearse, and the naive way
 * the bench compares it with. Every hook is required, so an operation that forgets one does not compile.
 */
import type { Plan } from './plan/types.js';
import type { KnownTable } from './project/known-schema.js';
import type { PrismaEdit, PrismaEditContext } from './project/prisma-edit.js';
import type { ExtraColumn } from './rehearse/seed.js';
import type { Workload, WorkloadKit } from './rehearse/workload.js';
import type { BenchScenario } from './bench-scenario.js';
import type { TableFacts } from './project/facts.js';

/** `TableFacts` only under the key `facts`: what generation learned about the columns (not a flag). */
export type AnswerValue = string | boolean | number | string[] | TableFacts | undefined;
export type Answers = Record<string, AnswerValue>;

export interface Field {
  /** Answer key; the flag is `--<name>`. */
  name: string;
  kind: 'string' | 'boolean' | 'list' | 'number';
  /** Prompt text, also used in `--help`. */
  message: string;
  required: boolean;
  default?: AnswerValue;
  choices?: readonly string[];
  /** A SQL fragment, checked with PostgreSQL's parser before anything is written. */
  sql?: 'type' | 'expression' | 'predicate';
  /**
   * What the value names in the database. Drives what every operation gets for free: Prisma model
   * and field names translated to tables and columns (@@map / @map), refusals against a declared
   * schema (an existing column must exist, a new one must not), and rehearse's choice of columns the
   * simulated application leaves alone.
   */
  identifies?: 'table' | 'existing-column' | 'existing-columns' | 'new-column';
  /**
   * Returns an error message (one line) or null when the value is acceptable. `answers` holds the
   * answers given so far, so a rule between fields is refused at the prompt, in the prompt's words.
   */
  validate?: (value: AnswerValue, answers: Answers) => string | null;
}

export interface PlanSettings {
  lockTimeout: string;
  batchSize: number;
  pauseMs: number;
}

/** A usage example: the flags after `migscaffold <operation>`, for help, the README and the snapshots. */
export interface Example {
  /** Short, file-name-safe: names the snapshot case. */
  name: string;
  args: string[];
  /** Files the project holds (path from its root -> text), such as a schema dump generation reads. */
  project?: Record<string, string>;
}

export interface Operation<N extends string = string> {
  name: N;
  summary: string;
  /** The first one is the one `--help` and the README show. */
  examples: readonly Example[];
  fields: Field[];
  /**
   * The plan is written from what its existing columns have (type, indexes, constraints), learned at
   * generation from `--database-url`, a schema dump or a declared schema into `answers.facts`; an
   * operation without it never reads them.
   */
  learnsColumns?: true;
  /** Cross-field rules a single field's validator cannot see (with what was learned, if anything); throws UsageError. */
  check?: (answers: Answers) => void;
  /**
   * Answers the flags may leave out because a declared schema (db/schema.rb, schema.prisma) holds
   * them, filled in from the table it declares (drop-index: the index's definition, for its down);
   * throws UsageError naming the flags when neither gives them. Runs once the declared schema was
   * read (`declared` null when there is none: other targets, rehearse, plop; its `table` undefined
   * when the file does not declare the table); what it fills in is then validated like a flag.
   */
  complete?: (answers: Answers, declared: { source: string; table: KnownTable | undefined } | null) => void;
  plan(answers: Answers, settings: PlanSettings): Plan;
  /**
   * Refusals against the declared table beyond what `identifies` checks (a primary key that must not be
   * dropped, say): the reason, or null.
   */
  declared(answers: Answers, table: KnownTable): string | null;
  /** The schema.prisma edits, phase by phase. */
  prisma(ctx: PrismaEditContext, answers: Answers): PrismaEdit;
  rehearsal: {
    /** Answers (flags) rehearsed on a seeded `users` table by the test suite, each with zero failed app queries. */
    cases: readonly Example[];
    /** Columns a seeded table needs for the answers to make sense. */
    seed(answers: Answers): ExtraColumn[];
    /** What old code and new code do while the phases run. */
    workload(answers: Answers, kit: WorkloadKit): Workload;
  };
  /** The bench's scenarios: ours against the one-step way people write by hand. */
  bench: readonly BenchScenario[];
}

/** Keeps the literal name, so the registry's names are a union type. */
export function defineOperation<const N extends string>(op: Operation<N>): Operation<N> {
  return op;
}
