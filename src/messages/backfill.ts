/**
 * What a generated backfill script tells its user, written once here and rendered into each
 * script's language (Python f-string, Ruby interpolation, TypeScript template, PL/pgSQL RAISE).
 * `hole(name)` marks a value the script knows only when it runs (a lag, a key); everything else
 * is fixed at generation time.
 */
import { pythonQuote, pythonString, pythonStringBody } from '../render/strings.js';

export interface ScriptText {
  /** Fixed text and holes, alternating: text, hole, text, ..., text. */
  parts: string[];
  holes: string[];
}

const OPEN = '\u0001';
const CLOSE = '\u0002';

/** A value the script fills in when it runs: the name of a variable in scope where it is printed. */
export function hole(name: string): string {
  return `${OPEN}${name}${CLOSE}`;
}

function text(s: string): ScriptText {
  const parts: string[] = [];
  const holes: string[] = [];
  let rest = s;
  for (let i = rest.indexOf(OPEN); i >= 0; i = rest.indexOf(OPEN)) {
    const j = rest.indexOf(CLOSE, i);
    parts.push(rest.slice(0, i));
    holes.push(rest.slice(i + 1, j));
    rest = rest.slice(j + 1);
  }
  parts.push(rest);
  return { parts, holes };
}

export const BACKFILL_MESSAGES = {
  noKey: (table: string) =>
    text(
      `${table} has no primary key and no unique index on NOT NULL columns, so it cannot be walked in batches: ` +
        `add one (ALTER TABLE ${table} ADD PRIMARY KEY (...), or CREATE UNIQUE INDEX CONCURRENTLY ... on NOT NULL columns), then run this script again`,
    ),
  keyNotUnique: (table: string, key: string[]) =>
    text(
      `(${key.join(', ')}) is neither the primary key of ${table} nor a unique index on NOT NULL columns, so it cannot be walked in batches: ` +
        'generate the backfill again without --key (it then walks the primary key), or make those columns NOT NULL and unique',
    ),
  badWholeNumber: () => text(`${hole('flag')} must be a whole number of at least ${hole('least')}`),
  /** `flag`: how the script's user spells the option (`--max-replica-lag`, or psql's `-v max_replica_lag=`). */
  badDuration: (flag: string) => text(`${flag}${hole('value')} is not a duration: pass e.g. ${flag}2s or ${flag}500ms`),
  lagHidden: (flag: string) =>
    text(
      `${flag.trim()} needs to read the lag of every standby, and this role (${hole('role')}) sees none of it: ` +
        `GRANT pg_read_all_stats TO it, or run without ${flag.trim()}`,
    ),
  waitingForReplica: (flag: string) => text(`  waiting: a standby replays ${hole('lag')} behind, more than ${flag}${hole('max_lag')}`),
  replicaCaughtUp: () => text(`  standbys within ${hole('max_lag')} again after ${hole('waited')}s: resuming`),
  header: () =>
    text(
      `backfill ${hole('table')}: ${hole('description')} (key ${hole('key')}; about ${hole('estimate')} rows up to key ${hole('end_key')}; ` +
        `batches of up to ${hole('max_rows')} rows, about ${hole('batch_ms')} ms each; ${hole('workers')} worker(s))`,
    ),
  /** A partitioned table: each leaf gets its own bound, read when the run starts. */
  headerPartitioned: () =>
    text(
      `backfill ${hole('table')}: ${hole('description')} (key ${hole('key')}; about ${hole('estimate')} rows in ${hole('leaf_count')} partitions, ` +
        `walked one at a time, each up to its highest key when the run started; ` +
        `batches of up to ${hole('max_rows')} rows, about ${hole('batch_ms')} ms each; ${hole('workers')} worker(s))`,
    ),
  leafStarts: () => text(`  partition ${hole('leaf')}: up to key ${hole('end_key')}`),
  /** `flags`: how the script's user spells --start-after and --partition. */
  startAfterNeedsPartition: (table: string, startFlag: string, partitionFlag: string) =>
    text(`${table} is partitioned: ${startFlag} is a key in one partition, so name the partition too (${partitionFlag}, as the resume command prints it)`),
  notPartitioned: (table: string, partitionFlag: string, lastFlag: string) => text(`${table} is not partitioned: run without ${partitionFlag} and ${lastFlag}`),
  emptyTable: () => text(`backfill ${hole('table')}: no rows up to the end key, nothing to do`),
  stoppedRanges: () => text(`Stopped: ${hole('updated')} rows updated in ${hole('elapsed')}s. Resume each unfinished range (they can run at the same time):`),
  psqlStatementTimeout: () =>
    text(
      `statement_timeout is ${hole('value')} on this connection, and psql runs the whole backfill as one statement: ` +
        'it will be cancelled after that long (resume from the last key printed), unless you run it where statement_timeout is 0 ' +
        '(another role or database setting, or a connection that bypasses the pooler), or use the Python, Ruby or TypeScript script',
    ),
  /** A run given its end key (a resumed range) leaves the whole-table check to a run without it. */
  rangeDone: (endFlag: string) =>
    text(
      `Done: ${hole('updated')} rows updated in ${hole('elapsed')}s, up to key ${hole('end_key')}. ` +
        `Once every range is done, run the script without ${endFlag}: it checks the whole table and clears the dead rows the batches left`,
    ),
  /** A partitioned run given its last partition (a resumed range) leaves the whole-table check to a run without it. */
  rangeDonePartitioned: (flags: string) =>
    text(
      `Done: ${hole('updated')} rows updated in ${hole('elapsed')}s, up to partition ${hole('last_leaf')}. ` +
        `Once every range is done, run the script without ${flags}: it checks the whole table and clears the dead rows the batches left`,
    ),
  rangesStopped: () =>
    text('migscaffold: a range stopped before its end: run each stopped range again with the last "resume:" it printed'),
  /** Printed for every range before any starts: a range stopped before its first line still has its command. */
  rangeQueued: () => text(`range ${hole('worker')}/${hole('workers')} queued (resume: ${hole('resume')})`),
  psqlWorkers: () =>
    text(`running ${hole('workers')} ranges at once, one psql each (the progress lines name their range; Ctrl-C stops them all):`),
} as const;

