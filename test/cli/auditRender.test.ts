/** `port25 audit` read by a person: listings keep ids and times whole, and one run's record is a summary. */
import { describe, expect, it } from "vitest";
import { renderAuditedRun, renderRunList, timeCell } from "../../src/cli/auditRender";
import type { AuditedRun } from "../../src/contracts/audit";
import type { AuditVerification } from "../../src/audit/ledger";

const SUB = "5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
const RUN = "20261207T034459Z-7faab2ac";

describe("the run listing", () => {
  it("never cuts a run id, a subscription id or a time at 100 columns; the status and the starter wrap instead", () => {
    const out = renderRunList(
      [
        {
          runId: RUN,
          subscriptionId: SUB,
          status: "completedWithFailures",
          startedAt: "2026-12-07T03:47:09.123Z",
          requestedBy: "alice@contoso.example",
          clock: "wall",
        },
      ],
      100,
    );
    const row = out.split("\n")[2] ?? "";
    expect(row.startsWith(`${RUN}  ${SUB}  2026-12-07T03:47:09Z  `)).toBe(true);
    expect(out).not.toContain("simulated");
  });

  it("marks simulated times and says what the mark means", () => {
    const out = renderRunList(
      [
        {
          runId: RUN,
          subscriptionId: SUB,
          status: "completed",
          requestedAt: "2026-12-07T03:47:09Z",
          clock: "simulated",
        },
      ],
      100,
    );
    expect(out.split("\n")[2]).toContain("2026-12-07T03:47:09Z*");
    expect(out.split("\n").at(-1)).toMatch(/^\* simulated: on the simulation's virtual clock/);
  });

  it("shows a time to the second, in the form --from and --to take", () => {
    expect(timeCell("2026-12-07T03:47:09.999Z")).toBe("2026-12-07T03:47:09Z");
    expect(timeCell(undefined)).toBe("");
  });
});

const audited = (): AuditedRun => ({
  run: {
    runId: RUN,
    subscriptionId: SUB,
    status: "completedWithFailures",
    mode: "execute",
    requireApproval: true,
    requestedBy: "alice",
    requestedAt: "2026-12-07T03:40:00Z",
    attestation: { reference: "REQ-25-0001", approvedBy: "ops@contoso.example", approvedAt: "2026-12-06T09:00:00Z" },
    options: {} as AuditedRun["run"]["options"],
    probeHost: "smtp.contoso.example",
    campaign: undefined,
    clock: "simulated",
  },
  outcomes: [
    { resourceId: "/vm1", kind: "vm", name: "vm1", resourceGroup: "rg", outcome: "cycled", actions: [] },
    {
      resourceId: "/vm2",
      kind: "vm",
      name: "vm2",
      resourceGroup: "rg",
      outcome: "skipped",
      reasonCode: "alreadyDeallocated",
      actions: [],
    },
    {
      resourceId: "/vm3",
      kind: "vm",
      name: "vm3",
      resourceGroup: "rg",
      outcome: "skipped",
      reasonCode: "alreadyDeallocated",
      actions: [],
    },
    {
      resourceId: "/vm4",
      kind: "vm",
      name: "vm4",
      resourceGroup: "rg",
      outcome: "failed",
      reasonCode: "allocationFailed",
      actions: [],
      leftDown: {
        reason: "start failed twice",
        state: "deallocated",
        manualAction: "Start vm4 from the portal",
        attempts: 2,
      },
    },
  ] as AuditedRun["outcomes"],
});

describe("audit --run as text", () => {
  it("counts outcomes by reason, lists what was left down with its manual action, and says the ledger is whole", () => {
    const ok: AuditVerification = { ok: true, chains: [], records: 3, problems: [] };
    const text = renderAuditedRun(audited(), ok, "port25 audit --run X --html run-X.html");
    expect(text).toContain(`Run ${RUN} of subscription ${SUB}: completedWithFailures`);
    expect(text).toContain("Outcomes of 4 resources: cycled 1, skipped 2, failed 1");
    expect(text).toMatch(/skipped\s+alreadyDeallocated: Already deallocated.*\s+2\n/);
    expect(text).toContain("LEFT DOWN: 1 resource the run took down and could not bring back");
    expect(text).toContain(
      "  rg/vm4 (vm): deallocated — start failed twice\n    manual action: Start vm4 from the portal",
    );
    expect(text).toContain("Ledger: whole — 3 records of subscription");
    expect(text).toContain("Times (simulated)");
    expect(text.split("\n").slice(-2)).toEqual(["Report:", "  port25 audit --run X --html run-X.html"]);
  });

  it("says loudly when the ledger has been tampered with", () => {
    const bad: AuditVerification = {
      ok: false,
      chains: [],
      records: 3,
      problems: [
        { problem: "recordChanged", chain: `sub-${SUB}`, seq: 2, detail: "digest differs" },
      ] as AuditVerification["problems"],
    };
    expect(renderAuditedRun(audited(), bad, "x")).toContain(
      `Ledger: TAMPERED — 1 problem:\n  recordChanged in sub-${SUB} #2: digest differs`,
    );
  });
});
