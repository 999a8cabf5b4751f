/**
 * Generated backfill scripts outside the phase-by-phase lifecycle: generate one for a table with the
 * real CLI entry point, run it with its real interpreter (psql, /usr/bin/python3 + SQLAlchemy,
 * ruby + ActiveRecord, tsx + pg) with any of its flags, and read what it printed.
 *
 * Used by the scale tests (keys, workers, adaptive batches, snapshot bound, replica lag, pgbouncer).
 */
import { symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { runMigscaffold, runWatching } from './lifecycle.js';
import { PSQL_BIN, REPO_ROOT, RUBY_BIN, runCommand, SYSTEM_PYTHON, type RunResult } from './tools.js';

export type Language = 'sql' | 'alembic' | 'rails' | 'prisma';
export const LANGUAGES: readonly Language[] = ['sql', 'alembic', 'rails', 'prisma'];

export interface Script {
  language: Language;
  dir: string;
  file: string;
}

/** Generates `add-column --backfill` (all phases) into `dir` and returns the backfill script. */
export async function generateBackfill(language: Language, dir: string, flags: Record<string, string | true>): Promise<Script> {
  const args = Object.entries(flags).flatMap(([k, v]) => (v === true ? [`--${k}`] : [`--${k}`, v]));
  const target = ['--target', language, ...(language === 'rails' ? ['--rails-version', '6.1'] : [])];
  const { code, stdout, stderr } = await runMigscaffold(['add-column', ...args, ...target, '--out', dir, '--yes', '--json', '--timestamp', '20260115093000', '--rev-id', '0123456789ab', '--all-phases']);
  if (code !== 0) throw new Error(`migscaffold add-column ${args.join(' ')} --target ${language}: exit ${code}\n${stderr}`);
  const json = JSON.parse(stdout) as { files: { path: string; role: string }[] };
  const file = json.files.find((f) => f.role === 'backfill');
  if (!file) throw new Error(`no backfill script in ${JSON.stringify(json.files)}`);
  // The TypeScript script imports `pg`: the project's node_modules is the repository's.
  if (language === 'prisma') await symlink(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir').catch(() => {});
  return { language, dir, file: join(dir, file.path) };
}

export interface Flags {
  batchSize?: number;
  batchMs?: number;
  pauseMs?: number;
  workers?: number;
  maxReplicaLag?: string;
  lockTimeout?: string;
  /** Not for psql, whose whole run is one statement. */
  statementTimeout?: string;
  startAfter?: string;
  endAt?: string;
}

const NAMES: Record<keyof Flags, string> = {
  batchSize: 'batch-size',
  batchMs: 'batch-ms',
  pauseMs: 'pause-ms',
  workers: 'workers',
  maxReplicaLag: 'max-replica-lag',
  lockTimeout: 'lock-timeout',
  statementTimeout: 'statement-timeout',
  startAfter: 'start-after',
  endAt: 'end-at',
};

/** The command that runs the script with these flags (psql: `-v name=value`). */
export function command(s: Script, url: string, f: Flags = {}): { cmd: string; args: string[]; env: Record<string, string> } {
  const set = (Object.keys(NAMES) as (keyof Flags)[]).filter((k) => f[k] !== undefined);
  if (s.language === 'sql') {
    const vars = set.flatMap((k) => ['-v', `${NAMES[k].replace(/-/g, '_')}=${f[k]}`]);
    // Workers: one psql per range, started by this one; the same binary, and this file wherever it is.
    vars.push('-v', `psql=${PSQL_BIN}`, '-v', `script=${s.file}`);
    return { cmd: PSQL_BIN, args: ['-X', '-v', 'ON_ERROR_STOP=1', ...vars, '-d', url, '-f', s.file], env: { DATABASE_URL: url, PGCONNECT_TIMEOUT: '15' } };
  }
  const flags = set.flatMap((k) => [`--${NAMES[k]}`, String(f[k])]);
  return interpreter(s, url, flags);
}

/** The script's own interpreter with these raw arguments. */
export function interpreter(s: Script, url: string, args: string[]): { cmd: string; args: string[]; env: Record<string, string> } {
  switch (s.language) {
    case 'alembic':
      return { cmd: SYSTEM_PYTHON, args: [s.file, ...args], env: { DATABASE_URL: url, PYTHONDONTWRITEBYTECODE: '1', PYTHONNOUSERSITE: '1', PYTHONUNBUFFERED: '1' } };
    case 'rails':
      return { cmd: RUBY_BIN, args: [s.file, ...args], env: { DATABASE_URL: url } };
    case 'prisma':
      return { cmd: process.execPath, args: [join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), s.file, ...args], env: { DATABASE_URL: url } };
    case 'sql':
      return { cmd: PSQL_BIN, args: ['-X', '-v', 'ON_ERROR_STOP=1', '-v', `psql=${PSQL_BIN}`, '-v', `script=${s.file}`, ...args, '-d', url, '-f', s.file], env: { DATABASE_URL: url, PGCONNECT_TIMEOUT: '15' } };
  }
}

export function runBackfill(s: Script, url: string, f: Flags = {}, timeoutMs = 120_000): Promise<RunResult> {
  const { cmd, args, env } = command(s, url, f);
  return runCommand(cmd, args, { cwd: s.dir, env, check: false, timeoutMs });
}

/** Runs it and calls `onMatch` once, when its output first matches `pattern`. */
export function runBackfillWatching(s: Script, url: string, f: Flags, pattern: RegExp, onMatch: (pid: number) => void | Promise<void>, timeoutMs = 120_000) {
  const { cmd, args, env } = command(s, url, f);
  return runWatching(cmd, args, env, s.dir, pattern, onMatch, timeoutMs);
}

/** The exit code of a script that refuses or fails: psql stops with 3 (ON_ERROR_STOP). */
export const REFUSED: Record<Language, number> = { sql: 3, alembic: 2, rails: 2, prisma: 2 };
export const INTERRUPTED: Record<Language, number> = { sql: 3, alembic: 130, rails: 130, prisma: 130 };

export interface Progress {
  scanned: number;
  updated: number;
  lastKey: string;
  batch: number;
  range: number | null;
}

/** Every progress line, in the order printed. */
export function progress(out: string): Progress[] {
  const re = /(\d+)(?:\/\d+)? rows scanned, (\d+) updated, last key (.*?)(?: \(resume: .*\))?, \d+ rows\/s.*?; batch of (\d+) rows in \d+ ms(?:; range (\d+)\/\d+)?/g;
  return [...out.matchAll(re)].map((m) => ({ scanned: Number(m[1]), updated: Number(m[2]), lastKey: m[3], batch: Number(m[4]), range: m[5] ? Number(m[5]) : null }));
}

/** `Done: N rows updated`, or null. */
export function doneCount(out: string): number | null {
  const m = /Done: (\d+) rows updated/.exec(out);
  return m ? Number(m[1]) : null;
}

/** The end key the header announced (`up to key ...;`). */
export function endKey(out: string): string | null {
  return /rows up to key (.*?); batches of/.exec(out)?.[1] ?? null;
}

/** Splits a printed shell command into words (single quotes and backslash escapes, as sh reads them). */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === "'") {
      const j = line.indexOf("'", i + 1);
      cur += line.slice(i + 1, j);
      i = j;
      inWord = true;
    } else if (c === '"') {
      let j = i + 1;
      for (; line[j] !== '"'; j++) cur += line[j] === '\\' ? line[++j] : line[j];
      i = j;
      inWord = true;
    } else if (c === '\\') {
      cur += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

/**
 * The arguments of each resume command a stopped run printed, for the script itself: the words after
 * the script's path (`python3 x.py --start-after K --end-at E`), or psql's `-v` pairs after `resume:`
 * (the last one each range printed).
 */
export function resumeArgs(language: Language, out: string): string[][] {
  if (language === 'sql') {
    // Each range's last word on where to resume: queued by the coordinator (`range K/N queued
    // (resume: ...)`), its start (`range K/N starts (resume: ...)`), then every committed batch.
    const last = new Map<string, string[]>();
    const re = /range (\d+)\/\d+ (?:queued|starts) \(resume: (.*)\)$|\(resume: (.*?)\), \d+ rows\/s.*?(?:; range (\d+)\/\d+)?$/gm;
    for (const m of out.matchAll(re)) last.set(m[1] ?? m[4] ?? '1', shellWords(m[2] ?? m[3]));
    return [...last.values()];
  }
  const lines = out.split('\n').filter((l) => /^(Resume with: |  )(python3|bin\/rails|npx) /.test(l));
  return lines.map((l) => {
    const words = shellWords(l.replace(/^Resume with: /, ''));
    const at = words.findIndex((w) => /backfill_\w+\.(py|rb|ts)$/.test(w));
    return words.slice(at + 1);
  });
}
