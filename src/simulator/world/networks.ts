/**
 * The network resources: VNets with their subnets (and the route tables, NAT gateways and NSGs those name), the
 * NSGs, each VM's NIC in the subnet the scenario gives it, and the Network Watchers.
 */
import {
  pushTo,
  type NicRecord,
  type NsgRecord,
  type RgRecord,
  type SubnetState,
  type VmRecord,
  type VnetState,
  type WatcherRecord,
} from "./types";
import { findSubnet } from "../egress";
import type { Rng } from "../rng";
import type { Scenario } from "../scenario";

export interface NetworkParts {
  subscriptionId: string;
  scenario: Scenario;
  rng: Rng;
  /** A declared resource group by name; throws for one the scenario does not declare. */
  rgOf: (name: string) => RgRecord;
}

export class Networks {
  readonly vnets = new Map<string, VnetState>();
  readonly vnetList: VnetState[] = [];
  readonly vnetsByRg = new Map<string, VnetState[]>();
  /** Network security groups by lower-cased id. */
  readonly nsgs = new Map<string, NsgRecord>();
  readonly nics = new Map<string, NicRecord>();
  readonly nicList: NicRecord[] = [];
  readonly watchers = new Map<string, WatcherRecord>();
  readonly watcherList: WatcherRecord[] = [];
  private readonly rgPrefix: string;

  constructor(private readonly parts: NetworkParts) {
    this.rgPrefix = `/subscriptions/${parts.subscriptionId}/resourceGroups/`;
  }

  /** Adds a VNet the scenario declares, with its subnets and the NSGs they name. */
  addVnet(vn: Scenario["vnets"][number]): VnetState {
    const { scenario, rng, rgOf } = this.parts;
    const rgPrefix = this.rgPrefix;
    const rg = rgOf(vn.resourceGroup);
    const id = `${rgPrefix}${rg.name}/providers/Microsoft.Network/virtualNetworks/${vn.name}`;
    const state: VnetState = {
      id,
      name: vn.name,
      resourceGroup: rg.name,
      location: vn.location ?? rg.location,
      addressPrefixes: vn.addressPrefixes,
      ipamPools: vn.ipamPools,
      tags: vn.tags,
      guid: rng.guid(),
      subnets: new Map(),
      etag: 1,
      peerings: vn.peerings ?? [],
    };
    for (const sn of vn.subnets) {
      const s: SubnetState = {
        name: sn.name,
        delegations: sn.delegations,
        serviceAssociationLinks: sn.serviceAssociationLinks,
        ipamAllocations: sn.ipamAllocations,
        inUse: sn.inUse,
        provisioningState: "Succeeded",
        etag: 1,
      };
      if (sn.addressPrefix !== undefined) s.addressPrefix = sn.addressPrefix;
      if (sn.addressPrefixes !== undefined) s.addressPrefixes = sn.addressPrefixes;
      const nsg = sn.networkSecurityGroup;
      if (nsg !== undefined) {
        const named = typeof nsg === "string" ? { name: nsg, resourceGroup: rg.name } : nsg;
        s.networkSecurityGroupId = this.addNsg(named.name, rgOf(named.resourceGroup).name, state.location).id;
      }
      const table =
        sn.routeTable === undefined
          ? undefined
          : scenario.routeTables.find((t) => t.name.toLowerCase() === sn.routeTable?.toLowerCase());
      if (table !== undefined)
        s.routeTableId = `${rgPrefix}${rgOf(table.resourceGroup).name}/providers/Microsoft.Network/routeTables/${table.name}`;
      const nat =
        sn.natGateway === undefined
          ? undefined
          : scenario.natGateways.find((t) => t.name.toLowerCase() === sn.natGateway?.toLowerCase());
      if (nat !== undefined)
        s.natGatewayId = `${rgPrefix}${rgOf(nat.resourceGroup).name}/providers/Microsoft.Network/natGateways/${nat.name}`;
      state.subnets.set(sn.name.toLowerCase(), s);
    }
    this.vnets.set(id.toLowerCase(), state);
    this.vnetList.push(state);
    pushTo(this.vnetsByRg, rg.name.toLowerCase(), state);
    return state;
  }

  addNsg(name: string, resourceGroup: string, location: string): NsgRecord {
    const id = `/subscriptions/${this.parts.subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Network/networkSecurityGroups/${name}`;
    const known = this.nsgs.get(id.toLowerCase());
    if (known !== undefined) return known;
    const rec: NsgRecord = { id, name, resourceGroup, location };
    this.nsgs.set(id.toLowerCase(), rec);
    return rec;
  }

  /** A subnet's id, from the scenario's reference to it ("vnet/subnet" or a subnet name). */
  subnetIdOf(ref: string | undefined): string | undefined {
    const found = findSubnet(this.parts.scenario, ref);
    return found === undefined
      ? undefined
      : `${this.rgPrefix}${this.parts.rgOf(found.vnet.resourceGroup).name}/providers/Microsoft.Network/virtualNetworks/${found.vnet.name}/subnets/${found.subnet.name}`;
  }

  /** Gives a VM its NIC (one per VM, named after it). */
  addNic(vm: VmRecord): NicRecord {
    const id = `${this.rgPrefix}${vm.resourceGroup}/providers/Microsoft.Network/networkInterfaces/${vm.name}-nic`;
    const nic: NicRecord = {
      id,
      name: `${vm.name}-nic`,
      resourceGroup: vm.resourceGroup,
      location: vm.machine.location,
      vm,
    };
    const subnetId = this.subnetIdOf(vm.spec.subnet);
    if (subnetId !== undefined) nic.subnetId = subnetId;
    this.nics.set(id.toLowerCase(), nic);
    this.nicList.push(nic);
    return nic;
  }

  /** Adds a Network Watcher the scenario declares (named as the portal names it, unless the scenario names it). */
  addWatcher(nw: Scenario["networkWatchers"][number]): WatcherRecord {
    const rg = this.parts.rgOf(nw.resourceGroup);
    const name = nw.name ?? `NetworkWatcher_${nw.location}`;
    const rec: WatcherRecord = {
      id: `${this.rgPrefix}${rg.name}/providers/Microsoft.Network/networkWatchers/${name}`,
      name,
      resourceGroup: rg.name,
      location: nw.location,
    };
    this.watchers.set(rec.id.toLowerCase(), rec);
    this.watcherList.push(rec);
    return rec;
  }
}
