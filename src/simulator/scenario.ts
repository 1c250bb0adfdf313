/** The scenario file: a simulated subscription's resources and the simulator's behaviour, validated with zod. */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { ensureError, ValidationError } from "../errors";
import { parseWith } from "../contracts/parse";
import { ActorEventSchema } from "./actorSchema";
import { BehaviourSchema } from "./behaviourSchema";
import { LockSchema, NsgSchema, PolicyAssignmentSchema } from "./governance";
import { PermissionGrantSchema } from "./permissions";
import { crossCheck } from "./scenarioChecks";
import {
  AvailabilitySetSchema,
  Iso,
  NatGatewaySchema,
  NetworkWatcherSchema,
  NextHopSchema,
  ResourceGroupSchema,
  RouteTableSchema,
  ScaleSetSchema,
  SubscriptionSchema,
  VmSchema,
  VnetSchema,
} from "./scenarioResources";

export type { ScenarioScaleSet, ScenarioSubnet, ScenarioVm, ScenarioVnet } from "./scenarioResources";

/** A subscription's resources: shared by the single-subscription scenario and each subscription of an estate. */
export const SubscriptionContents = {
  subscription: SubscriptionSchema,
  exemption: z.object({ exempted: z.boolean(), effectiveAt: Iso.optional() }).strict(),
  resourceGroups: z.array(ResourceGroupSchema).default([]),
  vms: z.array(VmSchema).default([]),
  scaleSets: z.array(ScaleSetSchema).default([]),
  vnets: z.array(VnetSchema).default([]),
  networkWatchers: z.array(NetworkWatcherSchema).default([]),
  /** Management locks (ReadOnly or CanNotDelete) on the subscription, a resource group or a resource (governance.ts). */
  locks: z.array(LockSchema).default([]),
  /** Azure Policy assignments the simulator evaluates (the ALZ Deny-Subnet-Without-Nsg definition; governance.ts). */
  policyAssignments: z.array(PolicyAssignmentSchema).default([]),
  /**
   * The app identity's permissions per resource group (permissions.ts): what Permissions - List For Resource Group
   * answers and what subnet writes and deletes are checked against. A group not named grants every action.
   */
  permissions: z.array(PermissionGrantSchema).default([]),
  /** Network security groups besides those subnets name (which exist anyway). */
  networkSecurityGroups: z.array(NsgSchema).default([]),
  /** Other actors: owners and the platform acting during a run (actorSchema.ts, docs/scenario.md "Other actors"). */
  actors: z.array(ActorEventSchema).default([]),
  routeTables: z.array(RouteTableSchema).default([]),
  natGateways: z.array(NatGatewaySchema).default([]),
  /** Availability sets whose update-domain count is not the default 5. */
  availabilitySets: z.array(AvailabilitySetSchema).default([]),
  /** Appliances and firewalls at next-hop addresses (usually in a peered hub of another subscription). */
  nextHops: z.array(NextHopSchema).default([]),
};

export const ScenarioSchema = z
  .object({ ...SubscriptionContents, behaviour: BehaviourSchema.prefault({}) })
  .strict()
  .superRefine(crossCheck);

export type Scenario = z.output<typeof ScenarioSchema>;
export type ScenarioInput = z.input<typeof ScenarioSchema>;

/** Parses a scenario object, or reads and parses a JSON file; errors name the offending field. */
export function loadScenario(pathOrObject: string | ScenarioInput | Scenario): Scenario {
  if (typeof pathOrObject !== "string") return parseWith(ScenarioSchema, pathOrObject, "scenario");
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(pathOrObject, "utf8"));
  } catch (e) {
    const err = ensureError(e);
    throw new ValidationError(`scenario file ${pathOrObject}`, [{ path: "", message: err.message }], err);
  }
  return parseWith(ScenarioSchema, raw, `scenario file ${pathOrObject}`);
}
