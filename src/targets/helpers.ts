/**
 * The framework's own helpers for a plan statement's structured form (`Statement.does`): Rails 6.1
 * migration methods and Alembic 1.8 operations. A helper is used only where it writes the same
 * database as the statement's SQL (proven by test/integration/generated-sql-rails-alembic.test.ts); anywhere
 * else the target writes the SQL, with the reason from here.
 *
 * Nothing here writes SQL: type names, defaults, predicates and WHERE clauses are the recipe's own
 * SQL fragments, handed to the helper verbatim (Rails: a proc default, a string expression;
 * Alembic: `sa.text`).
 */
import type { Does, Statement, TableName } from '../plan/types.js';
import { quoteIdent } from '../sql/ident.js';
import { pythonString, rubyString } from '../render/strings.js';

/**
 * Names the helpers are given: plain ASCII words. The helpers quote names themselves, each in its own
 * way (Rails 6.1 leaves a check constraint's name unquoted and splits table names on dots; SQLAlchemy
 * quotes by its own reserved-word list): a name outside this set stays in our SQL, which quotes it.
 */
const PLAIN = /^[A-Za-z_][A-Za-z0-9_]*$/;

function plain(...names: string[]): boolean {
  return names.every((n) => PLAIN.test(n) && n.length <= 63);
}

function tablePlain(t: TableName): boolean {
  return plain(t.name, ...(t.schema ? [t.schema] : []));
}

const NAMES_REASON = 'the helper would quote this name differently from PostgreSQL';

// ---------------------------------------------------------------------------------------------
// Rails 6.1

function rubySymbol(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? `:${name}` : rubyString(name);
}

function rubyTable(t: TableName): string {
  return t.schema ? rubyString(`${t.schema}.${t.name}`) : rubySymbol(t.name);
}

export interface RailsOptions {
  /**
   * Rails 7.0+ gives a new datetime column precision 6 (`timestamp(6)`), which the plan's
   * `timestamp` is not: `precision: nil` keeps it the plan's type.
   */
  datetimePrecision: boolean;
}

/** A PostgreSQL type as Rails spells it (`:string, limit: 255`), or null when it has no faithful spelling. */
export function railsType(sql: string, o: RailsOptions = { datetimePrecision: false }): { type: string; options: string[] } | null {
  const t = sql.trim().toLowerCase().replace(/\s+/g, ' ');
  const array = t.endsWith('[]');
  const base = array ? t.slice(0, -2).trim() : t;
  const arr = array ? ['array: true'] : [];
  let m: RegExpExecArray | null;
  if ((m = /^(?:varchar|character varying)(?:\((\d+)\))?$/.exec(base))) return { type: ':string', options: [...(m[1] ? [`limit: ${m[1]}`] : []), ...arr] };
  if ((m = /^(?:numeric|decimal)(?:\((\d+)(?:,\s*(\d+))?\))?$/.exec(base)))
    return { type: ':decimal', options: [...(m[1] ? [`precision: ${m[1]}`] : []), ...(m[2] ? [`scale: ${m[2]}`] : []), ...arr] };
  const simple: Record<string, string> = {
    text: ':text',
    integer: ':integer',
    smallint: ':integer, limit: 2',
    int2: ':integer, limit: 2',
    int: ':integer',
    int4: ':integer',
    bigint: ':bigint',
    int8: ':bigint',
    boolean: ':boolean',
    bool: ':boolean',
    uuid: ':uuid',
    jsonb: ':jsonb',
    json: ':json',
    date: ':date',
    timestamptz: ':timestamptz',
    'timestamp with time zone': ':timestamptz',
    timestamp: ':datetime',
    'timestamp without time zone': ':datetime',
    inet: ':inet',
    citext: ':citext',
    bytea: ':binary',
    interval: ':interval',
  };
  if (!simple[base]) return null;
  const precision = o.datetimePrecision && (simple[base] === ':datetime' || simple[base] === ':timestamptz') ? ['precision: nil'] : [];
  return { type: simple[base], options: [...precision, ...arr] };
}

/** A SQL default as Rails writes it: a plain literal as a Ruby value, any other expression as a proc (verbatim SQL). */
function railsDefault(sql: string): { code: string; proc: boolean } {
  const s = sql.trim();
  if (/^'(?:[^']|'')*'$/.test(s)) return { code: rubyString(s.slice(1, -1).replace(/''/g, "'")), proc: false };
  if (/^-?\d+(\.\d+)?$/.test(s)) return { code: s, proc: false };
  if (/^(true|false)$/i.test(s)) return { code: s.toLowerCase(), proc: false };
  return { code: `-> { ${rubyString(s)} }`, proc: true };
}

