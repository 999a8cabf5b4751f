/** What a target is: a translation of the plan into one framework's files and commands. */
import type { Backfill, CodeChange, Migration, Plan } from '../plan/types.js';
import type { SchemaPlanResult } from '../project/prisma-edit.js';

export type TargetName = 'alembic' | 'prisma' | 'rails' | 'sql';
export const TARGET_NAMES: readonly TargetName[] = ['alembic', 'prisma', 'rails', 'sql'];

export interface GeneratedFile {
  /** Relative to the project root, with `/` separators. */
  path: string;
  content: string;
  role: 'migration' | 'backfill' | 'checklist' | 'schema' | 'plan';
  /** An edit of a file the project already has and expects us to change (schema, plan progress). */
  replaces?: boolean;
}

/** How a person applies or rolls back one migration with this target's own tool. */
export interface MigrationRef {
  migration: Migration;
  /** The plan phase it belongs to. */
  phaseKey: string;
  /** Version, revision id or folder name. */
  id: string;
  files: string[];
  apply: string;
  rollback: string;
}

export interface BackfillRef {
  backfill: Backfill;
  /** The plan phase it belongs to (filled in by the target). */
  phaseKey?: string;
  path: string;
  run: string;
  /** The same command with a resume point placeholder. */
  resume: string;
  reverse?: string;
}

export interface TargetOptions {
  /** Base time for version numbers; every later migration is one second after the previous. */
  timestamp: Date;
  /** Deterministic revision ids (Alembic), derived from this seed. */
  revisionSeed: string;
  railsVersion: string;
  sqlStyle: 'golang-migrate' | 'dbmate' | 'flyway';
  /** Sequence numbering (000042_...) continued from the project's folder, instead of timestamps. */
  sqlSequence?: { next: number; width: number } | null;
  /** Alembic's file_template (default `%(rev)s_%(slug)s`). */
  alembicFileTemplate?: string;
  /** Follow the project's script.py.mako: `-> None` on functions, annotated revision ids. */
  alembicStyle?: { returnNone: boolean; typedIds: boolean };
  /** black's `line-length` from the project's pyproject.toml (default 88). */
  alembicLineLength?: number;
  /** Alembic: the revision the first new one revises (the project's current head). */
  downRevision: string | null;
  /** The migrate phases whose migrations this run writes (absent: all of them, `--all-phases`). */
  phases?: ReadonlySet<string>;
  /** Prisma: what schema.prisma must say after each phase (src/project/prisma-edit.ts). */
  prismaSchema?: SchemaPlanResult;
  /** Where files go, relative to the project root; each target has defaults. */
  paths: Partial<Record<'alembic' | 'alembicVersions' | 'prismaMigrations' | 'prismaSchema' | 'railsMigrate' | 'sqlMigrations' | 'backfills' | 'checklist', string>>;
}

export interface Rendered {
  files: GeneratedFile[];
  migrations: MigrationRef[];
  /** One per backfill phase of the plan. */
  backfills: BackfillRef[];
  /** Markdown for a code-change phase, in the framework's idiom. */
  code(change: CodeChange): string;
  /** Markdown for the schema file's edit that ships with a phase (Prisma), if any. */
  schema?(phaseKey: string): string | undefined;
  /** Target-specific lines for the checklist's preamble. */
  notes: string[];
  /** The command a deploy pipeline runs to apply every pending migration ("migrate to latest"). */
  pipeline: string;
  /** How to retry after `lock_timeout` fires, in this tool's words. */
  lockTimeoutRetry: string;
}

export interface Target {
  name: TargetName;
  title: string;
  language: string;
  render(plan: Plan, options: TargetOptions): Rendered;
}
