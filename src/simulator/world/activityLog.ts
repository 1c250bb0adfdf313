/**
 * The Activity Log (Microsoft.Insights event data): power operations' Started and Succeeded/Failed events, the
 * machines' history from before the simulation, and what others did. Events become queryable after a lag and age out.
 */
/** One entry of the Activity Log (Microsoft.Insights event data), recorded from the power timeline. */
export interface ActivityEvent {
  eventDataId: string;
  /** The resource as Microsoft.Compute names it (resource group upper-cased). */
  resourceId: string;
  resourceGroup: string;
  resourceType: string;
  operationName: string;
  status: "Started" | "Succeeded" | "Failed";
  correlationId: string;
  /** Simulated epoch ms. */
  at: number;
  /** When the event became queryable (the log lags the operation). */
  submittedAt: number;
  /** Who: absent for the product's own requests (the simulator's default caller). */
  caller?: string;
  claims?: Record<string, string>;
  /** The request's method: POST for actions (the default), DELETE and PUT for deletes and creates. */
  httpMethod?: string;
}

/** An event as an operation records it: what it is about and who made it, without its status and times. */
export type ActivityEntry = Omit<ActivityEvent, "eventDataId" | "status" | "at" | "submittedAt">;

/** How long the Activity Log keeps events. */
export const ACTIVITY_LOG_RETENTION_MS = 90 * 86_400_000;
/** How long an event takes to become queryable. */
export const ACTIVITY_LOG_LAG_MS = 2 * 60_000;

export class ActivityLog {
  /** Oldest first. */
  private readonly events: ActivityEvent[] = [];
  /** Event ids from their own counter, so that logging never shifts the seed's draws. */
  private counter = 0;

  guid(): string {
    const n = (this.counter++).toString(16).padStart(12, "0");
    return `e0e0e0e0-0000-4000-8000-${n}`;
  }

  log(base: ActivityEntry, status: ActivityEvent["status"], at: number): void {
    this.events.push({
      ...base,
      resourceId: computeResourceId(base.resourceId),
      resourceGroup: base.resourceGroup.toUpperCase(),
      eventDataId: this.guid(),
      status,
      at,
      submittedAt: at + ACTIVITY_LOG_LAG_MS,
    });
  }

  /** A machine's history before the simulation: deallocated, then started at `startedAtMs`, both already queryable. */
  recordHistory(
    resourceId: string,
    resourceGroup: string,
    type: string,
    startedAtMs: number,
    simulationStart: number,
  ): void {
    for (const [kind, at] of [
      ["deallocate", startedAtMs - 5 * 60_000],
      ["start", startedAtMs],
    ] as const) {
      const base = {
        resourceId,
        resourceGroup,
        resourceType: type,
        operationName: `${type}/${kind}/action`,
        correlationId: this.guid(),
      };
      this.events.push({
        ...base,
        resourceId: computeResourceId(resourceId),
        resourceGroup: resourceGroup.toUpperCase(),
        eventDataId: this.guid(),
        status: "Succeeded",
        at,
        submittedAt: Math.min(at + ACTIVITY_LOG_LAG_MS, simulationStart),
      });
    }
  }

  /** Events queryable at `now` (submitted, within the retention), newest first. */
  queryable(now: number): ActivityEvent[] {
    return this.events
      .filter((e) => e.submittedAt <= now && e.at >= now - ACTIVITY_LOG_RETENTION_MS)
      .sort((a, b) => b.at - a.at);
  }
}

/** The resource group named in a resource id. */
export function resourceGroupOf(id: string): string {
  return /\/resourceGroups\/([^/]+)/i.exec(id)?.[1] ?? "";
}

/** An id as Microsoft.Compute writes it: the resource group upper-cased. */
export function computeResourceId(id: string): string {
  return id.replace(
    /^(\/subscriptions\/[^/]+\/resourceGroups\/)([^/]+)/i,
    (_all: string, head: string, rg: string) => `${head}${rg.toUpperCase()}`,
  );
}
