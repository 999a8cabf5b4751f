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

function invalid(field: string, value: string, why: string): UsageError {
  return new UsageError(`invalid --${field} ${JSON.stringify(value)}: ${why}`);
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
  unexpectedArgument: (arg: string, command: string) =>
    new UsageError(`unexpected argument "${arg}": values go after their flag (--table users); see migscaffold ${command} --help`),
  notAnOption: (flag: string, command: string) => new UsageError(`--${flag} is not an option of ${command}: see migscaffold ${command} --help`),
  severalProjects: (found: string[]) => new UsageError(`this directory looks like several projects (${found.join('; ')}): pass --target`),
  unknownDownRevision: (rev: string, where: string[], heads: string[]) =>
    new RefusedError(`--down-revision ${rev} is not a revision in ${where.join(', ')}: use one of ${heads.join(', ') || '(none)'}`),
  severalAlembicHeads: (heads: string[]) =>
    new RefusedError(`the Alembic project has ${heads.length} heads (${heads.join(', ')}): merge them (alembic merge heads) or pass --down-revision <rev>`),
  notPostgresPrisma: (lockFile: string, provider: string) =>
    new RefusedError(`${lockFile} says provider "${provider}": migscaffold writes PostgreSQL migrations only`),
  configNotJson: (file: string, why: string) => new UsageError(`${file} is not valid JSON (${why}): fix it or remove it`),
  configNotObject: (source: string) => new UsageError(`${source} must be an object of settings`),
  configUnknownKey: (source: string, key: string, known: string[]) =>
    new UsageError(`${source}: unknown setting "${key}" (known: ${known.join(', ')})`),
  rehearseNeedsPg: () => new UsageError('rehearse needs the `pg` package (PostgreSQL client for Node): npm install pg'),
  rehearseCompositeKey: (key: string) =>
    invalid('key', key, 'rehearse seeds and drives its table by a one-column key: give one column, or leave --key out for id'),
  rehearsePartitionsOnPlainTable: (table: string, n: number) =>
    new UsageError(
      `--partitions ${n} seeds a new partitioned table, but ${table} exists and is not partitioned: drop it, or rehearse on another table or database`,
    ),
  rehearseReplicaWithUrl: () =>
    new UsageError('--replica starts a throwaway primary and its streaming standby: leave out --database-url (rehearse does not replicate a server it did not start)'),
  rehearseNoStandby: () =>
    new UsageError('--replica: no standby is streaming from the rehearsal database, or this role may not read pg_stat_replication (grant it pg_read_all_stats)'),
  rehearseMissingColumn: (column: string, table: string, flag: string) =>
    new UsageError(`column ${column} does not exist in ${table}: check --${flag}, or let rehearse seed a fresh table`),
  badSqlStyle: (v: string) => invalid('sql-style', v, 'use golang-migrate, dbmate or flyway'),
  badRailsVersion: (v: string) => invalid('rails-version', v, 'use MAJOR.MINOR, for example 7.1'),
  badRevId: (v: string) => invalid('rev-id', v, 'use 12 lower-case hex characters, as Alembic does'),
  badTimestamp: (v: string) => invalid('timestamp', v, 'use YYYYMMDDHHMMSS in UTC, for example 20260115093000'),
  badWholeNumber: (flag: string, v: string, min: number) => invalid(flag, v, `expected a whole number >= ${min}`),
  badLockTimeout: (v: string) => invalid('lock-timeout', v, 'use a positive duration such as 500ms, 1s or 2s'),
  tooManyClients: (n: number) => invalid('clients', String(n), 'at most 64'),
  invalid,
  notNullNeedsValue: () =>
    new UsageError(
      'add-column --not-null needs a value for existing rows: give --default <constant> or --backfill <SQL expression>',
    ),
  indexDefinitionMissing: (name: string, declaredIn: string | null) =>
    new UsageError(
      `drop-index rebuilds ${name} in its down and needs its definition: give --columns a,b (with --unique, --where and --using as it was created)` +
        (declaredIn ? `; ${declaredIn} does not declare it` : ', or declare it in db/schema.rb (--target rails) or schema.prisma (--target prisma)'),
    ),
  indexDefinitionPartial: () =>
    new UsageError('--unique, --where and --using describe the index together with --columns: give --columns too, or none of them to take the definition from db/schema.rb or schema.prisma'),
  indexNotColumns: (name: string, source: string) =>
    new UsageError(
      `${source} declares ${name} with more than plain columns (an expression, operator class, sort order or INCLUDE), which drop-index cannot rebuild in its down: write that migration by hand`,
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
  duplicateRailsClass: (name: string) =>
    new RefusedError(`db/migrate already has a migration class ${name}: Rails needs unique class names; remove or rename the old one first`),
  declaredSchema: (why: string, source: string) => new RefusedError(`${why} (per ${source})`),
  badPlanFile: (path: string, why: string) =>
    new UsageError(`${path} is ${why.startsWith('not') ? '' : 'broken: '}${why}: restore it from version control, or generate the plan again`),
  noPlanInProgress: (dir: string) =>
    new UsageError(`no plan in progress in ${dir}/: generate one first (migscaffold <operation> ...), or name the plan file`),
  severalPlans: (paths: string[]) =>
    new UsageError(`several plans are in progress (${paths.join(', ')}): name one, as in migscaffold next ${paths[0]}`),
  planFileMissing: (path: string) => new UsageError(`no plan file at ${path}: check the path (plans live in migscaffold/*.plan.json)`),
  phaseNotFinished: (phase: string, sql: string, got: string, expect: string, hint: string) =>
    new RefusedError(`"${phase}" is not finished: ${sql} returned ${got} (expected ${expect}); ${hint}`),
  awaitingDeploy: (phase: string, planPath: string) =>
    new RefusedError(
      `"${phase}" is a code deploy, which no query can prove: ship it (see the checklist), wait until every instance runs it, ` +
        `then run migscaffold next ${planPath} --deployed`,
    ),
  uncheckedWithoutDatabase: (what: string[]) =>
    new UsageError(
      `cannot check ${what.join('; ')} without a database: pass --database-url <url> or set DATABASE_URL, or pass --yes to go on unchecked`,
    ),
  dumpUnreadable: (path: string, why: string) =>
    new RefusedError(
      `${path} is not a PostgreSQL schema dump migscaffold can read (${why}): fix it (pg_dump --schema-only writes one), ` +
        'or pass --database-url <url> to read the columns from the database instead',
    ),
  databaseUnreachable: (url: string, why: string) =>
    new RefusedError(`cannot query the database at ${url} (${why}): check --database-url or DATABASE_URL`),
  copyConstraintIndex: (what: string, constraint: string, kind: string) =>
    new RefusedError(
      `${what} is part of the ${kind} constraint ${constraint}, which this operation does not copy: ` +
        'drop or replace that constraint first (or ask for the copy: only plain indexes, CHECK and FOREIGN KEY constraints are copied today)',
    ),
  copyInvalidIndex: (what: string, index: string) =>
    new RefusedError(`${what} has the INVALID index ${index} (a failed concurrent build): DROP INDEX CONCURRENTLY it, or build it again, then generate again`),
  copyReferenced: (what: string, refs: string[]) =>
    new RefusedError(`${what} is referenced by foreign keys of other tables (${refs.join(', ')}): this operation cannot move them; drop or re-point them first`),
  /** A refusal of PARTITIONED_REFUSALS said at generation (the database showed the table partitioned). */
  partitionedRefused: (refusal: string) => new RefusedError(refusal.replace(/^migscaffold: /, '')),
  prismaRelationTypes: (field: string, type: string, partners: string[]) =>
    new RefusedError(
      `${field} is in a relation with ${partners.join(', ')}, and Prisma requires both sides of a relation to have the same type, ` +
        `so schema.prisma cannot describe ${field} as ${type} while ${partners.length > 1 ? 'they keep theirs' : 'it keeps its own'}; this plan changes one column: ` +
        'nothing was written. Change both in one migration of your own at a quiet time (each ALTER COLUMN ... TYPE rewrites its table), or generate with --target sql and edit schema.prisma once both have changed',
    ),
  referencingNarrower: (what: string, type: string, refs: { table: string; column: string; type: string }[]) =>
    new RefusedError(
      `${refs.map((r) => `${r.table}.${r.column} (${r.type})`).join(', ')} reference${refs.length > 1 ? '' : 's'} ${what} and cannot hold every ${type} value: ` +
        `change ${refs.length > 1 ? 'them' : 'it'} first (${refs.map((r) => `migscaffold change-column-type --table ${r.table} --column ${r.column} --type ${type}`).join('; ')}), then generate this plan again`,
    ),
  changeTypeSameType: (what: string, type: string) => new UsageError(`${what} is already of type ${type}: nothing to change (check --type)`),
  introspectNoTable: (table: string, source: string) =>
    new UsageError(`table ${table} does not exist in the database at ${source}: check --table, or the search_path of that connection`),
  introspectNoColumn: (table: string, column: string, source: string) =>
    new UsageError(`${table} has no column ${column} in the database at ${source}: check the column flags`),
  declinedUnchecked: () => new RefusedError('stopped: nothing was checked and nothing was written'),
  partitionIndexNameTooLong: (partition: string, name: string, max: number) =>
    new UsageError(
      `--partitions ${partition}: its index would be named ${name}, longer than PostgreSQL's ${max} bytes: choose a shorter --name`,
    ),
} as const;

/**
 * Reasons an operation's `declared` hook gives for refusing against db/schema.rb or schema.prisma
 * (errors.declaredSchema puts the table in front and the file behind).
 */
export const REFUSALS = {
  indexBacksPrimaryKey: (name: string) =>
    `${name} backs the primary key: DROP INDEX cannot remove it (PostgreSQL refuses); a primary key is replaced, not dropped ` +
    '(build the new unique index, then DROP CONSTRAINT and ADD PRIMARY KEY USING INDEX in one short transaction)',
  indexBacksUniqueConstraint: (name: string, table: string) =>
    `${name} backs the unique constraint ${name}: DROP INDEX cannot remove it (PostgreSQL refuses); drop the constraint instead ` +
    `(ALTER TABLE ${table} DROP CONSTRAINT ${name} drops its index with it), once the code stops relying on it`,
  nameTaken: (name: string) => `${name} already exists (an index or constraint of that name): choose another --name`,
} as const;

export function exitCodeOf(err: unknown): number {
  if (err instanceof UsageError || err instanceof RefusedError) return err.exitCode;
  return 1;
}
