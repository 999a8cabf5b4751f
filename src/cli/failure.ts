/** How every command ends on an error: one line on stderr (and a JSON document with --json), an exit code. */
import type { Effects } from '../effects.js';
import { errors, exitCodeOf, RefusedError, UsageError } from '../messages/errors.js';

function isParseError(e: unknown): boolean {
  return e instanceof TypeError && 'code' in e && String((e as { code: unknown }).code).startsWith('ERR_PARSE_ARGS');
}

export function reportFailure(e: unknown, fx: Effects, json: boolean): number {
  const parse = isParseError(e);
  const code = parse ? 2 : exitCodeOf(e);
  const known = e instanceof UsageError || e instanceof RefusedError || parse;
  const message = e instanceof Error ? (known ? e.message : `internal error: ${e.message}`) : String(e);
  fx.stderr(`migscaffold: ${message}\n`);
  if (json) fx.stdout(JSON.stringify({ ok: false, error: message, exitCode: code }) + '\n');
  return code;
}

/** `YYYYMMDDHHMMSS` in UTC, strictly: a date that does not exist is refused rather than rolled over. */
export function parseTimestamp(value: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(value);
  const d = m && new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
  if (!d || d.toISOString().replace(/[-:T]/g, '').slice(0, 14) !== value)
    throw errors.badTimestamp(value);
  return d;
}

/** A database URL without its password, for messages. */
export function redact(url: string): string {
  return url.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@');
}
