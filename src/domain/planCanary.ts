/** Which VMs the canary wave holds: tagged canaries first, one per egress path, and what finds the Network Watcher agent. */
import type { VmInfo } from "../contracts/discovery";
import { resourceKey } from "../contracts/ids";
import { type RemediationOptions } from "../contracts/options";
import type { PlanEntry } from "../contracts/plan";
import { hasCanaryTag } from "./planRules";

/** Prefer VMs whose absence hurts least and whose restart is least likely to fail: no availability set, not spot. */
export function canaryRank(e: PlanEntry): number {
  return (e.availabilitySetId !== undefined ? 1 : 0) + (e.spot === true ? 2 : 0);
}

export function byRankThenId(entries: readonly PlanEntry[]): PlanEntry[] {
  return entries
    .map((e) => ({ e, rank: canaryRank(e), key: resourceKey(e.resourceId) }))
    .sort((a, b) => a.rank - b.rank || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((c) => c.e);
}

export function runningVmsToCycle(entries: readonly PlanEntry[]): PlanEntry[] {
  return entries.filter((e) => e.kind === "vm" && e.action === "cycle" && e.stateBefore === "running");
}

/** The egress path key of an entry ("internet" when it has none: a plan made before paths were read). */
export function pathKeyOf(e: PlanEntry): string {
  return e.egress?.key ?? "internet";
}

/** Entries grouped by egress path, in the order the paths first appear. */
export function byPath(entries: readonly PlanEntry[]): PlanEntry[][] {
  const groups = new Map<string, PlanEntry[]>();
  for (const e of entries) {
    const key = pathKeyOf(e);
    const list = groups.get(key);
    if (list === undefined) groups.set(key, [e]);
    else list.push(e);
  }
  return [...groups.values()];
}

/**
 * Marks canaries, one choice per egress path (the exemption covers only traffic routed directly to the internet,
 * so each path is proven apart): tagged VMs are canaries; on a path with none tagged, (canaryProbe) the first
 * eligible running VMs with the Network Watcher agent. With every VM on one path this is the choice it always was.
 */
export function markCanaries(
  entries: PlanEntry[],
  vmsById: ReadonlyMap<string, VmInfo>,
  options: RemediationOptions,
): void {
  const runningVms = runningVmsToCycle(entries);
  const isTagged = (e: PlanEntry): boolean => hasCanaryTag(vmsById.get(resourceKey(e.resourceId))?.tags ?? {});
  for (const path of byPath(runningVms)) {
    const tagged = path.filter(isTagged);
    if (tagged.length > 0) {
      for (const e of tagged) e.canary = true;
      continue;
    }
    if (options.verification !== "canaryProbe") continue;
    const candidates = byRankThenId(path.filter((e) => e.networkWatcherAgent === true));
    for (const e of candidates.slice(0, options.canaryCount)) e.canary = true;
  }
}

/** The Network Watcher agent, whatever the extension is named: publisher Microsoft.Azure.NetworkWatcher, type NetworkWatcherAgentLinux or …Windows. */
export function isNetworkWatcherAgent(ext: { publisher?: string | undefined; type?: string | undefined }): boolean {
  return (
    (ext.publisher ?? "").toLowerCase() === "microsoft.azure.networkwatcher" &&
    /^NetworkWatcherAgent(Linux|Windows)$/i.test(ext.type ?? "")
  );
}
