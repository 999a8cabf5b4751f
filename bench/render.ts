/** Re-renders bench/RESULTS.md from bench/results.json (after editing the renderer, without re-running). */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderResults, type BenchResults } from './results.js';

const dir = import.meta.dirname;
const results = JSON.parse(await readFile(join(dir, 'results.json'), 'utf8')) as BenchResults;
await writeFile(join(dir, 'RESULTS.md'), renderResults(results));
process.stderr.write('wrote bench/RESULTS.md\n');
