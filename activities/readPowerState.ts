/** Activity: one poll of a power step — the operation's status, then (when it has ended) the resource's state. */
import type { z } from "zod";
import { registerActivity } from "../src/functions/registerActivity";
import {
  readPowerStateActivity,
  type ReadPowerStateInput,
  type ReadPowerStateOutput,
} from "../src/contracts/functions/readPowerState";
import type { OperationStatus } from "../src/contracts/azure";
import { withPacing } from "../src/azure/pacing";
import { ensureError } from "../src/errors";
import { toArmFailure } from "./armFailure";
import { gateway } from "./deps";

type Input = z.output<typeof ReadPowerStateInput>;
type Output = z.input<typeof ReadPowerStateOutput>;

/** The read, with the wait ARM's rate-limit headers ask for before the next one (pacing.ts). */
export async function readPowerState(input: Input): Promise<Output> {
  try {
    const { value, paceSeconds } = await withPacing(() => read(input));
    return paceSeconds > 0 ? { ...value, paceSeconds } : value;
  } catch (e) {
    return toArmFailure(ensureError(e));
  }
}

async function read(input: Input): Promise<Extract<Output, { status: "ok" }>> {
  let operation: OperationStatus | undefined;
  if (input.handle !== undefined) {
    operation = await gateway().getOperationStatus(input.handle);
    // While the operation runs, its status is all a poll needs: one request.
    if (operation.status === "InProgress") return { status: "ok", operation };
    if (operation.status === "Succeeded" && !input.readStateWhenDone) return { status: "ok", operation };
  }
  return { status: "ok", ...(operation !== undefined ? { operation } : {}), resource: await readResource(input) };
}

async function readResource(input: Input): Promise<NonNullable<Extract<Output, { status: "ok" }>["resource"]>> {
  const arm = gateway();
  if (input.kind === "vm") {
    const s = await arm.getVmState(input.resourceId);
    return { exists: s.exists, powerState: s.powerState, provisioningState: s.provisioningState };
  }
  const s = await arm.getScaleSetState(input.resourceId);
  const wanted = input.instanceIds === undefined ? undefined : new Set(input.instanceIds);
  const instances = s.instances.filter((i) => wanted === undefined || wanted.has(i.instanceId));
  return { exists: s.exists, powerState: "unknown", instances };
}

registerActivity(readPowerStateActivity, readPowerState);
