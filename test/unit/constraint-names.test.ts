/** The default name of a check constraint: PostgreSQL's own <table>_<first column>_check, within 63 bytes. */
import { describe, expect, it } from 'vitest';
import { checkName } from '../../generators/add-check-constraint.js';
import { byteLength, firstColumnIn } from '../../src/sql/ident.js';

describe('the first column an expression mentions', () => {
  it.each([
    ['amount_cents >= 0', 'amount_cents'],
    ['length(name) > 0', 'name'],
    ["status IN ('active', 'gone')", 'status'],
    ['price::numeric > 0', 'price'],
    ["created_at < now() + interval '1 day'", 'created_at'],
    ['users.login_count >= 0', 'login_count'],
    ['NOT deleted', 'deleted'],
    ['"Total" > 0', 'Total'],
    ['Login_Count > 0', 'login_count'],
    ["coalesce(ends_at, 'infinity') > starts_at", 'ends_at'],
    ["E'a' <> label", 'label'],
    ['CASE WHEN kind = 1 THEN a ELSE b END > 0', 'kind'],
    ['now() > current_date', null],
  ])('%s -> %s', (expr, col) => {
    expect(firstColumnIn(expr)).toBe(col);
  });
});

describe('checkName', () => {
  it('names the constraint after the table and the column, as PostgreSQL would', () => {
    expect(checkName({ table: 'billing.orders', check: 'amount_cents >= 0' })).toBe('orders_amount_cents_check');
    expect(checkName({ table: 'users', check: 'now() > current_date' })).toBe('users_check');
    expect(checkName({ table: 'users', check: 'a > 0', name: 'mine' })).toBe('mine');
  });

  it('stays within 63 bytes, with a hash that keeps long names apart', () => {
    const a = checkName({ table: 't'.repeat(40), check: `${'é'.repeat(20)}_a > 0` });
    const b = checkName({ table: 't'.repeat(40), check: `${'é'.repeat(20)}_b > 0` });
    expect(byteLength(a)).toBeLessThanOrEqual(63);
    expect(a).not.toBe(b);
  });
});
