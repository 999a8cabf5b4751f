/**
 * vitest globalSetup for the `integration` project: starts one throwaway PostgreSQL 15 cluster for the
 * whole run, provides its ClusterInfo as `inject('pg')`, and stops it at the end (failures included).
 *
 * Dependencies (postgresql-15, alembic, activerecord) are installed by scripts/install-deps.sh, which
 * scripts/test.sh runs before vitest; this file does not install anything.
 *
 * Crash safety, in layers:
 *   1. the returned teardown stops the cluster (vitest runs it after failed runs too);
 *   2. process 'exit' and SIGINT/SIGTERM/SIGHUP handlers stop it synchronously;
 *   3. startCluster spawns a detached watchdog that stops it if this process dies by SIGKILL.
 */
import type { TestProject } from 'vitest/node';
import { startCluster, stopCluster, stopClusterSync, type ClusterInfo } from './pg.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pg: ClusterInfo;
  }
}

export default async function setup({ provide }: Pick<TestProject, 'provide'>): Promise<() => Promise<void>> {
  const info = await startCluster();
  let stopped = false;

  const onExit = (): void => {
    if (stopped) return;
    stopped = true;
    stopClusterSync(info);
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const onSignal = (signal: NodeJS.Signals): void => {
    onExit();
    removeHandlers();
    // If nobody else (vitest) handles this signal, restore the default behaviour: die by it.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  const removeHandlers = (): void => {
    process.off('exit', onExit);
    for (const s of signals) process.off(s, onSignal);
  };
  process.on('exit', onExit);
  for (const s of signals) process.on(s, onSignal);

  provide('pg', info);

  return async () => {
    removeHandlers();
    if (stopped) return;
    stopped = true;
    await stopCluster(info);
  };
}
