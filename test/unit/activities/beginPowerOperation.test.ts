/**
 * A scale set's first write (checked against the plan's state) re-run after its completion was lost: the instances
 * now show the run's own power off under way, which must not be taken for their owner's change.
 */
import { FIRST_POWER_OFF, stoppingScaleSet, stoppingVm, VMSS } from "../../support/stoppingGateway";
import { describe, expect, it } from "vitest";
import { InvocationContext } from "@azure/functions";
import { beginPowerOperation, WRITE_BUDGET_SPENT } from "../../../activities/beginPowerOperation";
import { writeBudgetOf } from "../../../src/azure/writeBudget";
import type { ArmGateway } from "../../../src/azure/gateway";
import { parseConfig } from "../../../src/config";
import { appRootFrom, type SendIntents } from "../../../src/root";
import type { PowerState } from "../../../src/contracts/power";
import type { PowerStep } from "../../../src/contracts/plan";
import { AzureOperationError } from "../../../src/errors";

const context = new InvocationContext({ invocationId: "inv-1", functionName: "beginPowerOperation" });

const scaleSet = (initial: PowerState): { gateway: ArmGateway; sends: string[] } => stoppingScaleSet(initial, ["0"]);

describe("a scale set's first power off, run again after its completion was lost", () => {
  const input = {
    resourceId: VMSS,
    kind: "scaleSet",
    step: "powerOff",
    instanceIds: ["0"],
    expectedState: "running",
    requestedAt: "2026-12-07T10:00:00.000Z",
  };

  it("answers as the first run did (started), not as someone else's change, and sends once", async () => {
    const { gateway, sends } = scaleSet("running");
    const activity = beginPowerOperation({ ...appRootFrom(parseConfig({})), gateway });
    const first = await activity.handler(input, context);
    const again = await activity.handler(input, context);
    expect(first).toMatchObject({ status: "started", instanceIds: ["0"] });
    expect(again).toEqual(first);
    expect(sends).toEqual(["powerOff 0"]);
  });

  it("still answers `changed`, sending nothing, when the instances were stopping before the run's first send", async () => {
    const { gateway, sends } = scaleSet("stopping");
    const activity = beginPowerOperation({ ...appRootFrom(parseConfig({})), gateway });
    expect(await activity.handler(input, context)).toMatchObject({ status: "changed", instanceIds: ["0"] });
    expect(await activity.handler(input, context)).toMatchObject({ status: "changed", instanceIds: ["0"] });
    expect(sends).toEqual([]);
  });
});

/** A VM in `initial` that a power off moves to "stopping"; every send and every recorded intent, in order. */
function vm(initial: PowerState): { gateway: ArmGateway; log: string[] } {
  const { gateway, sends } = stoppingVm(initial, [], "send ");
  return { gateway, log: sends };
}

/** Intents kept as a state folder keeps them: shared by every worker that opens it; each key's attempts by id. */
function intents(log: string[]): SendIntents & { keys: Map<string, Set<string>> } {
  const keys = new Map<string, Set<string>>();
  let next = 0;
  return {
    keys,
    has: (k) => Promise.resolve((keys.get(k)?.size ?? 0) > 0),
    add: (k) => {
      log.push("intent");
      const id = `a${++next}`;
      keys.set(k, (keys.get(k) ?? new Set()).add(id));
      return Promise.resolve(id);
    },
    drop: (k, id) => {
      log.push("dropped");
      keys.get(k)?.delete(id);
      return Promise.resolve();
    },
  };
}

