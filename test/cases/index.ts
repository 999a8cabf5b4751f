/**
 * Every operation's lifecycle cases, by operation: a `Record` over the registry's names, so an
 * operation without cases does not compile.
 */
import type { OperationName } from '../../generators/index.js';
import type { Case } from '../support/lifecycle.js';
import { ADD_COLUMN_CASES } from './add-column.js';
import { ADD_FOREIGN_KEY_CASES, FK_SET_DEFAULT } from './add-foreign-key.js';
import { ADD_INDEX_CASES, PRISMA_INDEX_CASES } from './add-index.js';
import { ADD_UNIQUE_CONSTRAINT_CASES } from './add-unique-constraint.js';
import { DROP_INDEX_CASES, DROP_INDEX_DECLARED_PRISMA, DROP_INDEX_DECLARED_RAILS } from './drop-index.js';
import { REMOVE_COLUMN_CASES } from './remove-column.js';
import { RENAME_COLUMN_CASES, RENAME_MAPPED } from './rename-column.js';
import { CHANGE_COLUMN_TYPE_CASES } from './change-column-type.js';
import { RENAME_TABLE_CASES } from './rename-table.js';
import { SET_NOT_NULL_CASES } from './set-not-null.js';
import { ADD_CHECK_CASES } from './add-check-constraint.js';

export const CASES_BY_OPERATION: Record<OperationName, readonly Case[]> = {
  'add-column': ADD_COLUMN_CASES,
  'rename-column': RENAME_COLUMN_CASES,
  'remove-column': REMOVE_COLUMN_CASES,
  'add-index': ADD_INDEX_CASES,
  'change-column-type': CHANGE_COLUMN_TYPE_CASES,
  'rename-table': RENAME_TABLE_CASES,
  'set-not-null': SET_NOT_NULL_CASES,
  'add-check-constraint': ADD_CHECK_CASES,
  'add-unique-constraint': ADD_UNIQUE_CONSTRAINT_CASES,
  'drop-index': DROP_INDEX_CASES,
  'add-foreign-key': ADD_FOREIGN_KEY_CASES,
};

/** Cases with a backfill run longest: they start first, so the concurrent runs end together. */
export const CASES: readonly Case[] = Object.values(CASES_BY_OPERATION)
  .flat()
  .sort((a, b) => Number('backfill' in b.phases) - Number('backfill' in a.phases));

/** Prisma only: the schema shapes that exist only in schema.prisma. */
export const PRISMA_CASES: readonly Case[] = [RENAME_MAPPED, ...PRISMA_INDEX_CASES, DROP_INDEX_DECLARED_PRISMA, FK_SET_DEFAULT];

/** Rails only: what only a db/schema.rb can say. */
export const RAILS_CASES: readonly Case[] = [DROP_INDEX_DECLARED_RAILS];

export function caseById(id: string): Case {
  const c = [...CASES, ...PRISMA_CASES, ...RAILS_CASES].find((x) => x.id === id);
  if (!c) throw new Error(`no case ${id}`);
  return c;
}
