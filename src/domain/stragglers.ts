/**
 * Re-verification rules: which machines still run with the network policy they had before the exemption, and
 * which temporary subnets were left behind.
 *
 * A machine picks up the new policy only when it is started from deallocated after the exemption took effect.
 * A running VM (or uniform scale-set instance) whose last start is before that moment, or unknown, is a straggler.
 * A start after it may have been a restart from "stopped" (same host, old policy); ARM's instance view does not
 * say which, so such a machine counts as remediated.
 */
import type { Discovery, ScaleSetInfo, VmInfo } from "../contracts/discovery";
import { resourceKey } from "../contracts/ids";
import { TEMP_SUBNET_PREFIX } from "../contracts/options";
import type { Straggler } from "../contracts/reverify";

export interface LastRunView {
  /** When the exemption took effect: the last run's attestation.approvedAt. */
  exemptionEffectiveAt: string;
  /** Every resource the last run gave an outcome (any kind, any outcome). */
  resourceIds: readonly string[];
}

/** Started before the exemption took effect, or not known when. */
function stale(lastStartTime: string | undefined, effectiveAtMs: number): boolean {
  if (lastStartTime === undefined) return true;
  const t = Date.parse(lastStartTime);
  return Number.isNaN(t) || t < effectiveAtMs;
}

function earliest(times: readonly (string | undefined)[]): string | undefined {
  let best: { at: number; text: string } | undefined;
  for (const text of times) {
    if (text === undefined) continue;
    const at = Date.parse(text);
    if (!Number.isNaN(at) && (best === undefined || at < best.at)) best = { at, text };
  }
  return best?.text;
}

function vmStraggler(vm: VmInfo, effectiveAtMs: number, known: ReadonlySet<string>): Straggler | undefined {
  if (vm.powerState !== "running" || !stale(vm.lastStartTime, effectiveAtMs)) return undefined;
  return {
    resourceId: vm.id,
    kind: "vm",
    name: vm.name,
    resourceGroup: vm.resourceGroup,
    reason: known.has(resourceKey(vm.id)) ? "notStartedSinceRun" : "createdAfterRun",
    ...(vm.lastStartTime !== undefined ? { since: vm.lastStartTime } : {}),
  };
}

/** One straggler per scale set, when any running instance is stale; `since` is the oldest known start among them. */
function scaleSetStraggler(ss: ScaleSetInfo, effectiveAtMs: number, known: ReadonlySet<string>): Straggler | undefined {
  const staleInstances = ss.instances.filter((i) => i.powerState === "running" && stale(i.lastStartTime, effectiveAtMs));
  if (staleInstances.length === 0) return undefined;
  const since = earliest(staleInstances.map((i) => i.lastStartTime));
  return {
    resourceId: ss.id,
    kind: "scaleSet",
    name: ss.name,
    resourceGroup: ss.resourceGroup,
    reason: known.has(resourceKey(ss.id)) ? "notStartedSinceRun" : "createdAfterRun",
    ...(since !== undefined ? { since } : {}),
  };
}

/**
 * Running VMs and uniform scale sets not started since the exemption took effect, ordered by resource id.
 * "createdAfterRun" when the last run gave the resource no outcome (it did not exist, or was not listed, then).
 */
export function findStragglers(discovery: Discovery, lastRun: LastRunView): Straggler[] {
  const effectiveAtMs = Date.parse(lastRun.exemptionEffectiveAt);
  if (Number.isNaN(effectiveAtMs)) throw new RangeError(`exemptionEffectiveAt is not a time: ${lastRun.exemptionEffectiveAt}`);
  const known = new Set(lastRun.resourceIds.map(resourceKey));
  const seen = new Set<string>();
  const out: Straggler[] = [];
  const add = (s: Straggler | undefined): void => {
    if (s === undefined) return;
    const key = resourceKey(s.resourceId);
    if (seen.has(key)) return;
    seen.add(key);
    out.push(s);
  };
  for (const vm of discovery.vms) add(vmStraggler(vm, effectiveAtMs, known));
  for (const ss of discovery.scaleSets) add(scaleSetStraggler(ss, effectiveAtMs, known));
  return out.sort((a, b) => {
    const ka = resourceKey(a.resourceId);
    const kb = resourceKey(b.resourceId);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}

export interface TemporarySubnet {
  vnetId: string;
  vnetName: string;
  subnetName: string;
  /** The subnet's ARM id. */
  subnetId: string;
}

/**
 * Subnets named with the product's temporary prefix. Outside a live run every one of them is a leak: a run removes
 * its temporary subnet before it ends, and the caller only looks while no run of the subscription is live.
 */
export function findTemporarySubnets(discovery: Discovery): TemporarySubnet[] {
  const out: TemporarySubnet[] = [];
  for (const vnet of discovery.vnets) {
    for (const subnet of vnet.subnets) {
      if (!subnet.name.startsWith(TEMP_SUBNET_PREFIX)) continue;
      out.push({ vnetId: vnet.id, vnetName: vnet.name, subnetName: subnet.name, subnetId: `${vnet.id.replace(/\/+$/, "")}/subnets/${subnet.name}` });
    }
  }
  return out.sort((a, b) => (a.subnetId.toLowerCase() < b.subnetId.toLowerCase() ? -1 : a.subnetId.toLowerCase() > b.subnetId.toLowerCase() ? 1 : 0));
}
