/**
 * Every operation x flag variant, generated for dbmate and proven with the real tool on PostgreSQL 15:
 * applied phase by phase, checked, rolled back to the starting schema, applied again.
 * The cases are in test/cases/ (one file per operation), the lifecycle in test/support/lifecycle.ts.
 */
import { describe, it } from 'vitest';
import { CASES } from '../cases/index.js';
import { lifecycleTimeout, runLifecycle } from '../support/lifecycle.js';

describe.concurrent('plain SQL, dbmate 2.36 (real binary, migrate / rollback)', () => {
  for (const c of CASES) it(`${c.op} ${c.id}`, ({ expect }) => runLifecycle(expect, c, 'dbmate'), lifecycleTimeout(c));
});
