/** Builders of realistic run results for the audit store and report tests. */
import {
  RemediationResultSchema,
  type RemediationResult,
  type RemediationInput,
} from "../../src/contracts/remediation";
import type { ResourceOutcome } from "../../src/contracts/outcome";
import { RemediationOptionsSchema } from "../../src/contracts/options";
import type { Plan } from "../../src/contracts/plan";
import type { AuditedRun } from "../../src/contracts/audit";
import { runRecordOf } from "../../src/audit/runStore";

export const SUB_A = "11111111-2222-3333-4444-555555555555";
export const SUB_B = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";

export function vmId(sub: string, rg: string, name: string): string {
  return `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachines/${name}`;
}

export function runInput(overrides: Partial<RemediationInput> = {}): RemediationInput {
  const runId = overrides.runId ?? "run-0001";
  return {
    subscriptionId: SUB_A,
    attestation: { reference: "REQ-2024-0042", approvedBy: "ops.lead@example.com", approvedAt: "2026-11-20T08:00:00Z" },
    mode: "execute",
    requireApproval: false,
    options: RemediationOptionsSchema.parse({}),
    requestedBy: "alice@example.com",
    requestedAt: "2026-11-26T10:00:00.000Z",
    probeHost: "smtp.example.net",
    runId,
    ...overrides,
  };
}

const T0 = Date.parse("2026-11-26T10:05:00.000Z");
const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * `vms` VM outcomes in the mix a real run has: mostly cycled (with start/end times), some skipped for
 * various reasons, a few failed; plus a scale set and two VNets.
 */
export function outcomesFor(sub: string, vms: number): ResourceOutcome[] {
  const out: ResourceOutcome[] = [];
  for (let i = 0; i < vms; i++) {
    const name = `vm-${String(i).padStart(4, "0")}`;
    const resourceId = vmId(sub, `rg-${i % 7}`, name);
    const base = {
      resourceId,
      kind: "vm" as const,
      name,
      resourceGroup: `rg-${i % 7}`,
      wave: 1 + (i % 3),
      actions: [] as string[],
    };
    if (i % 10 === 3) {
      out.push({
        ...base,
        outcome: "skipped",
        reasonCode: "alreadyDeallocated",
        message: "deallocated; receives the policy at its next start",
        stateBefore: "deallocated",
      });
    } else if (i % 10 === 7) {
      out.push({
        ...base,
        outcome: "skipped",
        reasonCode: "managedResourceGroup",
        message: `managed by AKS cluster aks-${i}`,
      });
    } else if (i % 25 === 11) {
      out.push({
        ...base,
        outcome: "failed",
        reasonCode: "allocationFailed",
        errorCode: "AllocationFailed",
        message: "Allocation failed. We do not have sufficient capacity for the requested VM size in this region.",
        actions: ["powerOff", "deallocate", "start"],
        stateBefore: "running",
        stateAfter: "deallocated",
        startedAt: iso(T0 + i * 7_000),
        endedAt: iso(T0 + i * 7_000 + 95_000),
      });
    } else {
      out.push({
        ...base,
        outcome: "cycled",
        actions: ["powerOff", "deallocate", "start"],
        stateBefore: "running",
        stateAfter: "running",
        startedAt: iso(T0 + i * 7_000),
        endedAt: iso(T0 + i * 7_000 + 120_000 + (i % 5) * 10_000),
        ...(i === 0 ? { canary: true } : {}),
      });
    }
  }
  out.push({
    resourceId: `/subscriptions/${sub}/resourceGroups/rg-ss/providers/Microsoft.Compute/virtualMachineScaleSets/ss-web`,
    kind: "scaleSet",
    name: "ss-web",
    resourceGroup: "rg-ss",
    outcome: "cycled",
    actions: ["powerOff", "deallocate", "start"],
    detail: { instanceIds: ["0", "1", "3"] },
    startedAt: iso(T0 + 30_000),
    endedAt: iso(T0 + 250_000),
    wave: 2,
  });
  out.push({
    resourceId: `/subscriptions/${sub}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-hub`,
    kind: "vnet",
    name: "vnet-hub",
    resourceGroup: "rg-net",
    outcome: "cycled",
    actions: ["addSubnet", "deleteSubnet"],
    detail: { tempSubnet: "port25-temp-1a2b", prefix: "10.0.255.248/29" },
    startedAt: iso(T0 - 60_000),
    endedAt: iso(T0 - 20_000),
  });
  out.push({
    resourceId: `/subscriptions/${sub}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-spoke`,
    kind: "vnet",
    name: "vnet-spoke",
    resourceGroup: "rg-net",
    outcome: "skipped",
    reasonCode: "noFreeSubnetRange",
    message: "no free /29 in 10.1.0.0/24",
    actions: [],
  });
  return out;
}

