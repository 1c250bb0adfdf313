/** The host's statistics: running totals, and the per-instance figures `host.stats()` reports. */
import type { VirtualClock } from "./clock";
import type { InstanceStore } from "./store";
import type { HostStats } from "./types";

export interface Totals {
  episodes: number;
  activitiesRun: number;
  activityCompletionsDropped: number;
  timersFired: number;
  orchestratorCpuMs: number;
  orchestratorHandlerMs: number;
  episodeMs: number;
}

export function createTotals(): Totals {
  return {
    episodes: 0,
    activitiesRun: 0,
    activityCompletionsDropped: 0,
    timersFired: 0,
    orchestratorCpuMs: 0,
    orchestratorHandlerMs: 0,
    episodeMs: 0,
  };
}

/** Process CPU time so far (user and system), in milliseconds. */
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export function hostStats(clock: VirtualClock, store: InstanceStore, totals: Totals): HostStats {
  return {
    virtualTime: clock.now(),
    ...totals,
    instances: [...store.summaries()].map((r) => ({
      instanceId: r.instanceId,
      name: r.name,
      runtimeStatus: r.runtimeStatus,
      replays: r.replays,
      historyLength: r.historyLength,
      orchestratorCpuMs: r.orchestratorCpuMs,
    })),
  };
}
