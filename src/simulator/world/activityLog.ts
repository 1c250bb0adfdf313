/**
 * The Activity Log (Microsoft.Insights event data): power operations' Started and Succeeded/Failed events, the
 * machines' history from before the simulation, and what others did. Events become queryable after a lag and age out.
 */
import { float64Column, int32Column, StringTable } from "./columns";

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

/** Event statuses by their stored number. */
const STATUSES = ["Started", "Succeeded", "Failed"] as const;
const NONE = -1;
/** Numbers stored per event in `fields`. */
const FIELDS = 8;

/**
 * Azure keeps the Activity Log in a queryable store, not in the caller's memory; the simulated one keeps its events
 * in columns (columns.ts) and builds event objects only for the events a query returns, so a long run over a large
 * fleet does not hold an object per event.
 */
export class ActivityLog {
  private readonly strings = new StringTable();
  private readonly at = float64Column();
  private readonly submittedAt = float64Column();
  /** Per event: resource id, resource group, resource type, operation name, status, caller, HTTP method, event number. */
  private readonly fields = int32Column();
  /** Per event, the correlation id: the operation's own id string (shared with the operation, not copied). */
  private readonly correlationIds: string[] = [];
  /** The claims of the few events that carry them (others' actions), by event index. */
  private readonly claims = new Map<number, Record<string, string>>();
  /** Event ids from their own counter, so that logging never shifts the seed's draws. */
  private counter = 0;

  guid(): string {
    return this.guidOf(this.counter++);
  }

  log(base: ActivityEntry, status: ActivityEvent["status"], at: number): void {
    this.push(base, status, at, at + ACTIVITY_LOG_LAG_MS);
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
      this.push(base, "Succeeded", at, Math.min(at + ACTIVITY_LOG_LAG_MS, simulationStart));
    }
  }

  /** Events queryable at `now` (submitted, within the retention) and within [from, to] when given, newest first. */
  queryable(now: number, from = Number.NEGATIVE_INFINITY, to = Number.POSITIVE_INFINITY): ActivityEvent[] {
    const oldest = Math.max(from, now - ACTIVITY_LOG_RETENTION_MS);
    const hits: number[] = [];
    for (let i = 0; i < this.at.length; i++) {
      const at = this.at.get(i);
      if (this.submittedAt.get(i) <= now && at >= oldest && at <= to) hits.push(i);
    }
    // Stable: events of the same time keep the order they were logged in.
    return hits.sort((a, b) => this.at.get(b) - this.at.get(a)).map((i) => this.event(i));
  }

  /** Events kept, and the distinct strings they share (test/e2e/footprint.test.ts). */
  counts(): { activityEvents: number; activityStrings: number } {
    return { activityEvents: this.at.length, activityStrings: this.strings.size };
  }

  private push(base: ActivityEntry, status: ActivityEvent["status"], at: number, submittedAt: number): void {
    const i = this.at.length;
    const t = this.strings;
    this.at.push(at);
    this.submittedAt.push(submittedAt);
    this.fields.push(t.id(computeResourceId(base.resourceId)));
    this.fields.push(t.id(base.resourceGroup.toUpperCase()));
    this.fields.push(t.id(base.resourceType));
    this.fields.push(t.id(base.operationName));
    this.fields.push(STATUSES.indexOf(status));
    this.fields.push(base.caller === undefined ? NONE : t.id(base.caller));
    this.fields.push(base.httpMethod === undefined ? NONE : t.id(base.httpMethod));
    this.fields.push(this.counter++);
    this.correlationIds.push(base.correlationId);
    if (base.claims !== undefined) this.claims.set(i, base.claims);
  }

  private event(i: number): ActivityEvent {
    const f = (k: number): number => this.fields.get(i * FIELDS + k);
    const e: ActivityEvent = {
      resourceId: this.strings.value(f(0)),
      resourceGroup: this.strings.value(f(1)),
      resourceType: this.strings.value(f(2)),
      operationName: this.strings.value(f(3)),
      correlationId: this.correlationIds[i] ?? "",
      eventDataId: this.guidOf(f(7)),
      status: STATUSES[f(4)] ?? "Started",
      at: this.at.get(i),
      submittedAt: this.submittedAt.get(i),
    };
    if (f(5) !== NONE) e.caller = this.strings.value(f(5));
    const claims = this.claims.get(i);
    if (claims !== undefined) e.claims = claims;
    if (f(6) !== NONE) e.httpMethod = this.strings.value(f(6));
    return e;
  }

  private guidOf(n: number): string {
    return `e0e0e0e0-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;
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
