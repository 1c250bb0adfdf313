/** Pacing from ARM's rate-limit headers: parsing, and the gateway recording every response's budgets. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createHttpHeaders } from "@azure/core-rest-pipeline";
import { isAzureOperationError } from "../../src/errors";
import { budgetsFromHeaders, parseRemainingResource, paceSecondsFor, withPacing } from "../../src/azure/pacing";
import { toArmFailure } from "../../activities/armFailure";
import { gatewayFor, startFakeArm, SUB, type FakeArm } from "./fakeArm";

const VM1 = `/subscriptions/${SUB}/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/vm1`;
const RUNNING = { statuses: [{ code: "ProvisioningState/succeeded" }, { code: "PowerState/running" }] };

describe("rate-limit headers", () => {
  it("reads one entry per Compute policy, skipping malformed ones", () => {
    expect(
      parseRemainingResource(
        "Microsoft.Compute/LowCostGetResource;35, Microsoft.Compute/LowCostGetSubscriptionMaximum;23999",
      ),
    ).toEqual([
      { bucket: "Microsoft.Compute/LowCostGetResource", remaining: 35, refill: "minute" },
      { bucket: "Microsoft.Compute/LowCostGetSubscriptionMaximum", remaining: 23999, refill: "minute" },
    ]);
    expect(
      parseRemainingResource(
        "Microsoft.Compute/HighCostGet3Min;159,garbage,Microsoft.Compute/X;-1,Microsoft.Compute/Y;",
      ),
    ).toEqual([{ bucket: "Microsoft.Compute/HighCostGet3Min", remaining: 159, refill: "window", windowSeconds: 180 }]);
    expect(parseRemainingResource(undefined)).toEqual([]);
  });

  it("reads the two windows real Compute answers carry per policy", () => {
    expect(
      parseRemainingResource("Microsoft.Compute/HighCostGet3Min;133,Microsoft.Compute/HighCostGet30Min;657"),
    ).toEqual([
      { bucket: "Microsoft.Compute/HighCostGet3Min", remaining: 133, refill: "window", windowSeconds: 180 },
      { bucket: "Microsoft.Compute/HighCostGet30Min", remaining: 657, refill: "window", windowSeconds: 1800 },
    ]);
    // Both forms in one answer: each entry keeps its own kind.
    expect(
      parseRemainingResource(
        "Microsoft.Compute/PutVM3Min;239,Microsoft.Compute/PutVM30Min;1199,Microsoft.Compute/UpdateVMResource;11",
      ).map((b) => b.refill),
    ).toEqual(["window", "window", "minute"]);
  });

  it("paces by the tighter of a policy's two windows, and not at all while both have plenty left", () => {
    expect(
      paceSecondsFor(
        parseRemainingResource("Microsoft.Compute/HighCostGet3Min;133,Microsoft.Compute/HighCostGet30Min;657"),
      ),
    ).toBe(0);
    // 30 left of three minutes is 6 s apart (under the floor); 20 left of thirty minutes is 86 s apart: that decides.
    expect(
      paceSecondsFor(parseRemainingResource("Microsoft.Compute/PutVM3Min;30,Microsoft.Compute/PutVM30Min;20")),
    ).toBe(86);
    // The three-minute window spent, the thirty-minute one fine: wait out most of three minutes.
    expect(
      paceSecondsFor(parseRemainingResource("Microsoft.Compute/PutVM3Min;0,Microsoft.Compute/PutVM30Min;900")),
    ).toBe(180);
    // The thirty-minute window spent: as long as the longest documented Retry-After, no longer.
    expect(
      paceSecondsFor(parseRemainingResource("Microsoft.Compute/PutVM3Min;200,Microsoft.Compute/PutVM30Min;0")),
    ).toBe(1200);
    // A window and a token bucket in one answer: the longer wait wins.
    expect(
      paceSecondsFor(
        parseRemainingResource("Microsoft.Compute/GetOperation3Min;100,Microsoft.Compute/GetOperationResource;1"),
      ),
    ).toBe(60);
  });

  it("reads ARM's subscription buckets too", () => {
    const headers = createHttpHeaders({
      "x-ms-ratelimit-remaining-subscription-reads": "249",
      "x-ms-ratelimit-remaining-subscription-writes": "not a number",
      "x-ms-ratelimit-remaining-resource": "Microsoft.Compute/GetOperationResource;44",
    });
    expect(budgetsFromHeaders(headers)).toEqual([
      { bucket: "Microsoft.Compute/GetOperationResource", remaining: 44, refill: "minute" },
      { bucket: "subscription-reads", remaining: 249, refill: "second" },
    ]);
  });

  it("asks for a wait until Compute's next refill when a bucket is nearly spent, a short one for ARM's", () => {
    expect(paceSecondsFor(parseRemainingResource("Microsoft.Compute/LowCostGetResource;2"))).toBe(0);
    expect(paceSecondsFor(parseRemainingResource("Microsoft.Compute/LowCostGetResource;1"))).toBe(60);
    expect(paceSecondsFor(parseRemainingResource("Microsoft.Compute/LowCostGetSubscriptionMaximum;0"))).toBe(60);
    expect(paceSecondsFor([{ bucket: "subscription-writes", remaining: 3, refill: "second" }])).toBe(5);
    expect(paceSecondsFor([{ bucket: "subscription-writes", remaining: 100, refill: "second" }])).toBe(0);
  });
});

describe("the gateway paces from every response", () => {
  let fake: FakeArm;
  let remaining = 35;
  beforeAll(async () => {
    fake = await startFakeArm(() => ({
      status: 200,
      headers: {
        "x-ms-ratelimit-remaining-resource": `Microsoft.Compute/LowCostGetResource;${remaining},Microsoft.Compute/LowCostGetSubscriptionMaximum;23000`,
        "x-ms-ratelimit-remaining-subscription-reads": "240",
      },
      body: RUNNING,
    }));
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    remaining = 35;
  });

  it("reports no pace while the budgets are ample", async () => {
    const { gateway } = gatewayFor(fake);
    const r = await withPacing(() => gateway.getVmState(VM1));
    expect(r.value.powerState).toBe("running");
    expect(r.paceSeconds).toBe(0);
    expect(r.budgets.map((b) => b.remaining)).toEqual([35, 23000, 240]);
  });

  it("reports a pace when the VM's own Low Cost Get budget is nearly spent, for that call only", async () => {
    const { gateway } = gatewayFor(fake);
    remaining = 1;
    const [low, other] = await Promise.all([
      withPacing(() => gateway.getVmState(VM1)),
      withPacing(async () => {
        await new Promise((r) => setTimeout(r, 50));
        return "no request";
      }),
    ]);
    expect(low.paceSeconds).toBe(60);
    expect(other.paceSeconds).toBe(0);
    // Outside withPacing nothing is recorded and nothing fails.
    await expect(gateway.getVmState(VM1)).resolves.toMatchObject({ exists: true });
  });

  it("takes Compute's 429 OperationNotAllowed/TooManyRequests as throttled with its Retry-After", async () => {
    fake.setHandler(() => ({
      status: 429,
      headers: { "retry-after": "40", "x-ms-ratelimit-remaining-resource": "Microsoft.Compute/LowCostGetResource;0" },
      body: {
        error: {
          code: "OperationNotAllowed",
          message:
            "The server rejected the request because too many requests have been received for this subscription.",
          details: [
            {
              code: "TooManyRequests",
              target: "LowCostGetResource",
              message: '{"operationGroup":"LowCostGetResource","allowedRequestCount":36,"measuredRequestCount":37}',
            },
          ],
        },
      },
    }));
    const { gateway } = gatewayFor(fake);
    let caught: unknown;
    const r = await withPacing(() => gateway.getVmState(VM1).catch((e: unknown) => (caught = e)));
    expect(r.paceSeconds).toBe(60);
    expect(isAzureOperationError(caught) && caught.retryable).toBe(true);
    expect(toArmFailure(caught)).toMatchObject({
      status: "throttled",
      code: "OperationNotAllowed",
      statusCode: 429,
      retryAfterSeconds: 40,
    });
  });
});
