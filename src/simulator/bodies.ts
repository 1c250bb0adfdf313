/** ARM JSON bodies, shaped after the REST specs' examples (fields and nesting the SDK deserializers read). */
import type { Scenario } from "./scenario";
import {
  computeResourceId,
  type ActivityEvent,
  type Machine,
  type NicRecord,
  type Operation,
  type PowerState,
  type RgRecord,
  type ScaleSetRecord,
  type SimExtension,
  type SubnetState,
  type VmRecord,
  type VnetState,
  type WatcherRecord,
} from "./world";

const iso = (ms: number): string => new Date(ms).toISOString();

/** Ids in Microsoft.Compute's bodies carry the resource group upper-cased, whatever the group's own spelling (azure-facts §5c). */
const computeId = computeResourceId;

const POWER_DISPLAY: Record<PowerState, string> = {
  starting: "VM starting",
  running: "VM running",
  stopping: "VM stopping",
  stopped: "VM stopped",
  deallocating: "VM deallocating",
  deallocated: "VM deallocated",
};

export function subscriptionBody(s: Scenario["subscription"], tenantId: string): object {
  return {
    id: `/subscriptions/${s.id}`,
    subscriptionId: s.id,
    tenantId,
    displayName: s.name,
    state: s.state,
    subscriptionPolicies: { locationPlacementId: "Public_2014-09-01", quotaId: s.quotaId, spendingLimit: "Off" },
    authorizationSource: "RoleBased",
    managedByTenants: [],
    tags: {},
  };
}

export function billingPropertyBody(subscriptionId: string, b: Exclude<Scenario["subscription"]["billing"], "forbidden">): object {
  const properties: Record<string, unknown> = {
    billingAccountAgreementType: b.agreementType,
    subscriptionWorkloadType: b.workloadType,
    billingAccountDisplayName: "Contoso",
    billingAccountId: "/providers/Microsoft.Billing/billingAccounts/12345678",
    subscriptionBillingStatus: "Active",
    subscriptionBillingType: "Paid",
  };
  if (b.accountType !== undefined) properties["billingAccountType"] = b.accountType;
  if (b.accountSubType !== undefined) properties["billingAccountSubType"] = b.accountSubType;
  if (b.skuId !== undefined) properties["skuId"] = b.skuId;
  if (b.skuDescription !== undefined) properties["skuDescription"] = b.skuDescription;
  return { id: `/subscriptions/${subscriptionId}/providers/Microsoft.Billing/billingProperty/default`, name: "default", type: "Microsoft.Billing/billingProperty", properties };
}

export function resourceGroupBody(rg: RgRecord): object {
  return {
    id: rg.id,
    name: rg.name,
    type: "Microsoft.Resources/resourceGroups",
    location: rg.location,
    managedBy: rg.managedBy,
    tags: rg.tags,
    properties: { provisioningState: "Succeeded" },
  };
}

/** Time of the last known change, for statuses that always carry one. */
function changedAt(m: Machine): string {
  return iso(m.powerSince ?? m.createdAt);
}

function statuses(m: Machine): object[] {
  const prov = m.provisioningState.toLowerCase();
  const provCode = m.provisioningError === undefined ? `ProvisioningState/${prov}` : `ProvisioningState/${prov}/${m.provisioningError}`;
  return [
    {
      code: provCode,
      level: m.provisioningState === "Failed" ? "Error" : "Info",
      displayStatus: m.provisioningState === "Failed" ? "Provisioning failed" : m.provisioningState === "Updating" ? "Updating" : "Provisioning succeeded",
      time: changedAt(m),
    },
    // As in every official instance view: only the provisioning state has a time, the power state never.
    { code: `PowerState/${m.power}`, level: "Info", displayStatus: POWER_DISPLAY[m.power] },
  ];
}

/**
 * The instance view of a VM (its extensions given) or of a scale-set instance (none), as it reads at `now`. Right
 * after a start the guest is still booting: the VM agent reports as in the spec's example
 * `VirtualMachineScaleSetVM_Get_InstanceViewAutoPlacedOnDedicatedHostGroup` (`ProvisioningState/Unavailable`,
 * Warning, "Not Ready", version "Unknown", no extensions reported), then Ready with its extensions still
 * transitioning, then everything provisioned (Machine.agentReadyAt, extensionsReadyAt).
 *
 * `platformUpdateDomain` (VirtualMachineInstanceView; first in the spec's VirtualMachine_Get_InstanceView example)
 * is given for a VM in an availability set, and — placement being a property of allocated hardware — only while
 * it is allocated: never to a deallocated VM, nor to a VM outside a set.
 */
