/** Builders of discovery data for the domain tests. */
import type {
  Discovery,
  ResourceGroupInfo,
  ScaleSetInfo,
  SubnetInfo,
  VmInfo,
  VnetInfo,
} from "../../../src/contracts/discovery";
import {
  type RemediationOptions,
  type RemediationOptionsInput,
  RemediationOptionsSchema,
} from "../../../src/contracts/options";

export const SUB = "00000000-0000-0000-0000-0000000000aa";

export function rgId(rg: string): string {
  return `/subscriptions/${SUB}/resourceGroups/${rg}`;
}

export function options(overrides: RemediationOptionsInput = {}): RemediationOptions {
  return RemediationOptionsSchema.parse(overrides);
}

export function vm(name: string, overrides: Partial<VmInfo> = {}): VmInfo {
  const resourceGroup = overrides.resourceGroup ?? "rg-app";
  return {
    id: `${rgId(resourceGroup)}/providers/Microsoft.Compute/virtualMachines/${name}`,
    name,
    resourceGroup,
    location: "westeurope",
    powerState: "running",
    provisioningState: "Succeeded",
    ephemeralOsDisk: false,
    tags: {},
    priority: "Regular",
    networkWatcherAgent: false,
    ...overrides,
  };
}

export function availabilitySet(name: string, rg = "rg-app"): string {
  return `${rgId(rg)}/providers/Microsoft.Compute/availabilitySets/${name}`;
}

export function flexSet(name: string, rg = "rg-app"): string {
  return `${rgId(rg)}/providers/Microsoft.Compute/virtualMachineScaleSets/${name}`;
}

export function scaleSet(name: string, overrides: Partial<ScaleSetInfo> = {}): ScaleSetInfo {
  const resourceGroup = overrides.resourceGroup ?? "rg-app";
  return {
    id: `${rgId(resourceGroup)}/providers/Microsoft.Compute/virtualMachineScaleSets/${name}`,
    name,
    resourceGroup,
    location: "westeurope",
    orchestrationMode: "Uniform",
    ephemeralOsDisk: false,
    provisioningState: "Succeeded",
    tags: {},
    instances: [],
    ...overrides,
  };
}

export function subnet(
  name: string,
  addressPrefix: string | undefined,
  overrides: Partial<SubnetInfo> = {},
): SubnetInfo {
  return {
    id: `/subnets/${name}`,
    name,
    addressPrefix,
    delegations: [],
    ipamAllocatedPrefixes: [],
    ...overrides,
  };
}

export function vnet(
  name: string,
  addressPrefixes: string[],
  subnets: SubnetInfo[],
  overrides: Partial<VnetInfo> = {},
): VnetInfo {
  const resourceGroup = overrides.resourceGroup ?? "rg-net";
  return {
    id: `${rgId(resourceGroup)}/providers/Microsoft.Network/virtualNetworks/${name}`,
    name,
    resourceGroup,
    location: "westeurope",
    addressPrefixes,
    ipamManaged: false,
    subnets,
    tags: {},
    ...overrides,
  };
}

export function resourceGroup(name: string, managedBy?: string): ResourceGroupInfo {
  return { id: rgId(name), name, location: "westeurope", tags: {}, managedBy };
}

export function discovery(parts: Partial<Omit<Discovery, "subscriptionId">> = {}): Discovery {
  return {
    subscriptionId: SUB,
    resourceGroups: [resourceGroup("rg-app"), resourceGroup("rg-net")],
    vms: [],
    scaleSets: [],
    vnets: [],
    networkWatchers: [],
    ...parts,
  };
}