export function planFor(entries: number): Plan {
  return {
    entries: Array.from({ length: entries }, (_, i) => ({
      resourceId: vmId(SUB_A, "rg-plan", `planned-${i}`),
      kind: "vm" as const,
      name: `planned-${i}`,
      resourceGroup: "rg-plan",
      location: "westeurope",
      action: "cycle" as const,
      steps: ["powerOff" as const, "deallocate" as const, "start" as const],
      canary: false,
    })),
    waves: [
      { index: 0, label: "untagged", canary: false, batches: [{ id: "w0l0", items: [], share: 1 }], parallel: 1 },
    ],
    caps: { maxConcurrency: 20, maxUnavailablePerAvailabilitySet: 1, maxUnavailablePerScaleSet: 5 },
    counts: { vms: entries, scaleSets: 0, vnets: 0, toCycle: entries, toRefresh: 0, skipped: 0 },
  };
}

export function runResult(
  options: {
    input?: Partial<RemediationInput>;
    vms?: number;
    outcomes?: ResourceOutcome[];
    plan?: Plan;
    message?: string;
    warnings?: string[];
  } = {},
): RemediationResult {
  const input = runInput(options.input);
  const outcomes = options.outcomes ?? outcomesFor(input.subscriptionId, options.vms ?? 20);
  const count = (k: string): number => outcomes.filter((o) => o.outcome === k).length;
  const byReason: Record<string, number> = {};
  for (const o of outcomes) if (o.reasonCode !== undefined) byReason[o.reasonCode] = (byReason[o.reasonCode] ?? 0) + 1;
  return RemediationResultSchema.parse({
    summary: {
      runId: input.runId,
      subscriptionId: input.subscriptionId,
      status: count("failed") > 0 ? "completedWithFailures" : "completed",
      mode: input.mode,
      message: options.message ?? `cycled ${count("cycled")}, skipped ${count("skipped")}, failed ${count("failed")}`,
      startedAt: "2026-11-26T10:01:00.000Z",
      endedAt: "2026-11-26T11:00:00.000Z",
      counts: {
        total: outcomes.length,
        cycled: count("cycled"),
        skipped: count("skipped"),
        failed: count("failed"),
        pending: 0,
      },
      byReason,
      byOutcome: { cycled: count("cycled"), skipped: count("skipped"), failed: count("failed") },
      canary: {
        vmIds: [outcomes[0]?.resourceId ?? ""],
        probeHost: input.probeHost,
        verification: "canaryProbe",
        result: "reachable",
        detail: "TCP 25 connected in 41 ms",
      },
      warnings: options.warnings ?? [],
    },
    classification: {
      category: "exemptible",
      reason: "agreement EnterpriseAgreement + workload DevTest",
      decidedBy: ["billingAccountAgreementType=EnterpriseAgreement", "subscriptionWorkloadType=DevTest"],
      quotaId: "MSDNDevTest_2014-09-01",
    },
    plan: options.plan ?? planFor(5),
    outcomes,
    input,
  });
}

/** The run as the audit store gives it back, built directly (for report tests that need no store). */
export function auditedFrom(result: RemediationResult): AuditedRun {
  return { run: runRecordOf(result), outcomes: result.outcomes };
}