function rubyColumns(columns: string[]): string {
  if (columns.length === 1) return rubySymbol(columns[0]);
  return columns.every((c) => /^[a-z_][a-z0-9_]*$/.test(c)) ? `%i[${columns.join(' ')}]` : `[${columns.map(rubySymbol).join(', ')}]`;
}

export interface RailsCall {
  code: string;
  /**
   * strong_migrations refuses this call unless it runs in `safety_assured` (its PostgreSQL checks,
   * lib/strong_migrations/checks.rb): remove_column always; add_column with a callable default or a
   * json column; add_index on more than three columns when not unique. The rest of what we write is
   * what it asks for (concurrently, validate: false, change_column_null behind a validated check).
   */
  refused: boolean;
}

/**
 * The Rails call for a statement, or null (with `why`) when it stays SQL. `previous`: the statements
 * before it in the same transaction (validate_check_constraint is refused after a statement that
 * blocked writes).
 */
export function railsCall(does: Does, previous: Statement[], o: RailsOptions = { datetimePrecision: false }): RailsCall | { why: string } {
  if (!tablePlain(does.table)) return { why: NAMES_REASON };
  const T = rubyTable(does.table);
  switch (does.helper) {
    case 'add_column': {
      if (!plain(does.column)) return { why: NAMES_REASON };
      const type = railsType(does.type, o);
      if (!type) return { why: `Rails has no faithful spelling of the type ${does.type}` };
      const d = does.default !== undefined ? railsDefault(does.default) : null;
      const opts = [...type.options, ...(d ? [`default: ${d.code}`] : []), ...(does.notNull ? ['null: false'] : [])];
      return {
        code: `add_column ${[T, rubySymbol(does.column), type.type, ...opts].join(', ')}`,
        refused: Boolean(d?.proc) || type.type === ':json',
      };
    }
    case 'drop_column': {
      if (!plain(does.column)) return { why: NAMES_REASON };
      const type = does.type ? railsType(does.type, o) : null;
      return { code: `remove_column ${[T, rubySymbol(does.column), ...(type ? [type.type, ...type.options] : [])].join(', ')}`, refused: true };
    }
    case 'set_not_null':
      if (!plain(does.column)) return { why: NAMES_REASON };
      return { code: `change_column_null ${T}, ${rubySymbol(does.column)}, ${does.notNull ? 'false' : 'true'}`, refused: false };
    case 'add_check':
      // Rails 6.1 writes the constraint's name unquoted.
      if (quoteIdent(does.name) !== does.name) return { why: NAMES_REASON };
      return { code: `add_check_constraint ${T}, ${rubyString(does.expression)}, name: ${rubyString(does.name)}, validate: false`, refused: false };
    case 'drop_check':
      if (!plain(does.name)) return { why: NAMES_REASON };
      return {
        code: `remove_check_constraint ${T}${does.expression !== undefined ? `, ${rubyString(does.expression)}` : ''}, name: ${rubyString(does.name)}`,
        refused: false,
      };
    case 'validate_constraint': {
      if (!plain(does.name)) return { why: NAMES_REASON };
      if (does.kind === 'other') return { why: 'Rails 6.1 validates a constraint only by its kind (check or foreign key)' };
      const blocked = previous.some((s) => s.lock === 'ACCESS EXCLUSIVE' || s.lock === 'SHARE ROW EXCLUSIVE');
      const method = does.kind === 'check' ? 'validate_check_constraint' : 'validate_foreign_key';
      return { code: `${method} ${T}, name: ${rubyString(does.name)}`, refused: blocked };
    }
    case 'create_index': {
      if (!plain(does.name, ...does.columns)) return { why: NAMES_REASON };
      if (does.using && !/^[a-z_]+$/.test(does.using)) return { why: 'Rails has no spelling of this index method' };
      const opts = [
        `name: ${rubyString(does.name)}`,
        ...(does.unique ? ['unique: true'] : []),
        ...(does.using ? [`using: :${does.using}`] : []),
        ...(does.where ? [`where: ${rubyString(does.where)}`] : []),
        ...(does.ifNotExists ? ['if_not_exists: true'] : []),
        'algorithm: :concurrently',
      ];
      return { code: `add_index ${[T, rubyColumns(does.columns), ...opts].join(', ')}`, refused: does.columns.length > 3 && !does.unique };
    }
    case 'drop_index':
      if (!plain(does.name)) return { why: NAMES_REASON };
      return {
        code: `remove_index ${T}, name: ${rubyString(does.name)}, algorithm: :concurrently${does.ifExists ? ', if_exists: true' : ''}`,
        refused: false,
      };
    case 'add_foreign_key': {
      if (!plain(does.name, ...does.columns, ...does.refColumns) || !tablePlain(does.references)) return { why: NAMES_REASON };
      if (does.columns.length !== 1) return { why: 'Rails 6.1 has no composite foreign keys' };
      const onDelete = { restrict: ':restrict', cascade: ':cascade', 'set null': ':nullify' } as Record<string, string>;
      if (does.onDelete && !onDelete[does.onDelete]) return { why: `Rails 6.1 has no on_delete for ${does.onDelete.toUpperCase()}` };
      const opts = [
        `column: ${rubySymbol(does.columns[0])}`,
        `primary_key: ${rubySymbol(does.refColumns[0])}`,
        `name: ${rubyString(does.name)}`,
        ...(does.onDelete ? [`on_delete: ${onDelete[does.onDelete]}`] : []),
        'validate: false',
      ];
      return { code: `add_foreign_key ${[T, rubyTable(does.references), ...opts].join(', ')}`, refused: false };
    }
    case 'drop_foreign_key':
      if (!plain(does.name) || !tablePlain(does.references)) return { why: NAMES_REASON };
      return { code: `remove_foreign_key ${T}, ${rubyTable(does.references)}, name: ${rubyString(does.name)}`, refused: false };
    case 'change_default': {
      if (!plain(does.column)) return { why: NAMES_REASON };
      const d = does.default === null ? null : railsDefault(does.default);
      // strong_migrations refuses it while partial inserts are on (Active Record's default), except on
      // a column added earlier in the same migration.
      const added = previous.some((p) => p.does?.helper === 'add_column' && p.does.column === does.column && p.does.table.name === does.table.name && p.does.table.schema === does.table.schema);
      return { code: `change_column_default ${T}, ${rubySymbol(does.column)}, ${d ? d.code : 'nil'}`, refused: !added };
    }
    case 'rename_column':
      return { why: 'rename_column also renames the indexes named after the column' };
  }
}

