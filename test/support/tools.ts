/**
 * Runners for the real migration tools, used by the integration tests.
 *
 * Every runner returns {code, stdout, stderr} and, by default, throws a ToolError carrying the tool's
 * output when it fails; pass `{ check: false }` to get the failing result back instead.
 * Child processes get no stdin, a timeout (the whole process group is SIGKILLed on expiry) and a clean
 * environment: PATH=/usr/bin:/bin:/usr/sbin:/sbin (+ node's dir last), HOME/TMPDIR=os.tmpdir(),
 * LANG=C.UTF-8, TZ=UTC, DATABASE_URL when a URL is given, plus whatever `env` adds. Nothing else
 * leaks from the runner's environment (no PYTHONPATH/PYTHONHOME, no pyenv shims, no RUBYOPT...).
 *
 * How each tool really sends SQL, and how we reproduce it:
 *   Alembic 1.8.1     the real /usr/bin/alembic (Debian, /usr/bin/python3 + SQLAlchemy 1.4 + psycopg2)
 *   ActiveRecord 6.1  the real migrator, via test/support/ar_migrate.rb (MigrationContext)
 *   Prisma            the engine sends each migration.sql as ONE simple query, no explicit transaction,
 *                     and records it in _prisma_migrations: prismaApply does the same with `pg`.
 *   golang-migrate    one Exec of the whole file (one simple query): sqlApplyFile.
 *   dbmate 2.36       the real binary from the `@dbmate/linux-x64` npm package.
 *   psql              /usr/lib/postgresql/15/bin/psql -X -v ON_ERROR_STOP=1 -f (autocommit, statement by
 *                     statement: it accepts files Prisma/golang-migrate would reject).
 */
import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { constants as osConstants, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { withClient } from './pg.js';

/** Repository root (this file is test/support/tools.ts). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(REPO_ROOT, 'node_modules', '.bin');

export const SYSTEM_PYTHON = '/usr/bin/python3';
export const ALEMBIC_BIN = '/usr/bin/alembic';
export const RUBY_BIN = existsSync('/usr/bin/ruby') ? '/usr/bin/ruby' : 'ruby';
export const PSQL_BIN = existsSync('/usr/lib/postgresql/15/bin/psql') ? '/usr/lib/postgresql/15/bin/psql' : '/usr/bin/psql';
export const AR_MIGRATE_RB = join(REPO_ROOT, 'test', 'support', 'ar_migrate.rb');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Working directory (default: depends on the runner, else the repo root). */
  cwd?: string;
  /** Extra environment variables, added to the clean environment. */
  env?: Record<string, string>;
  /** Kill the process group after this many ms (default 60 000). */
  timeoutMs?: number;
  /** Throw a ToolError on non-zero exit (default true). */
  check?: boolean;
}

export class ToolError extends Error {
  constructor(
    readonly command: string,
    readonly code: number,
    readonly stdout: string,
    readonly stderr: string,
    note = '',
  ) {
    super(`${command} failed (exit ${code})${note ? `: ${note}` : ''}\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`);
    this.name = 'ToolError';
  }
}

/** The clean environment every child gets. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const nodeDir = dirname(process.execPath);
  const path = ['/usr/bin', '/bin', '/usr/sbin', '/sbin'];
  if (!path.includes(nodeDir)) path.push(nodeDir);
  const env: Record<string, string> = {
    PATH: path.join(':'),
    HOME: tmpdir(),
    TMPDIR: tmpdir(),
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    TZ: 'UTC',
  };
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

/** Process groups of running children, SIGKILLed if this process exits before they finish. */
const liveGroups = new Set<number>();
let exitHookInstalled = false;
function trackGroup(pid: number): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const g of liveGroups) {
        try {
          process.kill(-g, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    });
  }
  liveGroups.add(pid);
}

/**
 * Spawns cmd with stdin ignored, a clean env and a timeout; resolves with {code, stdout, stderr}.
 * A timed-out or signalled child counts as a failure (code 124 / 128+n).
 */
