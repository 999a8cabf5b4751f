/**
 * The list of type changes PostgreSQL makes in place (src/plan/recipes/type-changes.ts), proven on
 * PostgreSQL 15: for each pair, a 1,000-row table with the column indexed (btree), the relfilenode of
 * the table and of the index before and after `ALTER COLUMN ... TYPE`. A pair on the list keeps the
 * table's file (and the index's, unless the list says every index is rebuilt); a pair off the list
 * rewrites the table. Plus the two exceptions the list states: an index on an expression of the column
 * and a CHECK constraint on it are rebuilt / checked again even on a pair on the list.
 */
import { describe, expect, inject, it } from 'vitest';
import { inPlaceChange } from '../../src/plan/recipes/type-changes.js';
import { createDatabase, uniqueDbName, withClient } from '../support/pg.js';

const PAIRS: [string, string][] = [
  ['varchar(20)', 'varchar(40)'],
  ['varchar(20)', 'varchar'],
  ['varchar(20)', 'text'],
  ['text', 'varchar'],
  ['text', 'varchar(40)'],
  ['varchar(40)', 'varchar(20)'],
  ['numeric(10,2)', 'numeric(12,2)'],
  ['numeric(10,2)', 'numeric'],
  ['numeric(10,2)', 'numeric(12,3)'],
  ['numeric', 'numeric(12,2)'],
  ['timestamp(3)', 'timestamp(6)'],
  ['timestamptz(3)', 'timestamptz'],
  ['time(3)', 'time(6)'],
  ['interval(3)', 'interval'],
  ['timestamp(6)', 'timestamp(3)'],
  ['varbit(5)', 'varbit(10)'],
  ['cidr', 'inet'],
  ['timestamp', 'timestamptz'],
  ['timestamptz', 'timestamp'],
  ['char(5)', 'char(10)'],
  ['char(5)', 'text'],
  ['integer', 'bigint'],
  ['smallint', 'integer'],
];

const VALUE: Record<string, string> = {
  varchar: `(g % 1000)::text`,
  text: `(g % 1000)::text`,
  char: `(g % 1000)::text`,
  numeric: `(g % 1000)::numeric / 10`,
  timestamp: `timestamp '2020-01-01' + g * interval '1 hour'`,
  timestamptz: `timestamp '2020-01-01' + g * interval '1 hour'`,
  time: `time '00:00' + g * interval '1 second'`,
  interval: `g * interval '1 second'`,
  varbit: `(g % 16)::bit(4)::varbit`,
  cidr: `('10.0.' || (g % 250) || '.0/24')`,
  integer: 'g',
  smallint: 'g',
};

async function alter(url: string, from: string, to: string, extra = ''): Promise<{ table: boolean; index: boolean; scans: number }> {
  return withClient(url, async (c) => {
    const base = from.replace(/\(.*$/, '');
    await c.query('DROP TABLE IF EXISTS ft');
    await c.query(`CREATE TABLE ft (id int, c ${from})`);
    await c.query(`INSERT INTO ft SELECT g, (${VALUE[base]})::${from} FROM generate_series(1, 1000) g`);
    await c.query(extra || 'CREATE INDEX ft_c_idx ON ft (c)');
    await c.query(`SET TimeZone = 'UTC'`);
    const files = async () =>
      (await c.query(`SELECT pg_relation_filenode('ft')::text AS t, (SELECT string_agg(pg_relation_filenode(indexrelid)::text, ',') FROM pg_index WHERE indrelid = 'ft'::regclass) AS i`)).rows[0];
    const scans = async () => {
      await c.query('SELECT pg_stat_force_next_flush()');
      return Number((await c.query(`SELECT seq_scan FROM pg_stat_user_tables WHERE relid = 'ft'::regclass`)).rows[0].seq_scan);
    };
    const before = await files();
    const s0 = await scans();
    await c.query(`ALTER TABLE ft ALTER COLUMN c TYPE ${to}`);
    const after = await files();
    return { table: before.t === after.t, index: before.i === after.i, scans: (await scans()) - s0 };
  });
}

describe('the in-place type changes, by experiment on PostgreSQL 15', () => {
  it.each(PAIRS)('%s -> %s', async (from, to) => {
    const url = await createDatabase(inject('pg'), uniqueDbName('types'));
    const ip = inPlaceChange(from, to);
    const r = await alter(url, from, to);
    expect(r.table, `the table is ${ip ? 'kept' : 'rewritten'}`).toBe(ip !== null);
    if (ip) expect(r.index, `the index is ${ip.rebuilds === 'all-indexes' ? 'rebuilt' : 'kept'}`).toBe(ip.rebuilds !== 'all-indexes');
  });

  it('on a pair on the list, an expression index is rebuilt and a CHECK constraint checked again (each a scan)', async () => {
    const url = await createDatabase(inject('pg'), uniqueDbName('types'));
    expect(await alter(url, 'varchar(20)', 'text', 'CREATE INDEX ft_c_idx ON ft (lower(c))')).toMatchObject({ table: true, index: false });
    expect(await alter(url, 'varchar(20)', 'text', "CREATE INDEX ft_c_idx ON ft (id) WHERE c <> 'x'")).toMatchObject({ table: true, index: false });
    expect((await alter(url, 'varchar(20)', 'text', 'ALTER TABLE ft ADD CHECK (length(c) > 0)')).scans).toBeGreaterThan(0);
    expect(await alter(url, 'varchar(20)', 'text', 'CREATE INDEX ft_c_idx ON ft (id) INCLUDE (c)')).toMatchObject({ table: true, index: true, scans: 0 });
  });
});