export function instanceViewBody(
  m: Machine,
  os: "Linux" | "Windows",
  computerName: string,
  extensions: readonly SimExtension[] = [],
  now: number = Number.POSITIVE_INFINITY,
  platformUpdateDomain?: number,
): object {
  const running = m.power === "running";
  const agentReady = running && (m.agentReadyAt === undefined || now >= m.agentReadyAt);
  const extensionsReady = agentReady && (m.extensionsReadyAt === undefined || now >= m.extensionsReadyAt);
  const extensionStatus = extensionsReady
    ? { code: "ProvisioningState/succeeded", level: "Info", displayStatus: "Provisioning succeeded" }
    : { code: "ProvisioningState/transitioning", level: "Info", displayStatus: "Transitioning" };
  const booting = running && !agentReady;
  return {
    ...(platformUpdateDomain === undefined || m.power === "deallocated" ? {} : { platformUpdateDomain }),
    computerName,
    osName: os === "Windows" ? "Windows Server 2022 Datacenter" : "ubuntu",
    osVersion: os === "Windows" ? "10.0.20348" : "22.04",
    vmAgent: {
      vmAgentVersion: booting ? "Unknown" : os === "Windows" ? "2.7.41491.1102" : "2.10.0.8",
      statuses: booting
        ? [{ code: "ProvisioningState/Unavailable", level: "Warning", displayStatus: "Not Ready", message: "VM status blob is found but not yet populated.", time: changedAt(m) }]
        : running
          ? [{ code: "ProvisioningState/succeeded", level: "Info", displayStatus: "Ready", message: "Guest Agent is running", time: iso(m.agentReadyAt ?? Date.parse(changedAt(m))) }]
          : [],
      extensionHandlers: booting
        ? []
        : extensions.map((e) => ({
            type: `${e.publisher}.${e.type}`,
            typeHandlerVersion: e.version,
            status: extensionsReady ? { code: "ProvisioningState/succeeded", level: "Info", displayStatus: "Ready" } : { code: "ProvisioningState/transitioning", level: "Info", displayStatus: "Transitioning" },
          })),
    },
    disks: [
      {
        name: `${m.name}_OsDisk_1`,
        statuses: [{ code: "ProvisioningState/succeeded", level: "Info", displayStatus: "Provisioning succeeded", time: changedAt(m) }],
      },
    ],
    extensions: booting
      ? []
      : extensions.map((e) => ({
          name: e.name,
          type: `${e.publisher}.${e.type}`,
          typeHandlerVersion: e.version,
          statuses: [extensionStatus],
        })),
    hyperVGeneration: "V2",
    statuses: statuses(m),
  };
}

function osDisk(name: string, os: "Linux" | "Windows", ephemeral: boolean, diskId?: string): object {
  return {
    osType: os,
    name,
    createOption: "FromImage",
    caching: ephemeral ? "ReadOnly" : "ReadWrite",
    ...(ephemeral ? { diffDiskSettings: { option: "Local", placement: "CacheDisk" } } : {}),
    managedDisk: { storageAccountType: ephemeral ? "Standard_LRS" : "Premium_LRS", id: diskId },
    deleteOption: ephemeral ? "Delete" : "Detach",
    diskSizeGB: 30,
  };
}

function imageReference(os: "Linux" | "Windows"): object {
  return os === "Windows"
    ? { publisher: "MicrosoftWindowsServer", offer: "WindowsServer", sku: "2022-datacenter-azure-edition", version: "latest" }
    : { publisher: "Canonical", offer: "0001-com-ubuntu-server-jammy", sku: "22_04-lts-gen2", version: "latest" };
}

/** One extension as the extensions list (and a single VM's GET) gives it. */
export function extensionBody(vm: VmRecord, e: SimExtension): object {
  return {
    name: e.name,
    id: `${computeId(vm.id)}/extensions/${e.name}`,
    type: "Microsoft.Compute/virtualMachines/extensions",
    location: vm.machine.location,
    properties: { autoUpgradeMinorVersion: true, provisioningState: "Succeeded", publisher: e.publisher, type: e.type, typeHandlerVersion: e.version },
  };
}