export function runCommand(cmd: string, args: string[], opts: RunOptions & { databaseUrl?: string } = {}): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const display = [cmd, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
  return new Promise<RunResult>((resolvePromise, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd ?? REPO_ROOT,
      env: cleanEnv({ DATABASE_URL: opts.databaseUrl, ...opts.env }),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // own process group, so a timeout kills grandchildren too
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    if (child.pid) trackGroup(child.pid);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      if (child.pid) liveGroups.delete(child.pid);
      reject(new ToolError(display, 127, stdout, `${stderr}${err.message}`, 'could not start'));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (child.pid) liveGroups.delete(child.pid);
      const exit = timedOut ? 124 : code ?? 128 + (signal ? signalNumber(signal) : 0);
      const result: RunResult = { code: exit, stdout, stderr };
      if (exit !== 0 && opts.check !== false) {
        reject(new ToolError(display, exit, stdout, stderr, timedOut ? `timed out after ${timeoutMs} ms` : signal ? `killed by ${signal}` : ''));
      } else {
        resolvePromise(result);
      }
    });
  });
}

function signalNumber(signal: NodeJS.Signals): number {
  return (osConstants.signals as Record<string, number>)[signal] ?? 0;
}

// ---------------------------------------------------------------------------------------------
// Alembic

export interface AlembicProject {
  dir: string;
  ini: string;
  scriptLocation: string;
  versionsDir: string;
}

const ALEMBIC_INI = `# Minimal Alembic project written by test/support/tools.ts (makeAlembicProject).
[alembic]
script_location = migrations
prepend_sys_path = .
# The URL comes from the DATABASE_URL environment variable (see migrations/env.py).
sqlalchemy.url =

[loggers]
keys = root,sqlalchemy,alembic

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARN
handlers = console
qualname =

[logger_sqlalchemy]
level = WARN
handlers =
qualname = sqlalchemy.engine

[logger_alembic]
level = INFO
handlers =
qualname = alembic

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[formatter_generic]
format = %(levelname)-5.5s [%(name)s] %(message)s
datefmt = %H:%M:%S
`;

const ALEMBIC_ENV_PY = `"""Alembic environment for integration tests: URL from DATABASE_URL, one transaction per migration."""
import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine, pool

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name)

target_metadata = None


def database_url() -> str:
    url = os.environ.get("DATABASE_URL") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("DATABASE_URL is not set")
    # SQLAlchemy 1.4 no longer accepts the postgres:// alias.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    return url


def run_migrations_offline() -> None:
    context.configure(
        url=database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = create_engine(database_url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            transaction_per_migration=True,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
`;

const ALEMBIC_SCRIPT_MAKO = `"""\${message}

Revision ID: \${up_revision}
Revises: \${down_revision | comma,n}
Create Date: \${create_date}

"""
from alembic import op
import sqlalchemy as sa
\${imports if imports else ""}

# revision identifiers, used by Alembic.
revision = \${repr(up_revision)}
down_revision = \${repr(down_revision)}
branch_labels = \${repr(branch_labels)}
depends_on = \${repr(depends_on)}


def upgrade() -> None:
    \${upgrades if upgrades else "pass"}


def downgrade() -> None:
    \${downgrades if downgrades else "pass"}
`;

/**
 * Writes a minimal Alembic project into dir: alembic.ini (script_location = migrations),
 * migrations/env.py (DATABASE_URL, transaction_per_migration=True), migrations/script.py.mako,
 * migrations/versions/.
 */
export async function makeAlembicProject(dir: string): Promise<AlembicProject> {
  const scriptLocation = join(dir, 'migrations');
  const versionsDir = join(scriptLocation, 'versions');
  await mkdir(versionsDir, { recursive: true });
  const ini = join(dir, 'alembic.ini');
  await writeFile(ini, ALEMBIC_INI);
  await writeFile(join(scriptLocation, 'env.py'), ALEMBIC_ENV_PY);
  await writeFile(join(scriptLocation, 'script.py.mako'), ALEMBIC_SCRIPT_MAKO);
  await writeFile(join(scriptLocation, 'README'), 'Alembic migrations (integration-test project).\n');
  return { dir, ini, scriptLocation, versionsDir };
}

