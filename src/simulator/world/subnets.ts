/**
 * Subnet writes on a VNet: ARM serialises writes per VNet (a second write meets 409 or 429 while one is in flight),
 * checks a new subnet's ranges against the VNet's space and its other subnets, refuses to delete a subnet in use,
 * and applies (or rolls back) the change when its operation ends.
 */
import type { OperationLedger, OperationRequest } from "./operations";
import type { NsgRecord, Operation, SubnetState, VnetState } from "./types";
import { ArmHttpError } from "../armError";
import { contains, overlaps, parseCidr, type Cidr } from "../cidr";
import type { Rng } from "../rng";
import type { Scenario } from "../scenario";

/** What a subnet PUT may set. */
export interface SubnetPutBody {
  addressPrefix?: string;
  addressPrefixes?: string[];
  delegations: string[];
  networkSecurityGroupId?: string;
}

export interface SubnetParts {
  behaviour: Scenario["behaviour"];
  rng: Rng;
  ledger: OperationLedger;
  /** Network security groups by lower-cased id: a subnet may name only one that exists. */
  nsgs: ReadonlyMap<string, NsgRecord>;
}

export class SubnetOperations {
  constructor(private readonly parts: SubnetParts) {}

  /** Settles the write in flight on the VNet, if it has ended. */
  settleVnet(v: VnetState, now: number): void {
    if (v.pending !== undefined) this.parts.ledger.settle(v.pending, now);
  }

  /** Claims the VNet's write lock or refuses as ARM does while another write is in flight. */
  private lockVnet(v: VnetState, now: number): void {
    this.settleVnet(v, now);
    const p = v.pending;
    if (p === undefined || p.settled) return;
    const mode = this.parts.behaviour.vnetWriteConflict;
    const use429 = mode === "429" || (mode === "either" && this.parts.rng.next() < 0.5);
    const wait = Number.isFinite(p.endsAt) ? Math.min(60, Math.max(1, Math.ceil((p.endsAt - now) / 1000))) : 60;
    if (use429) {
      // As the network RP answers: a generic RetryableError at the top, the reason in details.
      throw new ArmHttpError(429, "RetryableError", "A retryable error occurred.", { "retry-after": String(wait) }, [
        {
          code: "RetryableErrorDueToAnotherOperation",
          message: `Operation PutSubnetOperation (${p.name}) on virtual network '${v.name}' cannot be performed because another operation on it or a dependent resource is in progress. Retry later.`,
        },
      ]);
    }
    throw new ArmHttpError(
      409,
      "AnotherOperationInProgress",
      `Another operation on this or dependent resource is in progress. Operation ${p.name} on virtual network '${v.name}' is still running.`,
    );
  }

  private occupied(v: VnetState, except: string): { cidr: Cidr; subnet: string }[] {
    const out: { cidr: Cidr; subnet: string }[] = [];
    for (const [key, s] of v.subnets) {
      if (key === except) continue;
      for (const p of subnetPrefixes(s)) {
        const c = parseCidr(p);
        if (typeof c !== "string") out.push({ cidr: c, subnet: s.name });
      }
    }
    return out;
  }

