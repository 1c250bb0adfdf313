/**
 * What ARM itself enforces before a request reaches a resource provider: management locks and Azure Policy
 * assignments. Both are the subscription owner's, not the product's: the scenario stages them, and World's
 * addLock/removeLock/addPolicyAssignment/removePolicyAssignment change them while a run goes on.
 *
 * Locks (Learn "Lock your resources to protect your infrastructure", articles/azure-resource-manager/management/
 * lock-resources.md): a lock applies to its scope and everything below it ("when you apply a lock at a parent scope,
 * all resources within that scope inherit the same lock"); ReadOnly refuses every write, delete and POST action
 * (the page: a ReadOnly lock on a VM's resource group "prevents starting or restarting" it), CanNotDelete refuses
 * deletes. ARM answers 409 `ScopeLocked`, "The scope '<request scope>' cannot perform <write|delete> operation because
 * following scope(s) are locked: '<lock scope>'. Please remove the lock and try again." (captured on a subnet delete
 * under a CanNotDelete lock on its resource group in Azure/terraform-azurerm-lz-vending#496; "write" for a POST action,
 * captured on a storage account's listKeys in MicrosoftDocs lab text and Azure/azure-cli threads).
 *
 * Policy: the Azure Landing Zones definition `Deny-Subnet-Without-Nsg` (Azure/Enterprise-Scale,
 * src/resources/Microsoft.Authorization/policyDefinitions/Deny-Subnet-Without-Nsg.json: effect Deny by default,
 * subnets named GatewaySubnet, AzureFirewallSubnet and AzureFirewallManagementSubnet excluded) denies a subnet PUT
 * without `networkSecurityGroup.id`: 403 `RequestDisallowedByPolicy`, target the subnet's name, the message naming
 * the assignment and definition ("Resource '<name>' was disallowed by policy. Policy identifiers: '[…]'.", captured in
 * HoussemDellai/terraform-course#1) and `additionalInfo[]` of type `PolicyViolation` whose `info` names the
 * assignment and definition (Learn "Azure Policy effects: deny"; the field names as real answers carry them).
 */
import { z } from "zod";
import { ArmHttpError } from "./armError";

const Name = z.string().regex(/^[A-Za-z0-9][-\w.()]{0,79}$/, "must be a valid Azure resource name");
const ResourceType = z
  .string()
  .regex(/^[A-Za-z]+\.[A-Za-z.]+\/[A-Za-z]+$/, "must be a resource type such as Microsoft.Compute/virtualMachines");

/** Where a lock or an assignment sits: the subscription, a resource group, or (locks only) one resource in a group. */
const SubscriptionScope = z.literal("subscription");
const GroupScope = z.object({ resourceGroup: Name }).strict();
const ResourceScope = z.object({ resourceGroup: Name, type: ResourceType, name: Name }).strict();

export const LockSchema = z
  .object({
    // locks.json: "at most 260 characters. It cannot contain <, > %, &, :, \, ?, /, or any control characters."
    name: z
      .string()
      .min(1)
      .max(260)
      .refine(
        (n) => !/[<>%&:\\?/]/.test(n) && [...n].every((ch) => ch.charCodeAt(0) >= 0x20),
        "must be a lock name (none of <>%&:\\?/ or control characters)",
      ),
    level: z.enum(["ReadOnly", "CanNotDelete"]),
    scope: z.union([SubscriptionScope, GroupScope, ResourceScope]),
    notes: z.string().max(512).optional(),
  })
  .strict();
export type LockInput = z.input<typeof LockSchema>;
type Lock = z.output<typeof LockSchema>;

/** The definition's displayName in Azure/Enterprise-Scale. */
const DEFINITION_DISPLAY_NAME = "Subnets should have a Network Security Group";

/** The ALZ subnets the definition leaves alone by default (its `excludedSubnets` parameter). */
const ALZ_EXCLUDED_SUBNETS = ["GatewaySubnet", "AzureFirewallSubnet", "AzureFirewallManagementSubnet"] as const;

export const PolicyAssignmentSchema = z
  .object({
    /** The ALZ definition; the only one the simulator evaluates. */
    definition: z.literal("Deny-Subnet-Without-Nsg").default("Deny-Subnet-Without-Nsg"),
    /** ALZ assigns it under the definition's own name. */
    name: Name.default("Deny-Subnet-Without-Nsg"),
    displayName: z.string().min(1).default("Subnets should have a Network Security Group"),
    effect: z.enum(["Deny", "Audit"]).default("Deny"),
    scope: z.union([SubscriptionScope, GroupScope]).default("subscription"),
    /** The management group holding ALZ's custom definitions (its intermediate root). */
    definitionManagementGroup: z.string().min(1).default("alz"),
    excludedSubnets: z.array(z.string().min(1)).default([...ALZ_EXCLUDED_SUBNETS]),
  })
  .strict();
