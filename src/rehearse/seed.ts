/**
 * A realistic table to rehearse on, created only when the table does not exist: a `users` table
 * (bigserial key, unique email, names, a nullable text, counters, timestamps) plus any column the
 * operation's answers name that is not among those (the column to rename, remove or index).
 * With `partitions`, the same table range-partitioned by its key into that many leaf partitions.
 */
import type pg from 'pg';
import type { TableRef } from '../plan/recipes/index.js';
import { qualified } from '../plan/recipes/index.js';
import { quoteIdent, quoteLiteral } from '../sql/ident.js';

export interface ExtraColumn {
  name: string;
  type: string;
  notNull?: boolean;
  default?: string;
  /** A btree index on it, as a real table would have on a column it looks rows up by. */
  index?: boolean;
  /** The seeded value, as SQL over `g` (the row number, also the key); made up from the type when absent. */
  value?: string;
}

/**
 * SQL producing a value of `type` from the number expression `n`, or null when the type is not one
 * we know how to make up. Used for seeding (n = the row number) and by the simulated app (n random).
 */
export function valueSql(type: string, n: string): string | null {
  const t = type.toLowerCase().replace(/\s+/g, ' ').trim();
  if (/\[\]$/.test(t)) return null;
  const cast = `::${type}`;
  if (/^(text|citext|character varying|varchar|character|char|bpchar|name)\b/.test(t)) return `('v' || md5((${n})::text))${cast}`;
  if (/^(smallint|integer|int|int2|int4|int8|bigint|serial|bigserial|smallserial)\b/.test(t)) return `((${n}) % 30000)${cast}`;
  if (/^(numeric|decimal|real|double precision|float|float4|float8|money)\b/.test(t)) return `(((${n}) % 1000) / 100.0)${cast}`;
  if (/^bool(ean)?$/.test(t)) return `((${n}) % 2 = 0)`;
  if (/^(timestamp|timestamptz|date|time|timetz)\b/.test(t)) return `(now() - ((${n}) % 100000) * interval '1 second')${cast}`;
  if (t === 'interval') return `(((${n}) % 1000) * interval '1 second')`;
  if (t === 'uuid') return `md5((${n})::text || clock_timestamp()::text)::uuid`;
  if (t === 'json' || t === 'jsonb') return `jsonb_build_object('n', ${n})${cast}`;
  if (t === 'bytea') return `decode(md5((${n})::text), 'hex')`;
  if (t === 'inet') return `('10.0.' || ((${n}) % 250) || '.' || ((${n}) % 200))::inet`;
  return null;
}

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Margaret', 'Linus'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson', 'Hamilton', 'Torvalds'];

interface SeedColumn {
  name: string;
  ddl: string;
  value: string; // SQL over g (the row number)
}

function standardColumns(): SeedColumn[] {
  const first = `(ARRAY[${FIRST.map(quoteLiteral).join(', ')}])[1 + g % ${FIRST.length}]`;
  const last = `(ARRAY[${LAST.map(quoteLiteral).join(', ')}])[1 + (g / ${FIRST.length}) % ${LAST.length}]`;
  return [
    { name: 'email', ddl: 'text NOT NULL', value: `'user' || g || '@example.com'` },
    { name: 'name', ddl: 'text NOT NULL', value: `${first} || ' ' || ${last}` },
    { name: 'bio', ddl: 'text', value: `CASE WHEN g % 3 = 0 THEN NULL ELSE 'Likes ' || md5(g::text) END` },
    { name: 'login_count', ddl: 'integer NOT NULL DEFAULT 0', value: 'g % 97' },
    { name: 'created_at', ddl: 'timestamptz NOT NULL DEFAULT now()', value: `timestamptz '2020-01-01' + g * interval '1 minute'` },
    { name: 'updated_at', ddl: 'timestamptz NOT NULL DEFAULT now()', value: `timestamptz '2024-01-01' + g * interval '1 second'` },
  ];
}

/** The extra columns a seeded table gets beyond its key and the standard columns. */
export function addedColumns(extras: ExtraColumn[], key: string): ExtraColumn[] {
  const standard = new Set(standardColumns().map((c) => c.name));
  return extras.filter((e, i) => e.name !== key && !standard.has(e.name) && extras.findIndex((x) => x.name === e.name) === i);
}

/**
 * The partitions of a seeded table: `<table>_p0` .. `_p<n-1>`, even key ranges over the seeded rows,
 * the first from MINVALUE and the last to MAXVALUE, so every key the app inserts has a partition.
 */
