/**
 * `migscaffold rehearse --replica`: a throwaway primary with a real streaming standby, and per phase
 * the most WAL the standby had not replayed (sampled on the primary while the phase runs). Byte
 * counts only, no timing assertions:
 *   - through the CLI, with a standby replaying as it goes (the control): the backfill phase writes
 *     megabytes of WAL and the standby is never behind by all of it;
 *   - with the standby's replay paused before the first phase: the backfill phase reports at least
 *     all the WAL it wrote as not replayed.
 */
import { describe, it } from 'vitest';
import { findOperation } from '../../generators/index.js';
import { runMigscaffold } from '../support/lifecycle.js';
import { startLocalCluster } from '../../src/rehearse/cluster.js';
import { rehearse } from '../../src/rehearse/rehearse.js';
import { renderText, type Report } from '../../src/rehearse/report.js';
import { startStandby } from '../../src/rehearse/standby.js';

const ROWS = 20_000;
// --not-null: its plan has new code write the column before the backfill, so the backfill's check holds under traffic.
const FLAGS = ['--table', 'users', '--column', 'email_lower', '--type', 'text', '--not-null', '--backfill', 'lower(email)'];
// Each updated row is at least a heap update record in the WAL (about 70 bytes and more).
const BACKFILL_WAL = ROWS * 50;

/** The CLI in-process, as `migscaffold rehearse ...`. */
const cli = (args: string[]) => runMigscaffold(['rehearse', ...args]);

describe.concurrent('rehearse --replica', () => {
  it('control: a standby replaying as it goes is never behind by all of the backfill, and every phase reports its lag', async ({ expect }) => {
    const res = await cli(['add-column', ...FLAGS, '--replica', '--rows', String(ROWS), '--clients', '2', '--dwell', '150', '--max-stall', '600000', '--time-limit', '150', '--json']);
    const report = JSON.parse(res.stdout) as Report;
    const context = `${res.stderr}\n${JSON.stringify(report.problems ?? report, null, 2)}`;
    expect(res.code, context).toBe(0);
    expect(res.stderr).toMatch(/standby streaming on 127\.0\.0\.1:\d+/);
    for (const p of report.phases) expect(p.replica, p.key).toEqual({ maxLagBytes: expect.any(Number), maxReplayLagMs: expect.any(Number), walBytes: expect.any(Number) });
    const backfill = report.phases.find((p) => p.kind === 'backfill')!;
    expect(backfill.replica!.walBytes).toBeGreaterThan(BACKFILL_WAL);
    expect(backfill.replica!.maxLagBytes, context).toBeLessThan(backfill.replica!.walBytes);
    expect(renderText(report)).toMatch(/WAL +replica lag/);
  });

  it('paused replay: the backfill phase reports all the WAL it wrote as not replayed', async ({ expect }) => {
    const cluster = await startLocalCluster();
    try {
      const standby = await startStandby({ port: cluster.port, user: 'postgres', binDir: cluster.binDir });
      try {
        const op = findOperation('add-column')!;
        const answers = { table: 'users', column: 'email_lower', type: 'text', 'not-null': true, backfill: 'lower(email)', key: 'id' };
        const settings = { lockTimeout: '1s', batchSize: 1000, pauseMs: 0 };
        const result = await rehearse({
          url: cluster.url,
          plan: (a) => op.plan(a, settings),
          operation: op,
          answers,
          rows: ROWS,
          clients: 2,
          baselineMs: 200,
          dwellMs: 150,
          timeLimitMs: 150_000,
          // Caught up with the seeding, then replaying nothing until the rehearsal is over.
          replica: { ready: () => standby.caughtUp().then(() => standby.pause()) },
          log: () => {},
        });
        for (const p of result.phases) expect(p.error, p.phase.key).toBeUndefined();
        const backfill = result.phases.find((p) => p.phase.kind === 'backfill')!;
        expect(backfill.replica!.walBytes).toBeGreaterThan(BACKFILL_WAL);
        expect(backfill.replica!.maxBytes).toBeGreaterThanOrEqual(backfill.replica!.walBytes);
      } finally {
        await standby.resume().catch(() => {});
        await standby.stop();
      }
    } finally {
      await cluster.stop();
    }
  });

  it('with --database-url: one line, exit 2', async ({ expect }) => {
    const res = await cli(['add-column', ...FLAGS, '--replica', '--database-url', 'postgresql://u@127.0.0.1/x']);
    expect(res.code).toBe(2);
    expect(res.stderr).toBe(
      'migscaffold rehearse: --replica starts a throwaway primary and its streaming standby: leave out --database-url (rehearse does not replicate a server it did not start)\n',
    );
  });
});
