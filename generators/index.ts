/**
 * The registry: the one list of operations, in the order `migscaffold list` shows them. Everything that
 * enumerates operations (the CLI, help, prompts, the plopfile, rehearse, the tests' cases and snapshots,
 * the bench) reads it; `OperationName` is derived from it.
 */
import { addCheckConstraint } from './add-check-constraint.js';
import { addColumn } from './add-column.js';
import { addForeignKey } from './add-foreign-key.js';
import { addIndex } from './add-index.js';
import { addUniqueConstraint } from './add-unique-constraint.js';
import { changeColumnType } from './change-column-type.js';
import { dropIndex } from './drop-index.js';
import { removeColumn } from './remove-column.js';
import { renameColumn } from './rename-column.js';
import { renameTable } from './rename-table.js';
import { setNotNull } from './set-not-null.js';
import type { Operation } from '../src/operation.js';

export const OPERATIONS = [
  addColumn,
  renameColumn,
  removeColumn,
  addIndex,
  setNotNull,
  addCheckConstraint,
  addUniqueConstraint,
  dropIndex,
  renameTable,
  addForeignKey,
  changeColumnType,
] as const;

export type OperationName = (typeof OPERATIONS)[number]['name'];

export const OPERATION_NAMES: readonly OperationName[] = OPERATIONS.map((o) => o.name);

export function findOperation(name: string): Operation | undefined {
  return (OPERATIONS as readonly Operation[]).find((o) => o.name === name);
}
