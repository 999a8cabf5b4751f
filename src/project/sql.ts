/** An existing SQL migrations folder, and the naming it already uses. */
import { join } from 'node:path';
import type { FsPromises } from '../effects.js';
import { listDir, readText } from './files.js';

export type SqlStyle = 'golang-migrate' | 'dbmate' | 'flyway';

export interface SqlProject {
  dir: string;
  style: SqlStyle;
  /** Sequence numbering (000001_...) instead of timestamps; the next number and its width. */
  sequence: { next: number; width: number } | null;
  newestVersion: string | null;
}

const CANDIDATES = ['db/migrations', 'migrations', 'db/migrate', 'sql/migrations', 'src/main/resources/db/migration', 'db/migration'];

export async function readSql(fs: FsPromises, root: string, preferred?: string): Promise<SqlProject | null> {
  for (const dir of preferred ? [preferred] : CANDIDATES) {
    const files = (await listDir(fs, join(root, dir))).filter((f) => f.endsWith('.sql'));
    if (files.length === 0) continue;
    let style: SqlStyle | null = null;
    const versions: string[] = [];
    for (const f of files) {
      let m: RegExpExecArray | null;
      if ((m = /^(\d+)_.+\.(up|down)\.sql$/.exec(f))) style ??= 'golang-migrate';
      else if ((m = /^[VU](\d+(?:[._]\d+)*)__.+\.sql$/.exec(f))) style ??= 'flyway';
      else if ((m = /^(\d+)_.+\.sql$/.exec(f))) {
        const text = await readText(fs, join(root, dir, f));
        if (text?.includes('-- migrate:up')) style ??= 'dbmate';
      }
      if (m) versions.push(m[1]);
    }
    if (!style) continue;
    versions.sort((a, b) => (BigInt(a.replace(/\D/g, '')) < BigInt(b.replace(/\D/g, '')) ? -1 : 1));
    const newest = versions.at(-1) ?? null;
    const sequence = newest !== null && newest.length < 14 && /^\d+$/.test(newest) ? { next: Number(newest) + 1, width: style === 'flyway' ? 0 : newest.length } : null;
    return { dir, style, sequence, newestVersion: newest };
  }
  return null;
}
