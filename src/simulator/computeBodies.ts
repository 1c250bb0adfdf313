/** Microsoft.Compute's bodies: VMs with their instance view and extensions, scale sets and their instances (shaped after the REST specs' examples). */
import { iso } from "./bodies";
import { computeResourceId } from "./world/activityLog";
import type { Machine, PowerState, ScaleSetRecord, SimExtension, VmRecord } from "./world/types";

/** Ids in Microsoft.Compute's bodies carry the resource group upper-cased, whatever the group's own spelling (docs/architecture.md, "Azure's answers"). */
const computeId = computeResourceId;

const POWER_DISPLAY: Record<PowerState, string> = {
  starting: "VM starting",
  running: "VM running",
  stopping: "VM stopping",
  stopped: "VM stopped",
  deallocating: "VM deallocating",
  deallocated: "VM deallocated",
};

/** Time of the last known change, for statuses that always carry one. */
function changedAt(m: Machine): string {
  return iso(m.powerSince ?? m.createdAt);
}

/**
 * The power state an answer at `now` gives: the machine's own, except while a start from deallocated shows `stopped`
 * (Transition.showsStopped).
 */
function shownPower(m: Machine, now: number): PowerState {
  const glimpse = m.pending?.showsStopped;
  return glimpse !== undefined && now >= glimpse.from && now < glimpse.to ? "stopped" : m.power;
}

