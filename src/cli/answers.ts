/** Turning raw flag and prompt values into answers and settings (shared by generate and rehearse). */
import type { AnswerValue, Field, PlanSettings } from '../operation.js';
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
  if (!Number.isInteger(n) || n < min) throw errors.invalid(flag, String(value), `expected a whole number >= ${min}`);
  return n;
}

/** --lock-timeout, --batch-size, --pause-ms (or the project config's values) as plan settings. */
export function settingsFrom(v: Record<string, unknown>): PlanSettings {
  const lockTimeout = (v['lock-timeout'] as string | undefined) ?? '1s';
  if (!/^\d+(\.\d+)?\s*(ms|s|min)?$/.test(lockTimeout) || /^0+(\.0+)?\s*\D*$/.test(lockTimeout))
    throw errors.invalid('lock-timeout', lockTimeout, 'use a positive duration such as 500ms, 1s or 2s');
  return {
    lockTimeout: lockTimeout.replace(/\s+/g, ''),
    batchSize: wholeNumber('batch-size', v['batch-size'], 1000, 1),
    pauseMs: wholeNumber('pause-ms', v['pause-ms'], 0, 0),
  };
}
