/**
 * Other actors: what people and the platform do to the subscription while a run goes on (an owner stops, deallocates,
 * starts or deletes a VM; a spot VM is evicted; a VM is created). Each event fires at a simulated time or at the
 * product's first write on a resource, lazily against the clock like the rest of the World, and is recorded in the
 * Activity Log as Azure records it. `ACTOR_KINDS` is the one place an event kind maps to a World call.
 */
import type { ActorEvent, ActorKind } from "./actorSchema";
import type { ActorResult, PowerOp, VmRecord } from "./world/types";
import type { ActorHooks, World } from "./world/world";

/** The default caller of a person's action: the simulated tenant's VM owner. */
const DEFAULT_OWNER = "owner@contoso.example";

/** Claims an owner's token carries, as the Activity Log's `claims` shows them (a subset of the documented ones). */
function ownerClaims(upn: string, tenantId: string): Record<string, string> {
  return {
    aud: "https://management.core.windows.net/",
    iss: `https://sts.windows.net/${tenantId}/`,
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn": upn,
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name": upn,
    name: upn.split("@")[0] ?? upn,
  };
}

/** What an event needs from the World to take effect: the VM it names (when it still exists) and who acted. */
interface Firing<E extends ActorEvent> {
  event: E;
  vm: VmRecord | undefined;
  at: number;
}

type Handler<E extends ActorEvent> = (w: World, f: Firing<E>) => ActorResult;

const GONE: ActorResult = { refused: "ResourceNotFound" };
const ownerOf = (w: World, e: { caller?: string | undefined }): { caller: string; claims: Record<string, string> } => {
  const upn = e.caller ?? DEFAULT_OWNER;
  return { caller: upn, claims: ownerClaims(upn, w.tenantId) };
};
const power =
  (kind: PowerOp): Handler<Extract<ActorEvent, { kind: "stop" | "deallocate" | "start" }>> =>
  (w, f) =>
    f.vm === undefined ? GONE : w.ownerPower(f.vm, kind, ownerOf(w, f.event), f.at);

/** The one place event kinds map to World calls. */
const ACTOR_KINDS: { [K in ActorKind]: Handler<Extract<ActorEvent, { kind: K }>> } = {
  stop: power("powerOff"),
  deallocate: power("deallocate"),
  start: power("start"),
  delete: (w, f) => (f.vm === undefined ? GONE : w.deleteVm(f.vm, ownerOf(w, f.event), f.at)),
  evict: (w, f) => (f.vm === undefined ? GONE : w.evictSpotVm(f.vm, f.at)),
  create: (w, f) => w.createVm(w.createdVmSpec(f.event.vm), ownerOf(w, f.event), f.at),
  addLock: (w, f) => {
    w.addLock(f.event.lock);
    return {};
  },
  removeLock: (w, f) => (w.removeLock(f.event.lock) ? {} : { refused: "LockNotFound" }),
  addPolicyAssignment: (w, f) => {
    w.addPolicyAssignment(f.event.assignment);
    return {};
  },
  removePolicyAssignment: (w, f) =>
    w.removePolicyAssignment(f.event.assignment) ? {} : { refused: "PolicyAssignmentNotFound" },
};

/** The resource an event acts on, as the record names it: a VM's id, or the scope of a lock or an assignment. */
function subjectOf(w: World, e: ActorEvent, vm: VmRecord | undefined): string {
  switch (e.kind) {
    case "create":
      return w.vmIdOf(String(e.vm["resourceGroup"]), String(e.vm["name"]));
    case "addLock":
    case "removeLock":
      return `${scopeText(e.lock.scope)}/providers/Microsoft.Authorization/locks/${e.lock.name}`;
    case "addPolicyAssignment":
    case "removePolicyAssignment":
      return `${scopeText(e.assignment.scope ?? "subscription")}/providers/Microsoft.Authorization/policyAssignments/${e.assignment.name ?? "Deny-Subnet-Without-Nsg"}`;
    default:
      return vm?.id ?? w.vmIdOf(e.resourceGroup, e.vm);
  }
}

