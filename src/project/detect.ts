/**
 * What the project around us already decides: its framework, paths, versions and naming. The CLI
 * calls this once; everything else receives plain values.
 */
import type { FsPromises } from '../effects.js';
import { errors } from '../messages/errors.js';
import type { TargetName } from '../targets/types.js';
import { readAlembic, type AlembicProject } from './alembic.js';
import { readConfig, type ProjectConfig } from './config.js';
import { readPrisma, type PrismaProject } from './prisma.js';
import { readRails, type RailsProject } from './rails.js';
import { readSql, type SqlProject } from './sql.js';
import { DUMP_FILES } from './dump.js';
import { readText } from './files.js';
import { join } from 'node:path';

export interface Project {
  config: ProjectConfig;
  configSource: string | null;
  alembic: AlembicProject | null;
  rails: RailsProject | null;
  prisma: PrismaProject | null;
  sql: SqlProject | null;
  /** A pg_dump of the schema the project keeps (db/structure.sql or db/schema.sql). */
  dump: { path: string; text: string } | null;
  /** Every target the directory looks like, with the file that says so. */
  detected: { target: TargetName; reason: string }[];
}

export async function inspectProject(fs: FsPromises, root: string): Promise<Project> {
  const { config, source } = await readConfig(fs, root);
  const [alembic, rails, prisma, sql] = await Promise.all([
    readAlembic(fs, root),
    readRails(fs, root),
    readPrisma(fs, root, { schema: config.paths?.prismaSchema, migrations: config.paths?.prismaMigrations }),
    readSql(fs, root, config.paths?.sqlMigrations),
  ]);
  let dump: Project['dump'] = null;
  for (const path of DUMP_FILES) {
    const text = await readText(fs, join(root, path));
    if (text !== null) {
      dump = { path, text };
      break;
    }
  }
  const detected: Project['detected'] = [];
  if (alembic) detected.push({ target: 'alembic', reason: alembic.source });
  if (prisma) detected.push({ target: 'prisma', reason: prisma.source });
  if (rails?.detected) detected.push({ target: 'rails', reason: rails.detected });
  // A Rails app's db/migrate holds Ruby, so a SQL folder only counts when nothing else matched.
  if (sql && detected.length === 0) detected.push({ target: 'sql', reason: `${sql.dir} (${sql.style} files)` });
  return { config, configSource: source, alembic, rails, prisma, sql, dump, detected };
}

/** The target: the flag, else the config, else the one framework detected; several is an error. */
export function chooseTarget(flag: string | undefined, p: Project): { name: string | undefined; reason: string | null } {
  if (flag) return { name: flag, reason: null };
  if (p.config.target) return { name: p.config.target, reason: `from ${p.configSource}` };
  if (p.detected.length === 1) return { name: p.detected[0].target, reason: `detected from ${p.detected[0].reason}` };
  if (p.detected.length > 1)
    throw errors.severalProjects(p.detected.map((d) => `${d.target}: ${d.reason}`));
  return { name: undefined, reason: null };
}
