/** The phase checklist: the plan's phases in order, with the target's commands and idioms. */
import type { Plan } from '../plan/types.js';
import { HAZARDS } from '../messages/hazards.js';
import { regclass } from '../plan/recipes.js';
import { render } from '../render/templates.js';
import type { Rendered, Target } from '../targets/types.js';

export function renderChecklist(plan: Plan, target: Target, r: Rendered): string {
  const t = { schema: plan.schema, name: plan.table };
  let migrationIndex = 0;
  const phases = plan.phases.map((p, i) => {
    const base = { number: i + 1, title: p.title, why: p.why, verify: p.verify, migrations: [] as object[], schema: r.schema?.(p.key) ?? '' };
    if (p.kind === 'migrate') {
      const refs = p.migrations.map(() => r.migrations[migrationIndex++]);
      const downs = [...refs].reverse();
      const hazards = refs.map((x) => x.migration.downHazard).filter(Boolean) as (keyof typeof HAZARDS)[];
      return {
        ...base,
        migrations: refs.map((x) => ({ ...x, concurrent: x.migration.transaction === 'none' })),
        rollback:
          downs.map((x) => `\`${x.rollback}\``).join(', then ') +
          (hazards.length ? `. ${hazards.map((h) => `**${HAZARDS[h].title}.** ${HAZARDS[h].text}`).join(' ')}` : '.'),
      };
    }
    if (p.kind === 'backfill') {
      const b = r.backfill!;
      return {
        ...base,
        backfill: { ...b, description: p.backfill.description, batchSize: p.backfill.batchSize },
        rollback: b.reverse
          ? `nothing to undo for the forward copy (the previous phase's rollback removes the column). To copy values back after the contract was rolled back: \`${b.reverse}\`.`
          : "nothing to undo: the previous phase's rollback removes the column and the values with it.",
      };
    }
    return {
      ...base,
      code: r.code(p.code),
      rollback: 'redeploy the previous release of the code.',
    };
  });
  return render('checklist.md.hbs', {
    title: plan.title,
    targetTitle: target.title,
    lockTimeout: plan.settings.lockTimeout,
    phaseCount: plan.phases.length,
    hazards: plan.hazards.map((h) => HAZARDS[h]),
    notes: r.notes,
    phases,
    lockTimeoutRetry: r.lockTimeoutRetry,
    blockers:
      'SELECT a.pid, a.state, now() - a.xact_start AS xact_age, l.mode, l.granted, left(a.query, 80) AS query\n' +
      'FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid\n' +
      `WHERE l.relation = ${regclass(t)} AND a.pid <> pg_backend_pid()\n` +
      'ORDER BY a.xact_start',
  });
}
