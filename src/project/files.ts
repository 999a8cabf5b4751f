/** Small read helpers over the injected file system (memfs in tests, the disk otherwise). */
import type { FsPromises } from '../effects.js';

export async function readText(fs: FsPromises, path: string): Promise<string | null> {
  try {
    return String(await fs.readFile(path, 'utf8'));
  } catch {
    return null;
  }
}

export async function listDir(fs: FsPromises, path: string): Promise<string[]> {
  try {
    return ((await fs.readdir(path)) as unknown[]).map(String).sort();
  } catch {
    return [];
  }
}

export async function isDir(fs: FsPromises, path: string): Promise<boolean> {
  try {
    return (await fs.stat(path)).isDirectory();
  } catch {
    return false;
  }
}
