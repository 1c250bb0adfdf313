/**
 * Compute's 3- and 30-minute windows and its wrapped allocation failures, through the real SDK and the product's
 * gateway against the simulator: the header names real answers carry, a 30-minute window spent answered with the
 * documented 1,200 s Retry-After, and ResourceOperationFailure read as the allocation code inside it.
 */
import { ComputeManagementClient } from "@azure/arm-compute";
import type { TokenCredential } from "@azure/core-auth";
import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config";
import { createArmGateway } from "../../src/azure/clients";
import { budgetsFromHeaders, paceSecondsFor } from "../../src/azure/pacing";
import { createHttpHeaders } from "@azure/core-rest-pipeline";
import { isAzureOperationError } from "../../src/errors";
import { startSimulator, type ScenarioInput, type SimulatorHandle } from "../../src/simulator";
import { ManualClock, smallScenario } from "./helpers";

const open: SimulatorHandle[] = [];
afterEach(async () => {
  while (open.length > 0) await open.pop()?.close();
});

function withCompute(
  computeThrottling: NonNullable<ScenarioInput["behaviour"]>["computeThrottling"],
  extra: Partial<NonNullable<ScenarioInput["behaviour"]>> = {},
): ScenarioInput {
  const base = smallScenario();
  return { ...base, behaviour: { ...base.behaviour, jitter: 0, ...extra, computeThrottling } };
}

async function sdk(scenario: ScenarioInput, clock: ManualClock) {
  const sim = await startSimulator({ scenario, clock, seed: 11 });
  open.push(sim);
  const credential: TokenCredential = {
    getToken: () => Promise.resolve({ token: sim.token, expiresOnTimestamp: Date.now() + 3_600_000 }),
  };
  const compute = new ComputeManagementClient(credential, sim.subscriptionId, {
    endpoint: sim.endpoint,
    tlsOptions: { ca: sim.caPem },
    retryOptions: { maxRetries: 0 },
  });
  return { sim, compute };
}

/** The x-ms-ratelimit-remaining-resource header of the last answer the SDK saw. */
function captured(): {
  onResponse: (r: { headers: { get(n: string): string | undefined } }) => void;
  header: () => string;
} {
  let value = "";
  return { onResponse: (r) => (value = r.headers.get("x-ms-ratelimit-remaining-resource") ?? ""), header: () => value };
}