// ---------------------------------------------------------------------------------------------
// Rendering in each script's language

/** A Python f-string; holes are expressions in scope. */
export function pythonFString(t: ScriptText): string {
  // Quoted as black quotes it (pythonString), so `black --check` leaves the script alone.
  if (!t.holes.length) return pythonString(t.parts[0]);
  const q = pythonQuote(t.parts.join(''));
  const esc = (s: string) => pythonStringBody(s, q).replace(/\{/g, '{{').replace(/\}/g, '}}');
  return `f${q}${t.parts.map((p, i) => esc(p) + (i < t.holes.length ? `{${t.holes[i]}}` : '')).join('')}${q}`;
}

/** A Ruby double-quoted string with interpolation. */
export function rubyInterpolated(t: ScriptText): string {
  const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/#/g, '\\#').replace(/\n/g, '\\n');
  return `"${t.parts.map((p, i) => esc(p) + (i < t.holes.length ? `#{${t.holes[i]}}` : '')).join('')}"`;
}

/** A TypeScript template literal; holes are the camelCase variables of their snake_case names. */
export function tsTemplateLiteral(t: ScriptText): string {
  const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${');
  const camel = (n: string) => n.replace(/_(\w)/g, (_m, c: string) => c.toUpperCase());
  return `\`${t.parts.map((p, i) => esc(p) + (i < t.holes.length ? `\${${camel(t.holes[i])}}` : '')).join('')}\``;
}

/** `'format with %', v_arg, v_arg` for PL/pgSQL's RAISE; holes are `v_<name>` variables. */
export function plpgsqlRaise(t: ScriptText): string {
  const fmt = t.parts.map((p) => p.replace(/%/g, '%%')).join('%');
  return [`'${fmt.replace(/'/g, "''")}'`, ...t.holes.map((h) => `v_${h}`)].join(', ');
}

/** The text with its holes filled (tests, psql's \echo of fixed text). */
export function fill(t: ScriptText, values: Record<string, string> = {}): string {
  return t.parts.map((p, i) => p + (i < t.holes.length ? (values[t.holes[i]] ?? `<${t.holes[i]}>`) : '')).join('');
}
