/**
 * The Rails-only lifecycle cases (a project whose db/schema.rb declares what the operation needs). Every
 * other case runs its Rails lifecycle in generated-sql-rails-alembic.test.ts, beside sql and Alembic.
 * The cases are in test/cases/ (one file per operation), the lifecycle in test/support/lifecycle.ts.
 */
import { describe, it } from 'vitest';
import { RAILS_CASES } from '../cases/index.js';
import { lifecycleTimeout, runLifecycle } from '../support/lifecycle.js';

describe.concurrent('Rails / ActiveRecord 6.1 (real migrator, up / down per version)', () => {
  for (const c of RAILS_CASES) it(`${c.op} ${c.id}`, ({ expect }) => runLifecycle(expect, c, 'rails'), lifecycleTimeout(c));
});
