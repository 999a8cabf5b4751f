/** Anonymous PL/pgSQL blocks: the way a migration decides at run time from the catalogue. */

/**
 * A dollar-quoted body whose tag cannot occur inside it: identifiers are user input and a quoted
 * identifier may contain `$$`.
 */
export function dollarQuote(body: string, tag = 'body'): string {
  let t = tag;
  for (let i = 1; body.includes(`$${t}$`); i++) t = `${tag}${i}`;
  return `$${t}$\n${body}\n$${t}$`;
}

export function doBlock(body: string): string {
  return `DO ${dollarQuote(body, 'do')};`;
}

/** `statements` run only when `condition` (a boolean SQL expression) holds when the migration runs. */
export function doIf(condition: string, statements: string): string {
  return doBlock(['BEGIN', `  IF ${condition} THEN`, `    ${statements.replace(/\n/g, '\n    ')}`, '  END IF;', 'END'].join('\n'));
}
