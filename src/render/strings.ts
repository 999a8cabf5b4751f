/** String literals for each target language, so SQL (and names) embed safely and verbatim. */

/** Python triple-quoted string for `sa.text()`: binds are `:name`, so a literal `:word` is escaped. */
export function pythonText(sql: string, keepBinds: string[] = []): string {
  const escapedBinds = sql.replace(/(?<![:\w\\]):(\w+)(?!:)/gu, (m, name: string) =>
    keepBinds.includes(name) ? m : `\\:${name}`,
  );
  // Escape a quote only where it could close the triple-quoted string: before another quote, or last.
  const body = escapedBinds.replace(/\\/g, '\\\\').replace(/"(?=")|"$/g, '\\"');
  return `"""${body}"""`;
}

/** A Python string literal for a plain value (names, messages). */
export function pythonString(s: string): string {
  return JSON.stringify(s); // JSON string syntax is valid Python for these escapes
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
