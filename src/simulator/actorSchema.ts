/** The scenario's `actors`: what people and the platform do during a run (actors.ts fires them). */
import { z } from "zod";
import { LockSchema, PolicyAssignmentSchema } from "./governance";

const Iso = z.iso.datetime({ offset: true });
const Name = z.string().regex(/^[A-Za-z0-9][-\w.()]{0,79}$/, "must be a valid Azure resource name");
/** A user principal name, as the Activity Log's `caller` shows a person. */
const Upn = z.string().regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, "must be a user principal name such as alice@contoso.com");

/** When an event fires: at a time, some seconds after the simulation starts, or at the product's first write on a VM. */
const ActorWhenSchema = z.union([
  z.object({ at: Iso }).strict(),
  z.object({ afterSeconds: z.number().nonnegative() }).strict(),
  z
    .object({
      /** The VM whose first write request (powerOff, deallocate, start) the event lands just before. */
      firstTouch: Name,
      /** Its resource group; defaults to the event's own. */
      resourceGroup: Name.optional(),
    })
    .strict(),
]);

const OnVm = { vm: Name, resourceGroup: Name, when: ActorWhenSchema };
/** The person (UPN) the Activity Log names; default the VM's owner in the simulated tenant. */
const Caller = { caller: Upn.optional() };

/**
 * The event kinds. More kinds (locks, policy assignments) plug in by adding a schema here and an entry to
 * ACTOR_KINDS that calls the World method for them.
 */
export const ActorEventSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("stop"), ...OnVm, ...Caller }).strict(),
  z.object({ kind: z.literal("deallocate"), ...OnVm, ...Caller }).strict(),
  z.object({ kind: z.literal("start"), ...OnVm, ...Caller }).strict(),
  z.object({ kind: z.literal("delete"), ...OnVm, ...Caller }).strict(),
  /** The platform evicts a spot VM: deallocated or deleted as the VM's evictionPolicy says. */
  z.object({ kind: z.literal("evict"), ...OnVm }).strict(),
  /** A VM created during the run (any `vms[]` fields; it starts running). */
  z
    .object({ kind: z.literal("create"), vm: z.record(z.string(), z.unknown()), when: ActorWhenSchema, ...Caller })
    .strict(),
  /** Someone puts a management lock (the `locks[]` shape): from then on ARM refuses what it blocks with ScopeLocked. */
  z.object({ kind: z.literal("addLock"), lock: LockSchema, when: ActorWhenSchema, ...Caller }).strict(),
  /** Someone removes a lock, named as in `locks[]`. */
  z
    .object({
      kind: z.literal("removeLock"),
      lock: LockSchema.pick({ name: true, scope: true }),
      when: ActorWhenSchema,
      ...Caller,
    })
    .strict(),
  /** A policy is assigned (the `policyAssignments[]` shape), e.g. a landing zone's Deny-Subnet-Without-Nsg. */
  z
    .object({
      kind: z.literal("addPolicyAssignment"),
      assignment: PolicyAssignmentSchema,
      when: ActorWhenSchema,
      ...Caller,
    })
    .strict(),
  /** An assignment is removed, named as in `policyAssignments[]`. */
  z
    .object({
      kind: z.literal("removePolicyAssignment"),
      assignment: PolicyAssignmentSchema.pick({ name: true, scope: true }).partial(),
      when: ActorWhenSchema,
      ...Caller,
    })
    .strict(),
]);
export type ActorEvent = z.output<typeof ActorEventSchema>;
export type ActorKind = ActorEvent["kind"];
