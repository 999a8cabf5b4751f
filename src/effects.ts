/**
 * The seams through which migscaffold touches the world: file system, clock, randomness, prompts,
 * terminal. The CLI gets the real ones; tests pass memfs, a fixed clock and scripted answers.
 */
import * as nodeFs from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import type { Answers, Field } from './operation.js';

export type FsPromises = Pick<
  typeof nodeFs,
  'readFile' | 'writeFile' | 'mkdir' | 'stat' | 'rename' | 'unlink' | 'rmdir' | 'access' | 'readdir'
>;

export interface Prompter {
  /** Ask for the given fields (the ones the flags did not answer), in order. */
  ask(fields: Field[], known: Answers): Promise<Answers>;
  choose(message: string, choices: readonly { value: string; name: string }[]): Promise<string>;
}

export interface Effects {
  fs: FsPromises;
  cwd: string;
  now(): Date;
  randomHex(bytes: number): string;
  stdout(text: string): void;
  stderr(text: string): void;
  /** True when a person can answer prompts: stdin and stdout are terminals. */
  interactive: boolean;
  env: Record<string, string | undefined>;
  /** Loaded only when a prompt is really needed (inquirer is slow to import). */
  prompter(): Promise<Prompter>;
}

export function realEffects(): Effects {
  return {
    fs: nodeFs,
    cwd: process.cwd(),
    now: () => new Date(),
    randomHex: (n) => randomBytes(n).toString('hex'),
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    interactive: Boolean(process.stdin.isTTY && process.stdout.isTTY),
    env: process.env,
    prompter: async () => (await import('./cli/prompts.js')).inquirerPrompter(),
  };
}
