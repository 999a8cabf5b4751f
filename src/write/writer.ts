/**
 * Everything a run writes is staged in memory (memfs) first; only a complete, conflict-free set
 * reaches the disk, and a failure half way removes what the run wrote and restores what it replaced.
 */
import { Volume } from 'memfs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import type { FsPromises } from '../effects.js';
import { errors } from '../messages/errors.js';
import type { GeneratedFile } from '../targets/types.js';

export type FileStatus = 'create' | 'identical' | 'overwrite' | 'update' | 'conflict';

export interface FileChange extends GeneratedFile {
  status: FileStatus;
  absolute: string;
}

/** Stage the run's files in an in-memory volume; the volume is what --dry-run shows. */
export function stage(files: GeneratedFile[]): Volume {
  const vol = new Volume();
  for (const f of files) {
    const p = `/${f.path}`;
    vol.mkdirSync(dirname(p), { recursive: true });
    vol.writeFileSync(p, f.content);
  }
  return vol;
}

function insideRoot(root: string, path: string): string {
  if (isAbsolute(path) || path.split(/[\\/]/).includes('..')) throw errors.outsideProject(path);
  const abs = resolve(root, path);
  const rel = relative(root, abs);
  if (rel.startsWith('..') || isAbsolute(rel) || rel === '') throw errors.outsideProject(path);
  return abs;
}

async function readIfExists(fs: FsPromises, path: string): Promise<string | null> {
  try {
    return String(await fs.readFile(path, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** Compare the staged set with the disk. Files marked `replaces` are edits of existing files. */
export async function diff(fs: FsPromises, root: string, vol: Volume, files: GeneratedFile[], force: boolean): Promise<FileChange[]> {
  try {
    const st = await fs.stat(root);
    if (!st.isDirectory()) throw errors.outDirMissing(root);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw errors.outDirMissing(root);
    throw e;
  }
  const changes: FileChange[] = [];
  for (const f of files) {
    const absolute = insideRoot(root, f.path);
    const staged = String(vol.readFileSync(`/${f.path}`, 'utf8'));
    const existing = await readIfExists(fs, absolute);
    let status: FileStatus;
    if (existing === null) status = 'create';
    else if (existing === staged) status = 'identical';
    else if (f.replaces) status = 'update';
    else status = force ? 'overwrite' : 'conflict';
    changes.push({ ...f, content: staged, status, absolute });
  }
  return changes;
}

/** Write every change or none. Throws (after undoing its own writes) on the first failure. */
export async function commit(fs: FsPromises, root: string, changes: FileChange[]): Promise<void> {
  const conflicts = changes.filter((c) => c.status === 'conflict');
  if (conflicts.length) throw errors.conflict(conflicts.map((c) => c.path));
  const todo = changes.filter((c) => c.status !== 'identical');
  if (todo.length === 0) return;
  try {
    await fs.access(root, 2 /* W_OK */);
  } catch (e) {
    throw errors.outDirNotWritable(root, (e as NodeJS.ErrnoException).code ?? 'error');
  }
  const undo: (() => Promise<void>)[] = [];
  try {
    for (const c of todo) {
      const created = await mkdirp(fs, dirname(c.absolute), root);
      undo.push(...created.map((d) => () => fs.rmdir(d)));
      const previous = c.status === 'create' ? null : await readIfExists(fs, c.absolute);
      // Write beside the target, then rename: a reader never sees half a file.
      const tmp = `${c.absolute}.migscaffold-${process.pid}.tmp`;
      await fs.writeFile(tmp, c.content, { flag: 'wx' });
      try {
        await fs.rename(tmp, c.absolute);
      } catch (e) {
        await fs.unlink(tmp).catch(() => undefined);
        throw e;
      }
      undo.push(previous === null ? () => fs.unlink(c.absolute) : () => fs.writeFile(c.absolute, previous));
    }
  } catch (e) {
    for (const step of undo.reverse()) await step().catch(() => undefined);
    const err = e as NodeJS.ErrnoException;
    if (err.code && err.path !== undefined) throw errors.writeFailed(relative(root, err.path) || err.path, err.code);
    throw e;
  }
}

/** mkdir -p that reports which directories it created (so a rollback can remove them). */
async function mkdirp(fs: FsPromises, dir: string, root: string): Promise<string[]> {
  const missing: string[] = [];
  let d = dir;
  while (d.startsWith(root) && d !== root) {
    try {
      await fs.stat(d);
      break;
    } catch {
      missing.push(d);
      d = dirname(d);
    }
  }
  for (const m of [...missing].reverse()) await fs.mkdir(m);
  return [...missing].reverse();
}

