import { afterEach, describe, expect, it } from "vitest";
import { runRemediation, type ProductHost } from "../support/productHost";
import { checkInvariants } from "../support/invariants";
import { scenario } from "./scenarios";

const open: ProductHost[] = [];
afterEach(async () => {
  while (open.length > 0) await open.pop()?.close();
});

async function run(
  s: Parameters<typeof scenario>[0],
  start: Parameters<typeof runRemediation>[0] extends infer T ? Partial<T> : never = {},
) {
  const r = await runRemediation({ scenario: scenario(s), ...start });
  open.push(r.product);
  return r;
}

function writes(product: ProductHost): string[] {
  return product.sim
    .requestLog()
    .filter((e) => e.kind !== "read")
    .map((e) => `${e.method} ${e.path}`);
}

describe("runs that must not touch the subscription", () => {
  it("does nothing on an EA production subscription and says port 25 is open there", async () => {
    const { product, result } = await run({
      subscription: {
        id: "5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        name: "Prod",
        quotaId: "EnterpriseAgreement_2014-09-01",
        billing: { agreementType: "EnterpriseAgreement", workloadType: "Production" },
      },
    });
    expect(result.summary.status).toBe("nothingToDo");
    expect(result.classification.category).toBe("notBlocked");
    expect(writes(product)).toEqual([]);
    expect(result.outcomes.map((o) => o.reasonCode)).toEqual(["notBlocked", "notBlocked", "notBlocked"]);
    expect(checkInvariants(product.sim, result, product.scenario)).toEqual([]);
  });

  it("refuses pay-as-you-go Dev/Test with the relay advice and writes nothing", async () => {
    const { product, result } = await run({
      subscription: {
        id: "5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        name: "PAYG DT",
        quotaId: "MSDNDevTest_2014-09-01",
        billing: { agreementType: "MicrosoftOnlineServicesProgram", workloadType: "DevTest" },
      },
    });
    expect(result.summary.status).toBe("refused");
    expect(result.classification.category).toBe("blockedNotExemptible");
    expect(result.summary.message).toMatch(/587/);
    expect(writes(product)).toEqual([]);
    expect(result.outcomes.every((o) => o.outcome === "skipped" && o.reasonCode === "notExemptible")).toBe(true);
    expect(checkInvariants(product.sim, result, product.scenario)).toEqual([]);
  });

  it("refuses when the billing property is forbidden and names the missing permission", async () => {
    const { product, result } = await run({
      subscription: {
        id: "5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        name: "No billing read",
        quotaId: "MSDNDevTest_2014-09-01",
        billing: "forbidden",
      },
    });
    expect(result.summary.status).toBe("refused");
    expect(result.classification.category).toBe("unknown");
    expect(result.classification.missingPermission).toBe("Microsoft.Billing/billingProperty/read");
    expect(result.summary.message).toContain("Microsoft.Billing/billingProperty/read");
    // Named once, not repeated from ARM's own error text.
    expect(result.summary.message.split("Microsoft.Billing/billingProperty/read")).toHaveLength(2);
    // Unknown is not "not exemptible": every resource says the subscription could not be classified.
    expect(result.outcomes.every((o) => o.outcome === "skipped" && o.reasonCode === "subscriptionUnknown")).toBe(true);
    expect(writes(product)).toEqual([]);
    expect(checkInvariants(product.sim, result, product.scenario)).toEqual([]);
  });

  it("plans without writing: every resource skipped with planOnly or its own reason", async () => {
    const { product, result } = await run({ vms: undefined }, { mode: "plan" });
    expect(result.summary.status).toBe("planned");
    expect(writes(product)).toEqual([]);
    expect(result.plan?.counts.toCycle).toBe(3);
    expect(result.outcomes.map((o) => [o.outcome, o.reasonCode])).toEqual([
      ["skipped", "planOnly"],
      ["skipped", "planOnly"],
      ["skipped", "planOnly"],
    ]);
    expect(checkInvariants(product.sim, result, product.scenario)).toEqual([]);
  });

  it("ends approvalTimedOut when nobody approves in time, having written nothing", async () => {
    const { product, result } = await run({}, { requireApproval: true, options: { approvalTimeoutMinutes: 30 } });
    expect(result.summary.status).toBe("approvalTimedOut");
    expect(Date.parse(result.summary.endedAt) - Date.parse(result.summary.startedAt)).toBe(30 * 60_000);
    expect(writes(product)).toEqual([]);
    expect(result.outcomes.every((o) => o.reasonCode === "approvalTimedOut")).toBe(true);
    expect(checkInvariants(product.sim, result, product.scenario)).toEqual([]);
  });
});
