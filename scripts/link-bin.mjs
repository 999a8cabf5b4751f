// `npx migscaffold` inside this repository looks for node_modules/.bin/migscaffold; npm links the
// bins of dependencies there, not the project's own, so `prepare` links it after the build.
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';

mkdirSync('node_modules/.bin', { recursive: true });
rmSync('node_modules/.bin/migscaffold', { force: true });
symlinkSync('../../bin/migscaffold.js', 'node_modules/.bin/migscaffold');