const PYTHON_ENV = { PYTHONDONTWRITEBYTECODE: '1', PYTHONNOUSERSITE: '1', PYTHONUNBUFFERED: '1' };

/**
 * Runs the real `/usr/bin/alembic -c <dir>/alembic.ini <args>` with cwd=dir and DATABASE_URL=url,
 * e.g. alembic(dir, ['upgrade', 'head'], url), alembic(dir, ['downgrade', '-1'], url),
 * alembic(dir, ['heads'], url). Alembic logs (Running upgrade ...) go to stderr.
 */
export function alembic(dir: string, args: string[], url: string, opts: RunOptions = {}): Promise<RunResult> {
  return runCommand(SYSTEM_PYTHON, [ALEMBIC_BIN, '-c', join(dir, 'alembic.ini'), ...args], {
    cwd: dir,
    ...opts,
    databaseUrl: url,
    env: { ...PYTHON_ENV, ...opts.env },
  });
}

// ---------------------------------------------------------------------------------------------
// Rails / ActiveRecord

/**
 * Runs `ruby test/support/ar_migrate.rb <migrations dir> <args>` with DATABASE_URL=url.
 * dir may be the migrations directory itself or a project root containing db/migrate.
 * args: ['migrate'], ['migrate', VERSION], ['rollback', '1'], ['up', V], ['down', V], ['versions'], ['status'].
 * Set opts.env = { AR_LOG: '1' } to get every SQL statement on stderr.
 */
export function rails(dir: string, args: string[], url: string, opts: RunOptions = {}): Promise<RunResult> {
  const migrations = existsSync(join(dir, 'db', 'migrate')) ? join(dir, 'db', 'migrate') : dir;
  // Every migration runs under our encoding of strong_migrations' rules (test/support/strong_migrations_rules.rb).
  return runCommand(RUBY_BIN, [AR_MIGRATE_RB, migrations, ...args], { cwd: dir, ...opts, databaseUrl: url, env: { STRONG_MIGRATIONS_RULES: '1', ...opts.env } });
}

// ---------------------------------------------------------------------------------------------
// Prisma

/** Prisma's own DDL for its migrations table (PostgreSQL flavour of the schema engine). */
export const PRISMA_MIGRATIONS_DDL = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

/** Prisma Migrate's advisory lock key. */
const PRISMA_ADVISORY_LOCK = 72707369;

export interface PrismaApplyResult extends RunResult {
  migrationName: string;
  checksum: string;
  /** Row id in _prisma_migrations ('' when skipped). */
  id: string;
  /** true when the migration was already applied (and not rolled back): `migrate deploy` skips it. */
  skipped: boolean;
}

export interface PrismaRollbackResult extends RunResult {
  migrationName: string;
  /**
   * What the real `prisma migrate resolve --rolled-back <name>` would have said after down.sql:
   * 'ok' for a failed migration; 'P3012' ("cannot be rolled back because it is not in a failed state")
   * for a successfully applied one; 'P3011' ("never applied") when there is no row.
   */
  realResolve: 'ok' | 'P3012' | 'P3011';
}

function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function pgErrorText(err: unknown): string {
  const e = err as { message?: string; code?: string; position?: string; detail?: string; hint?: string; where?: string };
  return [
    `${e.code ? `${e.code}: ` : ''}${e.message ?? String(err)}`,
    e.detail && `DETAIL: ${e.detail}`,
    e.hint && `HINT: ${e.hint}`,
    e.where && `CONTEXT: ${e.where}`,
    e.position && `POSITION: ${e.position}`,
  ]
    .filter(Boolean)
    .join('\n');
}

/**
 * Sends `text` as ONE simple query (no parameters => pg uses the simple query protocol), in no
 * explicit transaction: PostgreSQL runs a multi-statement string as one implicit transaction, exactly
 * as it does for the Prisma engine, `prisma db execute` and golang-migrate. NOTICEs go to stdout.
 */
