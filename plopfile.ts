/**
 * For `npx plop`: the same generators the `migscaffold` command runs.
 * (Run it with a TypeScript loader, e.g. `NODE_OPTIONS="--import tsx" npx plop`.)
 */
import type { NodePlopAPI } from 'node-plop';
import { registerGenerators } from './src/plop.js';

export default function plopfile(plop: NodePlopAPI): void {
  registerGenerators(plop);
}
