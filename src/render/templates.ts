/**
 * Handlebars, set up once for source code: no HTML escaping (SQL, Python and Ruby would break on
 * `&#x27;`), templates read from templates/<target>/ and cached.
 */
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';

const hbs = Handlebars.create();

/** The package's templates/ folder, whether we run from src/ (tsx, vitest) or dist/src/. */
function templatesRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'templates', 'checklist.md.hbs'))) return join(dir, 'templates');
    dir = dirname(dir);
  }
  throw new Error('migscaffold: templates/ folder not found next to the package');
}

const cache = new Map<string, Handlebars.TemplateDelegate>();

export function render(template: string, context: object): string {
  let fn = cache.get(template);
  if (!fn) {
    const source = readFileSync(join(templatesRoot(), template), 'utf8');
    fn = hbs.compile(source, { noEscape: true, strict: true });
    cache.set(template, fn);
  }
  return fn(context);
}

/** Indent every non-empty line after the first by `n` spaces (for multi-line values in code). */
export function indentRest(text: string, n: number): string {
  const pad = ' '.repeat(n);
  return text
    .split('\n')
    .map((l, i) => (i === 0 || l === '' ? l : pad + l))
    .join('\n');
}

hbs.registerHelper('indent', (text: string, n: number) => indentRest(String(text), n));
hbs.registerHelper('json', (v: unknown) => JSON.stringify(v));
hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);
