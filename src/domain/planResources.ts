/**
 * Per-resource rules (docs/architecture.md, "Per-resource rules"): every VM, uniform scale set and VNet gets an action or a skip reason.
 *
 * Rule order for VMs and scale sets: skip tag, invalid wave tag, managed resource group, provisioning state,
 * ephemeral OS disk, power state. A `port25-wave` tag that is not an integer ≥ 0 skips the resource (reason
 * invalidWaveTag): the tag says its owner wants it ordered, and cycling it in the wrong wave could take it down
 * alongside what it depends on; the message names the bad value so it can be fixed and the run repeated.
 */
import type { Discovery, LockInfo, ResourceGroupInfo, ScaleSetInfo, VmInfo } from "../contracts/discovery";
import { grantCommand, missingSubnetGrants } from "./subnetPermissions";
import { resourceKey } from "../contracts/ids";
import { type RemediationOptions } from "../contracts/options";
import type { PlanEntry, PowerStep } from "../contracts/plan";
import type { PowerState } from "../contracts/power";
import { TRANSITIONAL_POWER_STATES } from "../contracts/power";
import { egressPaths } from "./egress";
import { EXTRA_EXTENSION_READS } from "./discovery";
import {
  readWaveTag,
  hasCanaryTag,
  skip,
  commonSkip,
  commonOf,
  commonOfEntry,
  TRANSITIONAL_PROVISIONING,
  type Common,
} from "./planRules";
import { planVnet } from "./planVnet";
import { byPath, byRankThenId, markCanaries, runningVmsToCycle } from "./planCanary";

/** The steps of a running machine's cycle: powered off first (the default), or deallocated straight away. */
function runningSteps(options: Pick<RemediationOptions, "runningVmCycle">): PowerStep[] {
  return options.runningVmCycle === "deallocateStart" ? ["deallocate", "start"] : ["powerOff", "deallocate", "start"];
}
function planVm(vm: VmInfo, rg: ResourceGroupInfo | undefined, options: RemediationOptions): PlanEntry {
  const common = commonOf(vm, "vm", rg);
  const wave = readWaveTag(vm.tags);
  const extra: Partial<PlanEntry> = {
    stateBefore: vm.powerState,
    networkWatcherAgent: vm.networkWatcherAgent,
    availabilitySetId: vm.availabilitySetId,
    ...(vm.availabilitySetId !== undefined && vm.platformUpdateDomain !== undefined
      ? { updateDomain: vm.platformUpdateDomain }
      : {}),
    ...(vm.availabilitySetId !== undefined &&
    vm.platformUpdateDomain === undefined &&
    options.availabilitySetRule === "updateDomain"
      ? {
          availabilityNote:
            "update domain unknown (the instance view gave no platformUpdateDomain): cycled alone, no other member of its availability set down with it",
        }
      : {}),
    flexScaleSetId: vm.flexScaleSetId,
    zone: vm.zone,
    waveTag: wave.wave,
    // Low priority is the older name of Spot capacity: both can fail to start again after deallocation.
    ...(vm.priority !== "Regular" ? { spot: true } : {}),
  };
  const what = `VM ${vm.name}`;
  const early = commonSkip(common, what, vm.tags, rg, vm.provisioningState, vm.ephemeralOsDisk, extra);
  if (early !== undefined) return early;
  return powerRule(common, what, vm.powerState, options, extra);
}

function powerRule(
  common: Common,
  what: string,
  state: PowerState,
  options: RemediationOptions,
  extra: Partial<PlanEntry>,
): PlanEntry {
  switch (state) {
    case "running":
      return {
        ...common,
        ...extra,
        action: "cycle",
        steps: runningSteps(options),
        targetState: "running",
        canary: false,
      };
    case "stopped":
      return options.restoreStoppedVms
        ? {
            ...common,
            ...extra,
            action: "cycle",
            steps: ["deallocate", "start", "powerOff"],
            targetState: "stopped",
            canary: false,
          }
        : { ...common, ...extra, action: "cycle", steps: ["deallocate"], targetState: "deallocated", canary: false };
    case "deallocated":
      return skip(
        common,
        "alreadyDeallocated",
        `${what} is deallocated; it receives the new network policy at its next start`,
        extra,
      );
    case "unknown":
      return skip(
        common,
        "unknownPowerState",
        `${what} reports no power state; check it (Resource Health) and re-run`,
        extra,
      );
    default:
      if (TRANSITIONAL_POWER_STATES.includes(state))
        return skip(common, "transitionalState", `${what} is ${state}; re-run once it has settled`, extra);
      return skip(common, "unknownPowerState", `${what} is in power state ${String(state)}`, extra);
  }
}

