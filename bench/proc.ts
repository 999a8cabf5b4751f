/** Child processes for the benchmark: clean env, timeout (whole process group), timestamped output lines. */
import { spawn } from 'node:child_process';
import { dirname } from 'node:path';
import { tmpdir } from 'node:os';

export interface Line {
  at: number; // performance.now() when the line arrived
  stream: 'stdout' | 'stderr';
  text: string;
}

export interface ProcResult {
  code: number;
  wallMs: number;
  lines: Line[];
  stdout: string;
  stderr: string;
}

export function cleanEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {
    PATH: ['/usr/bin', '/bin', '/usr/sbin', '/sbin', dirname(process.execPath)].join(':'),
    HOME: tmpdir(),
    TMPDIR: tmpdir(),
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    TZ: 'UTC',
    PYTHONDONTWRITEBYTECODE: '1',
    PYTHONNOUSERSITE: '1',
    PYTHONUNBUFFERED: '1',
  };
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

export function runProc(cmd: string, args: string[], opts: { cwd?: string; env?: Record<string, string | undefined>; timeoutMs?: number } = {}): Promise<ProcResult> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { cwd: opts.cwd, env: cleanEnv(opts.env), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const lines: Line[] = [];
    const bufs = { stdout: '', stderr: '' };
    const all = { stdout: '', stderr: '' };
    const onData = (stream: 'stdout' | 'stderr') => (d: string) => {
      const at = performance.now();
      all[stream] += d;
      bufs[stream] += d;
      let i: number;
      while ((i = bufs[stream].indexOf('\n')) >= 0) {
        lines.push({ at, stream, text: bufs[stream].slice(0, i) });
        bufs[stream] = bufs[stream].slice(i + 1);
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData('stdout'));
    child.stderr.setEncoding('utf8').on('data', onData('stderr'));
    const kill = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    };
    process.on('exit', kill);
    const timer = setTimeout(kill, opts.timeoutMs ?? 15 * 60_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      process.off('exit', kill);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      process.off('exit', kill);
      resolve({ code: code ?? (signal ? 128 : 1), wallMs: performance.now() - t0, lines, stdout: all.stdout, stderr: all.stderr });
    });
  });
}
