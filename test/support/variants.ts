/**
 * Every operation with the flag variants that change the generated SQL, and every target. The
 * snapshots and the linter test both run this list, so a new operation or variant added here is
 * reviewed in the snapshots and linted as its users' CI would.
 */

/** Deterministic names and versions: --timestamp and --rev-id. */
export const FIXED = ['--yes', '--timestamp', '20260115093000', '--rev-id', '0123456789ab'];

export const OPERATIONS: Record<string, string[]> = {
  'add-column': ['add-column', '--table', 'users', '--column', 'phone', '--type', 'text'],
  'add-column --default --not-null': ['add-column', '--table', 'users', '--column', 'plan', '--type', 'text', '--default', "'free'", '--not-null'],
  'add-column volatile default': ['add-column', '--table', 'users', '--column', 'token', '--type', 'uuid', '--default', 'gen_random_uuid()'],
  'add-column --backfill --not-null': ['add-column', '--table', 'users', '--column', 'email_lower', '--type', 'text', '--backfill', 'lower(email)', '--not-null'],
  'rename-column': ['rename-column', '--table', 'users', '--from', 'name', '--to', 'full_name'],
  'remove-column': ['remove-column', '--table', 'users', '--column', 'legacy_code', '--type', 'varchar(20)'],
  'remove-column --not-null': ['remove-column', '--table', 'users', '--column', 'legacy_code', '--type', 'varchar(20)', '--not-null'],
  'add-index': ['add-index', '--table', 'users', '--columns', 'email'],
  'add-index --unique --where': ['add-index', '--table', 'users', '--columns', 'email,tenant_id', '--unique', '--where', 'deleted_at IS NULL'],
};

export const TARGETS: Record<string, string[]> = {
  alembic: ['--target', 'alembic'],
  prisma: ['--target', 'prisma'],
  rails: ['--target', 'rails', '--rails-version', '6.1'],
  sql: ['--target', 'sql'],
  'sql dbmate': ['--target', 'sql', '--sql-style', 'dbmate'],
};
