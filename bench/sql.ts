/** One query on a connection of its own: the bench's setup and read-backs, outside any measurement. */
import pg from 'pg';

export async function sql<T extends pg.QueryResultRow = Record<string, any>>(url: string, text: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(text)).rows;
  } finally {
    await c.end();
  }
}
