import { ComputeManagementClient } from "@azure/arm-compute";
import type { TokenCredential } from "@azure/core-auth";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { COMPUTE, connect, pick, smallScenario, str, vmPath, type Client } from "./helpers";

const VM_REFUSAL = (name: string): string =>
  `Operation 'powerOff' is not allowed on VM '${name}' since the VM is either deallocated or marked to be deallocated.`;

describe("power operations as Azure answers them", () => {
  let c: Client;
  beforeEach(async () => {
    c = await connect(smallScenario());
  });
  afterEach(() => c.sim.close());

  it("refuses powerOff of a deallocated VM with 409 OperationNotAllowed and Azure's message", async () => {
    const r = await c.call("POST", `${vmPath(c.sub, "rg-a", "vm3", "/powerOff")}?${COMPUTE}`);
    expect([r.status, str(r.body, "error.code"), str(r.body, "error.message")]).toEqual([
      409,
      "OperationNotAllowed",
      VM_REFUSAL("vm3"),
    ]);
    expect(c.sim.snapshot().vms.find((v) => v.name === "vm3")?.powerState).toBe("deallocated");
  });

  it("refuses powerOff of a VM being deallocated, and leaves the deallocation running", async () => {
    await c.call("POST", `${vmPath(c.sub, "rg-a", "vm1", "/deallocate")}?${COMPUTE}`);
    c.clock.advance(5);
    const r = await c.call("POST", `${vmPath(c.sub, "rg-a", "vm1", "/powerOff")}?${COMPUTE}`);
    expect([r.status, str(r.body, "error.code"), str(r.body, "error.message")]).toEqual([
      409,
      "OperationNotAllowed",
      VM_REFUSAL("vm1"),
    ]);
    c.clock.advance(120);
    expect(c.sim.snapshot().vms.find((v) => v.name === "vm1")?.powerState).toBe("deallocated");
  });

  it("still answers powerOff of a stopped VM as done, and deallocate or start of a VM already there", async () => {
    for (const [vm, op] of [
      ["vm2", "powerOff"],
      ["vm3", "deallocate"],
      ["vm1", "start"],
    ] as const) {
      const r = await c.call("POST", `${vmPath(c.sub, "rg-a", vm, `/${op}`)}?${COMPUTE}`);
      expect([vm, op, r.status < 300]).toEqual([vm, op, true]);
    }
    expect(c.sim.timeline()).toEqual([]);
  });

  it("refuses powerOff of a scale set naming a deallocated instance from api-version 2024-07-01", async () => {
    const path = `/subscriptions/${c.sub}/resourceGroups/rg-b/providers/Microsoft.Compute/virtualMachineScaleSets/ss1/powerOff`;
    const r = await c.call("POST", `${path}?${COMPUTE}`, { instanceIds: ["0", "2"] });
    expect([r.status, str(r.body, "error.code")]).toEqual([409, "OperationNotAllowed"]);
    expect(str(r.body, "error.message")).toMatch(
      /not allowed on VM scale set 'ss1' .* 2 are either deallocated or marked to be deallocated/,
    );
    // Without the deallocated instance it is accepted; before 2024-07-01 the spec promised no refusal.
    expect((await c.call("POST", `${path}?${COMPUTE}`, { instanceIds: ["0"] })).status).toBeLessThan(300);
    const old = await c.call("POST", `${path}?api-version=2024-03-01`, { instanceIds: ["2"] });
    expect(old.status).toBeLessThan(300);
  });

  it("refuses it through the real SDK, which sends an api-version that carries the refusal", async () => {
    const credential: TokenCredential = {
      getToken: () => Promise.resolve({ token: c.sim.token, expiresOnTimestamp: Date.now() + 3_600_000 }),
    };
    const compute = new ComputeManagementClient(credential, c.sub, {
      endpoint: c.sim.endpoint,
      tlsOptions: { ca: c.sim.caPem },
      retryOptions: { maxRetries: 0 },
    });
    const vm = compute.virtualMachines.beginPowerOffAndWait("rg-a", "vm3", { updateIntervalInMs: 5 });
    await expect(vm).rejects.toMatchObject({
      statusCode: 409,
      code: "OperationNotAllowed",
      message: VM_REFUSAL("vm3"),
    });
    const ss = compute.virtualMachineScaleSets.beginPowerOffAndWait("rg-b", "ss1", {
      vmInstanceIDs: { instanceIds: ["2"] },
      updateIntervalInMs: 5,
    });
    await expect(ss).rejects.toMatchObject({ statusCode: 409, code: "OperationNotAllowed" });
    const sent = c.sim
      .requestLog()
      .filter((e) => e.operation === "scaleSetPowerOff")
      .map((e) => e.apiVersion);
    expect(sent.every((v) => v !== undefined && v >= "2024-07-01")).toBe(true);
    expect(pick(c.sim.snapshot().scaleSets[0], "instances.2.powerState")).toBe("deallocated");
  });
});