/** What reverses a helper in Rails' `def change` (its CommandRecorder), or null when nothing does. */
function railsInverse(d: Does): Does | null {
  switch (d.helper) {
    case 'add_column':
      return { helper: 'drop_column', table: d.table, column: d.column, ifExists: false, type: d.type };
    case 'create_index':
      return { helper: 'drop_index', table: d.table, name: d.name, concurrently: true, ifExists: false };
    case 'add_check':
      return { helper: 'drop_check', table: d.table, name: d.name, ifExists: false, expression: d.expression };
    case 'add_foreign_key':
      return { helper: 'drop_foreign_key', table: d.table, name: d.name, ifExists: false, references: d.references };
    case 'set_not_null':
      return { helper: 'set_not_null', table: d.table, column: d.column, notNull: !d.notNull };
    default:
      return null;
  }
}

/** The same change to the database (IF EXISTS aside: a down only runs after its up was recorded). */
function sameChange(a: Does, b: Does): boolean {
  if (a.helper !== b.helper || a.table.name !== b.table.name || a.table.schema !== b.table.schema) return false;
  switch (a.helper) {
    case 'drop_column':
      return a.column === (b as typeof a).column;
    case 'drop_foreign_key':
      return a.name === (b as typeof a).name;
    case 'drop_index':
      // A down that may find the index gone needs remove_index's if_exists, which `def change` drops.
      return a.name === (b as typeof a).name && !(b as typeof a).mayBeGone;
    case 'drop_check':
      return a.name === (b as typeof a).name;
    case 'set_not_null':
      return a.column === (b as typeof a).column && a.notNull === (b as typeof a).notNull;
    default:
      return false;
  }
}

/**
 * True when Rails' `def change` does exactly this up and this down: every up statement is a helper
 * Rails reverses, and the plan's down is those inverses in reverse order.
 */
export function railsReversible(up: Statement[], down: Statement[], o?: RailsOptions): boolean {
  if (up.length === 0 || up.length !== down.length) return false;
  return up.every((s, i) => {
    const d = down[down.length - 1 - i].does;
    if (!s.does || !d) return false;
    const call = railsCall(s.does, [], o);
    if ('why' in call || call.refused) return false;
    const inv = railsInverse(s.does);
    return inv !== null && sameChange(inv, d) && !('why' in railsCall(d, [], o));
  });
}

// ---------------------------------------------------------------------------------------------
// Alembic 1.8 / SQLAlchemy 1.4

