/**
 * A poll that sends a VM's next step (observePowerState's `thenSend`) writes only on a state read just before the
 * write: a state seen in the subscription's shared listing, which may be as old as its freshness window, is read again
 * on the VM in the same activity, and nothing is sent when the VM is no longer in it.
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

/** A gateway whose listing shows the VM `listed` while the VM itself is `actual`; every call is recorded in order. */
function gatewayShowing(listed: PowerState, actual: PowerState): { gateway: ArmGateway; calls: string[] } {
  return observedVm(
    () => listed,
    () => actual,
  );
}

/**
 * The poll, after 36 other VMs' last confirmations made a listing pay (a poll that sends never asks for one itself):
 * the listing they took is current when the poll comes. The calls the warm-up made are cleared.
 */
async function pollDeallocateThenStart(gateway: ArmGateway, calls: string[]): Promise<unknown> {
  const at = "2026-12-07T10:00:00.000Z";
  const activity = observePowerState({ ...appRootFrom(parseConfig({})), gateway });
  for (let i = 0; i < 36; i++) {
    const other = `${VM.slice(0, VM.lastIndexOf("/"))}/other-${i}`;
    await activity.handler(
      { resourceId: other, kind: "vm", step: "start", asOf: at, notBefore: "2026-12-07T09:59:00.000Z" },
      context,
    );
  }
  expect(calls.filter((c) => c.startsWith("list "))).toHaveLength(1);
  calls.length = 0;
  return activity.handler(
    {
      resourceId: VM,
      kind: "vm",
      step: "deallocate",
      asOf: at,
      notBefore: "2026-12-07T09:59:00.000Z",
      readStateWhenDone: true,
      thenSend: { after: "deallocate", step: "start", requestedAt: at },
    },
    context,
  );
}

describe("a poll that sends the next step after a listing showed the previous one end", () => {
  it("reads the VM just before the write and sends the start when it is still deallocated", async () => {
    const { gateway, calls } = gatewayShowing("deallocated", "deallocated");
    const out = await pollDeallocateThenStart(gateway, calls);
    expect(calls).toEqual(["getVmState", "begin start"]);
    expect(out).toMatchObject({ status: "ok", observedBy: "resource", next: { status: "started" } });
  });

  it("sends nothing when the VM's own read shows its owner started it since the listing", async () => {
    const { gateway, calls } = gatewayShowing("deallocated", "starting");
    const out = await pollDeallocateThenStart(gateway, calls);
    expect(calls).toEqual(["getVmState"]);
    expect(out).toMatchObject({ status: "ok", observedBy: "resource", resource: { powerState: "starting" } });
    expect(out).not.toHaveProperty("next");
  });
});
