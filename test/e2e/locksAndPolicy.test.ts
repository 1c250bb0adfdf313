/**
 * Management locks and Azure Policy, end to end on the durable host against the simulator: a lock read at
 * planning skips what it blocks; a lock added during the run (played here by wrapping the simulator's world, as
 * another actor would) is final, never retried, and what it keeps down or leaves behind is reported with the lock
 * and the command; a policy deny is reported with its assignment, and nothing is left behind.
 */
import { describe, expect, it } from "vitest";
import { startProductHost, type ProductHost } from "../support/productHost";
import { checkInvariants } from "../support/invariants";
import type { RemediationResult } from "../../src/contracts/remediation";
import type { ScenarioInput, World } from "../../src/simulator";
import { fleet, scenario, SUBSCRIPTION_ID } from "./scenarios";
import { outcome, run, track } from "./checkedRuns";

const NSG = `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/rg-net/providers/Microsoft.Network/networkSecurityGroups/nsg-ase`;

/** A fleet, and a VNet in rg-net with an ASE-delegated subnet (with its NSG when `nsg`). */
function withVnet(parts: Partial<ScenarioInput> = {}, nsg = false): ScenarioInput {
  return scenario({
    vms: fleet(2),
    ...parts,
    resourceGroups: [
      { name: "rg-app", location: "westeurope" },
      { name: "rg-net", location: "westeurope" },
      { name: "NetworkWatcherRG", location: "westeurope" },
    ],
    vnets: [
      {
        name: "vnet-ase",
        resourceGroup: "rg-net",
        addressPrefixes: ["10.20.0.0/16"],
        subnets: [
          {
            name: "ase",
            addressPrefix: "10.20.0.0/24",
            delegations: ["Microsoft.Web/hostingEnvironments"],
            ...(nsg ? { networkSecurityGroup: "nsg-ase" } : {}),
          },
        ],
      },
    ],
  });
}

/** Runs one remediation, `actor` wired into the world first (what someone else does during the run). */
async function runWith(
  s: ScenarioInput,
  actor: (w: World) => void,
): Promise<{ product: ProductHost; result: RemediationResult }> {
  const product = track(await startProductHost({ scenario: s }));
  actor(product.sim.world());
  product.start();
  await product.run();
  const result = product.result();
  expect(checkInvariants(product.sim, result, product.scenario)).toEqual([]);
  return { product, result };
}

function requests(product: ProductHost, method: string, pattern: RegExp): number {
  return product.sim.requestLog().filter((e) => e.method === method && pattern.test(e.path)).length;
}

