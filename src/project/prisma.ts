/** A Prisma project: schema and migrations paths (prisma.config.ts or defaults) and its provider. */
import { join, posix } from 'node:path';
import type { FsPromises } from '../effects.js';
import { RefusedError } from '../messages/errors.js';
import { listDir, readText } from './files.js';

export interface PrismaProject {
  source: string;
  schemaPath: string;
  migrationsPath: string;
  schemaText: string | null;
  /** The version prefix of the newest migration folder (`20260115093000`), if any. */
  newestVersion: string | null;
}

export async function readPrisma(fs: FsPromises, root: string): Promise<PrismaProject | null> {
  const config = (await readText(fs, join(root, 'prisma.config.ts'))) ?? (await readText(fs, join(root, 'prisma.config.mts')));
  let schemaPath = 'prisma/schema.prisma';
  let migrationsPath: string | null = null;
  let source = 'prisma/schema.prisma';
  if (config !== null) {
    source = 'prisma.config.ts';
    const schema = /\bschema\s*:\s*['"`]([^'"`]+)['"`]/.exec(config);
    if (schema) schemaPath = posix.normalize(schema[1].replace(/^\.\//, ''));
    const migrations = /\bmigrations\s*:\s*\{[^}]*?\bpath\s*:\s*['"`]([^'"`]+)['"`]/s.exec(config);
    if (migrations) migrationsPath = posix.normalize(migrations[1].replace(/^\.\//, ''));
  }
  const schemaText = await readText(fs, join(root, schemaPath));
  if (config === null && schemaText === null) return null;
  // Prisma keeps migrations beside the schema file (or inside the schema folder).
  migrationsPath ??= posix.join(posix.dirname(schemaPath.endsWith('.prisma') ? schemaPath : `${schemaPath}/x`), 'migrations');
  const lock = await readText(fs, join(root, migrationsPath, 'migration_lock.toml'));
  const provider = lock && /provider\s*=\s*"([^"]+)"/.exec(lock);
  if (provider && provider[1] !== 'postgresql')
    throw new RefusedError(
      `${migrationsPath}/migration_lock.toml says provider "${provider[1]}": migscaffold writes PostgreSQL migrations only`,
    );
  const versions = (await listDir(fs, join(root, migrationsPath))).map((f) => /^(\d{14})_/.exec(f)?.[1]).filter((v): v is string => !!v);
  return { source, schemaPath, migrationsPath, schemaText, newestVersion: versions.sort().at(-1) ?? null };
}
