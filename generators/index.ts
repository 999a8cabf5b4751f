/** The operations, in the order `migscaffold list` shows them. */
import { addColumn } from './add-column.js';
import { addIndex } from './add-index.js';
import { removeColumn } from './remove-column.js';
import { renameColumn } from './rename-column.js';
import type { Operation } from '../src/operation.js';

export const OPERATIONS: readonly Operation[] = [addColumn, renameColumn, removeColumn, addIndex];

export function findOperation(name: string): Operation | undefined {
  return OPERATIONS.find((o) => o.name === name);
}
