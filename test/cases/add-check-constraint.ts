/**
 * add-check-constraint lifecycle cases.
 * What the database must look like after each phase, and what application code can and cannot do in
 * between; run against every target by test/integration/generated-*.test.ts through runLifecycle.
 * Schema expectations are written by hand from PostgreSQL's own catalog text.
 */
import { type Case } from '../support/lifecycle.js';

// -------------------------------------------------------------------------------------------------
// add-check-constraint

const checkDefault: Case = {
  id: 'check_default_name',
  op: 'add-check-constraint',
  flags: { table: 'users', check: "email LIKE '%@%'" },
  phases: {
    add: {
      schema: (s) => void (s.constraints.users_email_check = { def: "CHECK ((email ~~ '%@%'::text)) NOT VALID", validated: false }),
      after: async (ctx) => {
        // New writes are checked from the first migration on.
        await ctx.fails(`INSERT INTO users (email) VALUES ('no-at-sign')`, undefined, '23514');
        await ctx.q(`INSERT INTO users (email) VALUES ('fine@example.com')`);
      },
    },
    validate: {
      schema: (s) => void (s.constraints.users_email_check = { def: "CHECK ((email ~~ '%@%'::text))", validated: true }),
      after: async (ctx) => {
        await ctx.fails(`UPDATE users SET email = 'broken' WHERE id = 1`, undefined, '23514');
      },
    },
  },
};

// A name that must be quoted everywhere (spaces, capitals), and an expression over two columns.
const checkNamed: Case = {
  id: 'check_named',
  op: 'add-check-constraint',
  flags: { table: 'users', name: 'Name Not Blank', check: "btrim(name) <> '' OR deprecated_flag" },
  phases: {
    add: {
      schema: (s) => void (s.constraints['Name Not Blank'] = { def: "CHECK (((btrim(name) <> ''::text) OR deprecated_flag)) NOT VALID", validated: false }),
      after: async (ctx) => {
        await ctx.fails(`INSERT INTO users (email, name, deprecated_flag) VALUES ('a@example.com', '  ', false)`, undefined, '23514');
        // NULL passes a CHECK: a blank name with deprecated_flag NULL is accepted.
        await ctx.q(`INSERT INTO users (email, name) VALUES ('b@example.com', '  ')`);
        await ctx.q(`INSERT INTO users (email, name, deprecated_flag) VALUES ('c@example.com', '  ', true)`);
      },
    },
    validate: {
      schema: (s) => void (s.constraints['Name Not Blank'] = { def: "CHECK (((btrim(name) <> ''::text) OR deprecated_flag))", validated: true }),
    },
  },
};

export const ADD_CHECK_CASES: readonly Case[] = [checkDefault, checkNamed];