export function partitionDdl(t: TableRef, n: number, rows: number): string[] {
  const size = Math.max(1, Math.ceil(rows / Math.max(n, 1)));
  return Array.from({ length: n }, (_, k) => {
    const from = k === 0 ? 'MINVALUE' : String(k * size + 1);
    const to = k === n - 1 ? 'MAXVALUE' : String((k + 1) * size + 1);
    const part = qualified({ schema: t.schema, name: `${t.name}_p${k}` });
    return `CREATE TABLE ${part} PARTITION OF ${qualified(t)} FOR VALUES FROM (${from}) TO (${to})`;
  });
}

export async function tableExists(client: pg.Client, t: TableRef): Promise<boolean> {
  const r = await client.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [qualified(t)]);
  return r.rows[0].t !== null;
}

/**
 * Creates and fills the table unless it exists. Returns whether it seeded. Rows go in chunks so
 * progress can be reported; keys and the unique index come after the load (faster), then VACUUM
 * ANALYZE so the planner and the visibility map look like a live table's.
 */
export async function seedTable(
  client: pg.Client,
  t: TableRef,
  opts: { rows: number; key: string; extras: ExtraColumn[]; log: (line: string) => void; partitions?: number },
): Promise<boolean> {
  if (await tableExists(client, t)) return false;
  const T = qualified(t);
  const K = quoteIdent(opts.key);
  const cols = standardColumns().filter((c) => c.name !== opts.key);
  for (const e of addedColumns(opts.extras, opts.key)) {
    const v = e.value ?? valueSql(e.type, 'g');
    const notNull = e.notNull && (v !== null || e.default);
    cols.push({
      name: e.name,
      ddl: `${e.type}${e.default ? ` DEFAULT ${e.default}` : ''}${notNull ? ' NOT NULL' : ''}`,
      value: v ?? (e.default ? e.default : 'NULL'),
    });
  }
  if (t.schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(t.schema)}`);
  const partitions = opts.partitions ?? 0;
  await client.query(
    `CREATE TABLE ${T} (${K} bigserial NOT NULL, ${cols.map((c) => `${quoteIdent(c.name)} ${c.ddl}`).join(', ')})` +
      (partitions ? ` PARTITION BY RANGE (${K})` : ''),
  );
  for (const ddl of partitionDdl(t, partitions, opts.rows)) await client.query(ddl);
  const chunk = 100_000;
  const started = Date.now();
  let lastLog = started;
  for (let from = 1; from <= opts.rows; from += chunk) {
    const to = Math.min(opts.rows, from + chunk - 1);
    await client.query(
      `INSERT INTO ${T} (${K}, ${cols.map((c) => quoteIdent(c.name)).join(', ')}) ` +
        `SELECT g, ${cols.map((c) => c.value).join(', ')} FROM generate_series($1::bigint, $2::bigint) AS g`,
      [from, to],
    );
    if (Date.now() - lastLog > 2000 || to === opts.rows) {
      lastLog = Date.now();
      opts.log(`seeding ${t.schema ? `${t.schema}.` : ''}${t.name}: ${to.toLocaleString('en-US')}/${opts.rows.toLocaleString('en-US')} rows`);
    }
  }
  await client.query(`SELECT setval(pg_get_serial_sequence(${quoteLiteral(T)}, ${quoteLiteral(opts.key)}), greatest((SELECT max(${K}) FROM ${T}), 1))`);
  opts.log(`seeding: primary key and ${partitions ? '' : 'unique '}email index`);
  // On the parent of a partitioned table each builds the partitions' indexes and attaches them.
  await client.query(`ALTER TABLE ${T} ADD PRIMARY KEY (${K})`);
  // PostgreSQL refuses a unique index on a partitioned table without the partition key: a plain one there.
  if (cols.some((c) => c.name === 'email')) await client.query(`CREATE ${partitions ? '' : 'UNIQUE '}INDEX ON ${T} (email)`);
  for (const e of opts.extras) if (e.index && cols.some((c) => c.name === e.name)) await client.query(`CREATE INDEX ON ${T} (${quoteIdent(e.name)})`);
  opts.log('seeding: VACUUM ANALYZE');
  await client.query(`VACUUM ANALYZE ${T}`);
  opts.log(`seeded ${opts.rows.toLocaleString('en-US')} rows in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return true;
}