/**
 * A VM. `listed`: as a list answer gives it, extensions by id only (`resources: [{ id }]`, no name or type: what
 * `az vm list` and the SDKs see); a single GET gives them whole.
 */
export function vmBody(vm: VmRecord, withInstanceView: boolean, listed = false, now: number = Number.POSITIVE_INFINITY): object {
  const m = vm.machine;
  const s = vm.spec;
  const rgId = computeId(vm.id.slice(0, vm.id.indexOf("/providers/")));
  const osDiskName = `${vm.name}_OsDisk_1`;
  const properties: Record<string, unknown> = {
    vmId: m.vmId,
    ...(vm.availabilitySetId === undefined ? {} : { availabilitySet: { id: computeId(vm.availabilitySetId) } }),
    ...(vm.flexScaleSetId === undefined ? {} : { virtualMachineScaleSet: { id: computeId(vm.flexScaleSetId) } }),
    hardwareProfile: { vmSize: s.size },
    storageProfile: {
      imageReference: imageReference(s.osType),
      osDisk: osDisk(osDiskName, s.osType, m.ephemeralOsDisk, m.ephemeralOsDisk ? undefined : `${rgId}/providers/Microsoft.Compute/disks/${osDiskName}`),
      dataDisks: [],
    },
    osProfile: {
      computerName: vm.name,
      adminUsername: "azureuser",
      ...(s.osType === "Windows"
        ? { windowsConfiguration: { provisionVMAgent: true, enableAutomaticUpdates: true } }
        : { linuxConfiguration: { disablePasswordAuthentication: true, provisionVMAgent: true } }),
      secrets: [],
      allowExtensionOperations: true,
    },
    networkProfile: { networkInterfaces: [{ id: `${vm.id.slice(0, vm.id.indexOf("/providers/"))}/providers/Microsoft.Network/networkInterfaces/${vm.name}-nic`, properties: { primary: true } }] },
    diagnosticsProfile: { bootDiagnostics: { enabled: true } },
    ...(s.priority === "Regular" ? {} : { priority: s.priority, evictionPolicy: s.evictionPolicy ?? "Deallocate", billingProfile: { maxPrice: -1 } }),
    provisioningState: m.provisioningState,
    timeCreated: iso(vm.timeCreated),
  };
  if (withInstanceView) properties["instanceView"] = instanceViewBody(m, s.osType, vm.name, vm.extensions, now, vm.platformUpdateDomain);
  return {
    name: vm.name,
    id: computeId(vm.id),
    type: "Microsoft.Compute/virtualMachines",
    location: m.location,
    tags: s.tags,
    ...(s.zone === undefined ? {} : { zones: [s.zone] }),
    properties,
    resources: vm.extensions.map((e) => (listed ? { id: `${computeId(vm.id)}/extensions/${e.name}` } : extensionBody(vm, e))),
    ...(vm.flexScaleSetId === undefined ? {} : { managedBy: computeId(vm.flexScaleSetId) }),
  };
}

export function scaleSetBody(ss: ScaleSetRecord): object {
  const s = ss.spec;
  const uniform = s.orchestrationMode === "Uniform";
  return {
    name: ss.name,
    id: computeId(ss.id),
    type: "Microsoft.Compute/virtualMachineScaleSets",
    location: ss.location,
    tags: s.tags,
    ...(uniform ? { sku: { name: s.size, tier: "Standard", capacity: ss.instanceList.length } } : {}),
    zones: s.zones,
    properties: {
      orchestrationMode: s.orchestrationMode,
      ...(uniform
        ? {
            upgradePolicy: { mode: "Manual" },
            overprovision: false,
            singlePlacementGroup: true,
            virtualMachineProfile: {
              osProfile: { computerNamePrefix: ss.name.slice(0, 9), adminUsername: "azureuser", linuxConfiguration: { disablePasswordAuthentication: true } },
              storageProfile: { imageReference: imageReference("Linux"), osDisk: osDisk("", "Linux", s.ephemeralOsDisk) },
              ...(ss.subnetId === undefined
                ? {}
                : { networkProfile: { networkInterfaceConfigurations: [{ name: `${ss.name}-nic`, properties: { primary: true, ipConfigurations: [{ name: "ipconfig1", properties: { subnet: { id: ss.subnetId } } }] } }] } }),
            },
          }
        : { platformFaultDomainCount: 1, singlePlacementGroup: false }),
      provisioningState: "Succeeded",
      uniqueId: ss.uniqueId,
      timeCreated: "2024-01-01T00:00:00.000Z",
    },
  };
}