describe("a first power off re-run on another worker (the first died after sending)", () => {
  const input = FIRST_POWER_OFF;

  it("takes the step it finds under way for its own when the first worker recorded it before sending", async () => {
    const { gateway, log } = vm("running");
    const shared = intents(log);
    const first = beginPowerOperation({ ...appRootFrom(parseConfig({})), gateway, sendIntents: shared });
    expect(await first.handler(input, context)).toMatchObject({ status: "started" });
    // The intent is on record before the request leaves.
    expect(log).toEqual(["intent", "send powerOff"]);
    // A fresh worker: its own memory of sends is empty; the state folder still holds the intent.
    const second = beginPowerOperation({ ...appRootFrom(parseConfig({})), gateway, sendIntents: shared });
    expect(await second.handler(input, context)).toEqual({ status: "inTransition", state: "stopping" });
    expect(log).toEqual(["intent", "send powerOff"]);
  });

  it("without a record of the intent, leaves what it finds as someone else's change", async () => {
    const { gateway, log } = vm("stopping");
    const activity = beginPowerOperation({ ...appRootFrom(parseConfig({})), gateway, sendIntents: intents(log) });
    expect(await activity.handler(input, context)).toEqual({ status: "changed", state: "stopping" });
    expect(log).toEqual([]);
  });
});

describe("a first power off ARM refuses (an owner's deallocate began between the read and the send)", () => {
  const input = FIRST_POWER_OFF;
  /** Running when read; the send meets the owner's deallocate (409) and the VM shows it from then on. */
  function racedByOwner(status: number): { gateway: ArmGateway; log: string[] } {
    let state: PowerState = "running";
    const log: string[] = [];
    const partial: Partial<ArmGateway> = {
      getVmState: () => Promise.resolve({ exists: true, powerState: state, provisioningState: "Updating" }),
      beginVmPowerOperation: (_id: string, step: PowerStep) => {
        log.push(`send ${step}`);
        state = "deallocating";
        return Promise.reject(
          new AzureOperationError("powerOff", "the VM is being deallocated", {
            code: status === 409 ? "Conflict" : "InternalServerError",
            statusCode: status,
            retryable: status >= 500,
          }),
        );
      },
    };
    return { gateway: partial as ArmGateway, log };
  }

  it("forgets the record when ARM refuses, so a re-run of the activity leaves the deallocate as the owner's", async () => {
    const { gateway, log } = racedByOwner(409);
    const shared = intents(log);
    const first = beginPowerOperation({ ...appRootFrom(parseConfig({})), gateway, sendIntents: shared });
    expect(await first.handler(input, context)).toMatchObject({ status: "conflict" });
    expect(log).toEqual(["intent", "send powerOff", "dropped"]);
    // Its answer lost, the activity runs again (on this worker or another): the VM is the owner's now.
    const again = beginPowerOperation({ ...appRootFrom(parseConfig({})), gateway, sendIntents: shared });
    expect(await again.handler(input, context)).toEqual({ status: "changed", state: "deallocating" });
    expect(log).toEqual(["intent", "send powerOff", "dropped"]);
  });

  it("keeps the record when the answer is no verdict (a 5xx): the power off may have reached the VM", async () => {
    const { gateway, log } = racedByOwner(500);
    const shared = intents(log);
    const first = beginPowerOperation({ ...appRootFrom(parseConfig({})), gateway, sendIntents: shared });
    await expect(first.handler(input, context)).rejects.toThrow("the VM is being deallocated");
    expect(log).toEqual(["intent", "send powerOff"]);
    expect([...shared.keys.values()].map((ids) => ids.size)).toEqual([1]);
  });
});

