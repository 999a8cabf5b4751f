/** What a run prints: a line per file, then the phases; or one JSON document. */
import type { Generation } from '../generate.js';
import { HAZARDS } from '../messages/hazards.js';
import type { TargetName } from '../targets/types.js';
import type { FileChange } from '../write/writer.js';

const LABEL: Record<FileChange['status'], string> = {
  create: 'create',
  identical: 'identical',
  overwrite: 'force',
  update: 'update',
  conflict: 'conflict',
};

export function report(gen: Generation, changes: FileChange[], dryRun: boolean, detected: string | null): string {
  const lines: string[] = detected ? [`target          ${detected}`] : [];
  for (const c of changes) {
    lines.push(`${(dryRun ? `would ${LABEL[c.status]}` : LABEL[c.status]).padEnd(16)}${c.path}`);
    if (dryRun) lines.push('', ...c.content.replace(/\n$/, '').split('\n').map((l) => `    ${l}`), '');
  }
  lines.push('', `${gen.plan.title}: ${gen.plan.phases.length} phases, deploy them one at a time.`);
  gen.plan.phases.forEach((p, i) => lines.push(`  ${i + 1}. ${p.title}`));
  for (const n of gen.notes) lines.push(`note            ${n}`);
  lines.push('', `Next: follow ${gen.checklistPath}${dryRun ? ' (dry run: nothing was written)' : ''}`);
  return lines.join('\n') + '\n';
}

export function reportJson(gen: Generation, changes: FileChange[], target: TargetName, dryRun: boolean, detected: string | null): string {
  let m = 0;
  return (
    JSON.stringify(
      {
        ok: true,
        dryRun,
        operation: gen.plan.operation,
        target,
        detected,
        title: gen.plan.title,
        checklist: gen.checklistPath,
        files: changes.map((c) => ({ path: c.path, status: c.status, role: c.role, ...(dryRun ? { content: c.content } : {}) })),
        phases: gen.plan.phases.map((p, i) => ({
          number: i + 1,
          key: p.key,
          kind: p.kind,
          title: p.title,
          migrations: p.kind === 'migrate' ? p.migrations.map(() => gen.rendered.migrations[m++].id) : [],
        })),
        notes: gen.notes,
        warnings: gen.plan.hazards.map((h) => ({ key: h, title: HAZARDS[h].title, text: HAZARDS[h].text })),
      },
      null,
      2,
    ) + '\n'
  );
}
