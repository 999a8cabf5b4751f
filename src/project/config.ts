/** Project defaults: migscaffold.config.json, or a "migscaffold" key in package.json. */
import { join } from 'node:path';
import type { FsPromises } from '../effects.js';
import { errors } from '../messages/errors.js';
import { readText } from './files.js';

export interface ProjectConfig {
  target?: string;
  lockTimeout?: string;
  batchSize?: number;
  pauseMs?: number;
  sqlStyle?: string;
  railsVersion?: string;
  paths?: Record<string, string>;
}

const KEYS = new Set(['target', 'lockTimeout', 'batchSize', 'pauseMs', 'sqlStyle', 'railsVersion', 'paths']);

export async function readConfig(fs: FsPromises, root: string): Promise<{ config: ProjectConfig; source: string | null }> {
  const own = await readText(fs, join(root, 'migscaffold.config.json'));
  let raw: unknown;
  let source: string | null = null;
  try {
    if (own !== null) [raw, source] = [JSON.parse(own), 'migscaffold.config.json'];
    else {
      const pkg = await readText(fs, join(root, 'package.json'));
      const parsed = pkg ? (JSON.parse(pkg) as Record<string, unknown>) : {};
      if (parsed.migscaffold !== undefined) [raw, source] = [parsed.migscaffold, 'package.json "migscaffold"'];
    }
  } catch (e) {
    throw errors.configNotJson(own !== null ? 'migscaffold.config.json' : 'package.json', (e as Error).message);
  }
  if (raw === undefined) return { config: {}, source: null };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw errors.configNotObject(String(source));
  for (const k of Object.keys(raw)) if (!KEYS.has(k)) throw errors.configUnknownKey(String(source), k, [...KEYS]);
  return { config: raw as ProjectConfig, source };
}
