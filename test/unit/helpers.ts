/** Effects for tests: memfs as the disk, a fixed clock, captured output, scripted prompts. */
import { Volume } from 'memfs';
import type { Effects, FsPromises, Prompter } from '../../src/effects.js';
import { main } from '../../src/cli/main.js';

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  vol: Volume;
}

export function memEffects(vol: Volume, over: Partial<Effects> = {}): Effects & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    fs: vol.promises as unknown as FsPromises,
    cwd: '/project',
    now: () => new Date(Date.UTC(2026, 0, 15, 9, 30, 0)),
    randomHex: (n) => 'ab'.repeat(n),
    stdout: (t) => void out.push(t),
    stderr: (t) => void err.push(t),
    interactive: false,
    env: {},
    prompter: async () => {
      throw new Error('no prompts in this test');
    },
    database: async () => {
      throw new Error('no database in this test');
    },
    out,
    err,
    ...over,
  };
}

export function project(files: Record<string, string> = {}): Volume {
  return Volume.fromJSON({ '/project/.keep': '', ...files });
}

export async function run(argv: string[], vol = project(), over: Partial<Effects> = {}): Promise<Run> {
  const fx = memEffects(vol, over);
  const code = await main(argv, fx);
  return { code, stdout: fx.out.join(''), stderr: fx.err.join(''), vol };
}

/** Every file under /project except the placeholder, as path -> content. */
export function tree(vol: Volume): Record<string, string> {
  const json = vol.toJSON('/project', undefined, true) as Record<string, string | null>;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(json).sort(([a], [b]) => a.localeCompare(b))) if (k !== '.keep' && v !== null) out[k] = v;
  return out;
}

export function scriptedPrompter(answers: Record<string, unknown>, choices: string[] = []): () => Promise<Prompter> {
  const queue = [...choices];
  return async () => ({
    async ask(fields) {
      const out: Record<string, unknown> = {};
      for (const f of fields) if (f.name in answers) out[f.name] = answers[f.name];
      return out as never;
    },
    async confirm(message) {
      const next = queue.shift();
      if (next !== 'yes' && next !== 'no') throw new Error(`unexpected confirm prompt: ${message}`);
      return next === 'yes';
    },
    async choose(_message, options) {
      const next = queue.shift();
      if (!next || !options.some((o) => o.value === next)) throw new Error(`unexpected choice prompt: ${_message}`);
      return next;
    },
  });
}