export function scaleSetVmBody(ss: ScaleSetRecord, m: Machine, withInstanceView: boolean, now: number = Number.POSITIVE_INFINITY): object {
  const id = computeId(`${ss.id}/virtualMachines/${m.instanceId ?? ""}`);
  return {
    name: m.name,
    id,
    type: "Microsoft.Compute/virtualMachineScaleSets/virtualMachines",
    location: ss.location,
    tags: ss.spec.tags,
    instanceId: m.instanceId,
    sku: { name: ss.spec.size, tier: "Standard" },
    ...(ss.spec.zones === undefined ? {} : { zones: [ss.spec.zones[Number(m.instanceId ?? 0) % ss.spec.zones.length]] }),
    properties: {
      latestModelApplied: true,
      modelDefinitionApplied: "VirtualMachineScaleSet",
      vmId: m.vmId,
      hardwareProfile: { vmSize: ss.spec.size },
      storageProfile: { imageReference: imageReference("Linux"), osDisk: osDisk(`${m.name}_OsDisk_1`, "Linux", ss.spec.ephemeralOsDisk), dataDisks: [] },
      osProfile: { computerName: `${ss.name.slice(0, 9)}${(m.instanceId ?? "0").padStart(6, "0")}`, adminUsername: "azureuser" },
      networkProfile: { networkInterfaces: [{ id: `${id}/networkInterfaces/${ss.name}-nic`, properties: { primary: true } }] },
      provisioningState: m.provisioningState,
      timeCreated: iso(m.createdAt),
      ...(withInstanceView ? { instanceView: instanceViewBody(m, "Linux", m.name, [], now) } : {}),
    },
  };
}

export function subnetBody(v: VnetState, s: SubnetState): object {
  const id = `${v.id}/subnets/${s.name}`;
  const props: Record<string, unknown> = { provisioningState: s.provisioningState };
  if (s.addressPrefix !== undefined) props["addressPrefix"] = s.addressPrefix;
  if (s.addressPrefixes !== undefined) props["addressPrefixes"] = s.addressPrefixes;
  if (s.ipamAllocations.length > 0)
    props["ipamPoolPrefixAllocations"] = s.ipamAllocations.map((a) => ({
      pool: { id: a.poolId },
      numberOfIpAddresses: a.numberOfIpAddresses ?? String(a.allocatedAddressPrefixes.length * 256),
      allocatedAddressPrefixes: a.allocatedAddressPrefixes,
    }));
  if (s.networkSecurityGroupId !== undefined) props["networkSecurityGroup"] = { id: s.networkSecurityGroupId };
  if (s.routeTableId !== undefined) props["routeTable"] = { id: s.routeTableId };
  if (s.natGatewayId !== undefined) props["natGateway"] = { id: s.natGatewayId };
  if (s.inUse) props["ipConfigurations"] = [{ id: `${v.id.slice(0, v.id.indexOf("/providers/"))}/providers/Microsoft.Network/networkInterfaces/${s.name}-nic/ipConfigurations/ipconfig1` }];
  props["delegations"] = s.delegations.map((serviceName, i) => ({
    name: `delegation${i}`,
    id: `${id}/delegations/delegation${i}`,
    type: "Microsoft.Network/virtualNetworks/subnets/delegations",
    properties: { serviceName, actions: ["Microsoft.Network/virtualNetworks/subnets/action"], provisioningState: "Succeeded" },
  }));
  if (s.serviceAssociationLinks.length > 0)
    props["serviceAssociationLinks"] = s.serviceAssociationLinks.map((l, i) => {
      const name = l.name ?? `link${i}`;
      return {
        name,
        id: `${id}/serviceAssociationLinks/${name}`,
        type: "Microsoft.Network/virtualNetworks/subnets/serviceAssociationLinks",
        properties: { linkedResourceType: l.linkedResourceType, link: l.link, allowDelete: l.allowDelete, locations: [v.location], provisioningState: "Succeeded" },
      };
    });
  props["privateEndpointNetworkPolicies"] = "Disabled";
  props["privateLinkServiceNetworkPolicies"] = "Enabled";
  if (s.delegations.length > 0) props["purpose"] = s.delegations[0] === "Microsoft.Web/hostingEnvironments" ? "HostedWorkloads" : "";
  return { name: s.name, id, etag: `W/"${s.etag.toString(16).padStart(8, "0")}-0000-0000-0000-000000000000"`, type: "Microsoft.Network/virtualNetworks/subnets", properties: props };
}

