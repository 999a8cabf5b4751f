/**
 * Every operation's examples (from the registry, so a new operation is linted as its users' CI would
 * lint it) and every target.
 */

import { OPERATIONS as REGISTRY } from '../../generators/index.js';
import type { Operation } from '../../src/operation.js';

/** Deterministic names and versions: --timestamp and --rev-id. */
export const FIXED = ['--yes', '--timestamp', '20260115093000', '--rev-id', '0123456789ab'];

/** Every operation's examples, from the registry: `<operation> <example>` -> the command's words. */
export const OPERATIONS: Record<string, string[]> = Object.fromEntries(
  (REGISTRY as readonly Operation[]).flatMap((op) => op.examples.map((ex) => [`${op.name} ${ex.name}`, [op.name, ...ex.args]])),
);

/** The files an example's project holds before the run (a schema dump generation reads), by the same key. */
export const PROJECT_FILES: Record<string, Record<string, string>> = Object.fromEntries(
  (REGISTRY as readonly Operation[]).flatMap((op) => op.examples.flatMap((ex) => (ex.project ? [[`${op.name} ${ex.name}`, ex.project]] : []))),
);

export const TARGETS: Record<string, string[]> = {
  alembic: ['--target', 'alembic'],
  prisma: ['--target', 'prisma'],
  rails: ['--target', 'rails', '--rails-version', '6.1'],
  sql: ['--target', 'sql'],
  dbmate: ['--target', 'sql', '--sql-style', 'dbmate'],
};