describe("a lock read at planning", () => {
  it("skips the VMs and the VNet refresh it blocks, names the lock, and touches none of them", async () => {
    const { product, result } = await run({
      scenario: withVnet({
        locks: [
          {
            name: "app-freeze",
            level: "ReadOnly",
            scope: { resourceGroup: "rg-app", type: "Microsoft.Compute/virtualMachines", name: "app-001" },
          },
          { name: "net-keep", level: "CanNotDelete", scope: { resourceGroup: "rg-net" } },
        ],
      }),
    });
    expect(outcome(result, "app-001")).toMatchObject({ outcome: "skipped", reasonCode: "resourceLocked", actions: [] });
    expect(outcome(result, "app-001").message).toContain("management lock 'app-freeze' (ReadOnly)");
    expect(outcome(result, "app-001").message).toContain("az lock delete --ids /subscriptions/");
    expect(outcome(result, "vnet-ase")).toMatchObject({ outcome: "skipped", reasonCode: "resourceLocked" });
    expect(outcome(result, "vnet-ase").message).toContain("management lock 'net-keep' (CanNotDelete)");
    expect(outcome(result, "app-002")).toMatchObject({ outcome: "cycled" });
    expect(product.sim.timeline(outcome(result, "app-001").resourceId)).toEqual([]);
    expect(requests(product, "PUT", /\/subnets\//i)).toBe(0);
    expect(result.summary.byReason["resourceLocked"]).toBe(2);
    expect(requests(product, "GET", /\/providers\/Microsoft\.Authorization\/locks$/i)).toBe(1);
  });
});

describe("a lock added during the run", () => {
  it("refuses a VM's first step: skipped resourceLocked, sent once, left running untouched", async () => {
    const { product, result } = await runWith(withVnet(), (w) => {
      const begin = w.beginPower.bind(w);
      w.beginPower = (machines, kind, ctx, now) => {
        // Put on while the canary is cycled, before the fleet's waves: app-002's first request meets it.
        if (kind === "start" && machines.some((m) => m.name === "canary-01"))
          w.addLock({
            name: "late-freeze",
            level: "ReadOnly",
            scope: { resourceGroup: "rg-app", type: "Microsoft.Compute/virtualMachines", name: "app-002" },
          });
        return begin(machines, kind, ctx, now);
      };
    });
    const o = outcome(result, "app-002");
    expect(o).toMatchObject({
      outcome: "skipped",
      reasonCode: "resourceLocked",
      errorCode: "ScopeLocked",
      actions: [],
    });
    expect(o.message).toContain(`/providers/Microsoft.Compute/virtualMachines/app-002'. Please remove the lock`);
    expect(o.message).toContain("nothing was changed");
    expect(o.leftDown).toBeUndefined();
    // Sent once: ScopeLocked is not a conflict to wait out.
    expect(requests(product, "POST", /\/app-002\/(powerOff|deallocate|start)$/i)).toBe(1);
    expect(product.sim.timeline(o.resourceId)).toEqual([]);
    expect(outcome(result, "app-001").outcome).toBe("cycled");
  });

  it("refuses the start after the deallocate: the VM is reported LEFT DOWN with the locked scope in the manual action, at once", async () => {
    let locked = false;
    const { product, result } = await runWith(withVnet(), (w) => {
      const begin = w.beginPower.bind(w);
      w.beginPower = (machines, kind, ctx, now) => {
        const op = begin(machines, kind, ctx, now);
        if (!locked && kind === "deallocate" && machines.some((m) => m.name === "app-001")) {
          locked = true;
          w.addLock({ name: "late-freeze", level: "ReadOnly", scope: { resourceGroup: "rg-app" } });
        }
        return op;
      };
    });
    const o = outcome(result, "app-001");
    expect(o).toMatchObject({
      outcome: "failed",
      reasonCode: "resourceLocked",
      errorCode: "ScopeLocked",
      stateAfter: "deallocated",
    });
    expect(o.leftDown?.manualAction).toContain(`/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/rg-app`);
    expect(o.leftDown?.manualAction).toContain("az lock delete --ids");
    expect(o.leftDown?.manualAction).toContain("az vm start -g rg-app -n app-001");
    expect(result.summary.leftDown?.map((d) => d.name)).toContain("app-001");
    expect(result.summary.message).toMatch(/LEFT DOWN/);
    // One start, refused; no restore loop against the lock.
    expect(requests(product, "POST", /\/app-001\/start$/i)).toBe(1);
    expect(product.sim.snapshot().vms.find((v) => v.name === "app-001")?.powerState).toBe("deallocated");
  });

  it("refuses the deallocate after the powerOff: the compensation's one start is refused too, and the VM is reported left down stopped", async () => {
    let locked = false;
    const { product, result } = await runWith(withVnet(), (w) => {
      const begin = w.beginPower.bind(w);
      w.beginPower = (machines, kind, ctx, now) => {
        const op = begin(machines, kind, ctx, now);
        if (!locked && kind === "powerOff" && machines.some((m) => m.name === "app-002")) {
          locked = true;
          w.addLock({ name: "late-freeze", level: "ReadOnly", scope: "subscription" });
        }
        return op;
      };
    });
    const o = outcome(result, "app-002");
    expect(o).toMatchObject({ outcome: "failed", reasonCode: "resourceLocked", stateAfter: "stopped" });
    expect(o.leftDown).toMatchObject({ state: "stopped", errorCode: "ScopeLocked" });
    expect(o.leftDown?.manualAction).toContain(`on /subscriptions/${SUBSCRIPTION_ID} refuses starting app-002`);
    expect(requests(product, "POST", /\/app-002\/deallocate$/i)).toBe(1);
    expect(requests(product, "POST", /\/app-002\/start$/i)).toBe(1);
  });

  it("keeps the temporary subnet: reported LEFT BEHIND, loudly, with the lock and the delete command", async () => {
    const { product, result } = await runWith(withVnet(), (w) => {
      const put = w.beginPutSubnet.bind(w);
      w.beginPutSubnet = (v, name, body, ctx, now) => {
        const r = put(v, name, body, ctx, now);
        w.addLock({ name: "net-keep", level: "CanNotDelete", scope: { resourceGroup: "rg-net" } });
        return r;
      };
    });
    const o = outcome(result, "vnet-ase");
    const temp = o.detail?.["tempSubnet"];
    expect(typeof temp).toBe("string");
    const command = `az network vnet subnet delete --resource-group rg-net --vnet-name vnet-ase --name ${String(temp)}`;
    expect(o).toMatchObject({ outcome: "failed", reasonCode: "resourceLocked", errorCode: "ScopeLocked" });
    expect(o.message).toContain("LEFT BEHIND");
    expect(o.message).toContain(`/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/rg-net`);
    expect(o.message).toContain(command);
    expect(o.detail?.["leftBehind"]).toMatchObject({ subnet: temp, command });
    expect(result.summary.warnings.some((x) => x.includes("LEFT BEHIND") && x.includes(command))).toBe(true);
    expect(result.summary.message).toMatch(/1 temporary subnet\(s\) LEFT BEHIND/);
    // The delete was sent once: a lock is not waited out.
    expect(requests(product, "DELETE", /\/subnets\/port25-/i)).toBe(1);
    expect(product.sim.snapshot().vnets[0]?.subnets.map((s) => s.name)).toContain(temp);
  });
});

describe("Azure Policy: Deny-Subnet-Without-Nsg", () => {
  it("the temporary subnet carries the delegated subnet's NSG and passes the deny", async () => {
    const sent: (string | undefined)[] = [];
    const { result } = await runWith(withVnet({ policyAssignments: [{ scope: "subscription" }] }, true), (w) => {
      const put = w.beginPutSubnet.bind(w);
      w.beginPutSubnet = (v, name, body, ctx, now) => {
        sent.push(body.networkSecurityGroupId);
        return put(v, name, body, ctx, now);
      };
    });
    expect(outcome(result, "vnet-ase")).toMatchObject({ outcome: "cycled", detail: { networkSecurityGroupId: NSG } });
    expect(sent).toEqual([NSG]);
  });

  it("a delegated subnet without an NSG: the add is denied, reported deniedByPolicy naming the assignment, nothing left behind", async () => {
    const { product, result } = await run({
      scenario: withVnet({ policyAssignments: [{ scope: { resourceGroup: "rg-net" } }] }),
    });
    const o = outcome(result, "vnet-ase");
    expect(o).toMatchObject({
      outcome: "skipped",
      reasonCode: "deniedByPolicy",
      errorCode: "RequestDisallowedByPolicy",
    });
    expect(o.message).toContain(
      "policy assignment 'Subnets should have a Network Security Group' (Deny-Subnet-Without-Nsg)",
    );
    expect(o.message).toContain(
      `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/rg-net/providers/Microsoft.Authorization/policyAssignments/Deny-Subnet-Without-Nsg`,
    );
    expect(o.message).toContain("nothing was left behind");
    // Sent once: a deny is final.
    expect(requests(product, "PUT", /\/subnets\/port25-/i)).toBe(1);
    expect(product.sim.snapshot().vnets[0]?.subnets.map((s) => s.name)).toEqual(["ase"]);
    expect(outcome(result, "app-001").outcome).toBe("cycled");
  });
});
