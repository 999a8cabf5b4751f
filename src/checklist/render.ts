/** The phase checklist: the plan's phases in order, with the target's commands and idioms. */
import type { Plan } from '../plan/types.js';
import { HAZARDS } from '../messages/hazards.js';
import { regclass } from '../plan/recipes/index.js';
import { render } from '../render/templates.js';
import { deliveries } from '../plan/delivery.js';
import type { MigrationRef, Rendered, Target } from '../targets/types.js';

export interface ChecklistDelivery {
  /** `phased`: migrations are written one delivery at a time by `migscaffold next`. */
  mode: 'phased' | 'all-phases';
  /** Every migration written so far, this run's included. */
  refs: MigrationRef[];
  /** The plan file, when later deliveries are still to be written from it. */
  planFile: string | null;
}

export function renderChecklist(plan: Plan, target: Target, r: Rendered, d: ChecklistDelivery): string {
  const t = { schema: plan.schema, name: plan.table };
  const locked = [t, ...(plan.otherTables ?? [])].map(regclass);
  const ds = deliveries(plan);
  const next = d.planFile ? `npx migscaffold next ${d.planFile}` : 'npx migscaffold next';
  const phases = plan.phases.map((p, i) => {
    const base = {
      number: i + 1,
      title: p.title,
      why: p.why,
      precheck: p.verify.filter((v) => v.before),
      verify: p.verify.filter((v) => !v.before),
      migrations: [] as object[],
      schema: r.schema?.(p.key) ?? '',
    };
    if (p.kind === 'migrate') {
      const refs = d.refs.filter((x) => x.phaseKey === p.key);
      if (refs.length === 0) {
        const deployed = ds.find((x) => x.phases.includes(p))!.gates.some((g) => g.kind === 'deploy');
        return {
          ...base,
          unwritten: { next: deployed ? `${next} --deployed` : next, deployed },
          rollback: 'nothing to roll back until its migrations are written and applied; `migscaffold next` fills this in.',
        };
      }
      const downs = [...refs].reverse();
      const hazards = refs.map((x) => x.migration.downHazard).filter(Boolean) as (keyof typeof HAZARDS)[];
      return {
        ...base,
        migrations: refs.map((x) => ({
          ...x,
          concurrent: x.migration.transaction === 'none',
          viaPipeline: d.mode === 'phased' && x.apply !== r.pipeline,
        })),
        rollback:
          downs.map((x) => `\`${x.rollback}\``).join(', then ') +
          (hazards.length ? `. ${hazards.map((h) => `**${HAZARDS[h].title}.** ${HAZARDS[h].text}`).join(' ')}` : '.'),
      };
    }
    if (p.kind === 'backfill') {
      const b = r.backfills.find((x) => x.phaseKey === p.key)!;
      return {
        ...base,
        backfill: { ...b, description: p.backfill.description, batchSize: p.backfill.batchSize, batchMs: p.backfill.batchMs },
        rollback: `${p.undo}${b.reverse ? ` To copy values back after a later phase was rolled back: \`${b.reverse}\`.` : ''}`,
      };
    }
    return {
      ...base,
      code: r.code(p.code),
      rollback: 'redeploy the previous release of the code.',
    };
  });
  // Later phases whose first migration cannot tell from the database that it is due: the drops
  // after a code deploy (nothing in the database shows that old code has stopped running).
  const later = ds.filter((x) => x.index > 0 || x.gates.length > 0).flatMap((x) => x.phases);
  const unguarded = later.filter((p) => p.kind === 'migrate' && !p.migrations[0]?.up.some((st) => st.guard));
  return render('checklist.md.hbs', {
    title: plan.title,
    targetTitle: target.title,
    lockTimeout: plan.settings.lockTimeout,
    phaseCount: plan.phases.length,
    phased: d.mode === 'phased',
    // Some migrations wait for a later delivery: a gate (backfill, deploy) comes before them.
    laterDeliveries: ds.some((x) => x.phases.length && (x.index > 0 || x.gates.length > 0)),
    planFile: d.planFile,
    guardedLater: later.length > unguarded.length,
    unguardedLater: unguarded.map((p) => `"${p.title}"`).join(', '),
    pipeline: r.pipeline,
    hazards: plan.hazards.map((h) => HAZARDS[h]),
    notes: r.notes,
    phases,
    lockTimeoutRetry: r.lockTimeoutRetry,
    blockers:
      'SELECT a.pid, a.state, now() - a.xact_start AS xact_age, l.mode, l.granted, left(a.query, 80) AS query\n' +
      'FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid\n' +
      `WHERE l.relation ${locked.length > 1 ? `IN (${locked.join(', ')})` : `= ${locked[0]}`} AND a.pid <> pg_backend_pid()\n` +
      'ORDER BY a.xact_start',
  });
}
