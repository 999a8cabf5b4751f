/**
 * An Alembic project as Alembic sees it: script_location and file_template from alembic.ini (or
 * pyproject.toml [tool.alembic]), the revision files under versions/ (and version_locations), and
 * the heads: revisions no other revision revises.
 */
import { join, posix } from 'node:path';
import type { FsPromises } from '../effects.js';
import { errors } from '../messages/errors.js';
import { listDir, readText } from './files.js';

export interface AlembicProject {
  source: string;
  scriptLocation: string; // relative to the project root
  versionLocations: string[];
  fileTemplate: string;
  revisions: { id: string; downs: string[]; file: string }[];
  heads: string[];
  /** What the project's script.py.mako does, so new revisions look like the old ones. */
  style: { returnNone: boolean; typedIds: boolean } | null;
  /** black's `line-length` from pyproject.toml `[tool.black]`, so new revisions fit the project's. */
  blackLineLength: number | null;
}

/** Values of one INI/TOML section, enough for the keys Alembic reads. */
function section(text: string, name: RegExp): Record<string, string> {
  const out: Record<string, string> = {};
  let inside = false;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\s+[#;].*$/, '').trim();
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      inside = name.test(header[1].trim());
      continue;
    }
    const kv = inside && /^([\w.-]+)\s*=\s*(.*)$/.exec(line);
    if (kv) out[kv[1]] = kv[2].replace(/^["'](.*)["']$/, '$1');
  }
  return out;
}

/** `[tool.black] line-length`, which black itself reads from pyproject.toml. */
export function blackLineLength(pyproject: string | null): number | null {
  const black = pyproject === null ? {} : section(pyproject, /^tool\.black$/);
  const value = black['line-length'] ?? black.line_length;
  return value && /^\d+$/.test(value) ? Number(value) : null;
}

function relativeLocation(value: string): string {
  return posix.normalize(value.replace(/%\(here\)s\/?/g, '').replace(/^\.\//, '')) || '.';
}

export function parseRevision(text: string): { id: string; downs: string[] } | null {
  const id = /^revision\s*(?::[^=\n]+)?=\s*['"]([^'"]+)['"]/m.exec(text);
  if (!id) return null;
  const down = /^down_revision\s*(?::[^=\n]+)?=\s*(.+)$/m.exec(text);
  const downs = down ? [...down[1].matchAll(/['"]([^'"]+)['"]/g)].map((m) => m[1]) : [];
  return { id: id[1], downs };
}

export async function readAlembic(fs: FsPromises, root: string): Promise<AlembicProject | null> {
  const ini = await readText(fs, join(root, 'alembic.ini'));
  const pyproject = await readText(fs, join(root, 'pyproject.toml'));
  let values: Record<string, string> = {};
  let source = '';
  if (ini !== null && section(ini, /^alembic$/).script_location) {
    values = section(ini, /^alembic$/);
    source = 'alembic.ini';
  } else if (pyproject !== null && /^\[tool\.alembic\]/m.test(pyproject)) {
    values = section(pyproject, /^tool\.alembic$/);
    source = 'pyproject.toml [tool.alembic]';
  } else return null;
  const scriptLocation = relativeLocation(values.script_location ?? 'alembic');
  const versionLocations = (values.version_locations ?? '')
    .split(/[\s,;:]+/)
    .filter(Boolean)
    .map(relativeLocation);
  const locations = versionLocations.length ? versionLocations : [posix.join(scriptLocation, 'versions')];
  const revisions: AlembicProject['revisions'] = [];
  for (const loc of locations)
    for (const name of await listDir(fs, join(root, loc))) {
      if (!name.endsWith('.py')) continue;
      const text = await readText(fs, join(root, loc, name));
      const rev = text && parseRevision(text);
      if (rev) revisions.push({ ...rev, file: posix.join(loc, name) });
    }
  const revised = new Set(revisions.flatMap((r) => r.downs));
  const mako = await readText(fs, join(root, scriptLocation, 'script.py.mako'));
  return {
    style: mako === null ? null : { returnNone: /def upgrade\(\)\s*->\s*None/.test(mako), typedIds: /^revision\s*:\s*str/m.test(mako) },
    blackLineLength: blackLineLength(pyproject),
    source,
    scriptLocation,
    versionLocations: locations,
    fileTemplate: (values.file_template ?? '%%(rev)s_%%(slug)s').replace(/%%/g, '%'),
    revisions,
    heads: revisions.filter((r) => !revised.has(r.id)).map((r) => r.id),
  };
}

/** The revision the new chain starts from: the single head, or the one the user names. */
export function chooseDownRevision(p: AlembicProject, given: string | undefined): string | null {
  if (given !== undefined) {
    if (!p.revisions.some((r) => r.id === given))
      throw errors.unknownDownRevision(given, p.versionLocations, p.heads);
    return given;
  }
  if (p.heads.length > 1)
    throw errors.severalAlembicHeads(p.heads);
  return p.heads[0] ?? null;
}

/** Alembic's file_template with the tokens it documents. */
export function alembicFileName(template: string, rev: string, slug: string, when: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  const values: Record<string, string> = {
    rev,
    slug,
    epoch: String(Math.floor(when.getTime() / 1000)),
    year: String(when.getUTCFullYear()),
    month: two(when.getUTCMonth() + 1),
    day: two(when.getUTCDate()),
    hour: two(when.getUTCHours()),
    minute: two(when.getUTCMinutes()),
    second: two(when.getUTCSeconds()),
  };
  return template.replace(/%\((\w+)\)(?:\.\d+)?[sd]/g, (m, key: string) => values[key] ?? m) + '.py';
}
