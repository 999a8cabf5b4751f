/**
 * The built command as a user runs it: a real terminal (through `script`) answering inquirer's
 * prompts, and no terminal at all, where it must never wait for input.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = resolve(import.meta.dirname, '../../bin/migscaffold.js');

describe('migscaffold as a process', () => {
  it('without a terminal, a missing answer exits 2 at once instead of waiting', async () => {
    const child = spawn(process.execPath, [BIN, 'rename-column', '--table', 'users'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, CI: '' } });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((done) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.on('exit', (c) => (clearTimeout(timer), done(c)));
    });
    expect(code).toBe(2);
    expect(stderr).toMatch(/^migscaffold: missing --target, --from, --to/);
  });

  it('on a terminal, asks for the target and the missing fields, then writes', async () => {
    const out = await mkdtemp(join(tmpdir(), 'migscaffold-tty-'));
    try {
      const cmd = `${process.execPath} ${BIN} rename-column --out ${out} --timestamp 20260115093000 --rev-id 0123456789ab`;
      // `script` gives the command a pseudo-terminal and forwards our stdin to it as keystrokes.
      const child = spawn('script', ['-qfec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, CI: '', TERM: 'xterm' } });
      let screen = '';
      child.stdout.on('data', (d) => (screen += d));
      const waitFor = async (text: RegExp) => {
        const start = Date.now();
        while (!text.test(screen)) {
          if (Date.now() - start > 15_000) throw new Error(`prompt ${text} never appeared; screen:\n${screen}`);
          await new Promise((r) => setTimeout(r, 50));
        }
        screen = '';
      };
      const exited = new Promise<number | null>((done) => child.on('exit', done));
      await waitFor(/Target framework/);
      child.stdin.write('\x1b[B\x1b[B\x1b[B'); // down to "Plain SQL"
      await new Promise((r) => setTimeout(r, 200));
      child.stdin.write('\r');
      await waitFor(/Table/);
      child.stdin.write('users\r');
      await waitFor(/Current column name/);
      child.stdin.write('name\r');
      await waitFor(/New column name/);
      child.stdin.write('full_name\r');
      await waitFor(/Primary-key column/);
      child.stdin.write('\r');
      expect(await exited).toBe(0);
      const files = await readdir(join(out, 'db/migrations'));
      expect(files).toContain('20260115093000_add_full_name_to_users_for_rename_of_name.up.sql');
      // The default delivery: only the expand's up/down; the rest waits in the plan file.
      expect(files).toHaveLength(2);
      expect(await readdir(join(out, 'migscaffold'))).toContain('20260115093000_rename_users_name_to_full_name.plan.json');
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 30_000);
});
