/** A Rails app as ActiveRecord sees it: its version, its migrations and their class names. */
import { join } from 'node:path';
import type { FsPromises } from '../effects.js';
import { isDir, listDir, readText } from './files.js';

export interface RailsProject {
  /** Looks like a Rails app (for choosing the target): Gemfile and db/migrate, config/application.rb, bin/rails or rails in the Gemfile. */
  detected: string | null;
  /** `7.1`, from Gemfile.lock (rails or activerecord) or the db/schema.rb header. */
  version: string | null;
  versionSource: string | null;
  migrateDir: string;
  newestVersion: string | null;
  classNames: Set<string>;
  schemaText: string | null;
}

/** `gem "rails"` or `gem 'rails', "~> 7.1"`; not rails-html-sanitizer and the like. */
const RAILS_GEM = /^\s*gem\s*\(?\s*["']rails["']/m;

export async function readRails(fs: FsPromises, root: string): Promise<RailsProject | null> {
  const gemfile = await readText(fs, join(root, 'Gemfile'));
  const migrate = await isDir(fs, join(root, 'db/migrate'));
  const detected =
    gemfile !== null && migrate
      ? 'Gemfile and db/migrate'
      : (await readText(fs, join(root, 'config/application.rb'))) !== null
        ? 'config/application.rb'
        : (await readText(fs, join(root, 'bin/rails'))) !== null
          ? 'bin/rails'
          : gemfile !== null && RAILS_GEM.test(gemfile)
            ? 'rails in the Gemfile'
            : null;
  // A db/migrate folder alone is read (the target may be known from a flag or a plan file), but
  // does not make the directory a Rails app: plain SQL projects use that name too.
  if (!detected && !migrate) return null;
  let version: string | null = null;
  let versionSource: string | null = null;
  const lock = await readText(fs, join(root, 'Gemfile.lock'));
  const fromLock = lock && /^ {4}(?:rails|activerecord) \((\d+)\.(\d+)[^)]*\)/m.exec(lock);
  if (fromLock) [version, versionSource] = [`${fromLock[1]}.${fromLock[2]}`, 'Gemfile.lock'];
  const schema = await readText(fs, join(root, 'db/schema.rb'));
  if (!version) {
    const m = schema && /ActiveRecord::Schema\[(\d+\.\d+)\]/.exec(schema);
    if (m) [version, versionSource] = [m[1], 'db/schema.rb'];
  }
  const files = (await listDir(fs, join(root, 'db/migrate'))).filter((f) => /^\d+_.+\.rb$/.test(f));
  const classNames = new Set<string>();
  for (const f of files) {
    const text = await readText(fs, join(root, 'db/migrate', f));
    const m = text && /^\s*class\s+([A-Z]\w*)\s*</m.exec(text);
    if (m) classNames.add(m[1]);
  }
  const versions = files.map((f) => f.split('_')[0]).sort();
  return { detected, version, versionSource, migrateDir: 'db/migrate', newestVersion: versions.at(-1) ?? null, classNames, schemaText: schema };
}