export function vnetBody(v: VnetState): object {
  return {
    name: v.name,
    id: v.id,
    etag: `W/"${v.etag.toString(16).padStart(8, "0")}-0000-0000-0000-000000000000"`,
    type: "Microsoft.Network/virtualNetworks",
    location: v.location,
    tags: v.tags,
    properties: {
      provisioningState: "Succeeded",
      resourceGuid: v.guid,
      addressSpace: {
        addressPrefixes: v.addressPrefixes,
        ...(v.ipamPools.length > 0 ? { ipamPoolPrefixAllocations: v.ipamPools.map((id) => ({ pool: { id }, numberOfIpAddresses: "65536", allocatedAddressPrefixes: v.addressPrefixes })) } : {}),
      },
      subnets: [...v.subnets.values()].map((s) => subnetBody(v, s)),
      virtualNetworkPeerings: v.peerings.map((p) => ({
        name: p.name,
        id: `${v.id}/virtualNetworkPeerings/${p.name}`,
        etag: 'W/"00000000-0000-0000-0000-000000000001"',
        type: "Microsoft.Network/virtualNetworks/virtualNetworkPeerings",
        properties: {
          allowVirtualNetworkAccess: true,
          allowForwardedTraffic: true,
          allowGatewayTransit: false,
          useRemoteGateways: p.useRemoteGateways,
          remoteVirtualNetwork: { id: p.remoteVirtualNetworkId },
          remoteAddressSpace: { addressPrefixes: p.remoteAddressPrefixes },
          remoteVirtualNetworkAddressSpace: { addressPrefixes: p.remoteAddressPrefixes },
          peeringState: "Connected",
          peeringSyncLevel: "FullyInSync",
          provisioningState: "Succeeded",
        },
      })),
      enableDdosProtection: false,
    },
  };
}

/** A VM's NIC (NetworkInterfaces_ListAll): one IP configuration in the VM's subnet. */
export function nicBody(n: NicRecord): object {
  // A VM the scenario places in no subnet sits in its resource group's default VNet, which the scenario does not list.
  const subnetId = n.subnetId ?? `${n.id.slice(0, n.id.indexOf("/providers/"))}/providers/Microsoft.Network/virtualNetworks/${n.resourceGroup}-vnet/subnets/default`;
  return {
    name: n.name,
    id: n.id,
    etag: 'W/"00000000-0000-0000-0000-000000000001"',
    type: "Microsoft.Network/networkInterfaces",
    location: n.location,
    properties: {
      provisioningState: "Succeeded",
      ipConfigurations: [
        {
          name: "ipconfig1",
          id: `${n.id}/ipConfigurations/ipconfig1`,
          etag: 'W/"00000000-0000-0000-0000-000000000001"',
          type: "Microsoft.Network/networkInterfaces/ipConfigurations",
          properties: { privateIPAddress: n.vm.machine.privateIp, privateIPAllocationMethod: "Dynamic", subnet: { id: subnetId }, primary: true, privateIPAddressVersion: "IPv4", provisioningState: "Succeeded" },
        },
      ],
      virtualMachine: { id: computeResourceId(n.vm.id) },
      primary: true,
      nicType: "Standard",
    },
  };
}

/** A route table with its user routes and the subnets associated with it (RouteTables_ListAll). */
export function routeTableBody(subscriptionId: string, t: Scenario["routeTables"][number], location: string, subnets: string[]): object {
  const id = `/subscriptions/${subscriptionId}/resourceGroups/${t.resourceGroup}/providers/Microsoft.Network/routeTables/${t.name}`;
  return {
    name: t.name,
    id,
    etag: 'W/"00000000-0000-0000-0000-000000000001"',
    type: "Microsoft.Network/routeTables",
    location: t.location ?? location,
    properties: {
      disableBgpRoutePropagation: t.disableBgpRoutePropagation,
      routes: t.routes.map((r) => ({
        name: r.name,
        id: `${id}/routes/${r.name}`,
        etag: 'W/"00000000-0000-0000-0000-000000000001"',
        type: "Microsoft.Network/routeTables/routes",
        properties: { addressPrefix: r.addressPrefix, nextHopType: r.nextHopType, nextHopIpAddress: r.nextHopIpAddress, provisioningState: "Succeeded", hasBgpOverride: false },
      })),
      subnets: subnets.map((sid) => ({ id: sid })),
      provisioningState: "Succeeded",
    },
  };
}

