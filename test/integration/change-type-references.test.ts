/**
 * change-column-type on a primary key that another table references: the foreign key is dropped and
 * re-created against the new key inside the swap (found in the catalogue when the swap runs), then
 * validated; the swap's down points it back. Lifecycle on the targets whose project can describe a
 * second table as-is (Prisma's schema.prisma would need the referencing model too).
 */
import { describe, inject, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { realEffects } from '../../src/effects.js';
import { createDatabase, query, uniqueDbName } from '../support/pg.js';
import { PRIMARY_KEY_REFERENCED } from '../cases/change-column-type.js';
import { runLifecycle } from '../support/lifecycle.js';

describe.concurrent('change-column-type: a referenced primary key', () => {
  for (const d of ['sql', 'rails'] as const) it(`${d}: ${PRIMARY_KEY_REFERENCED.id}`, ({ expect }) => runLifecycle(expect, PRIMARY_KEY_REFERENCED, d));
});

describe('refusals at generation, from what --database-url shows', () => {
  async function generateAgainst(ddl: string, args: string[]): Promise<{ code: number; stderr: string }> {
    const url = await createDatabase(inject('pg'), uniqueDbName('refuse'));
    await query(url, ddl);
    let stderr = '';
    const code = await main([...args, '--target', 'sql', '--yes', '--dry-run', '--database-url', url], {
      ...realEffects(),
      interactive: false,
      env: {},
      stdout: () => {},
      stderr: (t) => void (stderr += t),
    });
    return { code, stderr };
  }

  it('a key referenced by integer columns: change those first, with the commands to do it', async ({ expect }) => {
    const r = await generateAgainst(
      'CREATE TABLE users (id serial PRIMARY KEY); CREATE TABLE orders (id bigserial PRIMARY KEY, user_id integer REFERENCES users (id))',
      ['change-column-type', '--table', 'users', '--column', 'id', '--type', 'bigint'],
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/public\.orders\.user_id \(integer\) references users\.id and cannot hold every bigint value: change it first \(migscaffold change-column-type --table public\.orders --column user_id --type bigint\)/);
  });

  it('rename-column on a column with a UNIQUE constraint', async ({ expect }) => {
    const r = await generateAgainst('CREATE TABLE users (id bigserial PRIMARY KEY, handle text UNIQUE)', ['rename-column', '--table', 'users', '--from', 'handle', '--to', 'login']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/users\.handle is part of the UNIQUE constraint users_handle_key, which this operation does not copy/);
  });
});
