/** Prompts with inquirer: only for what the flags did not answer, with defaults and validation. */
import inquirer from 'inquirer';
import type { Prompter } from '../effects.js';
import type { Answers, Field } from '../operation.js';
import { normalise } from './answers.js';

function toQuestion(f: Field, known: Answers) {
  const validate = (raw: unknown) => {
    const value = normalise(f, raw);
    if (f.required && (value === undefined || value === '')) return `${f.name} is required`;
    return f.validate?.(value, known) ?? true;
  };
  if (f.kind === 'boolean') return { type: 'confirm', name: f.name, message: f.message, default: Boolean(f.default) };
  if (f.choices) return { type: 'list', name: f.name, message: f.message, choices: [...f.choices], default: f.default };
  return { type: 'input', name: f.name, message: f.message, default: f.default, validate };
}

export function inquirerPrompter(): Prompter {
  return {
    async ask(fields, known) {
      const out: Answers = {};
      for (const f of fields) {
        const answer = await inquirer.prompt([toQuestion(f, { ...known, ...out }) as never]);
        const v = normalise(f, (answer as Record<string, unknown>)[f.name]);
        if (v !== undefined && v !== '') out[f.name] = v;
      }
      return out;
    },
    async choose(message, choices) {
      const answer = await inquirer.prompt([{ type: 'list', name: 'choice', message, choices: [...choices] } as never]);
      return String((answer as Record<string, unknown>).choice);
    },
    async confirm(message) {
      const answer = await inquirer.prompt([{ type: 'confirm', name: 'ok', message, default: false } as never]);
      return Boolean((answer as Record<string, unknown>).ok);
    },
  };
}
