/** Human-readable renderings of a classification, a plan and a run's result. */
import type { Classification } from "../contracts/classification";
import type { Plan } from "../contracts/plan";
import type { RemediationResult } from "../contracts/remediation";
import { plural } from "../contracts/plural";
import { describeEgress } from "../domain/egress";
import { describeVerdict } from "../domain/canaryPaths";
import { describeSetOutages } from "../domain/planSetOutages";
import { formatTable } from "./table";

export function renderClassification(c: Classification): string {
  const lines = [`Subscription: ${c.category} — ${c.reason}`];
  if (c.warning) lines.push(`Warning: ${c.warning}`);
  if (c.advice) lines.push(`Advice: ${c.advice}`);
  if (c.missingPermission) lines.push(`Missing permission: ${c.missingPermission}`);
  return lines.join("\n");
}

function countBy<T>(items: readonly T[], key: (t: T) => string): [string, number][] {
  const m = new Map<string, number>();
  for (const i of items) m.set(key(i), (m.get(key(i)) ?? 0) + 1);
  return [...m.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/**
 * The VNets the app may not change subnets of, each with the command that grants the subnet role at its group: said
 * always (not only with --all), and printed unwrapped so that each command can be copied as it stands.
 */
export function renderGrantCommands(plan: Plan): string {
  const ungranted = plan.entries.filter((e) => e.action === "skip" && e.skipReason === "noSubnetPermission");
  if (ungranted.length === 0) return "";
  const one = ungranted.length === 1;
  const out = [
    `${plural(ungranted.length, "VNet")} with delegated subnets ${one ? "needs" : "need"} the subnet role at ${one ? "its" : "their"} resource group (never attempted without it):`,
  ];
  for (const e of ungranted) out.push(`  ${e.resourceGroup}/${e.name}`, `    ${e.grantCommand ?? e.skipMessage ?? ""}`);
  return out.join("\n");
}

export function renderPlan(plan: Plan, detailed: boolean): string {
  const c = plan.counts;
  const out = [
    `Plan: ${plural(c.vms, "VM")}, ${plural(c.scaleSets, "uniform scale set")}, ${plural(c.vnets, "VNet")} — ${c.toCycle} to cycle, ${plural(c.toRefresh, "VNet")} to refresh, ${c.skipped} skipped`,
    `Caps: ${plan.caps.maxConcurrency} at once, ${
      plan.caps.availabilitySetRule === "updateDomain"
        ? "one update domain per availability set"
        : `${plan.caps.maxUnavailablePerAvailabilitySet} per availability set`
    }, ${plan.caps.maxUnavailablePerScaleSet} per flexible scale set`,
    `Running VMs: ${plan.runningVmCycle === "deallocateStart" ? "deallocate → start (two writes)" : "power off → deallocate → start"}`,
    ...(plan.resourceGroups === undefined
      ? []
      : [
          `Limited to resource groups: ${plan.resourceGroups.join(", ")} (every other resource is skipped, not selected)`,
        ]),
    `Waves: ${
      plan.waves
        .map((w) => {
          const n = w.batches.reduce((sum, b) => sum + b.items.length, 0);
          return `${w.label} (${n} in ${w.batches.length} lane${w.batches.length === 1 ? "" : "s"}, ${Math.min(w.parallel, w.batches.length)} at once)`;
        })
        .join(", ") || "none"
    }`,
  ];
  // Egress paths: said only when some traffic does not go straight to the internet (the exemption covers only that).
  const routed = plan.entries.filter((e) => e.egress !== undefined);
  const showEgress = routed.some((e) => e.egress?.direct === false || e.egress?.basis === "assumed");
  if (showEgress) {
    out.push(
      `Egress paths: ${countBy(routed, (e) => (e.egress === undefined ? "" : describeEgress(e.egress)))
        .map(([p, n]) => `${p} — ${plural(n, "resource")}`)
        .join("; ")}`,
    );
  }
  // Members the availability-set rule cannot place (an update domain unknown): said, since they slow their set.
  const noted = plan.entries.filter((e) => e.action === "cycle" && e.availabilityNote !== undefined);
  if (noted.length > 0)
    out.push(
      `Availability sets: ${noted.map((e) => `${e.resourceGroup}/${e.name}: ${e.availabilityNote ?? ""}`).join("; ")}`,
    );
  // Sets the caps let the run take fully down (members already stopped count as down): said before it happens.
  if (plan.setOutages !== undefined && plan.setOutages.length > 0)
    out.push(`Availability sets that may have no member running while cycled: ${describeSetOutages(plan.setOutages)}`);
  const skipped = plan.entries.filter((e) => e.action === "skip");
  if (skipped.length > 0) {
    out.push(
      "",
      formatTable(
        ["skip reason", "resources"],
        countBy(skipped, (e) => e.skipReason ?? "unspecified"),
      ),
    );
  }
  if (detailed) {
    out.push(
      "",
      formatTable(
        ["resource", "kind", "state", "action", "wave / reason", ...(showEgress ? ["egress"] : [])],
        plan.entries.map((e) => [
          `${e.resourceGroup}/${e.name}${e.canary ? " (canary)" : ""}`,
          e.kind,
          String(e.stateBefore ?? ""),
          e.action === "skip"
            ? "skip"
            : e.action === "refreshSubnet"
              ? `temp subnet ${e.tempSubnetPrefix ?? ""}`
              : e.steps.join(" → "),
          e.action === "skip"
            ? (e.skipMessage ?? e.skipReason ?? "")
            : [
                e.waveTag !== undefined ? `wave tag ${e.waveTag}` : "",
                plan.caps.availabilitySetRule === "updateDomain" && e.updateDomain !== undefined
                  ? `update domain ${e.updateDomain}`
                  : "",
              ]
                .filter((x) => x !== "")
                .join(", "),
          ...(showEgress ? [e.egress === undefined ? "" : describeEgress(e.egress)] : []),
        ]),
      ),
    );
  }
  return out.join("\n");
}

/**
 * The resources the run took down and could not bring back, one line each with the reason and the manual action:
 * printed first, before anything else about the run, because each needs an operator now.
 */
function renderLeftDown(result: RemediationResult): string[] {
  const down = result.summary.leftDown ?? leftDownOf(result);
  if (down.length === 0) return [];
  return [
    `LEFT DOWN: ${down.length} resource(s) the run took down and could not bring back — act on each:`,
    ...down.flatMap((d) => [
      `  LEFT DOWN ${d.resourceGroup}/${d.name}${d.instanceIds !== undefined ? ` instances ${d.instanceIds.join(", ")}` : ""}: ${d.state}${d.errorCode !== undefined ? ` (${d.errorCode})` : ""} — ${d.reason}`,
      `    manual action: ${d.manualAction}`,
    ]),
  ];
}

/** For results recorded before the summary listed them. */
function leftDownOf(result: RemediationResult): NonNullable<RemediationResult["summary"]["leftDown"]> {
  return result.outcomes.flatMap((o) =>
    o.leftDown === undefined
      ? []
      : [{ resourceId: o.resourceId, kind: o.kind, name: o.name, resourceGroup: o.resourceGroup, ...o.leftDown }],
  );
}

export function renderSummary(
  result: RemediationResult,
  timing?: { simulatedSeconds: number; realSeconds: number },
): string {
  const s = result.summary;
  const leftDown = renderLeftDown(result);
  const restored = result.outcomes.filter((o) => o.restored === true);
  const out = [
    `Run ${s.runId}: ${s.status} — ${s.message}`,
    ...(leftDown.length > 0 ? ["", ...leftDown, ""] : []),
    renderClassification(result.classification),
    "",
    formatTable(
      ["outcome", "resources"],
      [
        ["cycled", s.counts.cycled],
        ["skipped", s.counts.skipped],
        ["failed", s.counts.failed],
        ...((s.counts.leftDown ?? 0) > 0 ? [["  of which LEFT DOWN", s.counts.leftDown ?? 0] as [string, number]] : []),
        ["total", s.counts.total],
      ],
    ),
  ];
  if (restored.length > 0) {
    out.push(
      "",
      `Restored: ${restored.length} resource(s) failed after the run took them down and were started again (not cycled: run again for them): ${restored.map((o) => o.name).join(", ")}`,
    );
  }
  const reasons = Object.entries(s.byReason).sort((a, b) => b[1] - a[1]);
  if (reasons.length > 0) out.push("", formatTable(["reason", "resources"], reasons));
  const failed = result.outcomes.filter((o) => o.outcome === "failed");
  if (failed.length > 0) {
    out.push(
      "",
      "Failures:",
      ...failed
        .slice(0, 20)
        .map((o) =>
          `  ${o.resourceGroup}/${o.name}: ${o.reasonCode ?? ""} ${o.errorCode ?? ""} ${o.message ?? ""}`.trimEnd(),
        ),
    );
    if (failed.length > 20) out.push(`  … and ${failed.length - 20} more (see the report)`);
  }
  if (s.canary)
    out.push(
      "",
      `Canary: ${s.canary.result} (${s.canary.verification}, probe ${s.canary.probeHost}:25)${s.canary.detail ? ` — ${s.canary.detail}` : ""}`,
    );
  const paths = s.canary?.paths ?? [];
  if (paths.length > 1 || paths.some((v) => !v.path.direct))
    out.push("Port 25 by egress path:", ...paths.map((v) => `  ${describeVerdict(v)}`));
  for (const w of s.warnings) out.push(`Warning: ${w}`);
  if (timing)
    out.push("", `Time: ${formatDuration(timing.simulatedSeconds)} simulated, ${timing.realSeconds.toFixed(1)} s real`);
  return out.join("\n");
}

export function formatDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.round(seconds % 60);
  return h > 0 ? `${h}h ${m}m ${s}s` : m > 0 ? `${m}m ${s}s` : `${s}s`;
}
