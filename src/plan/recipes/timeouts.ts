/** The timeouts a migration sets, derived from the locks its statements take. */
import { quoteLiteral } from '../../sql/ident.js';
import { BLOCKING_LOCKS, type Statement } from '../types.js';

export function timeoutSettings(
  statements: Statement[],
  lockTimeout: string,
  scope: 'local' | 'session',
): { set: string[]; reset: string[] } {
  const blocking = statements.some((s) => s.lock && BLOCKING_LOCKS.has(s.lock));
  const long = statements.some((s) => s.long);
  const set: string[] = [];
  const reset: string[] = [];
  const kw = scope === 'local' ? 'SET LOCAL' : 'SET';
  if (blocking) {
    set.push(`${kw} lock_timeout = ${quoteLiteral(lockTimeout)};`);
    reset.push('RESET lock_timeout;');
  }
  if (long) {
    set.push(`${kw} statement_timeout = 0;`);
    reset.push('RESET statement_timeout;');
  }
  return { set, reset: scope === 'session' ? reset : [] };
}
