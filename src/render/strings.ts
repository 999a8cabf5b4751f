/** String literals for each target language, so SQL (and names) embed safely and verbatim. */

/** Python triple-quoted string for `sa.text()`: binds are `:name`, so a literal `:word` is escaped. */
export function pythonText(sql: string, keepBinds: string[] = []): string {
  const escapedBinds = sql.replace(/(?<![:\w\\]):(\w+)(?!:)/gu, (m, name: string) =>
    keepBinds.includes(name) ? m : `\\:${name}`,
  );
  return `"""${pythonTripleQuotedBody(escapedBinds)}"""`;
}

/** Text inside a triple-quoted string (SQL, a docstring): a backslash or a run of quotes in it must not escape or end it. */
export function pythonTripleQuotedBody(s: string): string {
  // Escape a quote only where it could close the string: before another quote, or last.
  return s.replace(/\\/g, '\\\\').replace(/"(?=")|"$/g, '\\"');
}

/**
 * A Python string literal for a plain value (names, messages), quoted as black quotes it: double
 * quotes unless single quotes need fewer backslashes, so `black --check` leaves it alone.
 */
export function pythonString(s: string): string {
  const quote = pythonQuote(s);
  return `${quote}${pythonStringBody(s, quote)}${quote}`;
}

/** The quote black prefers for a string holding `s`: double, unless single needs fewer backslashes. */
export function pythonQuote(s: string): '"' | "'" {
  const count = (c: string) => s.split(c).length - 1;
  return count('"') > count("'") ? "'" : '"';
}

/** `s` escaped for the inside of a Python string literal quoted with `quote`. */
export function pythonStringBody(s: string, quote: '"' | "'"): string {
  return [...s]
    .map((c) => {
      if (c === '\\' || c === quote) return `\\${c}`;
      if (c === '\n') return '\\n';
      if (c === '\t') return '\\t';
      if (/[\u0000-\u001f\u007f]/.test(c)) return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
      return c;
    })
    .join('');
}

/** black's default `line-length`. */
export const BLACK_LINE_LENGTH = 88;

/**
 * The argument of a call whose one argument is a string, laid out as black lays it out: on the
 * call's line when `lead` + literal + `close` fits, else alone on the next line one level deeper,
 * with the closing bracket back at the line's indentation. `lead` is the line up to and including
 * the call's `(` (indentation too); `close` is what follows the argument on the last line (`)`,
 * `),`). black never keeps a multi-line string on its call's line, and counts code points.
 */
export function pythonArgument(lead: string, literal: string, close: string, lineLength: number): string {
  if (!literal.includes('\n') && [...`${lead}${literal}${close}`].length <= lineLength) return literal;
  const pad = /^ */.exec(lead)![0];
  return `\n${pad}    ${literal}\n${pad}`;
}

/**
 * The right-hand side of an assignment that is one string literal (`lead` is the line up to it, `X = `),
 * as black lays it out: a one-line literal that overflows the line but fits alone on the next one is
 * wrapped in parentheses; anything else stays where it is (black does not split a string).
 */
export function pythonAssigned(lead: string, literal: string, lineLength: number): string {
  if (literal.includes('\n') || [...`${lead}${literal}`].length <= lineLength) return literal;
  const pad = /^ */.exec(lead)![0];
  return [...`${pad}    ${literal}`].length <= lineLength ? `(\n${pad}    ${literal}\n${pad})` : literal;
}

/** A whole call line (`op.execute("""...""")`) laid out by pythonArgument. */
export function pythonCall(lead: string, literal: string, close: string, lineLength: number): string {
  return `${lead}${pythonArgument(lead, literal, close, lineLength)}${close}`;
}

/** A Ruby heredoc body is not safe for arbitrary text; a %q-free double-quoted literal is. */
export function rubyString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/#/g, '\\#').replace(/\n/g, '\\n')}"`;
}

/**
 * A non-interpolating Ruby heredoc for SQL, with a terminator that cannot occur in the text.
 * `<<~'SQL'` strips only the indentation we add.
 */
export function rubyHeredoc(sql: string, indent: number): { open: string; body: string } {
  let tag = 'SQL';
  for (let i = 1; sql.split('\n').some((l) => l.trim() === tag); i++) tag = `SQL${i}`;
  const pad = ' '.repeat(indent);
  const body = sql
    .split('\n')
    .map((l) => (l ? pad + '  ' + l : l))
    .join('\n');
  return { open: `<<~'${tag}'`, body: `${body}\n${pad}${tag}` };
}

/** A TypeScript template literal holding SQL verbatim. */
export function tsTemplate(sql: string): string {
  return '`' + sql.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${') + '`';
}

/** `:last_key` / `:batch_size` become positional `$n` in the order given. */
export function positional(sql: string, order: string[]): string {
  return sql.replace(/(?<![:\w]):(\w+)\b/g, (m, name: string) => {
    const i = order.indexOf(name);
    return i < 0 ? m : `$${i + 1}`;
  });
}

/** `:last_key` becomes a PL/pgSQL variable `v_last_key`. */
export function plpgsqlVars(sql: string, names: string[]): string {
  return sql.replace(/(?<![:\w]):(\w+)\b/g, (m, name: string) => (names.includes(name) ? `v_${name}` : m));
}

export function camelize(snake: string): string {
  const c = snake
    .split('_')
    .filter(Boolean)
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join('');
  return /^[A-Z]/.test(c) ? c : `M${c}`;
}

/**
 * Which of `known` a statement binds, in order of first use: its `$n` numbering for `positional`
 * (PostgreSQL refuses a parameter the statement never uses, so each statement numbers its own).
 */
export function bindsOf(sql: string, known: string[]): string[] {
  const names: string[] = [];
  for (const m of sql.matchAll(/(?<![:\w\\]):(\w+)\b/g)) if (known.includes(m[1]) && !names.includes(m[1])) names.push(m[1]);
  return names;
}
