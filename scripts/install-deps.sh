#!/usr/bin/env bash
# Installs the Debian packages the integration tests need, only when something is missing.
# Idempotent and quiet when everything is already there; loud and non-zero when an install fails.
#   - PostgreSQL 15 server binaries      (postgresql-15)
#   - Alembic 1.8 for /usr/bin/python3    (python3-alembic python3-psycopg2 alembic)
#   - ActiveRecord 6.1 + pg for Ruby      (ruby-activerecord ruby-pg)
#   - PgBouncer, for backfills through a transaction-mode pooler (pgbouncer)
#   - the linters users run on generated files in CI: black 23.1 and pyflakes 2.5 for
#     /usr/bin/python3, rubocop 1.39        (black pyflakes3 rubocop)
# Note: the python3 first on PATH may be another interpreter (pyenv); the checks use /usr/bin/python3.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive

log() { printf 'install-deps: %s\n' "$*" >&2; }
die() { printf 'install-deps: ERROR: %s\n' "$*" >&2; exit 1; }

have_postgres() { [ -x /usr/lib/postgresql/15/bin/initdb ] && [ -x /usr/lib/postgresql/15/bin/pg_ctl ]; }
have_alembic() {
  [ -x /usr/bin/python3 ] && [ -x /usr/bin/alembic ] &&
    env -u PYTHONPATH -u PYTHONHOME /usr/bin/python3 -c 'import alembic, psycopg2' >/dev/null 2>&1
}
have_activerecord() {
  command -v ruby >/dev/null 2>&1 &&
    ruby -e 'require "active_record"; require "pg"' >/dev/null 2>&1
}
have_pgbouncer() { [ -x /usr/sbin/pgbouncer ]; }
# Presence only: starting rubocop to ask its version costs over a second on every test run.
have_linters() { [ -x /usr/bin/black ] && [ -x /usr/bin/pyflakes3 ] && [ -x /usr/bin/rubocop ]; }

missing=()
have_postgres || missing+=(postgresql-15)
have_alembic || missing+=(python3-alembic python3-psycopg2 alembic)
have_activerecord || missing+=(ruby-activerecord ruby-pg)
have_pgbouncer || missing+=(pgbouncer)
have_linters || missing+=(black pyflakes3 rubocop)

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

[ "$(id -u)" -eq 0 ] || die "missing packages (${missing[*]}) and not running as root; install them with: apt-get install -y ${missing[*]}"
command -v apt-get >/dev/null 2>&1 || die "missing packages (${missing[*]}) and apt-get is not available"

log "installing missing packages: ${missing[*]}"
if ! apt_out=$(apt-get update 2>&1); then
  printf '%s\n' "$apt_out" >&2
  die "apt-get update failed"
fi
if ! apt_out=$(apt-get install -y "${missing[@]}" 2>&1); then
  printf '%s\n' "$apt_out" >&2
  die "apt-get install -y ${missing[*]} failed"
fi

# Verify that what we installed really works.
have_postgres || die "postgresql-15 installed but /usr/lib/postgresql/15/bin/initdb is still missing"
have_alembic || die "alembic installed but '/usr/bin/python3 -c \"import alembic, psycopg2\"' still fails"
have_activerecord || die "ruby-activerecord installed but 'ruby -e \"require \\\"active_record\\\"; require \\\"pg\\\"\"' still fails"
have_pgbouncer || die "pgbouncer installed but /usr/sbin/pgbouncer is still missing"
have_linters || die "black, pyflakes3 and rubocop installed but /usr/bin/black, /usr/bin/pyflakes3 or /usr/bin/rubocop is still missing"
{ /usr/bin/black --version && /usr/bin/pyflakes3 --version && /usr/bin/rubocop --version; } >/dev/null ||
  die "black, pyflakes3 or rubocop is installed but does not start"
log "done"