export function watcherBody(w: WatcherRecord): object {
  return {
    name: w.name,
    id: w.id,
    etag: 'W/"00000000-0000-0000-0000-000000000001"',
    type: "Microsoft.Network/networkWatchers",
    location: w.location,
    tags: {},
    properties: { provisioningState: "Succeeded" },
  };
}

export function operationStatusBody(op: Operation, status: "InProgress" | "Succeeded" | "Failed"): object {
  // Network's Azure-AsyncOperation body is AzureAsyncOperationResult (network.json): status and error, nothing else.
  if (op.provider === "Microsoft.Network")
    return { status, ...(status === "Failed" && op.failure !== undefined ? { error: { code: op.failure.code, message: op.failure.message } } : {}) };
  return {
    name: op.id,
    status,
    startTime: iso(op.startedAt),
    ...(status === "InProgress" ? {} : { endTime: iso(op.endsAt) }),
    ...(status === "Failed" && op.failure !== undefined
      ? { error: { code: op.failure.code, message: op.failure.message, details: op.failure.details } }
      : {}),
  };
}


/** One Activity Log entry (EventData of activityLogs_API.json, 2015-04-01): what ARM records for a power operation. */
/** The caller the Activity Log names for the product's own requests. */
const PRODUCT_CALLER = "port25@contoso.example";

/** The claims of the product's token, as the Activity Log shows them: audience, issuer, the app (a subset). */
function productClaims(tenantId: string): Record<string, string> {
  return {
    aud: "https://management.core.windows.net/",
    iss: `https://sts.windows.net/${tenantId}/`,
    appid: "0d4c2a51-7e6b-4c1a-9f33-2b8a6d5e7c10",
    appidacr: "2",
    "http://schemas.microsoft.com/identity/claims/objectidentifier": "6f1c8e2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b",
  };
}

export function activityEventBody(e: ActivityEvent, subscriptionId: string, tenantId: string): Record<string, unknown> {
  const ticks = BigInt(e.at) * 10_000n + 621_355_968_000_000_000n;
  const started = e.status === "Started";
  const operation = { value: e.operationName, localizedValue: e.operationName };
  return {
    authorization: { action: e.operationName, scope: e.resourceId },
    // Who acted (EventData.caller, claims in activityLogs_API.json): the product's identity for its own requests,
    // a person's UPN and token claims for an owner's action, the platform for an eviction.
    caller: e.caller ?? PRODUCT_CALLER,
    claims: e.claims ?? productClaims(tenantId),
    correlationId: e.correlationId,
    description: "",
    eventDataId: e.eventDataId,
    eventName: started ? { value: "BeginRequest", localizedValue: "Begin request" } : { value: "EndRequest", localizedValue: "End request" },
    category: { value: "Administrative", localizedValue: "Administrative" },
    httpRequest: { clientRequestId: e.correlationId, clientIpAddress: "203.0.113.10", method: e.httpMethod ?? "POST" },
    id: `${e.resourceId}/events/${e.eventDataId}/ticks/${ticks.toString()}`,
    level: e.status === "Failed" ? "Error" : "Informational",
    resourceGroupName: e.resourceGroup,
    resourceProviderName: { value: "Microsoft.Compute", localizedValue: "Microsoft.Compute" },
    resourceId: e.resourceId,
    resourceType: { value: e.resourceType, localizedValue: e.resourceType },
    operationId: e.correlationId,
    operationName: operation,
    properties: started ? { eventCategory: "Administrative", entity: e.resourceId } : { statusCode: e.status === "Succeeded" ? "OK" : "InternalServerError" },
    status: { value: e.status, localizedValue: e.status },
    subStatus: started ? { value: "", localizedValue: "" } : e.status === "Succeeded" ? { value: "OK", localizedValue: "OK (HTTP Status Code: 200)" } : { value: "InternalServerError", localizedValue: "Internal Server Error (HTTP Status Code: 500)" },
    eventTimestamp: iso(e.at),
    submissionTimestamp: iso(e.submittedAt),
    subscriptionId,
    tenantId,
  };
}
