/**
 * A real-shaped Alembic project (custom script_location and file_template, typed script.py.mako,
 * a branch and its merge): the new revisions chain after the single head and Alembic runs them.
 */
import { readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { realEffects } from '../../src/effects.js';
import { createDatabase, makeTempDir, query, schemaDump, uniqueDbName, MIGRATION_BOOKKEEPING_TABLES } from '../support/pg.js';
import { alembic, makeAlembicProject, runPython } from '../support/tools.js';

const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

const typedRevision = (id: string, down: string, body = 'pass') => `"""step ${id}

Revision ID: ${id}
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '${id}'
down_revision: Union[str, None] = ${down}
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    ${body}


def downgrade() -> None:
    pass
`;

describe('an existing Alembic project', () => {
  it('chains after the merge head, follows file_template and the typed template, and runs', async () => {
    const dir = await makeTempDir(inject('pg'), 'alembic-project');
    dirs.push(dir);
    const p = await makeAlembicProject(dir);
    // Move it to a custom place and give it a custom file_template, as real projects do.
    await rename(p.scriptLocation, join(dir, 'db_migrations'));
    const ini = (await readFile(p.ini, 'utf8'))
      .replace('script_location = migrations', 'script_location = %(here)s/db_migrations')
      .replace('[alembic]\n', '[alembic]\nfile_template = %%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s\n');
    await writeFile(p.ini, ini);
    const mako = (await readFile(join(dir, 'db_migrations/script.py.mako'), 'utf8')).replace(
      'revision = ${repr(up_revision)}',
      'revision: str = ${repr(up_revision)}',
    );
    await writeFile(join(dir, 'db_migrations/script.py.mako'), mako);
    const v = join(dir, 'db_migrations/versions');
    await writeFile(join(v, 'aaaaaaaaaaa1_base.py'), typedRevision('aaaaaaaaaaa1', 'None', "op.execute('CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL)')"));
    await writeFile(join(v, 'bbbbbbbbbbb2_left.py'), typedRevision('bbbbbbbbbbb2', "'aaaaaaaaaaa1'"));
    await writeFile(join(v, 'ccccccccccc3_right.py'), typedRevision('ccccccccccc3', "'aaaaaaaaaaa1'"));
    await writeFile(join(v, 'ddddddddddd4_merge.py'), typedRevision('ddddddddddd4', "('bbbbbbbbbbb2', 'ccccccccccc3')"));

    const out: string[] = [];
    const code = await main(
      ['add-column', '--table', 'users', '--column', 'email_lower', '--type', 'text', '--backfill', 'lower(email)', '--not-null', '--yes', '--out', dir, '--timestamp', '20260115093000', '--all-phases'],
      { ...realEffects(), stdout: (t) => void out.push(t), stderr: (t) => void out.push(t) },
    );
    expect(code, out.join('')).toBe(0);
    expect(out.join('')).toContain('alembic (detected from alembic.ini)');
    const created = (await readdir(v)).filter((f) => f.startsWith('20260115_'));
    expect(created).toHaveLength(4);
    const first = await readFile(join(v, created.find((f) => f.includes('add_email_lower'))!), 'utf8');
    expect(first).toContain('down_revision: Union[str, None] = "ddddddddddd4"');
    expect(first).toContain('def upgrade() -> None:');

    const url = await createDatabase(inject('pg'), uniqueDbName('alembic_project'));
    const heads = await alembic(dir, ['heads'], url);
    expect(heads.stdout.trim().split('\n')).toHaveLength(1);
    await alembic(dir, ['upgrade', 'ddddddddddd4'], url);
    await query(url, "INSERT INTO users (email) SELECT 'U' || g || '@X.org' FROM generate_series(1, 300) g");
    const before = await schemaDump(url, { excludeTables: MIGRATION_BOOKKEEPING_TABLES });
    // Skipping the backfill must fail, at the tighten's guard, before it takes a lock.
    const skipped = await alembic(dir, ['upgrade', 'head'], url).then(
      () => null,
      (e: unknown) => e,
    );
    expect(String(skipped)).toMatch(/rows of users still need the backfill \(email_lower = lower\(email\)\): finish "Backfill email_lower for existing rows" first/);
    await alembic(dir, ['downgrade', 'ddddddddddd4'], url);
    expect(await schemaDump(url, { excludeTables: MIGRATION_BOOKKEEPING_TABLES })).toBe(before);

    // In checklist order: expand, backfill, tighten.
    const expand = created.find((f) => f.includes('add_email_lower'))!.split('_')[1];
    await alembic(dir, ['upgrade', expand], url);
    const backfill = (await readdir(join(dir, 'db_migrations/backfills')))[0];
    await runPython(join(dir, 'db_migrations/backfills', backfill), ['--batch-size', '64'], { DATABASE_URL: url });
    await alembic(dir, ['upgrade', 'head'], url);
    const rows = await query<{ n: string }>(url, "SELECT count(*) AS n FROM users WHERE email_lower = lower(email)");
    expect(Number(rows[0].n)).toBe(300);
    const nn = await query<{ attnotnull: boolean }>(url, "SELECT attnotnull FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'email_lower'");
    expect(nn[0].attnotnull).toBe(true);
    await alembic(dir, ['downgrade', 'ddddddddddd4'], url);
    expect(await schemaDump(url, { excludeTables: MIGRATION_BOOKKEEPING_TABLES })).toBe(before);
  });
});