describe("a first power off re-run while the VM still reads running, its first send under way (the read lagging)", () => {
  const input = FIRST_POWER_OFF;
  /** Reads `running` until `lag` reads have passed after the first send; a second send conflicts with the first. */
  function lagging(lag: number): { gateway: ArmGateway; log: string[] } {
    const log: string[] = [];
    let sent = false;
    let readsAfter = 0;
    const partial: Partial<ArmGateway> = {
      getVmState: () => {
        const state: PowerState = sent && ++readsAfter > lag ? "stopping" : "running";
        return Promise.resolve({ exists: true, powerState: state, provisioningState: "Updating" });
      },
      beginVmPowerOperation: (_id: string, step: PowerStep) => {
        log.push(`send ${step}`);
        if (!sent) {
          sent = true;
          return Promise.resolve({ asyncOperationUrl: "https://management.azure.com/op/3", completed: false });
        }
        return Promise.reject(
          new AzureOperationError("powerOff", "another operation is in progress on the VM", {
            code: "Conflict",
            statusCode: 409,
            retryable: false,
          }),
        );
      },
    };
    return { gateway: partial as ArmGateway, log };
  }

  it("forgets only its own refused attempt: the next attempt takes the first send's power off for its own", async () => {
    const { gateway, log } = lagging(1);
    const shared = intents(log);
    const first = beginPowerOperation({ ...appRootFrom(parseConfig({})), gateway, sendIntents: shared });
    expect(await first.handler(input, context)).toMatchObject({ status: "started" });
    // The first worker died with its answer: another runs it again, reads `running`, and its send meets a conflict.
    const second = beginPowerOperation({ ...appRootFrom(parseConfig({})), gateway, sendIntents: shared });
    expect(await second.handler(input, context)).toMatchObject({ status: "conflict" });
    expect(log).toEqual(["intent", "send powerOff", "intent", "send powerOff", "dropped"]);
    // The orchestration sends again after the conflict: the VM now reads stopping, the run's own power off.
    const next = { ...input, requestedAt: "2026-12-07T10:00:09.000Z", firstRequestedAt: input.requestedAt };
    expect(await second.handler(next, context)).toEqual({ status: "inTransition", state: "stopping" });
  });
});

describe("a first power off whose record cannot be stored or read (the app's table storage failing)", () => {
  const input = FIRST_POWER_OFF;
  const unavailable = (): Promise<never> =>
    Promise.reject(Object.assign(new Error("Service Unavailable"), { statusCode: 503 }));

  it("sends nothing when the record of the send fails, and fails the activity (retried) rather than answering", async () => {
    const { gateway, log } = vm("running");
    const failing: SendIntents = { has: () => Promise.resolve(false), add: unavailable, drop: unavailable };
    const activity = beginPowerOperation({ ...appRootFrom(parseConfig({})), gateway, sendIntents: failing });
    await expect(activity.handler(input, context)).rejects.toThrow("Service Unavailable");
    expect(log).toEqual([]);
  });

  it("sends nothing when the record cannot be read, and fails the activity rather than taking it for unrecorded", async () => {
    const { gateway, log } = vm("stopping");
    const failing: SendIntents = { has: unavailable, add: () => Promise.resolve("a1"), drop: unavailable };
    const activity = beginPowerOperation({ ...appRootFrom(parseConfig({})), gateway, sendIntents: failing });
    await expect(activity.handler(input, context)).rejects.toThrow("Service Unavailable");
    expect(log).toEqual([]);
  });
});

describe("the record of a first write, read only where it can matter", () => {
  const input = FIRST_POWER_OFF;
  function counted(log: string[]): SendIntents {
    const inner = intents(log);
    return {
      has: (k) => {
        log.push("read");
        return inner.has(k);
      },
      add: (k) => inner.add(k),
      drop: (k, id) => inner.drop(k, id),
    };
  }

  it("is not read when the resource is as the plan found it: one write, then the send", async () => {
    const { gateway, log } = vm("running");
    const activity = beginPowerOperation({ ...appRootFrom(parseConfig({})), gateway, sendIntents: counted(log) });
    expect(await activity.handler(input, context)).toMatchObject({ status: "started" });
    expect(log).toEqual(["intent", "send powerOff"]);
  });

  it("is not read when the resource shows a state off the step's way (an owner's start)", async () => {
    const { gateway, log } = vm("starting");
    const activity = beginPowerOperation({ ...appRootFrom(parseConfig({})), gateway, sendIntents: counted(log) });
    expect(await activity.handler(input, context)).toEqual({ status: "changed", state: "starting" });
    expect(log).toEqual([]);
  });
});

