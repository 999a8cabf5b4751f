/**
 * Schema dumps the operations' examples put in their project (db/structure.sql, as `pg_dump
 * --schema-only` writes it), so their snapshots show what generation does with a table's indexes and
 * constraints.
 */
export function usersDump(columns: string[], after: string[], idType = 'bigint'): string {
  return [
    'SET statement_timeout = 0;',
    "SELECT pg_catalog.set_config('search_path', '', false);",
    '',
    'CREATE TABLE public.users (',
    [`    id ${idType} NOT NULL`, '    email text NOT NULL', ...columns.map((c) => `    ${c}`)].join(',\n'),
    ');',
    '',
    'ALTER TABLE ONLY public.users',
    '    ADD CONSTRAINT users_pkey PRIMARY KEY (id);',
    '',
    ...after,
    '',
  ].join('\n');
}