/** Text for `sa.text()` and SQLAlchemy DDL: a literal `:word` is escaped, as `op.execute` needs too. */
function pyText(sql: string): string {
  return pythonString(sql.replace(/(?<![:\w\\]):(\w+)(?!:)/gu, '\\:$1'));
}

/** A PostgreSQL type as SQLAlchemy spells it, or null when no SQLAlchemy type renders exactly it. */
export function sqlalchemyType(sql: string): { code: string; imports: string[] } | null {
  const t = sql.trim().toLowerCase().replace(/\s+/g, ' ');
  if (t.endsWith('[]')) {
    const inner = sqlalchemyType(t.slice(0, -2));
    return inner && { code: `sa.ARRAY(${inner.code})`, imports: inner.imports };
  }
  let m: RegExpExecArray | null;
  if ((m = /^(?:varchar|character varying)(?:\((\d+)\))?$/.exec(t))) return { code: `sa.String(${m[1] ?? ''})`, imports: [] };
  if ((m = /^(?:numeric|decimal)(?:\((\d+)(?:,\s*(\d+))?\))?$/.exec(t)))
    return { code: `sa.Numeric(${m[1] ? [m[1], ...(m[2] ? [m[2]] : [])].join(', ') : ''})`, imports: [] };
  const sa: Record<string, string> = {
    text: 'sa.Text()',
    integer: 'sa.Integer()',
    int: 'sa.Integer()',
    int4: 'sa.Integer()',
    bigint: 'sa.BigInteger()',
    int8: 'sa.BigInteger()',
    smallint: 'sa.SmallInteger()',
    int2: 'sa.SmallInteger()',
    boolean: 'sa.Boolean()',
    bool: 'sa.Boolean()',
    date: 'sa.Date()',
    timestamptz: 'sa.DateTime(timezone=True)',
    'timestamp with time zone': 'sa.DateTime(timezone=True)',
    timestamp: 'sa.DateTime()',
    'timestamp without time zone': 'sa.DateTime()',
    json: 'sa.JSON()',
    bytea: 'sa.LargeBinary()',
  };
  if (sa[t]) return { code: sa[t], imports: [] };
  const pg: Record<string, string> = { uuid: 'postgresql.UUID()', jsonb: 'postgresql.JSONB()', inet: 'postgresql.INET()', interval: 'postgresql.INTERVAL()' };
  if (pg[t]) return { code: pg[t], imports: ['postgresql'] };
  return null;
}

function pyTableArgs(t: TableName): { table: string; schema: string[] } {
  return { table: pythonString(t.name), schema: t.schema ? [`schema=${pythonString(t.schema)}`] : [] };
}

