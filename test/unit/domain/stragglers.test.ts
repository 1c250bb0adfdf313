import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { PowerEvent, VmInfo } from "../../../src/contracts/discovery";
import type { ResourceOutcome } from "../../../src/contracts/outcome";
import { TEMP_SUBNET_PREFIX } from "../../../src/contracts/options";
import type { PowerState } from "../../../src/contracts/power";
import {
  autoRemediable,
  cycledBy,
  findStragglers,
  findTemporarySubnets,
  relevantPowerEvents,
  type LastRunView,
} from "../../../src/domain/stragglers";
import { discovery, scaleSet, subnet, vm, vnet } from "./fixtures";

const EFFECTIVE = "2026-03-02T09:00:00Z";
const BEFORE = "2026-02-20T08:00:00Z";
const AFTER = "2026-03-03T08:10:00Z";
/** The Activity Log's window: 90 days back from the check, covering the exemption. */
const LOG = { from: "2025-12-05T09:00:00.000Z", to: "2026-03-04T09:00:00.000Z" };

/** A start from deallocated at `at`, as the Activity Log records it. */
function cycledAt(id: string, at: string): PowerEvent[] {
  return [
    { resourceId: id, operation: "deallocate", at: new Date(Date.parse(at) - 300_000).toISOString() },
    { resourceId: id, operation: "start", at: new Date(Date.parse(at)).toISOString() },
  ];
}

function lastRun(known: VmInfo[], events: PowerEvent[] = [], extra: Partial<LastRunView> = {}): LastRunView {
  return {
    exemptionEffectiveAt: EFFECTIVE,
    resourceIds: known.map((v) => v.id),
    activityLog: { ...LOG, events },
    ...extra,
  };
}

