/**
 * Errors a user can get, as data: one line each, saying what is wrong and how to fix it.
 * `UsageError` exits 2 (the request is incomplete or malformed), `RefusedError` exits 1 (the request
 * is understood but would be unsafe or would destroy work).
 */
export class UsageError extends Error {
  readonly exitCode = 2;
}
export class RefusedError extends Error {
  readonly exitCode = 1;
}

export const errors = {
  unknownOperation: (op: string, known: string[]) =>
    new UsageError(`unknown operation "${op}": use one of ${known.join(', ')} (see \`migscaffold list\`)`),
  unknownTarget: (t: string, known: string[]) =>
    new UsageError(`unknown target "${t}": use --target ${known.join('|')}`),
  missingAnswers: (flags: string[]) =>
    new UsageError(
      `missing ${flags.map((f) => `--${f}`).join(', ')}: pass ${flags.length > 1 ? 'them' : 'it'} as flags ` +
        '(no prompts without a terminal, in CI or with --yes)',
    ),
  badFlag: (message: string) => new UsageError(message),
  invalid: (field: string, value: string, why: string) =>
    new UsageError(`invalid --${field} ${JSON.stringify(value)}: ${why}`),
  notNullNeedsValue: () =>
    new UsageError(
      'add-column --not-null needs a value for existing rows: give --default <constant> or --backfill <SQL expression>',
    ),
  conflict: (paths: string[]) =>
    new RefusedError(
      `refusing to overwrite ${paths.length} existing file${paths.length > 1 ? 's' : ''} (${paths.join(', ')}): ` +
        'pass --force to replace, or choose another --timestamp / --out',
    ),
  outsideProject: (path: string) =>
    new RefusedError(`refusing to write ${path}: it is outside the project directory`),
  outDirMissing: (dir: string) =>
    new UsageError(`--out ${dir} does not exist: create it or point --out at your project root`),
  outDirNotWritable: (dir: string, code: string) =>
    new RefusedError(`cannot write in ${dir} (${code}): check its permissions or choose another --out`),
  prismaSchemaConflict: (one: string, other: string) =>
    new RefusedError(
      `cannot tell which Prisma schema is yours: ${one}, and ${other}; make them agree (or remove the stale one), ` +
        'or set "paths": {"prismaSchema": ...} in migscaffold.config.json',
    ),
  prismaSchemaMissing: (source: string, path: string | null) =>
    new RefusedError(
      path === null
        ? `${source} exists but names no schema, and there is none at schema.prisma, prisma/schema.prisma or prisma/schema/: set "schema" in ${source}`
        : `${source} names the Prisma schema "${path}", which does not exist: fix the path`,
    ),
  prismaConfigUnreadable: (source: string, key: string) =>
    new UsageError(
      `cannot read "${key}" in ${source} (not a plain string): set "paths": {"prismaSchema": ..., "prismaMigrations": ...} in migscaffold.config.json`,
    ),
  writeFailed: (path: string, code: string) =>
    new RefusedError(`writing ${path} failed (${code}); nothing from this run was kept`),
} as const;

export function exitCodeOf(err: unknown): number {
  if (err instanceof UsageError || err instanceof RefusedError) return err.exitCode;
  return 1;
}