  put(
    v: VnetState,
    name: string,
    body: SubnetPutBody,
    ctx: OperationRequest,
    now: number,
  ): { op: Operation; subnet: SubnetState; created: boolean } {
    this.lockVnet(v, now);
    let nsg: NsgRecord | undefined;
    if (body.networkSecurityGroupId !== undefined) {
      // The network RP resolves the reference: an NSG that does not exist, or lives in another region, is refused
      // (InvalidResourceReference, as azure-cli and terraform threads capture it).
      nsg = this.parts.nsgs.get(body.networkSecurityGroupId.toLowerCase());
      if (nsg === undefined || nsg.location !== v.location)
        throw new ArmHttpError(
          400,
          "InvalidResourceReference",
          `Resource ${body.networkSecurityGroupId} referenced by resource ${v.id}/subnets/${name} was not found. Please make sure that the referenced resource exists, and that both resources are in the same region.`,
        );
    }
    const prefixes = [
      ...(body.addressPrefix === undefined ? [] : [body.addressPrefix]),
      ...(body.addressPrefixes ?? []),
    ];
    if (prefixes.length === 0)
      throw new ArmHttpError(
        400,
        "SubnetMissingAddressPrefix",
        `Subnet '${name}' must have an addressPrefix or addressPrefixes.`,
      );
    const space = v.addressPrefixes.map((p) => parseCidr(p)).filter((c): c is Cidr => typeof c !== "string");
    const key = name.toLowerCase();
    const others = this.occupied(v, key);
    for (const p of prefixes) {
      const c = parseCidr(p);
      if (typeof c === "string")
        throw new ArmHttpError(
          400,
          "NetcfgInvalidSubnet",
          `Subnet '${name}' is not valid in virtual network '${v.name}': ${c}.`,
        );
      if (c.prefixLength > 29)
        throw new ArmHttpError(
          400,
          "NetcfgInvalidSubnet",
          `Subnet '${name}' prefix ${p} is smaller than the smallest supported subnet (/29).`,
        );
      if (!space.some((s) => contains(s, c)))
        throw new ArmHttpError(
          400,
          "NetcfgSubnetRangeOutsideVnet",
          `Subnet '${name}' is not valid because its IP address range ${p} is outside the IP address range of virtual network '${v.name}'.`,
        );
      const clash = others.find((o) => overlaps(o.cidr, c));
      if (clash)
        throw new ArmHttpError(
          400,
          "NetcfgSubnetRangesOverlap",
          `Subnet '${name}' is not valid because its IP address range ${p} overlaps with that of an existing subnet '${clash.subnet}' in virtual network '${v.name}'.`,
        );
    }
    const previous = v.subnets.get(key);
    if (previous?.provisioningState === "Deleting")
      throw new ArmHttpError(409, "AnotherOperationInProgress", `Subnet '${name}' is being deleted.`);
    const subnet: SubnetState = {
      name: previous?.name ?? name,
      delegations: body.delegations,
      serviceAssociationLinks: previous?.serviceAssociationLinks ?? [],
      ipamAllocations: previous?.ipamAllocations ?? [],
      inUse: previous?.inUse ?? false,
      provisioningState: "Updating",
      etag: (previous?.etag ?? 0) + 1,
    };
    if (body.addressPrefix !== undefined) subnet.addressPrefix = body.addressPrefix;
    if (body.addressPrefixes !== undefined) subnet.addressPrefixes = body.addressPrefixes;
    if (nsg !== undefined) subnet.networkSecurityGroupId = nsg.id;
    v.subnets.set(key, subnet);
    v.etag += 1;
    const op = this.parts.ledger.begin("Microsoft.Network", v.location, ctx.operation, ctx.apiVersion, now);
    op.subnetChange =
      previous === undefined ? { vnet: v, subnet, action: "create" } : { vnet: v, subnet, action: "update", previous };
    this.parts.ledger.timeNetworkOp(op, ctx, "subnetCreate", now);
    v.pending = op;
    return { op, subnet, created: previous === undefined };
  }

  delete(v: VnetState, name: string, ctx: OperationRequest, now: number): Operation | undefined {
    this.lockVnet(v, now);
    const key = name.toLowerCase();
    const subnet = v.subnets.get(key);
    if (subnet === undefined) return undefined;
    const blocking = subnet.serviceAssociationLinks.find((l) => !l.allowDelete);
    if (subnet.inUse || blocking !== undefined) {
      const by =
        blocking !== undefined ? `service association link to ${blocking.linkedResourceType}` : "IP configurations";
      throw new ArmHttpError(
        400,
        "InUseSubnetCannotBeDeleted",
        `Subnet '${subnet.name}' is in use by ${by} and cannot be deleted. In order to delete the subnet, delete all the resources within the subnet.`,
      );
    }
    subnet.provisioningState = "Deleting";
    const op = this.parts.ledger.begin("Microsoft.Network", v.location, ctx.operation, ctx.apiVersion, now);
    op.subnetChange = { vnet: v, subnet, action: "delete" };
    this.parts.ledger.timeNetworkOp(op, ctx, "subnetDelete", now);
    v.pending = op;
    return op;
  }

  finishChange(op: Operation, change: NonNullable<Operation["subnetChange"]>): void {
    const { vnet, subnet, action } = change;
    const key = subnet.name.toLowerCase();
    if (vnet.pending === op) vnet.pending = undefined;
    vnet.etag += 1;
    if (op.failure !== undefined) {
      if (action === "create") vnet.subnets.delete(key);
      else if (action === "update" && change.previous)
        vnet.subnets.set(key, { ...change.previous, provisioningState: "Succeeded" });
      else subnet.provisioningState = "Succeeded";
      return;
    }
    if (action === "delete") vnet.subnets.delete(key);
    else subnet.provisioningState = "Succeeded";
  }
}

export function subnetPrefixes(s: SubnetState): string[] {
  return [
    ...(s.addressPrefix === undefined ? [] : [s.addressPrefix]),
    ...(s.addressPrefixes ?? []),
    ...s.ipamAllocations.flatMap((a) => a.allocatedAddressPrefixes),
  ];
}