function planScaleSet(ss: ScaleSetInfo, rg: ResourceGroupInfo | undefined, options: RemediationOptions): PlanEntry {
  const common = commonOf(ss, "scaleSet", rg);
  const wave = readWaveTag(ss.tags);
  const counts = new Map<string, number>();
  for (const i of ss.instances) counts.set(i.powerState, (counts.get(i.powerState) ?? 0) + 1);
  const summary = [...counts.entries()].map(([s, n]) => `${s} ${n}`).join(", ");
  const extra: Partial<PlanEntry> = {
    stateBefore: summary === "" ? "no instances" : summary,
    waveTag: wave.wave,
  };
  const what = `scale set ${ss.name}`;
  const early = commonSkip(common, what, ss.tags, rg, ss.provisioningState, ss.ephemeralOsDisk, extra);
  if (early !== undefined) return early;

  // Instances mid-operation or failed are left alone; only settled running/stopped ones are acted on.
  const settled = ss.instances.filter((i) => {
    const p = i.provisioningState.trim().toLowerCase();
    return p !== "failed" && !TRANSITIONAL_PROVISIONING.includes(p);
  });
  const running = settled.filter((i) => i.powerState === "running").map((i) => i.instanceId);
  const stopped = settled.filter((i) => i.powerState === "stopped").map((i) => i.instanceId);
  if (running.length === 0 && stopped.length === 0) {
    return skip(
      common,
      "noRunningInstances",
      `${what} has no running or stopped instances (${summary === "" ? "no instances" : summary}); they receive the policy at their next start`,
      extra,
    );
  }
  // `steps` apply to instanceIds; stoppedInstanceIds are deallocated (started and stopped again with restoreStoppedVms).
  const steps: PowerStep[] =
    running.length > 0
      ? runningSteps(options)
      : options.restoreStoppedVms
        ? ["deallocate", "start", "powerOff"]
        : ["deallocate"];
  const targetState: PowerState =
    running.length > 0 ? "running" : options.restoreStoppedVms ? "stopped" : "deallocated";
  return {
    ...common,
    ...extra,
    action: "cycle",
    steps,
    targetState,
    canary: false,
    instanceIds: running,
    stoppedInstanceIds: stopped,
  };
}

/**
 * Management locks (Learn "Lock your resources to protect your infrastructure") inherit down: a lock on the
 * subscription, the resource's group or the resource itself applies. ReadOnly refuses every POST action (a VM's
 * or scale set's powerOff, deallocate, start) and every subnet write; CanNotDelete refuses deletes, so on a VNet
 * (or above it) the temporary subnet could be added but never removed. Such a resource is not touched.
 */
function blockingLock(entry: PlanEntry, locks: readonly LockInfo[]): LockInfo | undefined {
  if (entry.action === "skip") return undefined;
  const id = resourceKey(entry.resourceId);
  const applies = (l: LockInfo): boolean => {
    const scope = resourceKey(l.scope);
    return scope !== "" && (id === scope || id.startsWith(`${scope}/`));
  };
  const blocks = (l: LockInfo): boolean =>
    l.level.toLowerCase() === "readonly" || (entry.kind === "vnet" && l.level.toLowerCase() === "cannotdelete");
  // ReadOnly first: it is the one to remove even where a CanNotDelete lock also stands.
  const found = locks.filter((l) => applies(l) && blocks(l));
  return found.find((l) => l.level.toLowerCase() === "readonly") ?? found[0];
}