export type PolicyAssignmentInput = z.input<typeof PolicyAssignmentSchema>;
type PolicyAssignment = z.output<typeof PolicyAssignmentSchema>;

/** A network security group that exists in the subscription (a subnet may name it). */
export const NsgSchema = z
  .object({
    name: Name,
    resourceGroup: Name,
    location: z
      .string()
      .regex(/^[a-z0-9]+$/)
      .optional(),
  })
  .strict();

interface HeldLock extends Lock {
  /** ARM's scope id (e.g. /subscriptions/…/resourceGroups/rg), as the lock's id carries it. */
  scopeId: string;
  id: string;
}

interface HeldAssignment extends PolicyAssignment {
  scopeId: string;
  id: string;
  definitionId: string;
}

const LOCKS = "/providers/Microsoft.Authorization/locks/";

export class Governance {
  private readonly locks: HeldLock[] = [];
  private readonly assignments: HeldAssignment[] = [];

  constructor(
    private readonly subscriptionId: string,
    /** The declared resource groups, by lower-cased name (a scope must name one). */
    private readonly groupName: (name: string) => string | undefined,
  ) {}

  private scopeId(scope: Lock["scope"]): string {
    const sub = `/subscriptions/${this.subscriptionId}`;
    if (scope === "subscription") return sub;
    const rg = this.groupName(scope.resourceGroup);
    if (rg === undefined) throw new Error(`resource group ${scope.resourceGroup} is not declared`);
    if (!("type" in scope)) return `${sub}/resourceGroups/${rg}`;
    return `${sub}/resourceGroups/${rg}/providers/${scope.type}/${scope.name}`;
  }

  addLock(input: LockInput): void {
    const lock = LockSchema.parse(input);
    const scopeId = this.scopeId(lock.scope);
    const id = `${scopeId}${LOCKS}${lock.name}`;
    const at = this.locks.findIndex((l) => l.id.toLowerCase() === id.toLowerCase());
    const held: HeldLock = { ...lock, scopeId, id };
    // A PUT of a lock with the same name at the same scope replaces it (ManagementLocks_CreateOrUpdate*).
    if (at >= 0) this.locks[at] = held;
    else this.locks.push(held);
  }

  /** Removes the lock of that name at that scope; whether it was there. */
  removeLock(input: Pick<LockInput, "name" | "scope">): boolean {
    const id = `${this.scopeId(LockSchema.shape.scope.parse(input.scope))}${LOCKS}${input.name}`.toLowerCase();
    const at = this.locks.findIndex((l) => l.id.toLowerCase() === id);
    if (at >= 0) this.locks.splice(at, 1);
    return at >= 0;
  }

  addPolicyAssignment(input: PolicyAssignmentInput): void {
    const a = PolicyAssignmentSchema.parse(input);
    const scopeId = this.scopeId(a.scope);
    const id = `${scopeId}/providers/Microsoft.Authorization/policyAssignments/${a.name}`;
    const definitionId = `/providers/Microsoft.Management/managementGroups/${a.definitionManagementGroup}/providers/Microsoft.Authorization/policyDefinitions/${a.definition}`;
    const held: HeldAssignment = { ...a, scopeId, id, definitionId };
    const at = this.assignments.findIndex((x) => x.id.toLowerCase() === id.toLowerCase());
    if (at >= 0) this.assignments[at] = held;
    else this.assignments.push(held);
  }

  removePolicyAssignment(input: Pick<PolicyAssignmentInput, "name" | "scope">): boolean {
    const a = PolicyAssignmentSchema.parse({ name: input.name, scope: input.scope });
    const id = `${this.scopeId(a.scope)}/providers/Microsoft.Authorization/policyAssignments/${a.name}`.toLowerCase();
    const at = this.assignments.findIndex((x) => x.id.toLowerCase() === id);
    if (at >= 0) this.assignments.splice(at, 1);
    return at >= 0;
  }

  /**
   * Locks listed at a scope (ManagementLocks_ListAtSubscriptionLevel / _ListAtResourceGroupLevel /
   * _ListAtResourceLevel): those at the scope and below it. The subscription's listing holds every lock of the
   * subscription (its x-ms-example lists a resource group's lock there).
   */
  locksAtOrBelow(scopePath: string): HeldLock[] {
    const s = scopePath.toLowerCase().replace(/\/+$/, "");
    return this.locks.filter((l) => within(l.scopeId.toLowerCase(), s));
  }