/** The Alembic operation for a statement, or null (with `why`) when it stays SQL. */
export function alembicCall(does: Does): { code: string; imports: string[] } | { why: string } {
  if (!tablePlain(does.table)) return { why: NAMES_REASON };
  const { table, schema } = pyTableArgs(does.table);
  const call = (name: string, args: string[]) => `op.${name}(${args.join(', ')})`;
  switch (does.helper) {
    case 'add_column': {
      if (!plain(does.column)) return { why: NAMES_REASON };
      const type = sqlalchemyType(does.type);
      if (!type) return { why: `SQLAlchemy has no type that renders ${does.type} exactly` };
      const col = [
        pythonString(does.column),
        type.code,
        `nullable=${does.notNull ? 'False' : 'True'}`,
        ...(does.default !== undefined ? [`server_default=sa.text(${pyText(does.default)})`] : []),
      ];
      return { code: call('add_column', [table, `sa.Column(${col.join(', ')})`, ...schema]), imports: type.imports };
    }
    case 'drop_column':
      if (!plain(does.column)) return { why: NAMES_REASON };
      return { code: call('drop_column', [table, pythonString(does.column), ...schema]), imports: [] };
    case 'set_not_null':
      if (!plain(does.column)) return { why: NAMES_REASON };
      return { code: call('alter_column', [table, pythonString(does.column), `nullable=${does.notNull ? 'False' : 'True'}`, ...schema]), imports: [] };
    case 'add_check':
      if (!plain(does.name)) return { why: NAMES_REASON };
      return {
        code: call('create_check_constraint', [`op.f(${pythonString(does.name)})`, table, pyText(does.expression), ...schema, 'postgresql_not_valid=True']),
        imports: [],
      };
    case 'drop_check':
      if (!plain(does.name)) return { why: NAMES_REASON };
      return { code: call('drop_constraint', [`op.f(${pythonString(does.name)})`, table, ...schema, 'type_="check"']), imports: [] };
    case 'validate_constraint':
      return { why: 'Alembic has no operation for VALIDATE CONSTRAINT' };
    case 'create_index': {
      if (!plain(does.name, ...does.columns)) return { why: NAMES_REASON };
      if (does.using && !/^[a-z_]+$/.test(does.using)) return { why: 'SQLAlchemy has no spelling of this index method' };
      if (does.ifNotExists) return { why: "Alembic 1.8's create_index ignores if_not_exists" };
      return {
        code: call('create_index', [
          `op.f(${pythonString(does.name)})`,
          table,
          `[${does.columns.map(pythonString).join(', ')}]`,
          ...(does.unique ? ['unique=True'] : []),
          ...schema,
          ...(does.using ? [`postgresql_using=${pythonString(does.using)}`] : []),
          ...(does.where ? [`postgresql_where=sa.text(${pyText(does.where)})`] : []),
          'postgresql_concurrently=True',
        ]),
        imports: [],
      };
    }
    case 'drop_index':
      if (!plain(does.name)) return { why: NAMES_REASON };
      if (does.mayBeGone) return { why: "the index may already be gone (the constraint's rollback drops it) and Alembic 1.8's drop_index has no IF EXISTS" };
      return { code: call('drop_index', [`op.f(${pythonString(does.name)})`, `table_name=${table}`, ...schema, 'postgresql_concurrently=True']), imports: [] };
    case 'add_foreign_key': {
      if (!plain(does.name, ...does.columns, ...does.refColumns) || !tablePlain(does.references)) return { why: NAMES_REASON };
      const r = pyTableArgs(does.references);
      return {
        code: call('create_foreign_key', [
          `op.f(${pythonString(does.name)})`,
          table,
          r.table,
          `[${does.columns.map(pythonString).join(', ')}]`,
          `[${does.refColumns.map(pythonString).join(', ')}]`,
          ...(does.onDelete ? [`ondelete=${pythonString(does.onDelete.toUpperCase())}`] : []),
          ...(does.table.schema ? [`source_schema=${pythonString(does.table.schema)}`] : []),
          ...(does.references.schema ? [`referent_schema=${pythonString(does.references.schema)}`] : []),
          'postgresql_not_valid=True',
        ]),
        imports: [],
      };
    }
    case 'drop_foreign_key':
      if (!plain(does.name)) return { why: NAMES_REASON };
      return { code: call('drop_constraint', [`op.f(${pythonString(does.name)})`, table, ...schema, 'type_="foreignkey"']), imports: [] };
    case 'change_default':
      if (!plain(does.column)) return { why: NAMES_REASON };
      return {
        code: call('alter_column', [table, pythonString(does.column), `server_default=${does.default === null ? 'None' : `sa.text(${pyText(does.default)})`}`, ...schema]),
        imports: [],
      };
    case 'rename_column':
      if (!plain(does.from, does.to)) return { why: NAMES_REASON };
      return { code: call('alter_column', [table, pythonString(does.from), `new_column_name=${pythonString(does.to)}`, ...schema]), imports: [] };
  }
}

// ---------------------------------------------------------------------------------------------
// Why a statement without a helper is SQL

/** One line for the reader: why this statement is SQL in a framework that has helpers. */
export function sqlReason(s: Statement, framework: 'Rails' | 'Alembic', helperWhy?: string): string {
  if (helperWhy) return helperWhy;
  const head = s.sql.trimStart().slice(0, 80).toUpperCase();
  if (head.startsWith('DO ')) return `PL/pgSQL that decides at migration time (DO block): ${framework} has no helper for it`;
  if (/^(CREATE|DROP) (OR REPLACE )?FUNCTION/.test(head)) return `${framework} has no helper for functions`;
  if (/^(CREATE|DROP) TRIGGER/.test(head)) return `${framework} has no helper for triggers`;
  if (/^(CREATE|DROP) VIEW/.test(head)) return `${framework} has no helper for views`;
  if (/^SET |^RESET /.test(head)) return `${framework} has no helper for session settings`;
  if (/^ALTER TABLE .* RENAME TO /.test(head))
    return framework === 'Rails' ? 'rename_table also renames the primary key sequence and indexes' : 'a plain rename, as the other targets do it';
  if (/UNIQUE USING INDEX/.test(head)) return `${framework} has no helper that makes an existing index a constraint`;
  if (/^UPDATE /.test(head)) return 'a data change, not a schema change';
  // Not a claim that the framework lacks a helper: migscaffold maps no structured form to one here
  // (copies written from PostgreSQL's own definitions, default changes, renames of copies).
  return `no ${framework} helper form is mapped for this step, so it is written as the plan's SQL`;
}
