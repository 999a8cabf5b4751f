# frozen_string_literal: true
#
# strong_migrations' documented PostgreSQL rules, for tests: the gem itself cannot be installed on
# these machines (no rubygems.org), so this is OUR encoding of what it checks, taken from its README
# and lib/strong_migrations/checks.rb (ankane/strong_migrations), hooked in the way the gem hooks in
# (a module prepended to ActiveRecord::Migration whose method_missing sees every migration method,
# plus `safety_assured`). It is not the gem, and it encodes only the checks that concern what
# migscaffold writes:
#
#   execute                      always refused ("Possibly dangerous operation");
#   remove_column(s)             always refused (ignore the column in the model, deploy, then
#                                safety_assured { remove_column ... });
#   add_column                   refused with a callable default (a proc), a json column, or an
#                                auto-incrementing type (serial, bigserial, primary_key);
#   add_index / remove_index     refused without algorithm: :concurrently; add_index also on more
#                                than three columns unless unique;
#   add_check_constraint         refused unless validate: false;
#   add_foreign_key              refused unless validate: false;
#   change_column_null(false)    refused unless a VALIDATED check constraint "<column> IS NOT NULL"
#                                exists on the table (read from the live database, as the gem does);
#   validate_check_constraint,   refused when the migration's transaction already holds a lock that
#   validate_foreign_key         blocks writes (ShareRowExclusive / AccessExclusive, from pg_locks);
#   rename_column, rename_table  always refused;
#   everything else              not checked.
#
# The gem checks only the up direction by default (check_down = false); this encoding checks the
# `down` methods too, as the gem does with `StrongMigrations.check_down = true`, but not the rollback
# of a `def change` (see exec_migration below).
#
# Beyond the gem, one more rule, the point of issue 12: `safety_assured` around a call the rules above
# accept is refused too ("needless safety_assured"), so every safety_assured in a generated migration
# is one the gem needs.
#
# Loaded by test/support/ar_migrate.rb when STRONG_MIGRATIONS_RULES=1; refusals raise
# StrongMigrationsRules::Unsafe, and every decision is printed to stderr as
#   strong_migrations_rules: <accepted|refused|assured> <method>
module StrongMigrationsRules
  class Unsafe < StandardError; end

  CHECKED = %i[
    execute remove_column remove_columns add_column add_index remove_index add_check_constraint add_foreign_key
    change_column_null validate_check_constraint validate_foreign_key rename_column rename_table change_column_default
  ].freeze

  def self.refusal(migration, method, args)
    options = args.last.is_a?(Hash) ? args.last : {}
    migration.instance_variable_set(:@strong_migrations_rules_new_columns, [*migration.instance_variable_get(:@strong_migrations_rules_new_columns), [args[0].to_s, args[1].to_s]]) if method == :add_column
    case method
    when :execute
      'execute: the gem cannot see into SQL'
    when :remove_column, :remove_columns
      'remove_column: always refused; safety_assured after the deploy that ignores the column'
    when :add_column
      type = args[2].to_s
      if options[:default].is_a?(Proc)
        'add_column with a callable default'
      elsif type == 'json'
        'add_column json: use jsonb'
      elsif %w[primary_key serial bigserial].include?(type)
        'add_column of an auto-incrementing type rewrites the table'
      end
    when :add_index
      columns = args[1]
      if options[:algorithm] != :concurrently
        'add_index without algorithm: :concurrently'
      elsif columns.is_a?(Array) && columns.size > 3 && !options[:unique]
        'add_index on more than three columns'
      end
    when :remove_index
      'remove_index without algorithm: :concurrently' if options[:algorithm] != :concurrently
    when :add_check_constraint, :add_foreign_key
      "#{method} without validate: false" if options.fetch(:validate, true)
    when :change_column_null
      table, column, null = args
      return nil if null

      quoted = migration.connection.quote_column_name(column)
      proven = migration.connection.check_constraints(table).any? do |c|
        c.options[:validate] != false && (c.expression == "#{column} IS NOT NULL" || c.expression == "#{quoted} IS NOT NULL")
      end
      'change_column_null(false) without a validated NOT NULL check constraint' unless proven
    when :validate_check_constraint, :validate_foreign_key
      blocked = migration.connection.select_value(
        "SELECT count(*) FROM pg_locks WHERE mode IN ('ShareRowExclusiveLock', 'AccessExclusiveLock') AND pid = pg_backend_pid()"
      ).to_i.positive?
      "#{method} after a statement that blocks writes in the same transaction" if blocked
    when :rename_column, :rename_table
      "#{method}: always refused"
    when :change_column_default
      # The gem: unsafe while partial inserts are on (partial_writes before Active Record 7, on by
      # default in Active Record itself), except on a column added earlier in the same migration.
      table, column = args
      added = (migration.instance_variable_get(:@strong_migrations_rules_new_columns) || []).include?([table.to_s, column.to_s])
      partial = ActiveRecord::VERSION::MAJOR >= 7 ? ActiveRecord::Base.partial_inserts : ActiveRecord::Base.partial_writes
      'change_column_default while partial inserts are on' if partial && !added
    end
  end

  module Migration
    # The rollback of a `def change` is not checked: the gem's default (check_down = false) lets every
    # inverted command through, and with check_down = true it would refuse the inverse of any
    # add_column (remove_column), which no migration can avoid.
    def exec_migration(connection, direction)
      previous = @strong_migrations_rules_skip
      @strong_migrations_rules_skip = direction == :down && respond_to?(:change)
      super
    ensure
      @strong_migrations_rules_skip = previous
    end

    def method_missing(method, *args, &block)
      if CHECKED.include?(method) && !@strong_migrations_rules_skip
        reason = StrongMigrationsRules.refusal(self, method, args)
        if @strong_migrations_rules_assured
          raise Unsafe, "needless safety_assured around #{method}: the gem accepts it" unless reason

          warn "strong_migrations_rules: assured #{method}"
        else
          raise Unsafe, "strong_migrations would refuse #{method}: #{reason}" if reason

          warn "strong_migrations_rules: accepted #{method}"
        end
      end
      super
    end
    ruby2_keywords(:method_missing)

    def safety_assured
      previous = @strong_migrations_rules_assured
      @strong_migrations_rules_assured = true
      yield
    ensure
      @strong_migrations_rules_assured = previous
    end
  end
end

ActiveRecord::Migration.prepend(StrongMigrationsRules::Migration)