  /**
   * ARM's front door: refuses a request on `resourcePath` that a lock at or above it forbids. `method` is the HTTP
   * method; a POST is an action on the resource named by the path without its last segment.
   */
  enforce(method: string, pathname: string): void {
    const kind =
      method === "DELETE"
        ? "delete"
        : method === "PUT" || method === "PATCH" || method === "POST"
          ? "write"
          : undefined;
    if (kind === undefined) return;
    const segments = pathname.split("/").filter((x) => x !== "");
    const target = `/${(method === "POST" ? segments.slice(0, -1) : segments).join("/")}`;
    const lower = target.toLowerCase();
    const blocking = this.locks.filter(
      (l) => (kind === "delete" || l.level === "ReadOnly") && within(lower, l.scopeId.toLowerCase()),
    );
    if (blocking.length === 0) return;
    const scopes = [...new Set(blocking.map((l) => l.scopeId))];
    throw new ArmHttpError(
      409,
      "ScopeLocked",
      `The scope '${target}' cannot perform ${kind} operation because following scope(s) are locked: ${scopes.map((s) => `'${s}'`).join(",")}. Please remove the lock and try again.`,
    );
  }

  /**
   * Policy evaluation of a subnet PUT (Deny-Subnet-Without-Nsg's second rule: type subnets, name not excluded, no
   * networkSecurityGroup.id). Audit assignments let it through; the first Deny assignment in effect refuses it.
   */
  evaluateSubnetPut(resourceGroup: string, subnetName: string, nsgId: string | undefined): void {
    if (nsgId !== undefined) return;
    const rg = `/subscriptions/${this.subscriptionId}/resourcegroups/${resourceGroup.toLowerCase()}`;
    const denying = this.assignments.filter(
      (a) =>
        a.effect === "Deny" &&
        within(rg, a.scopeId.toLowerCase()) &&
        !a.excludedSubnets.some((x) => x.toLowerCase() === subnetName.toLowerCase()),
    );
    const first = denying[0];
    if (first === undefined) return;
    const identifiers = denying.map((a) => ({
      policyAssignment: { name: a.displayName, id: a.id },
      policyDefinition: { name: DEFINITION_DISPLAY_NAME, id: a.definitionId },
    }));
    const e = new ArmHttpError(
      403,
      "RequestDisallowedByPolicy",
      `Resource '${subnetName}' was disallowed by policy. Policy identifiers: '${JSON.stringify(identifiers)}'.`,
    );
    e.target = subnetName;
    e.additionalInfo = denying.map((a) => ({
      type: "PolicyViolation",
      info: {
        evaluationDetails: {
          evaluatedExpressions: [
            {
              result: "True",
              expressionKind: "Field",
              expression: "type",
              path: "type",
              expressionValue: "Microsoft.Network/virtualNetworks/subnets",
              targetValue: "Microsoft.Network/virtualNetworks/subnets",
              operator: "Equals",
            },
            {
              result: "True",
              expressionKind: "Field",
              expression: "name",
              path: "name",
              expressionValue: subnetName,
              targetValue: a.excludedSubnets,
              operator: "NotIn",
            },
            {
              result: "True",
              expressionKind: "Field",
              expression: "Microsoft.Network/virtualNetworks/subnets/networkSecurityGroup.id",
              path: "properties.networkSecurityGroup.id",
              targetValue: "false",
              operator: "Exists",
            },
          ],
        },
        policyDefinitionId: a.definitionId,
        policyDefinitionName: a.definition,
        policyDefinitionDisplayName: DEFINITION_DISPLAY_NAME,
        policyDefinitionEffect: a.effect,
        policyAssignmentId: a.id,
        policyAssignmentName: a.name,
        policyAssignmentDisplayName: a.displayName,
        policyAssignmentScope: a.scopeId,
        policyAssignmentParameters: { effect: { value: a.effect }, excludedSubnets: { value: a.excludedSubnets } },
      },
    }));
    throw e;
  }
}

/** Whether `path` is `scope` or lies below it (both lower-cased ARM ids). */
function within(path: string, scope: string): boolean {
  return path === scope || path.startsWith(`${scope}/`);
}

/** The body of one lock, as ManagementLockObject (locks.json, 2020-05-01). */
export function lockBody(l: { id: string; name: string; level: string; notes?: string | undefined }): object {
  return {
    properties: { level: l.level, notes: l.notes },
    id: l.id,
    type: "Microsoft.Authorization/locks",
    name: l.name,
  };
}
