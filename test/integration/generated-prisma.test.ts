/**
 * Every operation x flag variant, generated for prisma and proven with the real tool on PostgreSQL 15:
 * applied phase by phase, checked, rolled back to the starting schema, applied again.
 * The cases are in test/cases/ (one file per operation), the lifecycle in test/support/lifecycle.ts.
 */
import { describe, it } from 'vitest';
import { CASES, PRISMA_CASES } from '../cases/index.js';
import { lifecycleTimeout, runLifecycle } from '../support/lifecycle.js';

describe.concurrent("Prisma Migrate (migration.sql as one simple query, down.sql, prisma validate, Prisma's schema engine diff after every phase)", () => {
  for (const c of [...CASES, ...PRISMA_CASES]) it(`${c.op} ${c.id}`, ({ expect }) => runLifecycle(expect, c, 'prisma'), lifecycleTimeout(c));
});