async function simpleQuery(client: pg.Client, text: string, label: string, check: boolean): Promise<RunResult> {
  const notices: string[] = [];
  const onNotice = (n: { severity?: string; message?: string }): void => {
    notices.push(`${n.severity ?? 'NOTICE'}: ${n.message ?? ''}`);
  };
  client.on('notice', onNotice);
  try {
    await client.query(text);
    return { code: 0, stdout: notices.join('\n'), stderr: '' };
  } catch (err) {
    const stderr = pgErrorText(err);
    if (check) throw new ToolError(label, 1, notices.join('\n'), stderr);
    return { code: 1, stdout: notices.join('\n'), stderr };
  } finally {
    client.off('notice', onNotice);
  }
}

/**
 * Applies `<migrationDir>/migration.sql` the way `prisma migrate deploy` does: under Prisma's advisory
 * lock, creates _prisma_migrations if missing, refuses if an earlier migration failed (P3009), skips a
 * migration already applied, inserts the row (started_at, checksum = sha256 of the file bytes), sends
 * the whole file as one simple query, then sets finished_at/applied_steps_count=1 or, on failure, logs.
 * The migration name is the directory's basename.
 */
export async function prismaApply(url: string, migrationDir: string, opts: Pick<RunOptions, 'check'> = {}): Promise<PrismaApplyResult> {
  const check = opts.check !== false;
  const migrationName = basename(resolve(migrationDir));
  const file = join(migrationDir, 'migration.sql');
  const bytes = await readFile(file);
  const checksum = sha256Hex(bytes);
  const label = `prisma migrate deploy (${migrationName}/migration.sql as one simple query)`;
  return withClient(url, async (client) => {
    await client.query('SELECT pg_advisory_lock($1)', [PRISMA_ADVISORY_LOCK]);
    try {
      await client.query(PRISMA_MIGRATIONS_DDL);
      const failed = await client.query<{ migration_name: string }>(
        'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NULL AND rolled_back_at IS NULL',
      );
      if (failed.rows.length > 0) {
        const names = failed.rows.map((r) => r.migration_name).join(', ');
        const msg = `P3009: migrate found failed migrations in the target database: ${names}`;
        if (check) throw new ToolError(label, 1, '', msg);
        return { code: 1, stdout: '', stderr: msg, migrationName, checksum, id: '', skipped: false };
      }
      const applied = await client.query<{ checksum: string }>(
        'SELECT checksum FROM _prisma_migrations WHERE migration_name = $1 AND finished_at IS NOT NULL AND rolled_back_at IS NULL',
        [migrationName],
      );
      if (applied.rows.length > 0) {
        const modified = applied.rows[0].checksum !== checksum;
        return {
          code: 0,
          stdout: '',
          stderr: modified ? `warning: migration ${migrationName} was modified after it was applied (checksum differs)` : '',
          migrationName,
          checksum,
          id: '',
          skipped: true,
        };
      }
      const id = randomUUID();
      await client.query(
        'INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, now(), 0)',
        [id, checksum, migrationName],
      );
      const result = await simpleQuery(client, bytes.toString('utf8'), label, false);
      if (result.code === 0) {
        await client.query(
          'UPDATE _prisma_migrations SET finished_at = now(), applied_steps_count = applied_steps_count + 1 WHERE id = $1',
          [id],
        );
      } else {
        await client.query('UPDATE _prisma_migrations SET logs = $2 WHERE id = $1', [id, result.stderr]);
        if (check) throw new ToolError(label, 1, result.stdout, result.stderr);
      }
      return { ...result, migrationName, checksum, id, skipped: false };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [PRISMA_ADVISORY_LOCK]).catch(() => {});
    }
  });
}

/**
 * Mimics `prisma db execute --file <migrationDir>/down.sql` (the whole file as one simple query) followed
 * by `prisma migrate resolve --rolled-back <name>` (sets rolled_back_at on the migration's row).
 *
 * CAUTION: the real `migrate resolve --rolled-back` only accepts a FAILED migration; for a successfully
 * applied one it errors with P3012 ("cannot be rolled back because it is not in a failed state"). By
 * default we mark the row anyway (so tests can re-apply) and report what Prisma would have said in
 * `realResolve`; with `{ strict: true }` we throw like Prisma does (after down.sql has run, as in reality).
 */
