/**
 * The canary's proof, path by path. Microsoft's port-25 page: the exemption applies "only to VM traffic that is routed
 * directly to the internet"; through Azure Firewall port 25 goes out only under the firewall subscription's own
 * limits. So a canary on a direct path proves (or disproves) the exemption, and halts the run when it fails; a
 * canary behind an appliance or a gateway proves only what that hop lets out, which is reported, never counted
 * as a failure of the cycle (the VMs there still need it) and never passed off as success.
 */
import type { EgressPath, PathVerdict } from "../contracts/egress";
import type { PlanEntry } from "../contracts/plan";
import { ASSUMED_DIRECT } from "./egress";

interface PathGroup {
  path: EgressPath;
  /** Its resources to cycle (VMs and scale sets), in plan order. */
  entries: PlanEntry[];
}

/** The egress paths holding resources to cycle, direct ones first (their canaries may halt the run). */
export function pathsToProve(entries: readonly PlanEntry[]): PathGroup[] {
  const groups = new Map<string, PathGroup>();
  for (const e of entries) {
    if (e.action !== "cycle") continue;
    const path = e.egress ?? ASSUMED_DIRECT;
    const group = groups.get(path.key);
    if (group === undefined) groups.set(path.key, { path, entries: [e] });
    else group.entries.push(e);
  }
  return [...groups.values()].sort((a, b) => Number(b.path.direct) - Number(a.path.direct));
}

/** "the Azure Firewall … in subscription …" or the hop alone when its subscription is not known. */
export function hopWithSubscription(path: EgressPath): string {
  return path.hopSubscriptionId === undefined ? path.hop : `${path.hop} in subscription ${path.hopSubscriptionId}`;
}

interface ProbeOutcome {
  result: "reachable" | "unreachable" | "unavailable";
  detail: string;
}

/** The verdict of a path from its canary's probe (or the lack of one). */
export function pathVerdict(
  group: PathGroup,
  canary: { vmId: string; name: string } | undefined,
  probe: ProbeOutcome | undefined,
): PathVerdict {
  const resources = group.entries.map((e) => e.name);
  const base = {
    path: group.path,
    resources,
    ...(canary !== undefined ? { canaryVmId: canary.vmId, canaryName: canary.name } : {}),
  };
  if (canary === undefined || probe === undefined) {
    return {
      ...base,
      result: "noCanary",
      detail: `no canary on this path (a running VM with the Network Watcher agent, or tagged port25-canary=true): whether TCP 25 leaves ${group.path.direct ? "directly" : `through ${hopWithSubscription(group.path)}`} was not proven`,
    };
  }
  if (probe.result === "reachable") return { ...base, result: "reachable", detail: probe.detail };
  if (probe.result === "unavailable") return { ...base, result: "unavailable", detail: probe.detail };
  if (group.path.direct) return { ...base, result: "unreachable", detail: probe.detail };
  return {
    ...base,
    result: "blockedAtHop",
    detail: `exempted here, blocked at ${hopWithSubscription(group.path)}: ${probe.detail}`,
  };
}

/** What the canary's effective routes said of the path, in brackets (nothing when they were not read). */
function confirmationNote(v: PathVerdict): string {
  switch (v.confirmation?.status) {
    case "confirmed":
      return " [path confirmed by effective routes]";
    case "disagrees":
      return ` [${v.confirmation.detail}]`;
    case "unconfirmed":
      return " [path computed from route tables, effective routes not read]";
    default:
      return "";
  }
}

/** One line per path for the run's summary and the CLI. */
export function describeVerdict(v: PathVerdict): string {
  const on = `${v.resources.length} resource(s): ${v.resources.join(", ")}${confirmationNote(v)}`;
  const where = v.path.direct ? `direct (${v.path.hop})` : `via ${hopWithSubscription(v.path)}`;
  switch (v.result) {
    case "reachable":
      return `${where}: TCP 25 goes out — ${on}`;
    case "blockedAtHop":
      return `exempted here, blocked at ${hopWithSubscription(v.path)} — ${on}`;
    case "unreachable":
      return `${where}: TCP 25 blocked, the exemption is not in effect — ${on}`;
    case "unavailable":
      return `${where}: no verdict (${v.detail}) — ${on}`;
    case "noCanary":
      return `${where}: not proven (no canary on this path) — ${on}`;
    default:
      return `${where}: not probed — ${on}`;
  }
}

/** The paths whose port 25 does not go out or was not proven, in one sentence for the run's message (empty when none). */
export function pathsNotOut(paths: readonly PathVerdict[] | undefined): string {
  const open = (paths ?? []).filter((v) => v.result !== "reachable");
  return open.length === 0 ? "" : ` Port 25 by egress path: ${open.map(describeVerdict).join("; ")}.`;
}