describe("findStragglers: VMs", () => {
  it("flags a running VM the run knew whose last start from deallocated is before the exemption (the log covers since then)", () => {
    const a = vm("a");
    expect(findStragglers(discovery({ vms: [a] }), lastRun([a], cycledAt(a.id, BEFORE)))).toEqual([
      {
        resourceId: a.id,
        kind: "vm",
        name: "a",
        resourceGroup: "rg-app",
        reason: "notStartedSinceRun",
        since: new Date(BEFORE).toISOString(),
      },
    ]);
  });

  it("flags a running VM no run saw as createdAfterRun", () => {
    const known = vm("known");
    const fresh = vm("fresh");
    const events = [...cycledAt(known.id, AFTER), ...cycledAt(fresh.id, BEFORE)];
    expect(
      findStragglers(discovery({ vms: [known, fresh] }), lastRun([known], events)).map((s) => [s.name, s.reason]),
    ).toEqual([["fresh", "createdAfterRun"]]);
  });

  it("establishes a stale start from a complete log with no start at all since the exemption, without a since", () => {
    const a = vm("a", { timeCreated: "2025-06-01T00:00:00Z" });
    const [s] = findStragglers(discovery({ vms: [a] }), lastRun([a]));
    expect(s?.reason).toBe("notStartedSinceRun");
    expect(s).not.toHaveProperty("since");
  });

  it("leaves alone a VM deallocated then started since the exemption, including at that very moment", () => {
    const a = vm("a");
    const b = vm("b");
    const events = [
      ...cycledAt(a.id, AFTER),
      { resourceId: b.id, operation: "deallocate" as const, at: "2026-03-02T08:00:00.000Z" },
      { resourceId: b.id, operation: "start" as const, at: "2026-03-02T09:00:00.000Z" },
    ];
    expect(findStragglers(discovery({ vms: [a, b] }), lastRun([a, b], events))).toEqual([]);
  });

  it("matches the log's ids case-insensitively (Compute upper-cases the resource group)", () => {
    const a = vm("a");
    const upper = a.id.replace("/resourceGroups/rg-app/", "/resourceGroups/RG-APP/");
    expect(findStragglers(discovery({ vms: [a] }), lastRun([a], cycledAt(upper, AFTER)))).toEqual([]);
  });

  it("does not count a start from stopped (the previous event is a start): same host, old policy", () => {
    const a = vm("a");
    const events: PowerEvent[] = [...cycledAt(a.id, BEFORE), { resourceId: a.id, operation: "start", at: AFTER }];
    expect(findStragglers(discovery({ vms: [a] }), lastRun([a], events)).map((s) => [s.reason, s.since])).toEqual([
      ["notStartedSinceRun", AFTER],
    ]);
  });

  it("leaves alone a VM created at or after the exemption (timeCreated), whatever the log says", () => {
    const a = vm("a", { timeCreated: EFFECTIVE });
    expect(
      findStragglers(
        discovery({ vms: [a] }),
        lastRun([], [], { activityLog: undefined, activityLogUnreadable: "403" }),
      ),
    ).toEqual([]);
  });

  it("leaves alone a VM a run since the exemption cycled (audit), even without the log", () => {
    const a = vm("a");
    const cycled = [{ resourceId: a.id.toUpperCase(), at: AFTER, runId: "r1" }];
    expect(
      findStragglers(
        discovery({ vms: [a] }),
        lastRun([a], [], { cycled, activityLog: undefined, activityLogUnreadable: "403" }),
      ),
    ).toEqual([]);
    // A cycle before the exemption proves nothing.
    const old = [{ resourceId: a.id, at: BEFORE, runId: "r0" }];
    expect(
      findStragglers(discovery({ vms: [a] }), lastRun([a], cycledAt(a.id, BEFORE), { cycled: old }))[0]?.reason,
    ).toBe("notStartedSinceRun");
  });

  it("reports startUnknown when the log cannot be read, or does not reach back to the exemption", () => {
    const a = vm("a");
    const unreadable = findStragglers(
      discovery({ vms: [a] }),
      lastRun([a], [], { activityLog: undefined, activityLogUnreadable: "AuthorizationFailed: no" }),
    );
    expect(unreadable).toEqual([
      {
        resourceId: a.id,
        kind: "vm",
        name: "a",
        resourceGroup: "rg-app",
        reason: "startUnknown",
        detail: expect.stringContaining("AuthorizationFailed"),
      },
    ]);
    const short = findStragglers(
      discovery({ vms: [a] }),
      lastRun([a], [], { activityLog: { from: "2026-03-03T00:00:00.000Z", to: LOG.to, events: [] } }),
    );
    expect(short.map((s) => s.reason)).toEqual(["startUnknown"]);
  });

  it("reports startUnknown for a start since the exemption whose earlier history is past the log's window", () => {
    const a = vm("a");
    const [s] = findStragglers(
      discovery({ vms: [a] }),
      lastRun([a], [{ resourceId: a.id, operation: "start", at: AFTER }]),
    );
    expect(s).toMatchObject({
      reason: "startUnknown",
      since: AFTER,
      detail: expect.stringMatching(/past the Activity Log's window/),
    });
  });

  it.each(["stopped", "deallocated", "starting", "stopping", "deallocating", "unknown"] as const)(
    "ignores a %s VM: only running machines carry the old policy on the wire",
    (powerState) => {
      const a = vm("a", { powerState });
      expect(findStragglers(discovery({ vms: [a] }), lastRun([a], cycledAt(a.id, BEFORE)))).toEqual([]);
    },
  );

  it("matches the run's outcomes case-insensitively", () => {
    const a = vm("a");
    const run = { ...lastRun([], cycledAt(a.id, BEFORE)), resourceIds: [a.id.toLowerCase()] };
    expect(findStragglers(discovery({ vms: [a] }), run)[0]?.reason).toBe("notStartedSinceRun");
  });

  it("lists each straggler once, ordered by resource id", () => {
    const z = vm("z");
    const a = vm("a");
    const names = findStragglers(discovery({ vms: [z, a, z] }), lastRun([])).map((s) => s.name);
    expect(names).toEqual(["a", "z"]);
  });

  it("refuses an exemption time that is not a time", () => {
    expect(() => findStragglers(discovery(), { exemptionEffectiveAt: "yesterday", resourceIds: [] })).toThrow(
      /not a time/,
    );
  });

  it("auto-remediates only established stale starts unless unknowns are asked for", () => {
    const a = vm("a");
    const b = vm("b");
    const found = findStragglers(
      discovery({ vms: [a, b] }),
      lastRun([a, b], [{ resourceId: b.id, operation: "start", at: AFTER }]),
    );
    expect(found.map((s) => [s.name, s.reason])).toEqual([
      ["a", "notStartedSinceRun"],
      ["b", "startUnknown"],
    ]);
    expect(autoRemediable(found, false).map((s) => s.name)).toEqual(["a"]);
    expect(autoRemediable(found, true).map((s) => s.name)).toEqual(["a", "b"]);
  });
});

describe("findStragglers: uniform scale sets", () => {
  const inst = (instanceId: string, powerState: PowerState) => ({
    instanceId,
    powerState,
    provisioningState: "Succeeded",
  });

  it("flags a scale set once when any running instance is stale, since its oldest known start", () => {
    const ss = scaleSet("ss", { instances: [inst("0", "running"), inst("1", "running"), inst("2", "running")] });
    const events = [
      ...cycledAt(`${ss.id}/virtualMachines/0`, AFTER),
      ...cycledAt(`${ss.id}/virtualMachines/1`, BEFORE),
      ...cycledAt(`${ss.id}/virtualMachines/2`, "2026-01-01T00:00:00Z"),
    ];
    expect(
      findStragglers(discovery({ scaleSets: [ss] }), {
        exemptionEffectiveAt: EFFECTIVE,
        resourceIds: [ss.id],
        activityLog: { ...LOG, events },
      }),
    ).toEqual([
      {
        resourceId: ss.id,
        kind: "scaleSet",
        name: "ss",
        resourceGroup: "rg-app",
        reason: "notStartedSinceRun",
        since: "2026-01-01T00:00:00.000Z",
      },
    ]);
  });

  it("leaves a scale set alone when its stale instances are not running, or a run cycled the running ones", () => {
    const ss = scaleSet("ss", { instances: [inst("0", "running"), inst("1", "deallocated"), inst("2", "stopped")] });
    expect(
      findStragglers(discovery({ scaleSets: [ss] }), {
        exemptionEffectiveAt: EFFECTIVE,
        resourceIds: [],
        activityLog: { ...LOG, events: cycledAt(`${ss.id}/virtualMachines/0`, AFTER) },
      }),
    ).toEqual([]);
    const byRun = {
      exemptionEffectiveAt: EFFECTIVE,
      resourceIds: [ss.id],
      cycled: [{ resourceId: ss.id, instanceIds: ["0"], at: AFTER, runId: "r1" }],
      activityLog: { ...LOG, events: [] },
    };
    expect(findStragglers(discovery({ scaleSets: [ss] }), byRun)).toEqual([]);
  });

  it("cannot attribute a scale-set-wide start to an instance: startUnknown", () => {
    const ss = scaleSet("ss", { instances: [inst("0", "running")] });
    const [s] = findStragglers(discovery({ scaleSets: [ss] }), {
      exemptionEffectiveAt: EFFECTIVE,
      resourceIds: [ss.id],
      activityLog: { ...LOG, events: cycledAt(ss.id, AFTER) },
    });
    expect(s).toMatchObject({ reason: "startUnknown", detail: expect.stringMatching(/scale-set-wide/) });
  });

  it("flags a scale set no run saw whose instances were never started since the exemption", () => {
    const ss = scaleSet("new-ss", { instances: [inst("0", "running")] });
    const [s] = findStragglers(discovery({ scaleSets: [ss] }), {
      exemptionEffectiveAt: EFFECTIVE,
      resourceIds: [],
      activityLog: { ...LOG, events: [] },
    });
    expect(s?.reason).toBe("createdAfterRun");
    expect(s).not.toHaveProperty("since");
  });
});

describe("relevantPowerEvents", () => {
  it("keeps, per resource, the events since the exemption and the one before them", () => {
    const a = vm("a").id;
    const b = vm("b").id;
    const events: PowerEvent[] = [
      { resourceId: a, operation: "deallocate", at: "2026-01-01T00:00:00.000Z" },
      { resourceId: a, operation: "start", at: "2026-01-02T00:00:00.000Z" },
      { resourceId: a, operation: "deallocate", at: "2026-03-03T00:00:00.000Z" },
      { resourceId: a, operation: "start", at: "2026-03-03T00:05:00.000Z" },
      { resourceId: b, operation: "deallocate", at: "2026-01-01T00:00:00.000Z" },
      { resourceId: b, operation: "start", at: "2026-01-02T00:00:00.000Z" },
    ];
    expect(relevantPowerEvents(events, EFFECTIVE).map((e) => [e.resourceId === a ? "a" : "b", e.at])).toEqual([
      ["a", "2026-01-02T00:00:00.000Z"],
      ["b", "2026-01-02T00:00:00.000Z"],
      ["a", "2026-03-03T00:00:00.000Z"],
      ["a", "2026-03-03T00:05:00.000Z"],
    ]);
  });
});

describe("findStragglers: property", () => {
  const power = fc.constantFrom<PowerState>("running", "stopped", "deallocated", "starting", "unknown");
  const time = fc.option(
    fc.integer({ min: Date.parse("2026-01-01T00:00:00Z"), max: Date.parse("2026-04-01T00:00:00Z") }),
    { nil: undefined },
  );

  it("with a complete log, lists exactly the running VMs not started from deallocated since the exemption, never an unknown", () => {
    fc.assert(
      fc.property(fc.array(fc.record({ power, time, known: fc.boolean() }), { maxLength: 30 }), (specs) => {
        const vms = specs.map((_, i) =>
          vm(`vm${String(i).padStart(2, "0")}`, { powerState: specs[i]?.power ?? "running" }),
        );
        const events = specs.flatMap((s, i) =>
          s.time !== undefined ? cycledAt(vms[i]?.id ?? "", new Date(s.time).toISOString()) : [],
        );
        const known = vms.filter((_, i) => specs[i]?.known === true);
        const out = findStragglers(discovery({ vms }), lastRun(known, events));
        const expected = specs
          .map((s, i) => ({ s, v: vms[i] }))
          .filter(({ s }) => s.power === "running" && (s.time === undefined || s.time < Date.parse(EFFECTIVE)))
          .map(({ s, v }) => [v?.name, s.known ? "notStartedSinceRun" : "createdAfterRun"]);
        expect(out.map((s) => [s.name, s.reason])).toEqual(expected);
      }),
    );
  });
});

describe("findTemporarySubnets", () => {
  it("finds the subnets named with the temporary prefix, with their ids, and nothing else", () => {
    const leaked = `${TEMP_SUBNET_PREFIX}0badf00d`;
    const d = discovery({
      vnets: [
        vnet("vn1", ["10.0.0.0/16"], [subnet("app", "10.0.0.0/24"), subnet(leaked, "10.0.9.0/29")]),
        vnet(
          "vn2",
          ["10.1.0.0/16"],
          [subnet("port25-other", "10.1.0.0/24"), subnet("Port25-Temp-upper", "10.1.1.0/29")],
        ),
      ],
    });
    const vn1 = d.vnets[0]?.id ?? "";
    expect(findTemporarySubnets(d)).toEqual([
      { vnetId: vn1, vnetName: "vn1", subnetName: leaked, subnetId: `${vn1}/subnets/${leaked}` },
    ]);
  });

  it("finds none in a subscription without VNets", () => {
    expect(findTemporarySubnets(discovery())).toEqual([]);
  });
});

describe("cycledBy: what the audit says a run deallocated", () => {
  const outcome = (name: string, extra: Partial<ResourceOutcome>): ResourceOutcome => ({
    resourceId: vm(name).id,
    kind: "vm",
    name,
    resourceGroup: "rg-app",
    outcome: "cycled",
    actions: ["powerOff", "deallocate", "start"],
    startedAt: AFTER,
    ...extra,
  });

  it("keeps cycled VMs and scale sets (with every instance deallocated) whose cycle began at or after the exemption", () => {
    const ss = scaleSet("ss");
    const outcomes: ResourceOutcome[] = [
      outcome("a", {}),
      outcome("b", { startedAt: BEFORE }),
      outcome("c", { outcome: "failed", reasonCode: "operationFailed" }),
      outcome("d", { outcome: "skipped", reasonCode: "alreadyDeallocated", startedAt: undefined }),
      {
        ...outcome("ss", { kind: "scaleSet", detail: { instanceIds: ["0", "1"], stoppedInstanceIds: ["3"] } }),
        resourceId: ss.id,
      },
    ];
    expect(cycledBy("r1", outcomes, Date.parse(EFFECTIVE))).toEqual([
      { resourceId: vm("a").id, at: AFTER, runId: "r1" },
      { resourceId: ss.id, instanceIds: ["0", "1", "3"], at: AFTER, runId: "r1" },
    ]);
  });

  it("feeds findStragglers across runs: a VM cycled by an earlier run since the exemption is not a straggler", () => {
    const a = vm("a");
    const b = vm("b");
    const earlier = cycledBy("r1", [outcome("a", {})], Date.parse(EFFECTIVE));
    const latest = cycledBy("r2", [outcome("b", {})], Date.parse(EFFECTIVE));
    const found = findStragglers(discovery({ vms: [a, b] }), lastRun([a, b], [], { cycled: [...earlier, ...latest] }));
    expect(found).toEqual([]);
    expect(
      findStragglers(discovery({ vms: [a, b] }), lastRun([a, b], [], { cycled: latest })).map((s) => s.name),
    ).toEqual(["a"]);
  });
});
