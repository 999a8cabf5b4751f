/**
 * Every operation's lifecycle cases, by operation: a `Record` over the registry's names, so an
 * operation without cases does not compile.
 */
import type { OperationName } from '../../generators/index.js';
import type { Case } from '../support/lifecycle.js';
import { ADD_COLUMN_CASES } from './add-column.js';
import { ADD_INDEX_CASES, PRISMA_INDEX_CASES } from './add-index.js';
import { REMOVE_COLUMN_CASES } from './remove-column.js';
import { RENAME_COLUMN_CASES, RENAME_MAPPED } from './rename-column.js';
import { CHANGE_COLUMN_TYPE_CASES } from './change-column-type.js';

export const CASES_BY_OPERATION: Record<OperationName, readonly Case[]> = {
  'add-column': ADD_COLUMN_CASES,
  'rename-column': RENAME_COLUMN_CASES,
  'remove-column': REMOVE_COLUMN_CASES,
  'add-index': ADD_INDEX_CASES,
  'change-column-type': CHANGE_COLUMN_TYPE_CASES,
};

/** Cases with a backfill run longest: they start first, so the concurrent runs end together. */
export const CASES: readonly Case[] = Object.values(CASES_BY_OPERATION)
  .flat()
  .sort((a, b) => Number('backfill' in b.phases) - Number('backfill' in a.phases));

/** Prisma only: the schema shapes that exist only in schema.prisma. */
export const PRISMA_CASES: readonly Case[] = [RENAME_MAPPED, ...PRISMA_INDEX_CASES];

export function caseById(id: string): Case {
  const c = [...CASES, ...PRISMA_CASES].find((x) => x.id === id);
  if (!c) throw new Error(`no case ${id}`);
  return c;
}
