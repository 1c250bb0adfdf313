/**
 * The canary step of a subscription's run (remediateSubscription.ts, docs/architecture.md "The workflow"): the
 * plan's canary wave (tagged VMs, else the first eligible running VM with the Network Watcher agent) is cycled
 * first, then TCP 25 is probed from each canary VM (probeSmtp.ts, shared with the re-verification), one proof per
 * egress path (src/domain/canaryPaths.ts). With verification "attestationOnly" the probe is skipped; with
 * resources to cycle but no eligible canary, "canaryProbe" reports the canary unavailable, which halts the run
 * before it touches any VM.
 */
import type { OrchestrationContext, Task } from "durable-functions";
import type { PathConfirmation, PathVerdict } from "../src/contracts/egress";
import type { Discovery, NetworkWatcherInfo } from "../src/contracts/discovery";
import { resourceKey } from "../src/contracts/ids";
import type { Plan, PlanEntry } from "../src/contracts/plan";
import type { CanaryResult } from "../src/contracts/remediation";
import { describeVerdict, hopWithSubscription, pathsToProve, pathVerdict } from "../src/domain/canaryPaths";
import { pathKeyOf } from "../src/domain/planCanary";
import { confirmPath } from "./confirmEgress";
import { probeSmtp, type ProbeFacts } from "./probeSmtp";
import type { Run } from "./subscriptionRun";
import { runWave } from "./subscriptionWaves";

/** The subscription's Network Watcher in `location` (region names compared as ARM writes them either way). */
export function watcherIn(
  discovery: Pick<Discovery, "networkWatchers">,
  location: string,
): NetworkWatcherInfo | undefined {
  const region = (l: string): string => l.replace(/\s+/g, "").toLowerCase();
  return discovery.networkWatchers.find((w) => region(w.location) === region(location));
}