/** The skip a blocking lock makes, naming the lock and what to do. */
function lockedSkip(entry: PlanEntry, lock: LockInfo): PlanEntry {
  const common = commonOfEntry(entry);
  const extra: Partial<PlanEntry> = {
    stateBefore: entry.stateBefore,
    delegatedSubnets: entry.delegatedSubnets,
  };
  const what =
    entry.kind === "vm"
      ? `VM ${entry.name}`
      : entry.kind === "scaleSet"
        ? `scale set ${entry.name}`
        : `VNet ${entry.name}`;
  const blocked =
    entry.kind === "vnet"
      ? lock.level.toLowerCase() === "readonly"
        ? "refuses adding the temporary subnet"
        : "would refuse deleting the temporary subnet (it would be left behind)"
      : "refuses powerOff, deallocate and start";
  return skip(
    common,
    "resourceLocked",
    `${what}: management lock '${lock.name}' (${lock.level}) on ${lock.scope} ${blocked}; remove it (az lock delete --ids ${lock.id}) or ask its owner, then run again for this resource`,
    extra,
  );
}

/**
 * A VNet whose resource group does not grant the app subnet write and delete (the subnet role, assigned only where
 * the operator listed the group) is never attempted: it is skipped naming what is missing and the command that
 * grants the role there.
 */
function withoutSubnetPermission(entry: PlanEntry, discovery: Discovery): PlanEntry {
  if (entry.kind !== "vnet" || entry.action === "skip") return entry;
  const lacks = missingSubnetGrants(discovery, entry.resourceId, entry.tempSubnetNetworkSecurityGroupId);
  if (lacks === undefined || lacks.length === 0) return entry;
  const commands = lacks.map((g) => grantCommand(discovery, g.resourceGroupId));
  const common = commonOfEntry(entry);
  const why = lacks
    .map(
      (g) =>
        (g.unreadable === undefined
          ? `lacks ${g.missing.join(" and ")}`
          : `could not be checked for ${g.missing.join(" and ")} (${g.unreadable})`) +
        ` at resource group ${g.resourceGroupId}`,
    )
    .join("; it ");
  return skip(
    common,
    "noSubnetPermission",
    `VNet ${entry.name}: the app identity ${why}; grant the subnet role there (${commands.join(" && ")}), then run again for this VNet`,
    {
      delegatedSubnets: entry.delegatedSubnets,
      grantCommand: commands.join(" && "),
    },
  );
}

