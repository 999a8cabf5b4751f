/**
 * The same operations as plop generators, for people who run `npx plop` in a project: prompts come
 * from the operation's fields, and one action runs the whole pipeline (plan, render, stage, write).
 */
import { resolve } from 'node:path';
import * as nodeFs from 'node:fs/promises';
import type { NodePlopAPI } from 'node-plop';
import { OPERATIONS } from '../generators/index.js';
import { TARGETS, findTarget } from './targets/index.js';
import type { Answers, Field } from './operation.js';
import { normalise, settingsFrom } from './cli/answers.js';
import { prepareAndGenerate } from './prepare.js';
import { inspectProject } from './project/detect.js';
import type { TargetOptions } from './targets/types.js';
import { commit, diff, stage } from './write/writer.js';
import { randomBytes } from 'node:crypto';

function question(f: Field) {
  if (f.kind === 'boolean') return { type: 'confirm', name: f.name, message: f.message, default: Boolean(f.default) };
  return {
    type: f.choices ? 'list' : 'input',
    name: f.name,
    message: f.message,
    default: f.default,
    ...(f.choices ? { choices: [...f.choices] } : {}),
    validate: (raw: unknown) => {
      const v = normalise(f, raw);
      if (f.required && (v === undefined || v === '')) return `${f.name} is required`;
      return f.validate?.(v, {}) ?? true;
    },
  };
}

export function registerGenerators(plop: NodePlopAPI): void {
  for (const op of OPERATIONS) {
    plop.setGenerator(op.name, {
      description: op.summary,
      prompts: [
        { type: 'list', name: 'target', message: 'Target framework', choices: TARGETS.map((t) => ({ value: t.name, name: t.title })) },
        ...op.fields.map(question),
      ] as never,
      actions: [
        async (raw: unknown) => {
          const given = raw as Record<string, unknown>;
          const answers: Answers = {};
          for (const f of op.fields) {
            const v = normalise(f, given[f.name]);
            if (v !== undefined && v !== '') answers[f.name] = v;
          }
          const root = resolve(plop.getDestBasePath());
          const project = await inspectProject(nodeFs, root);
          const cfg = project.config;
          const target = findTarget(String(given.target))!;
          // The same path as the CLI: checked answers, the project's facts and conventions, the plan.
          const gen = await prepareAndGenerate({
            op,
            answers,
            project,
            target,
            settings: settingsFrom({ 'lock-timeout': cfg.lockTimeout, 'batch-size': cfg.batchSize, 'pause-ms': cfg.pauseMs }),
            options: {
              timestamp: new Date(),
              revisionSeed: randomBytes(6).toString('hex'),
              railsVersion: cfg.railsVersion ?? project.rails?.version ?? '7.1',
              sqlStyle: (cfg.sqlStyle ?? project.sql?.style ?? 'golang-migrate') as TargetOptions['sqlStyle'],
              downRevision: null,
              paths: { ...(cfg.paths ?? {}) },
            },
            delivery: { mode: 'phased', command: `plop ${op.name}`, createdAt: new Date() },
          });
          const changes = await diff(nodeFs, root, stage(gen.files), gen.files, false);
          await commit(nodeFs, root, changes);
          return `${changes.length} files; follow ${gen.checklistPath}`;
        },
      ] as never,
    });
  }
}
