/**
 * add-check-constraint: ADD CONSTRAINT ... CHECK (...) NOT VALID under lock_timeout (new writes are
 * checked at once, nothing is scanned under the exclusive lock), then VALIDATE in a transaction of
 * its own (one scan under SHARE UPDATE EXCLUSIVE: reads and writes go on). Rows that violate the check
 * make VALIDATE fail without changing anything; the checklist lists them and says how to fix them.
 */
import { fragmentProblem, identifierProblem, parseTable, tableField } from '../src/fields.js';
import { defineOperation, type Answers } from '../src/operation.js';
import { naiveMigrate } from '../src/bench-scenario.js';
import {
  addCheckNotValid,
  checkViolationsCountSql,
  checkViolationsSql,
  constraintValidatedSql,
  dropConstraint,
  label,
  validateConstraint,
} from '../src/plan/recipes/index.js';
import type { Plan } from '../src/plan/types.js';
import { firstColumnIn, objectName, slug } from '../src/sql/ident.js';

/** --name, or PostgreSQL's own convention: <table>_<first column of the expression>_check. */
export function checkName(a: Answers): string {
  if (a.name) return String(a.name);
  const col = firstColumnIn(String(a.check));
  return objectName(parseTable(String(a.table)).name, ...(col ? [col] : []), 'check');
}

/** How many violating rows the checklist's listing query shows. */
const LIST_LIMIT = 100;

export const addCheckConstraint = defineOperation({
  name: 'add-check-constraint',
  summary: 'Add a CHECK constraint NOT VALID, then VALIDATE it without blocking writes',
  examples: [
    { name: 'check', args: ['--table', 'orders', '--check', 'amount_cents >= 0'] },
    { name: 'named', args: ['--table', 'users', '--name', 'users_email_lower', '--check', 'email = lower(email)'] },
  ],
  fields: [
    tableField,
    {
      name: 'check',
      kind: 'string',
      message: 'The condition every row must meet, as a SQL expression over the row (column names as in the database)',
      sql: 'predicate',
      required: true,
      validate: (v) => (typeof v === 'string' ? fragmentProblem(v) : 'expected a SQL expression'),
    },
    {
      name: 'name',
      kind: 'string',
      message: 'Constraint name (empty: <table>_<column>_check)',
      required: false,
      validate: (v) => (v === undefined || v === '' ? null : identifierProblem(String(v))),
    },
  ],
  plan(a, s): Plan {
    const t = parseTable(String(a.table));
    const check = String(a.check);
    const name = checkName(a);
    const tl = label(t);
    return {
      operation: 'add-check-constraint',
      name: slug(`add ${name}`),
      title: `Add check constraint ${name} on ${tl}`,
      schema: t.schema,
      table: t.name,
      settings: s,
      hazards: ['check-violating-rows'],
      phases: [
        {
          kind: 'migrate',
          key: 'add',
          title: `Add ${name} NOT VALID`,
          why: 'Instant once the lock is granted: every new write is checked from now on, existing rows are not scanned.',
          migrations: [
            {
              name: slug(`add ${name}`),
              transaction: 'transaction',
              up: [addCheckNotValid(t, name, check)],
              down: [dropConstraint(t, name, 'Remove the check constraint (validated or not).')],
            },
          ],
          verify: [
            { sql: checkViolationsCountSql(t, check), expect: '0 (rows that violate the check: VALIDATE fails while any is left)', expectValue: 0 },
            {
              sql: checkViolationsSql(t, check, LIST_LIMIT),
              expect:
                'no rows. Each row listed violates the check: UPDATE it to a value the check accepts (or delete it), ' +
                'then apply the VALIDATE migration (again, if it failed)',
            },
          ],
        },
        {
          kind: 'migrate',
          key: 'validate',
          title: `Validate ${name}`,
          why:
            'One scan under SHARE UPDATE EXCLUSIVE: reads and writes go on. A violating row makes it fail without changing ' +
            'anything (the constraint stays NOT VALID and keeps checking new writes): fix the rows the queries above list, then apply it ' +
            'again, as after a lock_timeout (below).',
          migrations: [
            {
              name: slug(`validate ${name}`),
              transaction: 'transaction',
              up: [validateConstraint(t, name)],
              // PostgreSQL cannot mark a constraint NOT VALID again in place: dropped and added back
              // NOT VALID, neither of which scans, so a rollback lands exactly where the add left it.
              down: [dropConstraint(t, name, 'Back to NOT VALID, step 1: drop the validated constraint.'), { ...addCheckNotValid(t, name, check), comment: 'Back to NOT VALID, step 2: add it again unvalidated (no scan).' }],
            },
          ],
          verify: [{ sql: constraintValidatedSql(t, name), expect: 'true', expectValue: true }],
        },
      ],
    };
  },
  declared: () => null,
  // Checked with Prisma's own engine (@prisma/schema-engine-wasm): with the constraint in the live
  // database and in the migrations, both drift diffs are empty (the lifecycle's Prisma check, after
  // each phase), and introspection only warns ("Prisma currently does not fully support check
  // constraints") and leaves the model as it was.
  prisma(ctx, a) {
    ctx.notes.push(
      `Prisma's schema cannot describe a check constraint: ${checkName(a)} lives in the migrations only. Prisma's schema engine leaves it alone ` +
        '(`prisma migrate dev` neither drops nor re-creates it), and `prisma db pull` only warns about it. ' +
        'Keep it in mind when you change the columns it checks',
    );
    return { unchanged: `schema.prisma left as it is: Prisma cannot describe check constraint ${checkName(a)} (see the notes)` };
  },
  rehearsal: {
    cases: [{ name: 'login_count >= 0', args: ['--table', 'users', '--check', 'login_count >= 0'] }],
    seed: () => [],
    // PostgreSQL checks the whole new row on every UPDATE, whichever columns it sets: ordinary
    // updates and full-row inserts exercise the constraint as they are.
    workload: (_a, k) => ({
      info: k.info,
      old: k.plain,
      new: k.plain,
      newShareAt: () => undefined,
      describe: `both read by key, insert full rows and update ${k.neutralSet.map((u) => u.column).join(', ')} (every write is checked once the constraint exists)`,
    }),
  },
  bench: [
    {
      name: 'add-check-constraint',
      label: 'add-check-constraint users (login_count >= 0)',
      args: ['--table', 'users', '--check', 'login_count >= 0'],
      answers: { table: 'users', check: 'login_count >= 0' },
      naiveSummary: '`ADD CONSTRAINT ... CHECK` validated at once (scan under ACCESS EXCLUSIVE)',
      naive: [
        naiveMigrate(
          'add-check',
          'ADD CONSTRAINT users_login_count_check CHECK (login_count >= 0)',
          'ALTER TABLE users ADD CONSTRAINT users_login_count_check CHECK (login_count >= 0);',
          'ACCESS EXCLUSIVE',
        ),
      ],
    },
  ],
});
