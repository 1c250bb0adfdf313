/**
 * The poll that saw a VM's deallocate end and sent its start (observePowerState's `thenSend`) run again in a new
 * process, as after a kill before the durable host recorded its result: the deallocate's operation still reads
 * Succeeded, the poll reads no power state (readStateWhenDone is false for a step that is not the cycle's last, and a
 * poll that sends on what it sees takes no listing of its own, so it asks the operation), and the new process's journal
 * of sends is empty: the start goes out once more while the VM is starting, which ARM joins (docs/workflow.md,
 * "Safety": a next step re-run on another worker may be sent once more). What test/serve/serveState.test.ts allows.
 */
import { describe, expect, it } from "vitest";
import { InvocationContext } from "@azure/functions";
import { observePowerState } from "../../../activities/observePowerState";
import type { ArmGateway } from "../../../src/azure/gateway";
import { parseConfig } from "../../../src/config";
import { appRootFrom } from "../../../src/root";
import type { PowerState } from "../../../src/contracts/power";
import { observedVm, VM } from "../../support/stoppingGateway";

const context = new InvocationContext({ invocationId: "inv-1", functionName: "observePowerState" });

/** A VM deallocated, as the listing and its own reads show it; a start sets it starting. */
function world(): { gateway: ArmGateway; calls: string[] } {
  let state: PowerState = "deallocated";
  return observedVm(
    () => state,
    () => state,
    (step) => {
      if (step === "start") state = "starting";
    },
  );
}

/** The same activity input, each time in a freshly built activity set (a new process after a kill). */
function pollInNewProcess(gateway: ArmGateway): Promise<unknown> {
  const at = "2026-12-07T10:00:00.000Z";
  return observePowerState({ ...appRootFrom(parseConfig({})), gateway }).handler(
    {
      resourceId: VM,
      kind: "vm",
      step: "deallocate",
      handle: { asyncOperationUrl: "https://management.azure.com/op/1", completed: false },
      asOf: at,
      notBefore: "2026-12-07T09:59:00.000Z",
      readStateWhenDone: false,
      thenSend: { after: "deallocate", step: "start", requestedAt: at },
    },
    context,
  );
}

describe("a poll that sent the next step, run again in a new process", () => {
  it("sends the start once more, on the deallocate operation's word, while the VM is already starting", async () => {
    const { gateway, calls } = world();
    await pollInNewProcess(gateway);
    const afterFirst = calls.filter((c) => c === "begin start").length;
    await pollInNewProcess(gateway);
    expect(afterFirst).toBe(1);
    expect(calls).toEqual(["getOperationStatus", "begin start", "getOperationStatus", "begin start"]);
  });
});
