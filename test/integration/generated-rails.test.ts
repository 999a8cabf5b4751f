/**
 * Every operation x flag variant, generated for rails and proven with the real tool on PostgreSQL 15:
 * applied phase by phase, checked, rolled back to the starting schema, applied again.
 * The cases are in test/cases/ (one file per operation), the lifecycle in test/support/lifecycle.ts.
 */
import { describe, it } from 'vitest';
import { CASES, RAILS_CASES } from '../cases/index.js';
import { lifecycleTimeout, runLifecycle } from '../support/lifecycle.js';

describe.concurrent('Rails / ActiveRecord 6.1 (real migrator, up / down per version)', () => {
  for (const c of [...CASES, ...RAILS_CASES]) it(`${c.op} ${c.id}`, ({ expect }) => runLifecycle(expect, c, 'rails'), lifecycleTimeout(c));
});
