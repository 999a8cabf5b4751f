/**
 * The schema.prisma edits as a Prisma user reads them in the checklist, parsed back from the
 * Markdown and applied by exact line match: what the tests hold migscaffold to, word for word.
 */

/**
 * The schema.prisma edit in phase `n` of a checklist: its ```diff block, and whether it says
 * migscaffold made it already. Parsed from the Markdown the user reads, not taken from the code.
 */
export function checklistSchemaStep(checklist: string, n: number): { done: boolean; hunks: string } | null {
  const section = checklist.split(/^### /m).find((s) => s.startsWith(`${n}. `));
  if (!section) throw new Error(`no phase ${n} in the checklist`);
  const m = /^- \[ \] (.*schema\.prisma.*)\n\n {2}```diff\n([\s\S]*?)\n {2}```$/m.exec(section);
  if (!m) return null;
  return { done: /^migscaffold made this edit/.test(m[1]), hunks: m[2].split('\n').map((l) => l.replace(/^ {2}/, '')).join('\n') };
}

/** Applies `@@ model X @@` hunks by exact line match inside the model; null if one does not match. */
export function applyChecklistHunks(text: string, diff: string): string | null {
  let lines = text.split('\n');
  const hunks = diff.split(/^(?=@@ )/m).filter(Boolean);
  for (const h of hunks) {
    const [head, ...body] = h.replace(/\n$/, '').split('\n');
    const model = /^@@ model (\w+) @@$/.exec(head)?.[1];
    if (!model) return null;
    const open = lines.findIndex((l) => l.trim() === `model ${model} {`);
    const close = lines.findIndex((l, i) => i > open && l.trim() === '}');
    if (open < 0 || close < 0) return null;
    const before = body.filter((l) => l[0] !== '+').map((l) => l.slice(1));
    const after = body.filter((l) => l[0] !== '-').map((l) => l.slice(1));
    if (body.some((l) => !/^[ +-]/.test(l))) return null;
    let at = -1;
    for (let i = open + 1; i + before.length <= close && at < 0; i++) if (before.length && before.every((l, k) => lines[i + k] === l)) at = i;
    if (at < 0) return null;
    lines = [...lines.slice(0, at), ...after, ...lines.slice(at + before.length)];
  }
  return lines.join('\n');
}

/** The schema after applying every phase's edit from the checklist, in order (phase 1 included). */
export function schemaAfterChecklist(checklist: string, phases: number, start: string): string | null {
  let text: string | null = start;
  for (let n = 1; n <= phases && text !== null; n++) {
    const step = checklistSchemaStep(checklist, n);
    if (step) text = applyChecklistHunks(text, step.hunks);
  }
  return text;
}