function byKey<T extends { id: string }>(items: readonly T[]): T[] {
  const seen = new Map<string, T>();
  for (const item of items) {
    const key = resourceKey(item.id);
    if (!seen.has(key)) seen.set(key, item);
  }
  return [...seen.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
}

/**
 * The VMs whose extensions discovery should read, in order, so that the plan can choose its canaries: running VMs
 * the plan would cycle, tagged `port25-canary=true` first (their agent decides whether they can be probed), then
 * the others in the order the canary choice prefers them. Empty when no probe needs an agent (attestationOnly and
 * no tagged VM). Computed from a discovery whose agents are not read yet.
 */
export function canaryCandidates(discovery: Discovery, options: RemediationOptions): string[] {
  return canaryCandidatesByPath(discovery, options).flat();
}

/** canaryCandidates, one list per egress path. */
function canaryCandidatesByPath(discovery: Discovery, options: RemediationOptions): string[][] {
  const tags = new Map(discovery.vms.map((vm) => [resourceKey(vm.id), vm.tags] as const));
  const isTagged = (e: PlanEntry): boolean => hasCanaryTag(tags.get(resourceKey(e.resourceId)) ?? {});
  const out: string[][] = [];
  for (const path of byPath(runningVmsToCycle(planResources(discovery, options)))) {
    const tagged = path.filter(isTagged);
    if (tagged.length > 0) out.push(byRankThenId(tagged).map((e) => e.resourceId));
    else if (options.verification === "canaryProbe") out.push(byRankThenId(path).map((e) => e.resourceId));
  }
  return out;
}

const MAX_CANARY_READS = 200;

/**
 * The extension reads discovery makes for the canary choice: up to canaryCount + EXTRA_EXTENSION_READS candidates
 * of each egress path, taken in turn across paths, and how many with the agent are enough. With one path that is
 * the first `canaryCount` found; with several every candidate listed is read, so that each path finds its own.
 */
export function canaryReads(discovery: Discovery, options: RemediationOptions): { vmIds: string[]; wanted: number } {
  const perPath = canaryCandidatesByPath(discovery, options).map((ids) =>
    ids.slice(0, options.canaryCount + EXTRA_EXTENSION_READS),
  );
  const vmIds: string[] = [];
  for (let i = 0; perPath.some((ids) => i < ids.length); i++)
    for (const ids of perPath) if (i < ids.length) vmIds.push(ids[i] as string);
  // The activity takes at most MAX_CANARY_READS ids (a bound on one activity's ARM reads).
  vmIds.splice(MAX_CANARY_READS);
  return { vmIds, wanted: perPath.length <= 1 ? options.canaryCount : vmIds.length };
}

/**
 * With `onlyResourceIds` (or `resourceGroups`), every resource not listed (or outside those groups) becomes a "notSelected" skip, ahead of every other rule: the
 * run was asked not to look at it. Its state is kept so the report still shows it.
 */
function deselect(
  entry: PlanEntry,
  selected: ReadonlySet<string> | undefined,
  groups: ReadonlySet<string> | undefined,
): PlanEntry {
  const inGroups = groups === undefined || groups.has(entry.resourceGroup.toLowerCase());
  if ((selected === undefined || selected.has(resourceKey(entry.resourceId))) && inGroups) return entry;
  const common = commonOfEntry(entry);
  const extra: Partial<PlanEntry> = entry.stateBefore !== undefined ? { stateBefore: entry.stateBefore } : {};
  const what = entry.kind === "vm" ? "VM" : entry.kind === "scaleSet" ? "scale set" : "VNet";
  const why = inGroups
    ? "is not among the resources this run was limited to"
    : `is in resource group ${entry.resourceGroup}, outside the groups this run was limited to`;
  return skip(common, "notSelected", `${what} ${entry.name} ${why}`, extra);
}

/** One entry per VM, uniform scale set and VNet (VMs, then scale sets, then VNets; each ordered by resource id). */
export function planResources(discovery: Discovery, options: RemediationOptions): PlanEntry[] {
  const groups = new Map<string, ResourceGroupInfo>();
  for (const rg of discovery.resourceGroups) groups.set(rg.name.toLowerCase(), rg);
  const rgOf = (name: string): ResourceGroupInfo | undefined => groups.get(name.toLowerCase());
  const selected =
    options.onlyResourceIds === undefined ? undefined : new Set(options.onlyResourceIds.map(resourceKey));
  const limitedTo =
    options.resourceGroups === undefined ? undefined : new Set(options.resourceGroups.map((g) => g.toLowerCase()));

  const vms = byKey(discovery.vms);
  const vmsById = new Map(vms.map((vm) => [resourceKey(vm.id), vm] as const));
  const locks = discovery.locks ?? [];
  const paths = egressPaths(discovery);
  const withEgress = (entry: PlanEntry): PlanEntry => {
    const egress = paths.get(resourceKey(entry.resourceId));
    return egress === undefined ? entry : { ...entry, egress };
  };
  const entries = [
    ...vms.map((vm) => planVm(vm, rgOf(vm.resourceGroup), options)),
    ...byKey(discovery.scaleSets).map((ss) => planScaleSet(ss, rgOf(ss.resourceGroup), options)),
    ...byKey(discovery.vnets).map((vnet) => planVnet(vnet, rgOf(vnet.resourceGroup), options)),
  ]
    .map((entry) => {
      const lock = locks.length === 0 ? undefined : blockingLock(entry, locks);
      return lock === undefined ? entry : lockedSkip(entry, lock);
    })
    .map((entry) => withoutSubnetPermission(entry, discovery))
    .map((entry) => withEgress(deselect(entry, selected, limitedTo)));
  markCanaries(entries, vmsById, options);
  return entries;
}
