/**
 * What an operation is: the questions it asks (as flags and as prompts, from one definition) and
 * how it turns the answers into a plan. One module per operation lives in generators/.
 */
import type { OperationName, Plan } from './plan/types.js';

export type AnswerValue = string | boolean | number | string[] | undefined;
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
  /** Returns an error message (one line) or null when the value is acceptable. */
  validate?: (value: AnswerValue, answers: Answers) => string | null;
}

export interface PlanSettings {
  lockTimeout: string;
  batchSize: number;
  pauseMs: number;
}

export interface Operation {
  name: OperationName;
  summary: string;
  fields: Field[];
  /** Cross-field rules a prompt cannot express; throws UsageError. */
  check?: (answers: Answers) => void;
  plan(answers: Answers, settings: PlanSettings): Plan;
}
