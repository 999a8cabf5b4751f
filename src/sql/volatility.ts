/**
 * Whether a default expression is volatile (evaluated per row, so ADD COLUMN ... DEFAULT rewrites
 * the table). now() and current_timestamp are STABLE: one value per statement, metadata-only.
 */
const VOLATILE_FUNCTIONS = [
  'gen_random_uuid',
  'uuid_generate_v1',
  'uuid_generate_v1mc',
  'uuid_generate_v4',
  'uuidv4',
  'uuidv7',
  'random',
  'random_normal',
  'clock_timestamp',
  'timeofday',
  'nextval',
  'txid_current',
  'gen_random_bytes',
  'setseed',
];

export function isVolatileDefault(expr: string): boolean {
  const bare = expr.replace(/'(?:[^']|'')*'/g, "''").toLowerCase();
  return VOLATILE_FUNCTIONS.some((f) => new RegExp(`(^|[^\\w.$])(pg_catalog\\.)?${f}\\s*\\(`).test(bare));
}