export function* runCanary(
  context: OrchestrationContext,
  run: Run,
  plan: Plan,
  discovery: Discovery,
  byId: ReadonlyMap<string, PlanEntry>,
): Generator<Task, CanaryResult | undefined, unknown> {
  const verification = run.input.options.verification;
  const host = run.input.probeHost;
  const proof = (vmIds: string[], r: Omit<CanaryResult, "vmIds" | "probeHost" | "verification">): CanaryResult => ({
    vmIds,
    probeHost: host,
    verification,
    ...r,
  });
  const canaryWave = plan.waves.find((w) => w.canary);
  const toCycle = plan.entries.filter((e) => e.action === "cycle");
  if (canaryWave === undefined) {
    if (toCycle.length === 0)
      return proof([], { result: "skipped", detail: "nothing to cycle, so nothing to prove first" });
    if (verification === "attestationOnly") {
      return proof([], {
        result: "skipped",
        detail: "attestation only: no canary was cycled first and TCP 25 was not probed",
      });
    }
    return proof([], {
      result: "unavailable",
      detail:
        "no eligible canary: no running VM is tagged port25-canary=true and none has the Network Watcher agent; " +
        "tag one (with the agent installed) or start the run with verification attestationOnly",
    });
  }
  run.phase = "canary";
  run.wave = canaryWave.index;
  run.publish();
  yield* runWave(context, run, canaryWave, byId);
  const canaries = canaryWave.batches.flatMap((b) => b.items.flatMap((id) => byId.get(resourceKey(id)) ?? []));
  const vmIds = canaries.map((c) => c.resourceId);
  const failed = canaries.filter((c) => run.outcomes.get(resourceKey(c.resourceId))?.outcome !== "cycled");
  if (failed.length > 0) {
    const names = failed
      .map((c) => `${c.name} (${run.outcomes.get(resourceKey(c.resourceId))?.message ?? "not cycled"})`)
      .join("; ");
    return proof(vmIds, {
      result: run.cancelled() ? "skipped" : "unavailable",
      detail: `the canary could not be cycled: ${names}`,
    });
  }
  if (verification === "attestationOnly") {
    return proof(vmIds, {
      result: "skipped",
      detail: "attestation only: the canary was cycled first but TCP 25 was not probed",
    });
  }
  if (run.cancelled()) return proof(vmIds, { result: "skipped", detail: "cancelled before the probe" });
  // One proof per egress path (src/domain/canaryPaths.ts): direct paths first, whose failure halts the run as it
  // always did; a path through an appliance or gateway gets its verdict and the run goes on.
  const details: string[] = [];
  let last: ProbeFacts = {};
  const verdicts: PathVerdict[] = [];
  const groups = pathsToProve(plan.entries);
  let directProven = false;
  for (const group of groups) {
    const onPath = canaries.filter((c) => c.kind === "vm" && pathKeyOf(c) === group.path.key);
    if (onPath.length === 0) {
      verdicts.push(pathVerdict(group, undefined, undefined));
      continue;
    }
    let verdict: PathVerdict | undefined;
    // The first canary's NIC's effective routes confirm (or contradict) the path; a "possible" path through a hub's
    // gateway is settled either way, and may turn out direct. Read only where discovery read the network (route
    // tables, NAT gateways or remote gateways exist): elsewhere every path is the system route to the Internet.
    let confirmation: PathConfirmation | undefined;
    const nicId =
      discovery.nics === undefined
        ? undefined
        : discovery.vms.find((v) => resourceKey(v.id) === resourceKey(onPath[0]?.resourceId ?? ""))?.nicIds?.[0];
    if (nicId !== undefined) {
      const confirmed = yield* confirmPath(context, (task) => run.await(task), nicId, group.path);
      confirmation = confirmed.confirmation;
      group.path = confirmed.path;
    }
    const withConfirmation = (v: PathVerdict): PathVerdict => (confirmation === undefined ? v : { ...v, confirmation });
    for (const vm of onPath) {
      const canary = { vmId: vm.resourceId, name: vm.name };
      const watcher = watcherIn(discovery, vm.location);
      if (watcher === undefined) {
        const detail = `no Network Watcher in region ${vm.location} to probe from ${vm.name}; enable Network Watcher there or use attestationOnly`;
        if (group.path.direct)
          return proof(vmIds, {
            result: "unavailable",
            detail,
            paths: [...verdicts, withConfirmation(pathVerdict(group, canary, { result: "unavailable", detail }))],
          });
        verdict = withConfirmation(pathVerdict(group, canary, { result: "unavailable", detail }));
        break;
      }
      const probe = yield* probeSmtp(
        context,
        {
          vmId: vm.resourceId,
          vmName: vm.name,
          watcher,
          host,
          unreachableMeans: group.path.direct
            ? "the exemption does not appear to be in effect"
            : `its traffic leaves through ${hopWithSubscription(group.path)}, which does not let it out`,
          // Just cycled: its agents report ready minutes after it runs (probeSmtp waits, and probes again, until then).
          agentReadyTimeoutSeconds: run.input.options.agentReadyTimeoutMinutes * 60,
        },
        (task) => run.await(task),
      );
      verdict = withConfirmation(pathVerdict(group, canary, probe));
      if (group.path.direct) {
        details.push(probe.detail);
        last = probe.facts;
        if (probe.result !== "reachable") {
          return proof(vmIds, {
            result: probe.result,
            detail: details.join("; "),
            ...last,
            haltCause: probe.cause,
            paths: [...verdicts, verdict],
          });
        }
        directProven = true;
      } else if (probe.result !== "reachable") {
        break;
      }
    }
    if (verdict !== undefined) verdicts.push(verdict);
  }
  if (!directProven && groups.some((g) => g.path.direct)) {
    return proof(vmIds, {
      result: "unavailable",
      detail:
        "no canary routes directly to the internet, so the exemption itself is unproven: tag a running VM on a direct path port25-canary=true (with the Network Watcher agent) or use attestationOnly",
      paths: verdicts,
    });
  }
  if (!directProven) {
    return proof(vmIds, {
      result: "skipped",
      detail: `no resource to cycle routes directly to the internet: ${verdicts.map(describeVerdict).join("; ")}`,
      paths: verdicts,
    });
  }
  return proof(vmIds, { result: "reachable", detail: details.join("; "), ...last, paths: verdicts });
}
