/**
 * For `npx plop`: the same generators the `migscaffold` command runs, and, for people working on
 * migscaffold itself, `new-operation`, which scaffolds an operation module, its lifecycle cases and its
 * README row. (Run with a TypeScript loader: `NODE_OPTIONS="--import tsx" npx plop`.)
 */
import type { NodePlopAPI } from 'node-plop';
import { registerGenerators } from './src/plop.js';

const OPERATION_NAME = /^[a-z]+(-[a-z]+)+$/;

export default function plopfile(plop: NodePlopAPI): void {
  registerGenerators(plop);
  plop.setGenerator('new-operation', {
    description: 'Scaffold a new migscaffold operation: its module, its lifecycle cases, its registry entries and README row',
    prompts: [
      {
        type: 'input',
        name: 'name',
        message: 'Operation name (kebab-case, e.g. drop-default)',
        validate: (v: string) => (OPERATION_NAME.test(v) ? true : 'use kebab-case words, e.g. drop-default'),
      },
      { type: 'input', name: 'summary', message: 'One-line summary (for list, help and the README)', validate: (v: string) => (v.trim() && !/['|\n]/.test(v) ? true : 'one line, without quotes or |') },
    ],
    actions: [
      { type: 'add', path: 'generators/{{name}}.ts', templateFile: 'templates/new-operation/operation.ts.hbs', abortOnFail: true },
      { type: 'add', path: 'test/cases/{{name}}.ts', templateFile: 'templates/new-operation/cases.ts.hbs', abortOnFail: true },
      {
        type: 'modify',
        path: 'generators/index.ts',
        pattern: /(\nimport type \{ Operation \})/,
        template: "\nimport { {{camelCase name}} } from './{{name}}.js';$1",
      },
      { type: 'modify', path: 'generators/index.ts', pattern: /(export const OPERATIONS = \[[^\]]*)\]/, template: '$1, {{camelCase name}}]' },
      {
        type: 'modify',
        path: 'test/cases/index.ts',
        pattern: /(\n\nexport const CASES_BY_OPERATION)/,
        template: "\nimport { {{constantCase name}}_CASES } from './{{name}}.js';$1",
      },
      { type: 'modify', path: 'test/cases/index.ts', pattern: /(\n\};\n)/, template: "\n  '{{name}}': {{constantCase name}}_CASES,$1" },
      { type: 'modify', path: 'README.md', pattern: /(\n<!-- operations:)/, template: '\n| `{{name}}` | {{summary}} |$1' },
    ] as never,
  });
}
