/**
 * Copies of what depends on a column (its indexes, CHECK and FOREIGN KEY constraints) onto another
 * column, for the expand / contract operations that replace a column by a new one (rename-column,
 * change-column-type). Indexes are built CONCURRENTLY, each alone in its migration; constraints are
 * added NOT VALID, then validated in a transaction of their own. At the contract the old column goes
 * (and what depends on it with it), and the copies take their final names.
 *
 * The definitions come from generation time (src/project/facts.ts): a concurrent build cannot be
 * decided inside a migration. The guards of the expand and the contract refuse when the column has
 * something the plan does not know.
 */
import { objectName, slug } from '../../sql/ident.js';
import type { ConstraintFact, IndexFact } from '../../project/facts.js';
import type { Migration, Statement, Verify } from '../types.js';
import { addConstraintNotValid, addConstraintUsingIndex, addConstraintValidated, constraintsInPlaceVerify, dropConstraint, renameConstraint, validateConstraint } from './constraints.js';
import { buildIndexFromTemplateMigration, createIndexFromTemplate, createIndexFromTemplateNow, dropIndexConcurrently, indexesValidVerify, renameIndex } from './indexes.js';
import { errors } from '../../messages/errors.js';
import { PARTITIONED_REFUSALS } from '../../messages/guards.js';
import { notPartitionedGuard } from './partitions.js';
import { label, type TableRef } from './table.js';

export interface Copy<F> {
  fact: F;
  /** The copy's name while the original exists. */
  build: string;
  /** Its name once the original is gone (renamed at the contract when it differs from `build`). */
  final: string;
}

export interface Copies {
  indexes: Copy<IndexFact>[];
  constraints: Copy<ConstraintFact>[];
}

export const NO_COPIES: Copies = { indexes: [], constraints: [] };

/**
 * `name` with every `_`-delimited occurrence of `from` replaced by `to` (`users_name_idx` becomes
 * `users_full_name_idx`), or null when the name does not mention `from`.
 */
export function renamedName(name: string, from: string, to: string): string | null {
  let out = '';
  let changed = false;
  for (let i = 0; i < name.length; ) {
    const bounded = (i === 0 || name[i - 1] === '_') && (i + from.length === name.length || name[i + from.length] === '_');
    if (from && bounded && name.startsWith(from, i)) {
      out += to;
      i += from.length;
      changed = true;
    } else out += name[i++];
  }
  return changed ? objectName(out) : null;
}

/** The copies and their names: `final(original)` is the name each copy keeps in the end. */
export function planCopies(indexes: IndexFact[], constraints: ConstraintFact[], final: (original: string) => string, tempSuffix: string): Copies {
  const names = (original: string) => {
    const f = final(original);
    return { build: f === original ? objectName(original, tempSuffix) : f, final: f };
  };
  return {
    indexes: indexes.map((fact) => ({ fact, ...names(fact.name) })),
    constraints: constraints.map((fact) => ({ fact, ...names(fact.name) })),
  };
}

export function hasCopies(c: Copies): boolean {
  return c.indexes.length > 0 || c.constraints.length > 0;
}

/** Names of the originals the copies replace: what the guards expect to find on the old column. */
export function originalNames(c: Copies): string[] {
  return [...c.indexes.map((x) => x.fact.name), ...c.constraints.map((x) => x.fact.name)];
}

/**
 * The migrations that build the copies on `column`: one per index (CONCURRENTLY, alone), then the
 * constraints NOT VALID in one transaction (after `guardFirst`), then their validation in another.
 * A copy of a constraint that is itself NOT VALID stays NOT VALID: old rows may break it.
 */
