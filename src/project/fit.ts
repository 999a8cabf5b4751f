/**
 * The target options the project dictates as it is now: Alembic's current head and file naming,
 * versions that sort after the newest migration already there, the paths Prisma and SQL projects
 * use. Applied on the first run and again on every `migscaffold next`, so a delivery written weeks
 * later still fits a history that teammates have added to.
 */
import { posix } from 'node:path';
import type { Project } from './detect.js';
import { chooseDownRevision } from './alembic.js';
import { version } from '../targets/shared.js';
import type { TargetName, TargetOptions } from '../targets/types.js';

/**
 * `base`, or one second after `newest` (a 14-digit version) when `base` would sort before it. An equal
 * version is left alone: it is this same run again, and the writer reports identical files or a
 * conflict.
 */
function after(base: Date, newest: string | null | undefined): Date {
  const m = newest && /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(newest);
  if (!m || version(base, 0) >= newest!) return base;
  return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) + 1000);
}

export function fitToProject(target: TargetName, p: Project, o: TargetOptions, downRevisionFlag: string | undefined): TargetOptions {
  const paths = { ...o.paths };
  if (target === 'alembic' && p.alembic) {
    paths.alembic ??= p.alembic.scriptLocation;
    paths.alembicVersions ??= p.alembic.versionLocations[0];
    return {
      ...o,
      paths,
      alembicFileTemplate: p.alembic.fileTemplate,
      alembicStyle: p.alembic.style ?? undefined,
      alembicLineLength: p.alembic.blackLineLength ?? undefined,
      downRevision: chooseDownRevision(p.alembic, downRevisionFlag),
    };
  }
  if (target === 'rails' && p.rails) return { ...o, paths, timestamp: after(o.timestamp, p.rails.newestVersion) };
  if (target === 'prisma' && p.prisma) {
    paths.prismaMigrations ??= p.prisma.migrationsPath;
    paths.prismaSchema ??= p.prisma.schemaPath;
    // Beside the migrations, wherever the project keeps them (./migrations for a root schema.prisma).
    paths.backfills ??= posix.join(posix.dirname(p.prisma.migrationsPath), 'backfills');
    return { ...o, paths, timestamp: after(o.timestamp, p.prisma.newestVersion) };
  }
  if (target === 'sql' && p.sql) {
    paths.sqlMigrations ??= p.sql.dir;
    if (p.sql.style === o.sqlStyle) return { ...o, paths, sqlSequence: p.sql.sequence, timestamp: after(o.timestamp, p.sql.newestVersion) };
  }
  return { ...o, paths };
}