function scopeText(scope: "subscription" | { resourceGroup: string; type?: string; name?: string }): string {
  if (scope === "subscription") return "(subscription)";
  return scope.type === undefined || scope.name === undefined
    ? `resourceGroups/${scope.resourceGroup}`
    : `resourceGroups/${scope.resourceGroup}/providers/${scope.type}/${scope.name}`;
}

/** What happened to each event: for tests and the simulator's own record. */
export interface ActorRecord {
  index: number;
  kind: ActorKind;
  /** The VM acted on (as the scenario names it: the group's own spelling). */
  resourceId: string;
  at: number;
  outcome: "done" | "refused";
  refused?: string | undefined;
}

interface Pending {
  index: number;
  event: ActorEvent;
  /** Simulated epoch ms when it is due; undefined while it waits for a first touch. */
  due: number | undefined;
}

/** Holds the scenario's events and fires them in time order, each once. */
export class ActorEngine implements ActorHooks {
  private readonly queue: Pending[] = [];
  private readonly touches = new Map<string, Pending[]>();
  private readonly touched = new Set<string>();
  readonly log: ActorRecord[] = [];

  constructor(events: readonly ActorEvent[], startedAt: number, subscriptionId: string) {
    events.forEach((event, index) => {
      const when = event.when;
      if ("at" in when) this.queue.push({ index, event, due: Date.parse(when.at) });
      else if ("afterSeconds" in when) this.queue.push({ index, event, due: startedAt + when.afterSeconds * 1000 });
      else {
        const rg = when.resourceGroup ?? ("resourceGroup" in event ? event.resourceGroup : "");
        const key =
          `/subscriptions/${subscriptionId}/resourcegroups/${rg}/providers/microsoft.compute/virtualmachines/${when.firstTouch}`.toLowerCase();
        this.touches.set(key, [...(this.touches.get(key) ?? []), { index, event, due: undefined }]);
      }
    });
  }

  /** Fires every event due by `now`, oldest first (ties in scenario order); an event meeting an operation waits for it. */
  fireDue(w: World, now: number): void {
    for (;;) {
      let next: Pending | undefined;
      for (const p of this.queue)
        if (
          p.due !== undefined &&
          p.due <= now &&
          (next === undefined || p.due < (next.due ?? 0) || (p.due === next.due && p.index < next.index))
        )
          next = p;
      if (next === undefined) return;
      this.queue.splice(this.queue.indexOf(next), 1);
      this.fire(w, next, next.due ?? now);
    }
  }

  /** The product's first write on a VM: its events fire now, just before the request is handled. */
  fireTouch(w: World, resourceKey: string, now: number): void {
    if (this.touched.has(resourceKey)) return;
    this.touched.add(resourceKey);
    const list = this.touches.get(resourceKey);
    if (list === undefined) return;
    this.touches.delete(resourceKey);
    this.fireDue(w, now);
    for (const p of list) this.fire(w, p, now);
  }

  private fire(w: World, p: Pending, at: number): void {
    const e = p.event;
    const vm = "resourceGroup" in e ? w.findVm(e.resourceGroup, e.vm) : undefined;
    const resourceId = subjectOf(w, e, vm);
    const handler = ACTOR_KINDS[e.kind] as Handler<ActorEvent>;
    const result = handler(w, { event: e, vm, at });
    if (result.busyUntil !== undefined) {
      // Tried again when the operation in flight ends (a stuck one never does: the event is then refused).
      if (Number.isFinite(result.busyUntil)) {
        this.queue.push({ ...p, due: Math.max(result.busyUntil, at) });
        return;
      }
      this.log.push({
        index: p.index,
        kind: e.kind,
        resourceId,
        at,
        outcome: "refused",
        refused: "AnotherOperationInProgress",
      });
      return;
    }
    this.log.push({
      index: p.index,
      kind: e.kind,
      resourceId,
      at,
      outcome: result.refused === undefined ? "done" : "refused",
      refused: result.refused,
    });
  }
}