describe("Compute's counting windows", () => {
  it("names two windows per policy as real answers do, alongside the page's buckets", async () => {
    const { compute } = await sdk(withCompute({}), new ManualClock());
    const list = captured();
    for await (const page of compute.virtualMachines.listAll({ onResponse: list.onResponse }).byPage())
      expect(page.length).toBeGreaterThan(0);
    expect(list.header()).toMatch(
      /^Microsoft\.Compute\/HighCostGet3Min;\d+,Microsoft\.Compute\/HighCostGet30Min;\d+,Microsoft\.Compute\/HighCostGetSubscriptionMaximum;\d+$/,
    );
    const off = captured();
    await compute.virtualMachines
      .beginPowerOff("rg-a", "vm1", { onResponse: off.onResponse, updateIntervalInMs: 1 })
      .then((p) => p.submitted());
    expect(off.header().split(",").slice(0, 2)).toEqual([
      "Microsoft.Compute/PutVM3Min;2999",
      "Microsoft.Compute/PutVM30Min;16499",
    ]);
  });

  it("answers the windows alone when the scenario asks for the captured form", async () => {
    const { compute } = await sdk(withCompute({ header: "windows" }), new ManualClock());
    const get = captured();
    await compute.virtualMachines.instanceView("rg-a", "vm1", { onResponse: get.onResponse });
    expect(get.header()).toBe("Microsoft.Compute/LowCostGet3Min;47999,Microsoft.Compute/LowCostGet30Min;263999");
  });

  it("refuses with the documented 1,200 s Retry-After once the 30-minute window is spent, and admits again after it", async () => {
    const clock = new ManualClock();
    const { sim, compute } = await sdk(withCompute({ windows: { UpdateVM: { thirtyMin: 2 } } }), clock);
    await compute.virtualMachines.beginPowerOff("rg-a", "vm1").then((p) => p.submitted());
    clock.advance(120);
    const second = captured();
    await compute.virtualMachines
      .beginStart("rg-a", "vm2", { onResponse: second.onResponse })
      .then((p) => p.submitted());
    expect(second.header()).toContain("Microsoft.Compute/PutVM30Min;0");
    // The product would not have sent the third: the window it read asks for the longest documented wait.
    expect(
      paceSecondsFor(budgetsFromHeaders(createHttpHeaders({ "x-ms-ratelimit-remaining-resource": second.header() }))),
    ).toBe(1200);

    clock.advance(60);
    const third = compute.virtualMachines.beginPowerOff("rg-b", "vm-noagent").then((p) => p.submitted());
    await expect(third).rejects.toMatchObject({ statusCode: 429, code: "OperationNotAllowed" });
    const refused = sim.requestLog().at(-1);
    expect(refused).toMatchObject({ status: 429, throttledBy: "compute" });

    const arm = createArmGateway(
      parseConfig({
        PORT25_ARM_ENDPOINT: sim.endpoint,
        PORT25_ARM_CA_FILE: sim.caFile,
        PORT25_ARM_STATIC_TOKEN: sim.token,
      }),
    );
    const vm = `/subscriptions/${sim.subscriptionId}/resourceGroups/rg-b/providers/Microsoft.Compute/virtualMachines/vm-noagent`;
    const e: unknown = await arm.beginVmPowerOperation(vm, "powerOff").then(
      () => undefined,
      (x: unknown) => x,
    );
    if (!isAzureOperationError(e)) throw new Error("expected the gateway to refuse");
    expect(e).toMatchObject({ statusCode: 429, retryable: true, retryAfterSeconds: 1200 });

    // Twenty minutes later the window has not ended yet (it began at the first request): refused again, with what is left.
    clock.advance(1200);
    const again: unknown = await arm.beginVmPowerOperation(vm, "powerOff").then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(again).toMatchObject({ statusCode: 429, retryAfterSeconds: 1800 - 120 - 60 - 1200 });
    clock.advance(1800 - 120 - 60 - 1200);
    await expect(arm.beginVmPowerOperation(vm, "powerOff")).resolves.toBeDefined();
  });

  it("counts a refused request in no window", async () => {
    const clock = new ManualClock();
    const { compute } = await sdk(withCompute({ windows: { LowCostGet: { threeMin: 1 } } }), clock);
    await compute.virtualMachines.instanceView("rg-a", "vm1");
    await expect(compute.virtualMachines.instanceView("rg-a", "vm1")).rejects.toMatchObject({ statusCode: 429 });
    clock.advance(180);
    const ok = captured();
    await compute.virtualMachines.instanceView("rg-a", "vm1", { onResponse: ok.onResponse });
    // Two admitted, one refused: the 30-minute window counts two.
    expect(ok.header()).toContain("Microsoft.Compute/LowCostGet3Min;0,Microsoft.Compute/LowCostGet30Min;263998");
  });
});

describe("allocation failures wrapped as Azure sometimes wraps them", () => {
  it.each([
    ["ResourceOperationFailure", "ZonalAllocationFailed"],
    ["ResourceDeploymentFailure", "OverconstrainedAllocationRequest"],
  ] as const)("a start failing with %s around %s is read by the gateway as the inner code", async (wrappedIn, code) => {
    const clock = new ManualClock();
    const scenario = withCompute(
      {},
      {
        faults: [{ kind: "allocationFailure", code, wrappedIn, match: { resource: "vm3" } }],
        responseShapes: { lro: "azureAsyncOperation" },
      },
    );
    const { sim, compute } = await sdk(scenario, clock);
    // The SDK's own poller sees the wrapper at the top and the real code in details.
    const poller = await compute.virtualMachines.beginStart("rg-a", "vm3", { updateIntervalInMs: 1 });
    clock.advance(120);
    const failure: unknown = await poller.pollUntilDone().then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(String(failure)).toContain(wrappedIn);

    const arm = createArmGateway(
      parseConfig({
        PORT25_ARM_ENDPOINT: sim.endpoint,
        PORT25_ARM_CA_FILE: sim.caFile,
        PORT25_ARM_STATIC_TOKEN: sim.token,
      }),
    );
    const vm = `/subscriptions/${sim.subscriptionId}/resourceGroups/rg-a/providers/Microsoft.Compute/virtualMachines/vm3`;
    const handle = await arm.beginVmPowerOperation(vm, "start");
    clock.advance(120);
    const status = await arm.getOperationStatus(handle);
    expect(status).toMatchObject({ status: "Failed", error: { code } });
    expect(status.error?.message).toContain(wrappedIn);
    expect(status.error?.retryable).toBeUndefined();
    // The instance view names the real cause too.
    const state = await arm.listVmPowerStates(sim.subscriptionId);
    expect(state.vms.find((v) => v.id.toLowerCase() === vm.toLowerCase())).toMatchObject({
      provisioningState: "Failed",
      provisioningCode: code,
    });
  });
});
