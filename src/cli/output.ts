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
  const written = new Set(gen.written.map((r) => r.phaseKey));
  lines.push('', `${gen.plan.title}: ${gen.plan.phases.length} phases, deploy them one at a time.`);
  gen.plan.phases.forEach((p, i) =>
    lines.push(`  ${i + 1}. ${p.title}${p.kind === 'migrate' && !written.has(p.key) ? '  (written later by migscaffold next)' : ''}`),
  );
  for (const n of gen.notes) lines.push(`note            ${n}`);
  const dry = dryRun ? ' (dry run: nothing was written)' : '';
  lines.push(
    '',
    gen.planFilePath
      ? (gen.written.length
          ? `Next: ship these migrations (your pipeline's \`${gen.rendered.pipeline}\` may apply them), then follow ${gen.checklistPath}; `
          : `Next: follow ${gen.checklistPath}: no migration is due before the first phases are done; `) +
        `\`migscaffold next\` writes each later phase once the one before is done${dry}`
      : `Next: follow ${gen.checklistPath}${dry}`,
  );
  return lines.join('\n') + '\n';
}

export function reportJson(gen: Generation, changes: FileChange[], target: TargetName, dryRun: boolean, detected: string | null): string {
  return (
    JSON.stringify(
      {
        ok: true,
        dryRun,
        operation: gen.plan.operation,
        target,
        detected,
        title: gen.plan.title,
        answers: gen.answers,
        checklist: gen.checklistPath,
        mode: gen.mode,
        planFile: gen.planFilePath,
        files: changes.map((c) => ({ path: c.path, status: c.status, role: c.role, ...(dryRun ? { content: c.content } : {}) })),
        phases: gen.plan.phases.map((p, i) => ({
          number: i + 1,
          key: p.key,
          kind: p.kind,
          title: p.title,
          written: p.kind === 'migrate' ? gen.written.some((r) => r.phaseKey === p.key) : undefined,
          migrations: gen.written.filter((r) => r.phaseKey === p.key).map((r) => r.id),
        })),
        notes: gen.notes,
        warnings: gen.plan.hazards.map((h) => ({ key: h, title: HAZARDS[h].title, text: HAZARDS[h].text })),
      },
      null,
      2,
    ) + '\n'
  );
}