export function copyMigrations(t: TableRef, c: Copies, column: string, guardFirst: Statement | null): Migration[] {
  const out: Migration[] = c.indexes.map((x) =>
    buildIndexFromTemplateMigration(
      t,
      x.build,
      x.fact.unique,
      x.fact.body,
      column,
      slug(`copy index ${x.fact.name} to ${column}`),
      `A copy of ${x.fact.name} on ${column}; reads and writes continue during the build.`,
    ),
  );
  if (c.constraints.length) {
    out.push({
      name: slug(`copy constraints of ${t.name} to ${column}`),
      transaction: 'transaction',
      up: [
        ...(guardFirst ? [guardFirst] : []),
        ...c.constraints.map((x) => addConstraintNotValid(t, x.build, x.fact.def, column, `A copy of ${x.fact.name} on ${column}, NOT VALID: no scan under the lock.`)),
      ],
      down: c.constraints.map((x) => dropConstraint(t, x.build, `Drop the copy of ${x.fact.name}.`)),
    });
    const validated = c.constraints.filter((x) => x.fact.validated);
    if (validated.length)
      out.push({
        name: slug(`validate constraints of ${t.name} ${column}`),
        transaction: 'transaction',
        up: validated.map((x) => validateConstraint(t, x.build)),
        down: [],
        downNote: 'validation changes no data and no definition.',
      });
  }
  return out;
}

export function copiesVerify(t: TableRef, c: Copies): Verify[] {
  return [
    ...(c.indexes.length ? [indexesValidVerify(t, c.indexes.map((x) => x.build))] : []),
    ...(c.constraints.length ? [constraintsInPlaceVerify(t, c.constraints.map((x) => ({ name: x.build, validated: x.fact.validated })))] : []),
  ];
}

/**
 * Before the contract, the old column's indexes go CONCURRENTLY (no code uses the column any more):
 * the contract's DROP COLUMN then drops no index under its lock, and rolling it back rebuilds each one
 * CONCURRENTLY here, never under a lock that blocks writes.
 */
export function dropOriginalIndexMigrations(t: TableRef, c: Copies, column: string): Migration[] {
  return c.indexes.map((x) => ({
    name: slug(`drop index ${x.fact.name}`),
    transaction: 'none' as const,
    up: [dropIndexConcurrently(t, x.fact.name, `${x.fact.name} indexes ${column}, which no code uses any more; its copy ${x.build} takes over${x.build === x.final ? '' : ` (and its name, at the contract)`}.`)],
    down: [createIndexFromTemplate(x.fact.name, x.fact.unique, x.fact.body, column, `Rebuild ${x.fact.name} on ${column}; reads and writes continue.`)],
  }));
}

/**
 * In the contract, once the originals are gone: each copy takes its final name; the copy of an index
 * that backed a PRIMARY KEY or UNIQUE constraint becomes that constraint (USING INDEX, no scan).
 */
export function renameCopies(t: TableRef, c: Copies): Statement[] {
  return [
    ...c.indexes.map((x) =>
      x.fact.constraint ? addConstraintUsingIndex(t, x.fact.constraint.name, x.fact.constraint.kind === 'primary' ? 'primary' : 'unique', x.build) : null,
    ).filter((x): x is Statement => x !== null),
    ...c.indexes.filter((x) => !x.fact.constraint && x.build !== x.final).map((x) => renameIndex(t, x.build, x.final)),
    ...c.constraints.filter((x) => x.build !== x.final).map((x) => renameConstraint(t, x.build, x.final)),
  ];
}

/**
 * The contract's down: the copies take back the names they had while the originals existed; a
 * constraint made from a copy is dropped (its index with it) and the copy built again on `column`
 * (the name the copies' column has at that point), under the lock the rollback holds.
 */
export function unrenameCopies(t: TableRef, c: Copies, column: string): Statement[] {
  return [
    ...c.indexes.flatMap((x) =>
      x.fact.constraint
        ? [
            dropConstraint(t, x.fact.constraint.name, `${x.fact.constraint.name} goes with its index, which was the copy.`),
            createIndexFromTemplateNow(x.build, x.fact.unique, x.fact.body, column, `The copy ${x.build} again.`),
          ]
        : [],
    ),
    ...c.indexes.filter((x) => !x.fact.constraint && x.build !== x.final).map((x) => renameIndex(t, x.final, x.build)),
    ...c.constraints.filter((x) => x.build !== x.final).map((x) => renameConstraint(t, x.final, x.build)),
  ];
}

/**
 * The contract's down, once the old column is back: its constraints again, validated as they were
 * (the scan runs under the lock: the rollback of a contract is the exceptional path).
 */
export function restoreOriginalConstraints(t: TableRef, c: Copies, column: string): Statement[] {
  return c.constraints.map((x) =>
    addConstraintValidated(t, x.fact.name, x.fact.def, column, x.fact.validated, `${x.fact.name} on ${column} again.`),
  );
}

