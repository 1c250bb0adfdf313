/**
 * The one rule by which a poll ends a VM's power step: the orchestration watching the step and the poll that sends
 * the next step at once (observePowerState's `thenSend`) must never disagree, or a step would be sent while the
 * previous one still runs.
 */
import { describe, expect, it } from "vitest";
import { pollEndState } from "../../../src/contracts/durable/common";

describe("pollEndState", () => {
  it("ends a step at its target state read on the VM, and at a state beyond it", () => {
    expect(pollEndState("deallocate", { resource: { exists: true, powerState: "deallocated" } })).toBe("deallocated");
    expect(pollEndState("powerOff", { resource: { exists: true, powerState: "deallocated" } })).toBe("deallocated");
  });

  it("does not end a step while the VM is still in its transition or shows no sign of it", () => {
    expect(pollEndState("deallocate", { resource: { exists: true, powerState: "deallocating" } })).toBeUndefined();
    // The operation's word does not override the VM's own state when the VM was read.
    expect(
      pollEndState("deallocate", {
        operation: { status: "Succeeded" },
        resource: { exists: true, powerState: "stopped" },
      }),
    ).toBeUndefined();
    expect(pollEndState("start", { operation: { status: "InProgress" } })).toBeUndefined();
  });

  it("takes the operation's success as the step's target when the VM was not read", () => {
    expect(pollEndState("deallocate", { operation: { status: "Succeeded" } })).toBe("deallocated");
  });

  it("never ends a step on a failed or cancelled operation, nor on a VM that is gone", () => {
    expect(
      pollEndState("deallocate", {
        operation: { status: "Failed" },
        resource: { exists: true, powerState: "deallocated" },
      }),
    ).toBeUndefined();
    expect(pollEndState("deallocate", { operation: { status: "Canceled" } })).toBeUndefined();
    expect(pollEndState("deallocate", { resource: { exists: false, powerState: "unknown" } })).toBeUndefined();
  });
});