export async function prismaRollback(
  url: string,
  migrationDir: string,
  opts: Pick<RunOptions, 'check'> & { strict?: boolean } = {},
): Promise<PrismaRollbackResult> {
  const check = opts.check !== false;
  const migrationName = basename(resolve(migrationDir));
  const text = await readFile(join(migrationDir, 'down.sql'), 'utf8');
  return withClient(url, async (client) => {
    const table = await client.query<{ t: string | null }>(`SELECT to_regclass('_prisma_migrations')::text AS t`);
    const rows = table.rows[0].t
      ? (
          await client.query<{ id: string; finished: boolean }>(
            `SELECT id, finished_at IS NOT NULL AS finished FROM _prisma_migrations
              WHERE migration_name = $1 AND rolled_back_at IS NULL ORDER BY started_at DESC`,
            [migrationName],
          )
        ).rows
      : [];
    const realResolve: PrismaRollbackResult['realResolve'] = rows.length === 0 ? 'P3011' : rows[0].finished ? 'P3012' : 'ok';
    const exec = await simpleQuery(client, text, `prisma db execute --file ${migrationName}/down.sql`, check);
    if (exec.code !== 0) return { ...exec, migrationName, realResolve };
    const msg =
      realResolve === 'P3011'
        ? `P3011: Migration ${migrationName} cannot be rolled back because it was never applied to the database.`
        : realResolve === 'P3012'
          ? `P3012: Migration ${migrationName} cannot be rolled back because it is not in a failed state.`
          : '';
    if (realResolve === 'P3011' || (realResolve === 'P3012' && opts.strict)) {
      if (check) throw new ToolError(`prisma migrate resolve --rolled-back ${migrationName}`, 1, exec.stdout, msg);
      return { code: 1, stdout: exec.stdout, stderr: msg, migrationName, realResolve };
    }
    await client.query('UPDATE _prisma_migrations SET rolled_back_at = now() WHERE id = $1', [rows[0].id]);
    return { code: 0, stdout: exec.stdout, stderr: msg ? `warning (real Prisma would fail): ${msg}` : '', migrationName, realResolve };
  });
}

/**
 * Runs the real Prisma 7.10.1 CLI offline: `prisma validate --schema <schemaPath>`.
 *
 * Offline requirements found here (prisma 7.10.1):
 *  - PRISMA_SCHEMA_ENGINE_BINARY must name an existing file (we use /bin/false) and CHECKPOINT_DISABLE=1,
 *    or the CLI tries to download the schema engine and fails (ENOTFOUND binaries.prisma.sh).
 *  - A valid Prisma 7 schema needs no prisma.config.ts and no generator; the minimum is
 *      datasource db { provider = "postgresql" }  + models.
 *    `url = env("DATABASE_URL")` in the datasource is now an ERROR (P1012 "The datasource property `url`
 *    is no longer supported in schema files"): URLs live in prisma.config.ts (`datasource.url`).
 *  - A prisma.config.ts in the cwd (or given by opts.config) is loaded first; it must be able to
 *    `import ... from 'prisma/config'` (a temp project needs node_modules linked to the repo's), and
 *    `env('DATABASE_URL')` in it throws PrismaConfigEnvError when the variable is unset (pass opts.env).
 * We run with cwd = the schema's directory unless opts.cwd is given.
 */
export function prismaValidate(schemaPath: string, opts: RunOptions & { config?: string } = {}): Promise<RunResult> {
  const args = [join(BIN, 'prisma'), 'validate', '--schema', resolve(schemaPath)];
  if (opts.config) args.push('--config', resolve(opts.config));
  return runCommand(process.execPath, args, {
    cwd: dirname(resolve(schemaPath)),
    ...opts,
    env: { PRISMA_SCHEMA_ENGINE_BINARY: '/bin/false', CHECKPOINT_DISABLE: '1', PRISMA_HIDE_UPDATE_MESSAGE: '1', ...opts.env },
  });
}

// ---------------------------------------------------------------------------------------------
// Plain SQL

