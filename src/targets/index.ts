import { alembic } from './alembic.js';
import { prisma } from './prisma.js';
import { rails } from './rails.js';
import { sql } from './sql.js';
import type { Target } from './types.js';

export const TARGETS: readonly Target[] = [alembic, prisma, rails, sql];

export function findTarget(name: string): Target | undefined {
  return TARGETS.find((t) => t.name === name);
}
