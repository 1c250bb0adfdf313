/** Power and provisioning states as ARM reports them. */
import { z } from "zod";

const POWER_STATES = ["starting", "running", "stopping", "stopped", "deallocating", "deallocated", "unknown"] as const;
export const PowerStateSchema = z.enum(POWER_STATES);
export type PowerState = z.output<typeof PowerStateSchema>;

/** Reads `PowerState/<x>` from instance-view status codes; missing or unrecognised → "unknown". */
export function powerStateFromStatuses(statuses: readonly { code?: string | undefined }[] | undefined): PowerState {
  for (const s of statuses ?? []) {
    const m = /^PowerState\/(.+)$/i.exec(s.code ?? "");
    if (m?.[1] !== undefined) {
      const v = m[1].toLowerCase();
      return (POWER_STATES as readonly string[]).includes(v) ? (v as PowerState) : "unknown";
    }
  }
  return "unknown";
}

/** ARM provisioning state, e.g. Succeeded, Updating, Failed (kept open: providers add values). */
export const ProvisioningStateSchema = z.string().min(1);

export const TRANSITIONAL_POWER_STATES: readonly PowerState[] = ["starting", "stopping", "deallocating"];