/** golang-migrate style: sends the whole file as one simple query (one implicit transaction). */
export async function sqlApplyFile(url: string, file: string, opts: Pick<RunOptions, 'check'> = {}): Promise<RunResult> {
  const text = await readFile(file, 'utf8');
  return withClient(url, (client) => simpleQuery(client, text, `golang-migrate style apply of ${basename(file)}`, opts.check !== false));
}

/** The real dbmate binary, from its platform package (a dev dependency: the registry here has no other platforms). */
function dbmateBinary(): string {
  return join(REPO_ROOT, 'node_modules', '@dbmate', `${process.platform}-${process.arch}`, 'bin', 'dbmate');
}

/** Adds sslmode=disable unless the URL sets it: dbmate's driver otherwise tries SSL first/only. */
function withSslDisabled(url: string): string {
  return /[?&]sslmode=/.test(url) ? url : `${url}${url.includes('?') ? '&' : '?'}sslmode=disable`;
}

/**
 * Runs dbmate 2.36: `dbmate --url <url> --migrations-dir <dir> --no-dump-schema <args>` (global flags
 * must precede the command), e.g. dbmate(dir, ['up'], url), dbmate(dir, ['rollback'], url),
 * dbmate(dir, ['status'], url). dir may be the migrations dir or a project root holding db/migrations.
 * The native binary from @dbmate/<platform> is run directly: the npm wrapper (node_modules/.bin/dbmate)
 * exits 0 when the binary dies from a signal.
 */
export function dbmate(dir: string, args: string[], url: string, opts: RunOptions = {}): Promise<RunResult> {
  const migrations = existsSync(join(dir, 'db', 'migrations')) && statSync(join(dir, 'db', 'migrations')).isDirectory() ? join(dir, 'db', 'migrations') : dir;
  const u = withSslDisabled(url);
  return runCommand(dbmateBinary(), ['--url', u, '--migrations-dir', migrations, '--no-dump-schema', ...args], {
    cwd: dir,
    ...opts,
    databaseUrl: u,
  });
}

// ---------------------------------------------------------------------------------------------
// Generic runners

/** psql -X -v ON_ERROR_STOP=1 -f file (autocommit, statement by statement); vars become -v name=value. */
export function runPsql(url: string, file: string, vars: Record<string, string> = {}, opts: RunOptions = {}): Promise<RunResult> {
  const args = ['-X', '-v', 'ON_ERROR_STOP=1'];
  for (const [k, v] of Object.entries(vars)) args.push('-v', `${k}=${v}`);
  args.push('-d', url, '-f', resolve(file));
  return runCommand(PSQL_BIN, args, { ...opts, databaseUrl: url, env: { PGCONNECT_TIMEOUT: '15', ...opts.env } });
}

/** /usr/bin/python3 file args (the Debian interpreter that has alembic, SQLAlchemy 1.4, psycopg2). */
export function runPython(file: string, args: string[] = [], env: Record<string, string> = {}, opts: RunOptions = {}): Promise<RunResult> {
  return runCommand(SYSTEM_PYTHON, [resolve(file), ...args], { ...opts, env: { ...PYTHON_ENV, ...env, ...opts.env } });
}

/** ruby file args (Debian Ruby 3.1 with ActiveRecord 6.1 and pg). */
export function runRuby(file: string, args: string[] = [], env: Record<string, string> = {}, opts: RunOptions = {}): Promise<RunResult> {
  return runCommand(RUBY_BIN, [resolve(file), ...args], { ...opts, env: { ...env, ...opts.env } });
}

/**
 * node_modules/.bin/tsx file args (run with this Node). cwd defaults to the repo root.
 * Note: a `.ts` file outside a `"type": "module"` package (e.g. in a temp dir) is compiled as CommonJS,
 * so top-level await fails there; use `.mts` or drop a package.json with {"type":"module"} beside it.
 */
export function runTs(file: string, args: string[] = [], env: Record<string, string> = {}, opts: RunOptions = {}): Promise<RunResult> {
  return runCommand(process.execPath, [join(BIN, 'tsx'), resolve(file), ...args], { ...opts, env: { ...env, ...opts.env } });
}
