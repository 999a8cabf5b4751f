# frozen_string_literal: true
#
# Minimal stand-in for `bin/rails db:migrate` & co., for integration tests: runs the real
# ActiveRecord 6.1 migrator (Debian ruby-activerecord) on a directory of Rails migrations.
#
#   DATABASE_URL=postgresql://... ruby test/support/ar_migrate.rb <migrations dir> <command> [args]
#
# Commands:
#   migrate [VERSION]   migrate up to the latest (or up/down to VERSION), like db:migrate [VERSION=]
#   rollback [N]        roll back the last N (default 1) migrations, like db:rollback STEP=N
#   up VERSION          run one migration up, like db:migrate:up VERSION=
#   down VERSION        run one migration down, like db:migrate:down VERSION=
#   versions            print applied versions, one per line (ascending)
#   status              print "up|down <version> <name>" for every migration, like db:migrate:status
#
# Migrations are db/migrate/<14-digit timestamp>_<snake>.rb with `class X < ActiveRecord::Migration[6.1]`;
# `disable_ddl_transaction!` is honoured exactly as in Rails (the migrator wraps each migration in a
# transaction unless it is disabled).
# Set AR_LOG=1 to log every SQL statement to stderr; STRONG_MIGRATIONS_RULES=1 to run every migration
# under our encoding of strong_migrations' rules (test/support/strong_migrations_rules.rb).

require 'logger'
require 'active_record'

def usage!(msg = nil)
  warn "ar_migrate: #{msg}" if msg
  warn 'usage: ar_migrate.rb <migrations dir> migrate [VERSION] | rollback [N] | up VERSION | down VERSION | versions | status'
  exit 2
end

def version_arg!(arg, cmd)
  usage!("#{cmd} needs a VERSION") if arg.nil?
  usage!("#{cmd}: VERSION must be digits, got #{arg.inspect}") unless arg.match?(/\A\d+\z/)
  arg.to_i
end

dir = ARGV.shift or usage!
cmd = ARGV.shift or usage!
usage!("no such directory: #{dir}") unless File.directory?(dir)
url = ENV['DATABASE_URL']
usage!('DATABASE_URL is not set') if url.nil? || url.empty?

# Our encoding of strong_migrations' PostgreSQL rules (the gem cannot be installed here).
require_relative 'strong_migrations_rules' if ENV['STRONG_MIGRATIONS_RULES'] == '1'
ActiveRecord::Base.logger = Logger.new($stderr) if ENV['AR_LOG'] && !ENV['AR_LOG'].empty?
ActiveRecord::Migration.verbose = true
$stdout.sync = true
ActiveRecord::Base.establish_connection(url)

context = ActiveRecord::MigrationContext.new(File.expand_path(dir), ActiveRecord::SchemaMigration)

begin
  case cmd
  when 'migrate'
    arg = ARGV.shift
    context.migrate(arg.nil? ? nil : version_arg!(arg, cmd))
  when 'rollback'
    arg = ARGV.shift || '1'
    usage!("rollback: N must be a positive integer, got #{arg.inspect}") unless arg.match?(/\A[1-9]\d*\z/)
    context.rollback(arg.to_i)
  when 'up'
    context.run(:up, version_arg!(ARGV.shift, cmd))
  when 'down'
    context.run(:down, version_arg!(ARGV.shift, cmd))
  when 'versions'
    context.get_all_versions.sort.each { |v| puts v }
  when 'status'
    context.migrations_status.each { |status, version, name| puts "#{status} #{version} #{name}" }
  else
    usage!("unknown command #{cmd.inspect}")
  end
rescue StandardError => e
  warn "ar_migrate: #{cmd} failed: #{e.class}: #{e.message}"
  warn e.cause.message if e.cause && e.cause.message != e.message
  exit 1
ensure
  ActiveRecord::Base.connection_pool.disconnect! rescue nil
end
