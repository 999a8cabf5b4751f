/**
 * A Prisma project: where its schema and migrations are, found where Prisma 6 and 7 look.
 *
 * Prisma reads the schema from the `schema` of prisma.config.ts, else (Prisma 6) the `prisma.schema`
 * key of package.json, else ./schema.prisma, then ./prisma/schema.prisma (and, for multi-file
 * schemas, a prisma/schema/ folder). A folder holds several .prisma files. Migrations are the
 * config's `migrations.path`, else `migrations/` beside the schema file (inside a schema folder).
 * When two places disagree, nothing is guessed: the run is refused and says what to align.
 */
import { join, posix } from 'node:path';
import type { FsPromises } from '../effects.js';
import { errors, RefusedError, UsageError } from '../messages/errors.js';
import { isDir, listDir, readText } from './files.js';

export interface PrismaProject {
  /** What says where the schema is (for messages): `prisma.config.ts`, `schema.prisma`, ... */
  source: string;
  /** The schema file, or the schema folder for a multi-file schema. */
  schemaPath: string;
  migrationsPath: string;
  /** Every .prisma file of the schema, relative to the root. */
  files: { path: string; text: string }[];
  /** All files joined, for lookups that do not care which file says it. */
  schemaText: string | null;
  /** The version prefix of the newest migration folder (`20260115093000`), if any. */
  newestVersion: string | null;
  /**
   * Why the schema cannot be located (places that disagree, a path that does not exist): raised
   * only when the run targets Prisma, so a mixed repository still works for the other targets.
   */
  problem: Error | null;
}

const CONFIG_FILES = ['prisma.config.ts', 'prisma.config.mts', 'prisma.config.cts', 'prisma.config.js', 'prisma.config.mjs', '.config/prisma.ts'];

const norm = (p: string) => posix.normalize(p.replace(/\\/g, '/').replace(/^\.\//, '')).replace(/\/$/, '');

/** A string-valued key of the config, or `undefined`; a non-literal value cannot be read statically. */
function configString(config: string, source: string, key: RegExp): string | undefined {
  const m = key.exec(config);
  if (!m) return undefined;
  const lit = /^\s*(['"`])([^'"`$]+)\1/.exec(m[1]);
  if (!lit) throw errors.prismaConfigUnreadable(source, m[0].trim().split(/[:\s]/)[0]);
  return norm(lit[2]);
}

async function schemaFiles(fs: FsPromises, root: string, path: string): Promise<{ path: string; text: string }[] | null> {
  if (await isDir(fs, join(root, path))) {
    const out: { path: string; text: string }[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const name of await listDir(fs, join(root, dir))) {
        const rel = posix.join(dir, name);
        if (name === 'migrations' || name === 'node_modules') continue;
        if (await isDir(fs, join(root, rel))) await walk(rel);
        else if (name.endsWith('.prisma')) out.push({ path: rel, text: (await readText(fs, join(root, rel))) ?? '' });
      }
    };
    await walk(path);
    return out.length ? out : null;
  }
  const text = await readText(fs, join(root, path));
  return text === null ? null : [{ path, text }];
}

export async function readPrisma(fs: FsPromises, root: string, paths: { schema?: string; migrations?: string } = {}): Promise<PrismaProject | null> {
  try {
    return await locate(fs, root, paths);
  } catch (e) {
    if (!(e instanceof RefusedError || e instanceof UsageError)) throw e;
    return { source: 'prisma', schemaPath: '', migrationsPath: '', files: [], schemaText: null, problem: e, newestVersion: null };
  }
}

async function locate(fs: FsPromises, root: string, paths: { schema?: string; migrations?: string }): Promise<PrismaProject | null> {
  let configName: string | null = null;
  let config: string | null = null;
  for (const name of CONFIG_FILES) {
    config = await readText(fs, join(root, name));
    if (config !== null) {
      configName = name;
      break;
    }
  }
  const fromConfig = config !== null ? configString(config, configName!, /\bschema\s*:\s*([^,\n}]+)/) : undefined;
  const migrationsFromConfig = config !== null ? configString(config, configName!, /\bmigrations\s*:\s*\{[^}]*?\bpath\s*:\s*([^,\n}]+)/s) : undefined;

  const pkgText = await readText(fs, join(root, 'package.json'));
  let fromPackage: string | undefined;
  try {
    const schema = pkgText ? (JSON.parse(pkgText) as { prisma?: { schema?: unknown } }).prisma?.schema : undefined;
    if (typeof schema === 'string') fromPackage = norm(schema);
  } catch {
    /* an invalid package.json is reported by readConfig */
  }
  if (fromConfig && fromPackage && fromConfig !== fromPackage)
    throw errors.prismaSchemaConflict(`${configName} says schema "${fromConfig}"`, `package.json "prisma.schema" says "${fromPackage}"`);

  const fromOwn = paths.schema !== undefined ? norm(paths.schema) : undefined;
  const declared = fromOwn ?? fromConfig ?? fromPackage;
  const declaredBy = fromOwn ? 'migscaffold paths.prismaSchema' : fromConfig ? configName! : fromPackage ? 'package.json "prisma.schema"' : null;
  let schemaPath: string;
  let files: { path: string; text: string }[] | null;
  let source: string;
  if (declared !== undefined) {
    files = await schemaFiles(fs, root, declared);
    if (!files) throw errors.prismaSchemaMissing(declaredBy!, declared);
    [schemaPath, source] = [declared, declaredBy!];
  } else {
    const found: { path: string; files: { path: string; text: string }[] }[] = [];
    for (const candidate of ['schema.prisma', 'prisma/schema.prisma', 'prisma/schema']) {
      const f = await schemaFiles(fs, root, candidate);
      if (f) found.push({ path: candidate, files: f });
    }
    if (found.length > 1)
      throw errors.prismaSchemaConflict(...(found.map((f) => `${f.path} exists`) as [string, string]));
    if (found.length === 0) {
      if (config === null) return null;
      throw errors.prismaSchemaMissing(configName!, null);
    }
    [schemaPath, files, source] = [found[0].path, found[0].files, found[0].path];
  }

  let migrationsPath = paths.migrations ?? migrationsFromConfig;
  if (migrationsPath === undefined) {
    const folder = files.length > 1 || !schemaPath.endsWith('.prisma');
    const beside = folder ? posix.join(schemaPath, 'migrations') : posix.join(posix.dirname(schemaPath), 'migrations');
    migrationsPath = beside;
    // Prisma 6 kept a multi-file schema's migrations beside the folder (prisma/migrations).
    if (folder && !(await isDir(fs, join(root, beside))) && (await isDir(fs, join(root, posix.dirname(schemaPath), 'migrations'))))
      migrationsPath = posix.join(posix.dirname(schemaPath), 'migrations');
  }
  const lock = await readText(fs, join(root, migrationsPath, 'migration_lock.toml'));
  const provider = lock && /provider\s*=\s*"([^"]+)"/.exec(lock);
  if (provider && provider[1] !== 'postgresql')
    throw errors.notPostgresPrisma(`${migrationsPath}/migration_lock.toml`, provider[1]);
  const versions = (await listDir(fs, join(root, migrationsPath))).map((f) => /^(\d{14})_/.exec(f)?.[1]).filter((v): v is string => !!v);
  return {
    source,
    schemaPath,
    migrationsPath: norm(migrationsPath),
    files,
    schemaText: files.map((f) => f.text).join('\n'),
    problem: null,
    newestVersion: versions.sort().at(-1) ?? null,
  };
}
