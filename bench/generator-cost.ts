/**
 * What generating costs: wall time and peak RSS of `node bin/migscaffold.js rename-column ... --dry-run`
 * and of `/usr/bin/alembic revision -m x` in a scratch Alembic project, each run ~10 times on the same
 * machine. Peak RSS from /usr/bin/time -v when present; otherwise wall time only.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProc } from './proc.js';
import { REPO, RENAME_ARGS } from './backfill-scripts.js';

export interface Cost {
  command: string;
  runs: number;
  medianWallMs: number;
  medianPeakRssMiB: number | null;
  maxPeakRssMiB: number | null;
}

const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : 0;
};

async function measure(label: string, cmd: string, args: string[], cwd: string, runs: number, between?: () => Promise<void>): Promise<Cost> {
  const walls: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < runs; i++) {
    await between?.();
    const r = TIME ? await runProc(TIME, ['-v', cmd, ...args], { cwd, timeoutMs: 120_000 }) : await runProc(cmd, args, { cwd, timeoutMs: 120_000 });
    if (r.code !== 0) throw new Error(`${label} failed (exit ${r.code}): ${r.stderr.slice(-2000)}`);
    walls.push(r.wallMs);
    const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
    if (m) rss.push(Number(m[1]) / 1024);
  }
  return {
    command: label,
    runs,
    medianWallMs: Math.round(median(walls)),
    medianPeakRssMiB: rss.length ? Math.round(median(rss) * 10) / 10 : null,
    maxPeakRssMiB: rss.length ? Math.round(Math.max(...rss) * 10) / 10 : null,
  };
}

export async function generatorCost(runs = 10): Promise<Cost[]> {
  const out: Cost[] = [];
  const cliArgs = [join(REPO, 'bin', 'migscaffold.js'), ...RENAME_ARGS, '--target', 'sql', '--yes', '--dry-run'];
  out.push(await measure(`node bin/migscaffold.js ${RENAME_ARGS.join(' ')} --target sql --yes --dry-run`, process.execPath, cliArgs, REPO, runs));
  if (existsSync('/usr/bin/alembic') && existsSync('/usr/bin/python3')) {
    const dir = await mkdtemp(join(tmpdir(), 'bench-alembic-'));
    try {
      const init = await runProc('/usr/bin/python3', ['/usr/bin/alembic', 'init', 'migrations'], { cwd: dir, timeoutMs: 60_000 });
      if (init.code !== 0) throw new Error(`alembic init failed: ${init.stderr}`);
      const versions = join(dir, 'migrations', 'versions');
      out.push(
        await measure('/usr/bin/alembic revision -m x (scratch project from `alembic init`)', '/usr/bin/python3', ['/usr/bin/alembic', 'revision', '-m', 'x'], dir, runs, async () => {
          for (const f of await readdir(versions).catch(() => [])) if (f.endsWith('.py')) await rm(join(versions, f));
        }),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  return out;
}
