/**
 * The safe PostgreSQL recipes every operation is built from, by subject. Each function returns plan
 * pieces (statements, migrations, verifications, backfills); the SQL text of every step is written in
 * these modules and nowhere else: operations compose them.
 */
export * from './table.js';
export * from './plpgsql.js';
export * from './timeouts.js';
export * from './guards.js';
export * from './columns.js';
export * from './constraints.js';
export * from './indexes.js';
export * from './triggers.js';
export * from './backfills.js';
export * from './catalogue.js';
export * from './copies.js';
export * from './type-changes.js';
export * from './tables.js';
export * from './partitions.js';
