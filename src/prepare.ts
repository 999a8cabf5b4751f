/**
 * The one preparation path from answers to files, used by the CLI and the plopfile alike:
 * answers -> checked answers (defaults, validators, PostgreSQL's parser) -> project facts (Prisma
 * names, the declared schema, the project's naming and history) -> plan and files. Rehearse takes
 * the first step of it (`completeAnswers`) and then runs the plan itself.
 */
import type { Answers, Operation, PlanSettings } from './operation.js';
import type { Project } from './project/detect.js';
import type { Target, TargetOptions } from './targets/types.js';
import { completeAnswers } from './cli/answers.js';
import { fitToProject } from './project/fit.js';
import { prismaSchemaPlan, resolvePrismaNames } from './project/prisma-edit.js';
import { checkAgainstSchema, declaredTable, fromPrisma, fromSchemaRb } from './project/known-schema.js';
import { generate, type DeliveryRequest, type Generation } from './generate.js';
import { camelize } from './render/strings.js';
import { errors } from './messages/errors.js';
import type { Database } from './effects.js';
import { columnsToLearn, introspectColumns } from './project/facts.js';
import { factsFromDump } from './project/dump.js';
import { parseTable, tableAnswer } from './fields.js';
import { redact } from './cli/failure.js';

export interface GenerationRequest {
  op: Operation;
  /** As the flags and prompts gave them; completed and checked here. */
  answers: Answers;
  project: Project;
  target: Target;
  settings: PlanSettings;
  /** Options before the project is consulted (the project's own conventions then win). */
  options: TargetOptions;
  downRevisionFlag?: string;
  /** `--database-url`: the columns the operation names are read from this database (read-only). */
  database?: { url: string; open: (url: string) => Promise<Database> };
  delivery: DeliveryRequest;
}

async function learnFromDatabase(op: Operation, answers: Answers, db: NonNullable<GenerationRequest['database']>): Promise<void> {
  let conn: Database;
  try {
    conn = await db.open(db.url);
  } catch (e) {
    throw errors.databaseUnreachable(redact(db.url), (e as Error).message);
  }
  try {
    answers.facts = await introspectColumns(conn, parseTable(tableAnswer(op, answers)), columnsToLearn(op, answers), '--database-url');
  } finally {
    await conn.close();
  }
}

export async function prepareAndGenerate(r: GenerationRequest): Promise<Generation> {
  const { op, project, target } = r;
  const answers = { ...r.answers };
  await completeAnswers(op, answers);

  if (target.name === 'prisma' && project.prisma?.problem) throw project.prisma.problem;
  const prismaText = target.name === 'prisma' ? (project.prisma?.schemaText ?? null) : null;
  if (prismaText) Object.assign(answers, resolvePrismaNames(op, answers, prismaText));
  const declared = prismaText
    ? fromPrisma(prismaText, project.prisma!.schemaPath)
    : target.name === 'rails' && project.rails?.schemaText
      ? fromSchemaRb(project.rails.schemaText, 'db/schema.rb')
      : null;
  if (declared) checkAgainstSchema(op, answers, declared);
  if (op.complete) {
    op.complete(answers, declared && { source: declared.source, table: declaredTable(declared, op, answers) });
    await completeAnswers(op, answers);
  }
  // With --database-url every operation learns whether its table is partitioned; only one that plans
  // from its existing columns learns what they have.
  const columns = columnsToLearn(op, answers);
  if (r.database) await learnFromDatabase(op, answers, r.database);
  else if (columns.length && project.dump) {
    const facts = await factsFromDump(project.dump.text, project.dump.path, parseTable(tableAnswer(op, answers)), columns);
    if (facts) answers.facts = facts;
  }
  // A declared schema tells the columns' types (not what depends on them).
  const known = declared && declaredTable(declared, op, answers);
  if (!answers.facts && declared && known) {
    const types = Object.fromEntries(columns.flatMap((c) => (known.types.has(c) ? [[c, { type: known.types.get(c)! }]] : [])));
    if (Object.keys(types).length) answers.facts = { source: declared.source, columns: types };
  }
  // Rules that depend on what was learned (an index the operation cannot copy) apply now.
  if (answers.facts) op.check?.(answers);

  const options = fitToProject(target.name, project, r.options, r.downRevisionFlag);
  if (prismaText)
    options.prismaSchema = prismaSchemaPlan(op, answers, project.prisma!.files, op.plan(answers, r.settings).phases.map((p) => p.key));
  const gen = await generate(op, target, answers, r.settings, options, r.delivery);

  if (target.name === 'rails' && project.rails) {
    const clash = gen.rendered.migrations.map((m) => camelize(m.migration.name)).filter((c) => project.rails!.classNames.has(c));
    if (clash.length) throw errors.duplicateRailsClass(clash[0]);
  }
  const schema = options.prismaSchema;
  if (schema) {
    gen.notes.push(`schema.prisma: ${schema.summary}`, ...schema.notes.map((n) => `schema.prisma: ${n}`));
    if (schema.file !== null && schema.written !== null) gen.files.push({ path: schema.file, role: 'schema', replaces: true, content: schema.written });
  }
  return gen;
}
