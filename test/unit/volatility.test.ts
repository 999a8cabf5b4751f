/** The plan's quick volatility check agrees with what PostgreSQL's parser says the expression calls. */
import { describe, expect, it } from 'vitest';
import { isVolatileDefault } from '../../src/sql/volatility.js';
import { calledFunctions } from '../../src/sql/parse.js';

const VOLATILE = new Set(['gen_random_uuid', 'random', 'clock_timestamp', 'timeofday', 'nextval', 'uuid_generate_v4']);

describe('volatile defaults', () => {
  it.each([
    ['gen_random_uuid()', true],
    ['pg_catalog.gen_random_uuid()', true],
    ["nextval('users_id_seq'::regclass)", true],
    ['(random() * 100)::int', true],
    ['clock_timestamp()', true],
    ['now()', false],
    ['CURRENT_TIMESTAMP', false],
    ["'random()'", false],
    ["'x' || lower('ABC')", false],
    ['0', false],
  ])('%s -> %s', async (expr, volatile) => {
    expect(isVolatileDefault(expr)).toBe(volatile);
    const calls = await calledFunctions(expr);
    expect(calls.some((f) => VOLATILE.has(f))).toBe(volatile);
  });
});
