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
  confirm(message: string): Promise<boolean>;
}

/** A connection for `migscaffold next` and `status` checks. */
export interface Database {
  /** Rows of one query, sent as a simple query (no parameters). */
  query(sql: string): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
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
  /** Opens a database connection; pg is loaded only when a check needs one. */
  database(url: string): Promise<Database>;
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
    database: async (url) => {
      const { default: pg } = await import('pg');
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 15_000, application_name: 'migscaffold' });
      client.on('error', () => {});
      await client.connect();
      return {
        query: async (sql) => (await client.query(sql)).rows,
        close: () => client.end().catch(() => {}),
      };
    },
  };
}