/**
 * The original indexes again on `column` (rollback paths, under the lock they hold): each built in the
 * transaction, and a PRIMARY KEY or UNIQUE constraint made from the one that backed it.
 */
export function rebuildOriginalIndexes(t: TableRef, c: Copies, column: string): Statement[] {
  return c.indexes.flatMap((x) => [
    createIndexFromTemplateNow(x.fact.name, x.fact.unique, x.fact.body, column, `Rebuild ${x.fact.name} on ${column} (under the lock this rollback holds anyway).`),
    ...(x.fact.constraint ? [addConstraintUsingIndex(t, x.fact.constraint.name, x.fact.constraint.kind === 'primary' ? 'primary' : 'unique', x.fact.name)] : []),
  ]);
}

/** Throws when something depends on the column that this recipe cannot copy. */
export function refuseUncopiable(
  what: string,
  deps: { indexes: IndexFact[]; referencedBy: { table: string; constraint: string }[] },
  o: { references?: boolean; keys?: boolean } = {},
): void {
  for (const ix of deps.indexes) {
    if (ix.constraint && !(o.keys && ix.constraint.kind !== 'exclude')) throw errors.copyConstraintIndex(what, ix.constraint.name, ix.constraint.kind.toUpperCase().replace('PRIMARY', 'PRIMARY KEY'));
    if (!ix.valid) throw errors.copyInvalidIndex(what, ix.name);
  }
  if (!o.references && deps.referencedBy.length) throw errors.copyReferenced(what, deps.referencedBy.map((r) => `${r.table}.${r.constraint}`));
}

/**
 * The copies PostgreSQL 15 cannot make on a partitioned table: every index (CREATE INDEX CONCURRENTLY
 * is refused on the parent, 0A000, and the contract's DROP INDEX CONCURRENTLY of the original too) and
 * every FOREIGN KEY (ADD FOREIGN KEY ... NOT VALID is refused). A CHECK is fine: NOT VALID, then
 * VALIDATE, recurse to every partition.
 */
export function copiesRefusedOnPartitioned(c: Copies): string[] {
  return [...c.indexes.map((x) => `index ${x.fact.name}`), ...c.constraints.filter((x) => x.fact.kind === 'foreign-key').map((x) => `foreign key ${x.fact.name}`)];
}

/**
 * First in the expand, when the plan copies what a partitioned table cannot take: refuses, under the
 * ACCESS SHARE of a catalogue read, if the table is partitioned when the migration runs (generation
 * could not tell: a schema dump, or the table partitioned since). Null when there is no such copy.
 * `final` is the column the copies end up on.
 */
export function copiesOnPartitionedGuard(t: TableRef, c: Copies, column: string, final: string): Statement | null {
  const refused = copiesRefusedOnPartitioned(c);
  const keys = keyConstraints(c);
  return refused.length
    ? notPartitionedGuard(
        t,
        keys.length ? PARTITIONED_REFUSALS.keyCopies(label(t), column, keys) : PARTITIONED_REFUSALS.copies(label(t), column, refused, final),
        'Guard: PostgreSQL 15 cannot build these copies on a partitioned table; refuse before any lock, before anything is added.',
      )
    : null;
}

/**
 * The primary key and unique constraints among the copies: dropping and building them again, as the
 * refusal advises for plain indexes, is no way out for a key.
 */
function keyConstraints(c: Copies): string[] {
  return c.indexes.flatMap((x) =>
    x.fact.constraint && x.fact.constraint.kind !== 'exclude' ? [`${x.fact.constraint.kind === 'primary' ? 'primary key' : 'unique constraint'} ${x.fact.constraint.name}`] : [],
  );
}

/** At generation, when the database said the table is partitioned: the same refusal, before anything is written. */
export function refuseCopiesOnPartitioned(t: TableRef, column: string, c: Copies, final: string, partitioned: boolean | undefined): void {
  if (!partitioned) return;
  const keys = keyConstraints(c);
  if (keys.length) throw errors.partitionedRefused(PARTITIONED_REFUSALS.keyCopies(label(t), column, keys, 'generation'));
  const refused = copiesRefusedOnPartitioned(c);
  if (refused.length) throw errors.partitionedRefused(PARTITIONED_REFUSALS.copies(label(t), column, refused, final, 'generation'));
}