describe("a write the worker's view of ARM's write bucket cannot pay for", () => {
  it("is held back unsent and unrecorded, answered `throttled` with the wait, and goes once the bucket has refilled", async () => {
    const { gateway, log } = vm("running");
    const budget = writeBudgetOf(gateway);
    budget.remaining(FIRST_POWER_OFF.resourceId, Date.parse(FIRST_POWER_OFF.requestedAt), 0);
    const activity = beginPowerOperation({ ...appRootFrom(parseConfig({})), gateway, sendIntents: intents(log) });
    expect(await activity.handler(FIRST_POWER_OFF, context)).toMatchObject({
      status: "throttled",
      code: WRITE_BUDGET_SPENT,
      retryAfterSeconds: 1,
    });
    expect(log).toEqual([]);
    const later = {
      ...FIRST_POWER_OFF,
      requestedAt: new Date(Date.parse(FIRST_POWER_OFF.requestedAt) + 1000).toISOString(),
    };
    expect(await activity.handler(later, context)).toMatchObject({ status: "started" });
    expect(log).toEqual(["intent", "send powerOff"]);
  });
});

describe("a first power off sent again after an attempt answered `throttled` (its first run's answer lost)", () => {
  // The first run sent the power off and died; its re-run, on a worker whose view of the write bucket is spent,
  // answered `throttled` without reading. The orchestration's next attempt is scheduled a few seconds later.
  const later = new Date(Date.parse(FIRST_POWER_OFF.requestedAt) + 1900).toISOString();

  function afterLostFirstRun(): { gateway: ArmGateway; log: string[]; shared: SendIntents } {
    const { gateway, log } = vm("running");
    const shared = intents(log);
    return { gateway, log, shared };
  }

  it("is recorded under the first attempt's time, so the next attempt takes the power off under way for its own", async () => {
    const { gateway, log, shared } = afterLostFirstRun();
    const first = beginPowerOperation({ ...appRootFrom(parseConfig({})), gateway, sendIntents: shared });
    expect(await first.handler(FIRST_POWER_OFF, context)).toMatchObject({ status: "started" });
    const second = beginPowerOperation({ ...appRootFrom(parseConfig({})), gateway, sendIntents: shared });
    writeBudgetOf(gateway).remaining(FIRST_POWER_OFF.resourceId, Date.parse(FIRST_POWER_OFF.requestedAt), 0);
    expect(await second.handler(FIRST_POWER_OFF, context)).toMatchObject({
      status: "throttled",
      code: WRITE_BUDGET_SPENT,
    });
    const next = { ...FIRST_POWER_OFF, requestedAt: later, firstRequestedAt: FIRST_POWER_OFF.requestedAt };
    expect(await second.handler(next, context)).toEqual({ status: "inTransition", state: "stopping" });
    expect(log).toEqual(["intent", "send powerOff"]);
  });

  it("on the worker that sent it, answers the next attempt as the send's own answer", async () => {
    const { gateway, log, shared } = afterLostFirstRun();
    const activity = beginPowerOperation({ ...appRootFrom(parseConfig({})), gateway, sendIntents: shared });
    const first = await activity.handler(FIRST_POWER_OFF, context);
    const next = { ...FIRST_POWER_OFF, requestedAt: later, firstRequestedAt: FIRST_POWER_OFF.requestedAt };
    expect(await activity.handler(next, context)).toEqual(first);
    expect(log).toEqual(["intent", "send powerOff"]);
  });

  it("still leaves a power off it did not send, begun since the plan, as someone else's change", async () => {
    const { gateway, log } = vm("stopping");
    const activity = beginPowerOperation({ ...appRootFrom(parseConfig({})), gateway, sendIntents: intents(log) });
    const next = { ...FIRST_POWER_OFF, requestedAt: later, firstRequestedAt: FIRST_POWER_OFF.requestedAt };
    expect(await activity.handler(next, context)).toEqual({ status: "changed", state: "stopping" });
    expect(log).toEqual([]);
  });
});
