/** Monitor: power events from the Activity Log (Microsoft.Insights event data). */
import { z } from "zod";
import { PowerEventSchema, type PowerEvent } from "../../contracts/discovery";
import { parseWith } from "../../contracts/parse";
import type { ActivityLogOperations } from "../gateway";
import { type ArmRequests, isoTime, requireId } from "./requests";

/** api-version of the Activity Log (Microsoft.Insights event data). */
const ACTIVITY_LOG_API_VERSION = "2015-04-01";

/** Pages of the Activity Log followed at most (each holds up to ARM's page size of events). */
const ACTIVITY_LOG_MAX_PAGES = 500;

export class ActivityLogReads implements ActivityLogOperations {
  constructor(private readonly arm: ArmRequests) {}

  listPowerEvents(subscriptionId: string, from: string, to: string): Promise<PowerEvent[]> {
    return this.arm.call("listPowerEvents", async () => {
      const filter = `eventTimestamp ge '${from}' and eventTimestamp le '${to}' and resourceProvider eq 'Microsoft.Compute'`;
      const select = "eventTimestamp,operationName,status,resourceId";
      // As the SDKs send it: `$filter` and `$select` literally, their values percent-encoded.
      const query = `api-version=${ACTIVITY_LOG_API_VERSION}&$filter=${encodeURIComponent(filter)}&$select=${encodeURIComponent(select)}`;
      const url = `/subscriptions/${encodeURIComponent(subscriptionId)}/providers/Microsoft.Insights/eventtypes/management/values?${query}`;
      const items = await this.arm.rawListing(
        "listPowerEvents",
        url,
        { maxPages: ACTIVITY_LOG_MAX_PAGES, what: "the Activity Log" },
        EventPageSchema,
      );
      return items.flatMap((e) => powerEventOf(e) ?? []).sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
    });
  }

  listResourcePowerEvents(resourceId: string, from: string, to: string): Promise<PowerEvent[]> {
    return this.arm.call("listPowerEvents", async () => {
      // A VM's or a scale set's: both are cycled, and both may be changed by someone else during a run.
      const id = /\/virtualMachineScaleSets\/[^/]+$/i.test(resourceId)
        ? requireId(resourceId, "Microsoft.Compute/virtualMachineScaleSets")
        : requireId(resourceId, "Microsoft.Compute/virtualMachines");
      // The documented `resourceUri eq` shape (activityLogs_API.json), with the caller selected.
      const filter = `eventTimestamp ge '${from}' and eventTimestamp le '${to}' and resourceUri eq '${resourceId}'`;
      const select = "eventTimestamp,operationName,status,resourceId,caller";
      const query = `api-version=${ACTIVITY_LOG_API_VERSION}&$filter=${encodeURIComponent(filter)}&$select=${encodeURIComponent(select)}`;
      const url = `/subscriptions/${encodeURIComponent(id.subscriptionId)}/providers/Microsoft.Insights/eventtypes/management/values?${query}`;
      const items = await this.arm.rawListing(
        "listPowerEvents",
        url,
        { maxPages: ACTIVITY_LOG_MAX_PAGES, what: "the Activity Log" },
        EventPageSchema,
      );
      return items.flatMap((e) => resourceEventOf(e) ?? []).sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
    });
  }
}
const EventPageSchema = z.object({
  value: z.array(z.unknown()).default([]),
  nextLink: z.string().nullable().optional(),
});

const LocalizableSchema = z.object({ value: z.string() }).loose();

/** The fields of an Activity Log event that re-verification reads (EventData in activityLogs_API.json). */
const EventDataSchema = z
  .object({
    eventTimestamp: z.string(),
    operationName: LocalizableSchema,
    status: LocalizableSchema.optional(),
    resourceId: z.string().optional(),
    /** `{resourceId}/events/{eventDataId}/ticks/{ticks}`: the resource when resourceId is not selected. */
    id: z.string().optional(),
    caller: z.string().optional(),
  })
  .loose();

/** A resource's power events, any actor (microsoft.compute/…/evictSpotVM/action is the platform's spot eviction). */
const RESOURCE_POWER_OPERATIONS =
  /^microsoft\.compute\/(virtualmachines|virtualmachinescalesets|virtualmachinescalesets\/virtualmachines)(?:\/(powerOff|deallocate|start|evictSpotVM)\/action|\/(delete))$/i;
const RESOURCE_OPERATION_NAMES = {
  poweroff: "powerOff",
  deallocate: "deallocate",
  start: "start",
  evictspotvm: "evictSpotVM",
  delete: "delete",
} as const;

function resourceEventOf(raw: unknown): PowerEvent | undefined {
  const parsed = EventDataSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const e = parsed.data;
  const m = RESOURCE_POWER_OPERATIONS.exec(e.operationName.value);
  const status = (e.status?.value ?? "").toLowerCase();
  if (m === null || (status !== "succeeded" && status !== "started" && status !== "accepted")) return undefined;
  const name = (m[2] ?? m[3] ?? "").toLowerCase();
  const operation =
    name in RESOURCE_OPERATION_NAMES
      ? RESOURCE_OPERATION_NAMES[name as keyof typeof RESOURCE_OPERATION_NAMES]
      : undefined;
  const resourceId = e.resourceId ?? (e.id !== undefined ? e.id.replace(/\/events\/.*$/i, "") : undefined);
  const at = isoTime(e.eventTimestamp);
  if (operation === undefined || resourceId === undefined || resourceId === "" || at === undefined) return undefined;
  return parseWith(
    PowerEventSchema,
    { resourceId, operation, at, ...(e.caller !== undefined && e.caller !== "" ? { caller: e.caller } : {}) },
    "Activity Log event",
  );
}

/** Succeeded power operations, by operationName (case-insensitive): VMs, scale sets, scale-set instances. */
const POWER_OPERATIONS =
  /^microsoft\.compute\/(virtualmachines|virtualmachinescalesets|virtualmachinescalesets\/virtualmachines)\/(deallocate|start)\/action$/i;

function powerEventOf(raw: unknown): PowerEvent | undefined {
  const parsed = EventDataSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const e = parsed.data;
  const m = POWER_OPERATIONS.exec(e.operationName.value);
  if (m === null || (e.status?.value ?? "").toLowerCase() !== "succeeded") return undefined;
  const resourceId = e.resourceId ?? (e.id !== undefined ? e.id.replace(/\/events\/.*$/i, "") : undefined);
  const at = isoTime(e.eventTimestamp);
  if (resourceId === undefined || resourceId === "" || at === undefined) return undefined;
  return parseWith(PowerEventSchema, { resourceId, operation: (m[2] ?? "").toLowerCase(), at }, "Activity Log event");
}