function statuses(m: Machine, power: PowerState): object[] {
  const prov = m.provisioningState.toLowerCase();
  const provCode =
    m.provisioningError === undefined
      ? `ProvisioningState/${prov}`
      : `ProvisioningState/${prov}/${m.provisioningError}`;
  return [
    {
      code: provCode,
      level: m.provisioningState === "Failed" ? "Error" : "Info",
      displayStatus:
        m.provisioningState === "Failed"
          ? "Provisioning failed"
          : m.provisioningState === "Updating"
            ? "Updating"
            : "Provisioning succeeded",
      time: changedAt(m),
    },
    // As in every official instance view: only the provisioning state has a time, the power state never.
    { code: `PowerState/${power}`, level: "Info", displayStatus: POWER_DISPLAY[power] },
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
  const power = shownPower(m, now);
  const running = power === "running";
  const agentReady = running && (m.agentReadyAt === undefined || now >= m.agentReadyAt);
  const extensionsReady = agentReady && (m.extensionsReadyAt === undefined || now >= m.extensionsReadyAt);
  const extensionStatus = extensionsReady
    ? { code: "ProvisioningState/succeeded", level: "Info", displayStatus: "Provisioning succeeded" }
    : { code: "ProvisioningState/transitioning", level: "Info", displayStatus: "Transitioning" };
  const booting = running && !agentReady;
  return {
    ...(platformUpdateDomain === undefined || power === "deallocated" ? {} : { platformUpdateDomain }),
    computerName,
    osName: os === "Windows" ? "Windows Server 2022 Datacenter" : "ubuntu",
    osVersion: os === "Windows" ? "10.0.20348" : "22.04",
    vmAgent: {
      vmAgentVersion: booting ? "Unknown" : os === "Windows" ? "2.7.41491.1102" : "2.10.0.8",
      statuses: booting
        ? [
            {
              code: "ProvisioningState/Unavailable",
              level: "Warning",
              displayStatus: "Not Ready",
              message: "VM status blob is found but not yet populated.",
              time: changedAt(m),
            },
          ]
        : running
          ? [
              {
                code: "ProvisioningState/succeeded",
                level: "Info",
                displayStatus: "Ready",
                message: "Guest Agent is running",
                time: iso(m.agentReadyAt ?? Date.parse(changedAt(m))),
              },
            ]
          : [],
      extensionHandlers: booting
        ? []
        : extensions.map((e) => ({
            type: `${e.publisher}.${e.type}`,
            typeHandlerVersion: e.version,
            status: extensionsReady
              ? { code: "ProvisioningState/succeeded", level: "Info", displayStatus: "Ready" }
              : { code: "ProvisioningState/transitioning", level: "Info", displayStatus: "Transitioning" },
          })),
    },
    disks: [
      {
        name: `${m.name}_OsDisk_1`,
        statuses: [
          {
            code: "ProvisioningState/succeeded",
            level: "Info",
            displayStatus: "Provisioning succeeded",
            time: changedAt(m),
          },
        ],
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
    statuses: statuses(m, power),
  };
}

function osDisk(name: string, os: "Linux" | "Windows", ephemeral: boolean, diskId?: string): object {
  return {
    osType: os,
    name,
    createOption: "FromImage",
    caching: ephemeral ? "ReadOnly" : "ReadWrite",
    ...(ephemeral ? { diffDiskSettings: { option: "Local", placement: "CacheDisk" } } : {}),
    managedDisk: {
      storageAccountType: ephemeral ? "Standard_LRS" : "Premium_LRS",
      ...(diskId === undefined ? {} : { id: diskId }),
    },
    deleteOption: ephemeral ? "Delete" : "Detach",
    diskSizeGB: 30,
  };
}

function imageReference(os: "Linux" | "Windows"): object {
  return os === "Windows"
    ? {
        publisher: "MicrosoftWindowsServer",
        offer: "WindowsServer",
        sku: "2022-datacenter-azure-edition",
        version: "latest",
      }
    : { publisher: "Canonical", offer: "0001-com-ubuntu-server-jammy", sku: "22_04-lts-gen2", version: "latest" };
}

/** One extension as the extensions list (and a single VM's GET) gives it. */
export function extensionBody(vm: VmRecord, e: SimExtension): object {
  return {
    name: e.name,
    id: `${computeId(vm.id)}/extensions/${e.name}`,
    type: "Microsoft.Compute/virtualMachines/extensions",
    location: vm.machine.location,
    properties: {
      autoUpgradeMinorVersion: true,
      provisioningState: "Succeeded",
      publisher: e.publisher,
      type: e.type,
      typeHandlerVersion: e.version,
    },
  };
}

/**
 * A VM. `listed`: as a list answer gives it, extensions by id only (`resources: [{ id }]`, no name or type: what
 * `az vm list` and the SDKs see); a single GET gives them whole.
 */
export function vmBody(
  vm: VmRecord,
  withInstanceView: boolean,
  listed = false,
  now: number = Number.POSITIVE_INFINITY,
): object {
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
      osDisk: osDisk(
        osDiskName,
        s.osType,
        m.ephemeralOsDisk,
        m.ephemeralOsDisk ? undefined : `${rgId}/providers/Microsoft.Compute/disks/${osDiskName}`,
      ),
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
    networkProfile: {
      networkInterfaces: [
        {
          id: `${vm.id.slice(0, vm.id.indexOf("/providers/"))}/providers/Microsoft.Network/networkInterfaces/${vm.name}-nic`,
          properties: { primary: true },
        },
      ],
    },
    diagnosticsProfile: { bootDiagnostics: { enabled: true } },
    ...(s.priority === "Regular"
      ? {}
      : { priority: s.priority, evictionPolicy: s.evictionPolicy ?? "Deallocate", billingProfile: { maxPrice: -1 } }),
    provisioningState: m.provisioningState,
    timeCreated: iso(vm.timeCreated),
  };
  if (withInstanceView)
    properties["instanceView"] = instanceViewBody(m, s.osType, vm.name, vm.extensions, now, vm.platformUpdateDomain);
  return {
    name: vm.name,
    id: computeId(vm.id),
    type: "Microsoft.Compute/virtualMachines",
    location: m.location,
    tags: s.tags,
    ...(s.zone === undefined ? {} : { zones: [s.zone] }),
    properties,
    resources: vm.extensions.map((e) =>
      listed ? { id: `${computeId(vm.id)}/extensions/${e.name}` } : extensionBody(vm, e),
    ),
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
    ...(s.zones === undefined ? {} : { zones: s.zones }),
    properties: {
      orchestrationMode: s.orchestrationMode,
      ...(uniform
        ? {
            upgradePolicy: { mode: "Manual" },
            overprovision: false,
            singlePlacementGroup: true,
            virtualMachineProfile: {
              osProfile: {
                computerNamePrefix: ss.name.slice(0, 9),
                adminUsername: "azureuser",
                linuxConfiguration: { disablePasswordAuthentication: true },
              },
              storageProfile: {
                imageReference: imageReference("Linux"),
                osDisk: osDisk("", "Linux", s.ephemeralOsDisk),
              },
              ...(ss.subnetId === undefined
                ? {}
                : {
                    networkProfile: {
                      networkInterfaceConfigurations: [
                        {
                          name: `${ss.name}-nic`,
                          properties: {
                            primary: true,
                            ipConfigurations: [{ name: "ipconfig1", properties: { subnet: { id: ss.subnetId } } }],
                          },
                        },
                      ],
                    },
                  }),
            },
          }
        : { platformFaultDomainCount: 1, singlePlacementGroup: false }),
      provisioningState: "Succeeded",
      uniqueId: ss.uniqueId,
      timeCreated: "2024-01-01T00:00:00.000Z",
    },
  };
}

export function scaleSetVmBody(
  ss: ScaleSetRecord,
  m: Machine,
  withInstanceView: boolean,
  now: number = Number.POSITIVE_INFINITY,
): object {
  const id = computeId(`${ss.id}/virtualMachines/${m.instanceId ?? ""}`);
  return {
    name: m.name,
    id,
    type: "Microsoft.Compute/virtualMachineScaleSets/virtualMachines",
    location: ss.location,
    tags: ss.spec.tags,
    instanceId: m.instanceId,
    sku: { name: ss.spec.size, tier: "Standard" },
    ...(ss.spec.zones === undefined
      ? {}
      : { zones: [ss.spec.zones[Number(m.instanceId ?? 0) % ss.spec.zones.length]] }),
    properties: {
      latestModelApplied: true,
      modelDefinitionApplied: "VirtualMachineScaleSet",
      vmId: m.vmId,
      hardwareProfile: { vmSize: ss.spec.size },
      storageProfile: {
        imageReference: imageReference("Linux"),
        osDisk: osDisk(`${m.name}_OsDisk_1`, "Linux", ss.spec.ephemeralOsDisk),
        dataDisks: [],
      },
      osProfile: {
        computerName: `${ss.name.slice(0, 9)}${(m.instanceId ?? "0").padStart(6, "0")}`,
        adminUsername: "azureuser",
      },
      networkProfile: {
        networkInterfaces: [{ id: `${id}/networkInterfaces/${ss.name}-nic`, properties: { primary: true } }],
      },
      provisioningState: m.provisioningState,
      timeCreated: iso(m.createdAt),
      ...(withInstanceView ? { instanceView: instanceViewBody(m, "Linux", m.name, [], now) } : {}),
    },
  };
}
