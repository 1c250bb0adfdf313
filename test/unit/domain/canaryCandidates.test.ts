import { describe, expect, it } from "vitest";
import { readCanaryAgents, withListedGroupNames } from "../../../src/azure/discover";
import { AzureOperationError } from "../../../src/errors";
import { canaryCandidates, planResources } from "../../../src/domain/planResources";
import { isNetworkWatcherAgent } from "../../../src/domain/planCanary";
import { buildPlan } from "../../../src/domain/planWaves";
import { availabilitySet, discovery, options, resourceGroup, vm } from "./fixtures";

/** VMs as ARM lists them: the agent unread (extensions come by id only). */
const unread = (name: string, extra: Parameters<typeof vm>[1] = {}) => {
  const { networkWatcherAgent: _dropped, ...v } = vm(name, extra);
  return v;
};

describe("the Network Watcher agent", () => {
  it("is recognised by publisher and type, whatever the extension is named", () => {
    expect(
      isNetworkWatcherAgent({ publisher: "Microsoft.Azure.NetworkWatcher", type: "NetworkWatcherAgentLinux" }),
    ).toBe(true);
    expect(
      isNetworkWatcherAgent({ publisher: "microsoft.azure.networkwatcher", type: "NetworkWatcherAgentWindows" }),
    ).toBe(true);
    expect(isNetworkWatcherAgent({ publisher: "Contoso.Tools", type: "NetworkWatcherAgentLinux" })).toBe(false);
    expect(isNetworkWatcherAgent({ publisher: "Microsoft.Azure.NetworkWatcher", type: "SomethingElse" })).toBe(false);
    expect(isNetworkWatcherAgent({})).toBe(false);
  });

  it("unread (undefined) never makes a canary: on a listing alone, no VM is chosen", () => {
    const d = discovery({ vms: [unread("a"), unread("b")] });
    expect(planResources(d, options()).filter((e) => e.canary)).toEqual([]);
  });
});

describe("canaryCandidates", () => {
  it("orders running VMs to cycle as the canary choice prefers them: no availability set, not spot, then by id", () => {
    const d = discovery({
      vms: [
        unread("a", { availabilitySetId: availabilitySet("as1") }),
        unread("b", { priority: "Spot" }),
        unread("c"),
        unread("d", { powerState: "deallocated" }),
        unread("e", { tags: { "port25-remediation": "skip" } }),
        unread("f"),
      ],
    });
    expect(canaryCandidates(d, options()).map((id) => id.split("/").pop())).toEqual(["c", "f", "a", "b"]);
  });

  it("puts tagged canaries alone first; none when only attestation is asked and nothing is tagged", () => {
    const d = discovery({ vms: [unread("a"), unread("z", { tags: { "port25-canary": "true" } })] });
    expect(canaryCandidates(d, options()).map((id) => id.split("/").pop())).toEqual(["z"]);
    expect(canaryCandidates(discovery({ vms: [unread("a")] }), options({ verification: "attestationOnly" }))).toEqual(
      [],
    );
  });

  it("honours onlyResourceIds", () => {
    const a = unread("a");
    const b = unread("b");
    expect(canaryCandidates(discovery({ vms: [a, b] }), options({ onlyResourceIds: [b.id] }))).toEqual([b.id]);
  });

  it("leaves the plan's shape unchanged once the agents read are filled in: the first candidate with the agent is the canary", () => {
    const d = discovery({ vms: [unread("a"), unread("b"), unread("c")] });
    const order = canaryCandidates(d, options());
    const read = {
      ...d,
      vms: d.vms.map((v) =>
        v.id === order[0]
          ? { ...v, networkWatcherAgent: false }
          : v.id === order[1]
            ? { ...v, networkWatcherAgent: true }
            : v,
      ),
    };
    expect(
      buildPlan(read, options())
        .entries.filter((e) => e.canary)
        .map((e) => e.name),
    ).toEqual(["b"]);
  });
});

describe("resource-group names", () => {
  it("are shown as the resource-group list spells them, though Compute upper-cases them in ids", () => {
    const upper = (name: string) => {
      const v = vm(name, { resourceGroup: "RG-APP" });
      return { ...v, id: v.id };
    };
    const d = discovery({ resourceGroups: [resourceGroup("Rg-App")], vms: [upper("a"), upper("b")] });
    expect(planResources(d, options()).map((e) => e.resourceGroup)).toEqual(["Rg-App", "Rg-App"]);
    expect(withListedGroupNames(d).vms.map((v) => v.resourceGroup)).toEqual(["Rg-App", "Rg-App"]);
    expect(withListedGroupNames(d).vms.map((v) => v.id)).toEqual(d.vms.map((v) => v.id));
  });
});

describe("readCanaryAgents", () => {
  it("reads in candidate order until enough canaries, takes a VM deleted meanwhile (404) as no canary, and fails on anything else", async () => {
    const d = discovery({ vms: [unread("a"), unread("b"), unread("c"), unread("d")] });
    const read: string[] = [];
    const arm = {
      listVmExtensions: (id: string): Promise<{ name: string; publisher?: string; type?: string }[]> => {
        const name = id.split("/").pop() ?? "";
        read.push(name);
        if (name === "a")
          return Promise.reject(
            new AzureOperationError("listVmExtensions", "gone", {
              code: "ResourceNotFound",
              statusCode: 404,
              retryable: false,
            }),
          );
        if (name === "c")
          return Promise.resolve([
            { name: "nw-agent", publisher: "Microsoft.Azure.NetworkWatcher", type: "NetworkWatcherAgentLinux" },
          ]);
        return Promise.resolve([
          { name: "AzureMonitorLinuxAgent", publisher: "Microsoft.Azure.Monitor", type: "AzureMonitorLinuxAgent" },
        ]);
      },
    };
    const out = await readCanaryAgents(arm, d, options());
    expect(read).toEqual(["a", "b", "c"]);
    expect(out.vms.map((v) => v.networkWatcherAgent)).toEqual([false, false, true, undefined]);
    const throttled = {
      listVmExtensions: () =>
        Promise.reject(
          new AzureOperationError("listVmExtensions", "slow down", {
            code: "TooManyRequests",
            statusCode: 429,
            retryable: true,
          }),
        ),
    };
    await expect(readCanaryAgents(throttled, d, options())).rejects.toThrow(/slow down/);
  });
});
