/**
 * A scale set's first write (checked against the plan's state) re-run after its completion was lost: the instances
 * now show the run's own power off under way, which must not be taken for their owner's change.
 */
import { describe, expect, it } from "vitest";
import { InvocationContext } from "@azure/functions";
import { beginPowerOperation } from "../../../activities/beginPowerOperation";
import type { ArmGateway } from "../../../src/azure/gateway";
import { parseConfig } from "../../../src/config";
import { appRootFrom } from "../../../src/root";
import type { PowerState } from "../../../src/contracts/power";
import type { PowerStep } from "../../../src/contracts/plan";

const VMSS =
  "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/ss-1";
const context = new InvocationContext({ invocationId: "inv-1", functionName: "beginPowerOperation" });

/** A scale set of one instance, in `initial`, that a power off moves to "stopping"; every send is recorded. */
function scaleSet(initial: PowerState): { gateway: ArmGateway; sends: string[] } {
  let state = initial;
  const sends: string[] = [];
  const partial: Partial<ArmGateway> = {
    getScaleSetState: () =>
      Promise.resolve({
        exists: true,
        instances: [{ instanceId: "0", powerState: state, provisioningState: "Updating" }],
      }),
    beginScaleSetPowerOperation: (_id: string, step: PowerStep, ids: string[]) => {
      sends.push(`${step} ${ids.join(",")}`);
      state = "stopping";
      return Promise.resolve({ asyncOperationUrl: "https://management.azure.com/op/1", completed: false });
    },
  };
  return { gateway: partial as ArmGateway, sends };
}

describe("a scale set's first power off, run again after its completion was lost", () => {
  it("answers as the first run did (started), not as someone else's change, and sends once", async () => {
    const { gateway, sends } = scaleSet("running");
    const activity = beginPowerOperation({ ...appRootFrom(parseConfig({})), gateway });
    const input = {
      resourceId: VMSS,
      kind: "scaleSet",
      step: "powerOff",
      instanceIds: ["0"],
      expectedState: "running",
      requestedAt: "2026-12-07T10:00:00.000Z",
    };
    const first = await activity.handler(input, context);
    const again = await activity.handler(input, context);
    expect(first).toMatchObject({ status: "started", instanceIds: ["0"] });
    expect(again).toEqual(first);
    expect(sends).toEqual(["powerOff 0"]);
  });

  it("still answers `changed`, sending nothing, when the instances were stopping before the run's first send", async () => {
    const { gateway, sends } = scaleSet("stopping");
    const activity = beginPowerOperation({ ...appRootFrom(parseConfig({})), gateway });
    const input = {
      resourceId: VMSS,
      kind: "scaleSet",
      step: "powerOff",
      instanceIds: ["0"],
      expectedState: "running",
      requestedAt: "2026-12-07T10:00:00.000Z",
    };
    expect(await activity.handler(input, context)).toMatchObject({ status: "changed", instanceIds: ["0"] });
    expect(await activity.handler(input, context)).toMatchObject({ status: "changed", instanceIds: ["0"] });
    expect(sends).toEqual([]);
  });
});
