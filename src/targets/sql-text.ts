/** A migration direction as a plain SQL file: what Prisma, golang-migrate and dbmate run as is. */
import type { Plan } from '../plan/types.js';
import { render } from '../render/templates.js';
import { directionSql, headerLines, type PlacedMigration } from './shared.js';

export function sqlDirection(plan: Plan, p: PlacedMigration, direction: 'up' | 'down', withHeader = true): string {
  const m = p.migration;
  const { settings, statements } = directionSql(m, direction, plan.settings.lockTimeout);
  const header = withHeader ? headerLines(plan, p) : [];
  if (m.transaction === 'none')
    header.push('Runs outside a transaction: nothing else may share this file (not even a SET).');
  return render('sql/statements.sql.hbs', {
    header,
    note: statements.length === 0 ? m.downNote ?? 'nothing changed.' : '',
    settings,
    statements,
  }).replace(/\n+$/, '\n');
}
