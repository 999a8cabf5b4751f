/** Turning raw flag and prompt values into answers and settings (shared by generate and rehearse). */
import type { Answers, AnswerValue, Field, Operation, PlanSettings } from '../operation.js';
import { fragmentError } from '../sql/parse.js';
import { errors } from '../messages/errors.js';

export function normalise(f: Field, raw: unknown): AnswerValue {
  if (raw === undefined || raw === null) return undefined;
  if (f.kind === 'list' && typeof raw === 'string')
    return raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  if (f.kind === 'number') return Number(raw);
  return raw as AnswerValue;
}

export function wholeNumber(flag: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(String(value).replace(/_/g, ''));
  if (!Number.isInteger(n) || n < min) throw errors.badWholeNumber(flag, String(value), min);
  return n;
}

/** --lock-timeout, --batch-size, --pause-ms (or the project config's values) as plan settings. */
export function settingsFrom(v: Record<string, unknown>): PlanSettings {
  const lockTimeout = (v['lock-timeout'] as string | undefined) ?? '1s';
  if (!/^\d+(\.\d+)?\s*(ms|s|min)?$/.test(lockTimeout) || /^0+(\.0+)?\s*\D*$/.test(lockTimeout))
    throw errors.badLockTimeout(lockTimeout);
  return {
    lockTimeout: lockTimeout.replace(/\s+/g, ''),
    batchSize: wholeNumber('batch-size', v['batch-size'], 1000, 1),
    pauseMs: wholeNumber('pause-ms', v['pause-ms'], 0, 0),
  };
}

/** The answers the flags give, normalised. */
export function flagAnswers(op: Operation, values: Record<string, unknown>): Answers {
  const answers: Answers = {};
  for (const f of op.fields) {
    const raw = values[f.name];
    if (raw !== undefined) answers[f.name] = normalise(f, raw);
  }
  return answers;
}

/**
 * Defaults filled in, every answer validated, the operation's cross-field rules applied, and SQL
 * fragments put through PostgreSQL's parser: after this, a plan can be built without surprises.
 */
export async function completeAnswers(op: Operation, answers: Answers): Promise<void> {
  for (const f of op.fields) {
    if (answers[f.name] === undefined && f.default !== undefined) answers[f.name] = f.default;
    const v = answers[f.name];
    if (v === undefined) continue;
    const problem = f.validate?.(v, answers);
    if (problem) throw errors.invalid(f.name, Array.isArray(v) ? v.join(',') : String(v), problem);
  }
  op.check?.(answers);
  for (const f of op.fields) {
    const v = answers[f.name];
    if (!f.sql || typeof v !== 'string' || v === '') continue;
    const problem = await fragmentError(f.sql, v);
    if (problem) throw errors.invalid(f.name, v, problem);
  }
}
