/** ArmGateway over the real SDK clients: every answer parsed into the plain-data contracts. */
import { mapLimit } from "../concurrency";
import type {
  InstanceViewStatus,
  VirtualMachine,
  VirtualMachineExtension,
  VirtualMachineInstanceView,
  VirtualMachineScaleSet,
  VirtualMachineScaleSetVM,
} from "@azure/arm-compute";
import type { NetworkInterface, NetworkWatcher, RouteTable, Subnet, VirtualNetwork, VirtualNetworkPeering } from "@azure/arm-network";
import type { ResourceGroup } from "@azure/arm-resources";
import type { ServiceClient } from "@azure/core-client";
import { getContinuationToken } from "@azure/arm-managementgroups";
import {
  createHttpHeaders,
  createPipelineRequest,
  type HttpMethods,
  type PipelineResponse,
} from "@azure/core-rest-pipeline";
import { z } from "zod";
import {
  BillingPropertySchema,
  BillingReadSchema,
  LockInfoSchema,
  NetworkWatcherInfoSchema,
  PowerEventSchema,
  ResourceGroupInfoSchema,
  ScaleSetInfoSchema,
  SubscriptionInfoSchema,
  VmExtensionInfoSchema,
  VmInfoSchema,
  VnetInfoSchema,
  type BillingRead,
  type GroupPermissions,
  type LockInfo,
  type NetworkWatcherInfo,
  type PowerEvent,
  type ResourceGroupInfo,
  type ScaleSetInfo,
  type ScaleSetInstance,
  type SubnetInfo,
  type SubscriptionInfo,
  type VmExtensionInfo,
  type VmInfo,
  type VnetInfo,
} from "../contracts/discovery";
import { EffectiveRouteSchema, NicInfoSchema, RouteTableInfoSchema, type EffectiveRoute, type NicInfo, type PeeringInfo, type RouteTableInfo } from "../contracts/egress";
import {
  ConnectivityResultSchema,
  ConnectivityStartSchema,
  EffectiveRoutesStartSchema,
  OperationHandleSchema,
  OperationStatusSchema,
  ScaleSetStateSchema,
  SubnetStateSchema,
  VmAgentReadinessSchema,
  VmPowerListingSchema,
  VmStateSchema,
  type ConnectivityResult,
  type ConnectivityStart,
  type ConnectivityVerdict,
  type EffectiveRoutesStart,
  type OperationHandle,
  type OperationStatus,
  type ScaleSetState,
  type SubnetState,
  type VmAgentReadiness,
  type VmPowerListing,
  type VmPowerStatus,
  type VmState,
} from "../contracts/azure";
import { tryParseArmResourceId, resourceKey, type ArmResourceId } from "../contracts/ids";
import { parseWith } from "../contracts/parse";
import type { PowerStep } from "../contracts/plan";
import { powerStateFromStatuses } from "../contracts/power";
import { isNetworkWatcherAgent } from "../domain/planResources";
import { AzureOperationError, ensureError } from "../errors";
import { ARM_ACTIONS } from "./armActions";
import type { ArmClientSet } from "./clientSet";
import { armErrorFromBody, errorFromResponse, isBusyFailure, retryAfterSecondsFrom, toAzureOperationError, unwrapArmError, type ArmErrorDetail } from "./errors";
import type { ArmGateway, ManagementGroupSubscription, VmListPage } from "./gateway";

/** api-version of the billing property REST API (no SDK major on Node 20 carries the 2024 fields). */
export const BILLING_API_VERSION = "2024-04-01";
/**
 * api-version @azure/arm-network 36 sends. Network LROs are sent as raw requests through that client's own pipeline
 * (its `begin*` methods poll once before returning); a contract test pins that the wire equals the SDK's.
 */
export const NETWORK_API_VERSION = "2025-05-01";

/** api-version of management locks (Microsoft.Authorization/locks; locks.json's newest stable version). */
export const LOCKS_API_VERSION = "2020-05-01";
/** Pages of management locks followed at most. */
const LOCKS_MAX_PAGES = 100;
/** api-version of Permissions - List For Resource Group (Microsoft.Authorization permissions, newest stable). */
export const PERMISSIONS_API_VERSION = "2022-04-01";

/** api-version of the Activity Log (Microsoft.Insights event data). */
export const ACTIVITY_LOG_API_VERSION = "2015-04-01";
/** Pages of the Activity Log followed at most (each holds up to ARM's page size of events). */
const ACTIVITY_LOG_MAX_PAGES = 500;
/** Pages of a management group's descendants followed at most. */
const DESCENDANTS_MAX_PAGES = 1000;
/** A descendant's `type` when it is a subscription (management.json's GetDescendants example). */
const SUBSCRIPTION_DESCENDANT_TYPE = "microsoft.management/managementgroups/subscriptions";

/** A DescendantInfo as the SDK gives it (properties flattened). */
const DescendantSchema = z.object({
  id: z.string().min(1),
  type: z.string().min(1),
  name: z.string().min(1).optional(),
  displayName: z.string().nullable().optional(),
  parent: z.object({ id: z.string().nullable().optional() }).nullable().optional(),
});

function isSubscriptionDescendant(d: z.output<typeof DescendantSchema>): boolean {
  const type = d.type.toLowerCase();
  return type === SUBSCRIPTION_DESCENDANT_TYPE || type === "/subscriptions" || /^\/subscriptions\/[^/]+$/i.test(d.id);
}

/** Discovery reads instance views of this many scale sets at once. */
const SCALE_SET_READ_CONCURRENCY = 4;

export class ArmGatewayImpl implements ArmGateway {
  constructor(private readonly clients: ArmClientSet) {}

  /**
   * ManagementGroups_GetDescendants, every page followed (only on ARM's own endpoint): the subscriptions at any
   * depth, each once, with its display name and the group it sits in directly. Groups are descendants too; they
   * are skipped.
   */
  listManagementGroupSubscriptions(managementGroupId: string): Promise<ManagementGroupSubscription[]> {
    const operation = "listManagementGroupSubscriptions";
    return this.call(operation, async () => {
      const listing = this.clients.managementGroups().managementGroups.listDescendants(managementGroupId);
      const found = new Map<string, ManagementGroupSubscription>();
      let from: string | undefined;
      for (let pages = 0; ; pages++) {
        if (pages >= DESCENDANTS_MAX_PAGES)
          throw new AzureOperationError(operation, `management group ${managementGroupId} has more than ${DESCENDANTS_MAX_PAGES} pages of descendants`, { code: "TooManyPages", retryable: false });
        const page = await listing.byPage(from === undefined ? {} : { continuationToken: from }).next();
        if (page.done === true) break;
        for (const raw of page.value) {
          const d = parseWith(DescendantSchema, raw, "management group descendant");
          if (!isSubscriptionDescendant(d)) continue;
          const subscriptionId = d.name ?? d.id.slice(d.id.lastIndexOf("/") + 1);
          const key = subscriptionId.toLowerCase();
          if (found.has(key)) continue;
          const parent = d.parent?.id ?? undefined;
          found.set(key, {
            subscriptionId: key,
            displayName: d.displayName ?? subscriptionId,
            ...optional("parentManagementGroupId", parent === undefined || parent === "" ? undefined : parent.slice(parent.lastIndexOf("/") + 1)),
          });
        }
        // This SDK keeps a page's nextLink beside the page, not on it.
        const next = getContinuationToken(page.value);
        if (next === undefined || next === "") break;
        from = this.onEndpoint(next, operation);
      }
      return [...found.values()];
    });
  }

  getSubscription(subscriptionId: string): Promise<SubscriptionInfo> {
    return this.call("getSubscription", async () => {
      const s = await this.clients.subscriptions().subscriptions.get(subscriptionId);
      return parseWith(
        SubscriptionInfoSchema,
        {
          subscriptionId: s.subscriptionId ?? subscriptionId,
          displayName: s.displayName ?? "",
          state: s.state,
          quotaId: s.subscriptionPolicies?.quotaId,
        },
        "subscription",
      );
    });
  }

  getBillingProperty(subscriptionId: string): Promise<BillingRead> {
    return this.call("getBillingProperty", async () => {
      const path = `/subscriptions/${encodeURIComponent(subscriptionId)}/providers/Microsoft.Billing/billingProperty/default`;
      const response = await this.send(this.clients.generic(), "GET", `${path}?api-version=${BILLING_API_VERSION}`);
      if (response.status === 200) {
        const body = parseWith(BillingEnvelopeSchema, parseJson(response.bodyAsText), "billing property response");
        return parseWith(BillingReadSchema, { status: "ok", property: body.properties }, "billing property");
      }
      if (response.status === 401 || response.status === 403 || response.status === 404) {
        const armError = armErrorFromBody(response.bodyAsText ?? "");
        const what = response.status === 404 ? "not found" : "not readable with this identity";
        return parseWith(
          BillingReadSchema,
          {
            status: "unreadable",
            httpStatus: response.status,
            code: armError.code ?? `Http${response.status}`,
            message:
              `The billing property of subscription ${subscriptionId} is ${what}` +
              ` (${armError.message ?? `HTTP ${response.status}`}); reading it needs ${ARM_ACTIONS.readBillingProperty}.`,
          },
          "billing property",
        );
      }
      throw errorFromResponse("getBillingProperty", response);
    });
  }

  listResourceGroups(subscriptionId: string): Promise<ResourceGroupInfo[]> {
    return this.call("listResourceGroups", async () => {
      const groups = await collect<ResourceGroup>(this.clients.resources(subscriptionId).resourceGroups.list());
      return groups.map((g) =>
        parseWith(
          ResourceGroupInfoSchema,
          { id: g.id, name: g.name, location: g.location, managedBy: g.managedBy ?? undefined, tags: g.tags ?? {} },
          "resource group",
        ),
      );
    });
  }

  /**
   * Two paged list calls for the whole subscription instead of one instance-view read per VM: the plain list
   * gives the model (tags, disks, availability set, timeCreated), `statusOnly=true` gives every VM's power state
   * (ARM returns only id, name and instance-view statuses in that mode). Joined by id. Extensions are not read
   * here: a listing carries them as ids only.
   */
  listVms(subscriptionId: string): Promise<VmInfo[]> {
    return this.call("listVms", async () => {
      const vms = this.clients.compute(subscriptionId).virtualMachines;
      const [models, statuses] = await Promise.all([
        collect<VirtualMachine>(vms.listAll()),
        collect<VirtualMachine>(vms.listAll({ statusOnly: "true" })),
      ]);
      const viewById = new Map(statuses.map((s) => [resourceKey(s.id ?? ""), s.instanceView] as const));
      return models.map((vm) => {
        const view = viewById.get(resourceKey(vm.id ?? ""));
        return toVmInfo(vm, view?.statuses ?? [], view?.platformUpdateDomain);
      });
    });
  }

  listVmModelPage(subscriptionId: string, nextLink?: string): Promise<VmListPage<VmInfo>> {
    return this.call("listVms", async () => {
      const page = await this.firstPage(this.clients.compute(subscriptionId).virtualMachines.listAll(), nextLink);
      return { items: page.items.map((vm) => toVmInfo(vm, [])), ...optional("nextLink", page.nextLink) };
    });
  }

  listVmStatusPage(subscriptionId: string, nextLink?: string): Promise<VmListPage<VmPowerStatus>> {
    return this.call("listVmPowerStates", async () => {
      const page = await this.firstPage(this.clients.compute(subscriptionId).virtualMachines.listAll({ statusOnly: "true" }), nextLink);
      return { items: page.items.flatMap((vm) => (vm.id === undefined ? [] : [vmPowerStatus(vm.id, vm)])), ...optional("nextLink", page.nextLink) };
    });
  }

  /** One page of an SDK listing, from its start or from a nextLink on ARM's endpoint. */
  private async firstPage<T>(listing: PagedListing<T>, nextLink: string | undefined): Promise<{ items: T[]; nextLink: string | undefined }> {
    const from = nextLink === undefined ? undefined : this.onEndpoint(nextLink, "listVms");
    const pages = listing.byPage(from === undefined ? {} : { continuationToken: from });
    const first = await pages.next();
    if (first.done === true) return { items: [], nextLink: undefined };
    const next = (first.value as T[] & { continuationToken?: string }).continuationToken;
    return { items: first.value, nextLink: next === undefined || next === "" ? undefined : this.onEndpoint(next, "listVms") };
  }

  listVmExtensions(vmId: string): Promise<VmExtensionInfo[]> {
    return this.call("listVmExtensions", async () => {
      const id = requireId(vmId, "Microsoft.Compute/virtualMachines");
      const list = await this.clients.compute(id.subscriptionId).virtualMachineExtensions.list(id.resourceGroup, id.name);
      return (list.value ?? []).map((ext: VirtualMachineExtension) =>
        parseWith(
          VmExtensionInfoSchema,
          { name: ext.name ?? "", ...optional("publisher", ext.publisher), ...optional("type", ext.typePropertiesType) },
          "VM extension",
        ),
      );
    });
  }

  getVmAgentReadiness(vmId: string): Promise<VmAgentReadiness> {
    return this.call("getVmAgentReadiness", async () => {
      const id = requireId(vmId, "Microsoft.Compute/virtualMachines");
      try {
        const view = await this.clients.compute(id.subscriptionId).virtualMachines.instanceView(id.resourceGroup, id.name);
        return parseWith(VmAgentReadinessSchema, agentReadinessOf(view), "VM agent readiness");
      } catch (e) {
        if (isNotFound(e)) return { exists: false, powerState: "unknown", vmAgent: "unknown", networkWatcherAgent: "absent", detail: "the VM no longer exists" };
        throw e;
      }
    });
  }

  listPowerEvents(subscriptionId: string, from: string, to: string): Promise<PowerEvent[]> {
    return this.call("listPowerEvents", async () => {
      const filter = `eventTimestamp ge '${from}' and eventTimestamp le '${to}' and resourceProvider eq 'Microsoft.Compute'`;
      const select = "eventTimestamp,operationName,status,resourceId";
      // As the SDKs send it: `$filter` and `$select` literally, their values percent-encoded.
      const query = `api-version=${ACTIVITY_LOG_API_VERSION}&$filter=${encodeURIComponent(filter)}&$select=${encodeURIComponent(select)}`;
      const url = `/subscriptions/${encodeURIComponent(subscriptionId)}/providers/Microsoft.Insights/eventtypes/management/values?${query}`;
      const items = await this.rawListing("listPowerEvents", url, { maxPages: ACTIVITY_LOG_MAX_PAGES, what: "the Activity Log" }, EventPageSchema);
      return items.flatMap((e) => powerEventOf(e) ?? []).sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
    });
  }

  /**
   * ManagementLocks_ListAtSubscriptionLevel (raw REST, api-version 2020-05-01; no SDK on Node 20 is installed for
   * it): every lock of the subscription, whatever its scope (the subscription's listing holds resource groups' and
   * resources' locks too, as its x-ms-example shows), every page followed. Needs Microsoft.Authorization/locks/read.
   */
  listLocks(subscriptionId: string): Promise<LockInfo[]> {
    return this.call("listLocks", async () => {
      const url = `/subscriptions/${encodeURIComponent(subscriptionId)}/providers/Microsoft.Authorization/locks?api-version=${LOCKS_API_VERSION}`;
      const refused = (response: PipelineResponse): Error => {
        const e = errorFromResponse("listLocks", response);
        if (response.status !== 401 && response.status !== 403) return e;
        const said = armErrorFromBody(response.bodyAsText ?? "").message ?? `HTTP ${response.status}`;
        return new AzureOperationError("listLocks", `${said} (reading management locks needs ${ARM_ACTIONS.readLocks})`, { code: e.code, statusCode: response.status, retryable: false, cause: e });
      };
      const items = await this.rawListing("listLocks", url, { maxPages: LOCKS_MAX_PAGES, what: "the subscription's locks", refused }, LockPageSchema);
      return items.map((l) => {
        const at = l.id.toLowerCase().lastIndexOf("/providers/microsoft.authorization/locks/");
        return parseWith(
          LockInfoSchema,
          { id: l.id, name: l.name ?? l.id.slice(l.id.lastIndexOf("/") + 1), level: l.properties.level, scope: at < 0 ? "" : l.id.slice(0, at), ...optional("notes", l.properties.notes ?? undefined) },
          "management lock",
        );
      });
    });
  }

  /**
   * Permissions - List For Resource Group (raw REST, api-version 2022-04-01; Learn "Permissions - List For Resource
   * Group": "Gets all permissions the caller has for a resource group"): the caller's own actions and notActions
   * there, one entry per role, every page followed. It lists the caller's own permissions, so the roles grant no
   * action for it; a refusal is reported as such (discovery then treats the group as not writable).
   */
  listResourceGroupPermissions(subscriptionId: string, resourceGroup: string): Promise<GroupPermissions["permissions"]> {
    return this.call("listPermissions", async () => {
      let url: string | undefined = `/subscriptions/${encodeURIComponent(subscriptionId)}/resourceGroups/${encodeURIComponent(resourceGroup)}/providers/Microsoft.Authorization/permissions?api-version=${PERMISSIONS_API_VERSION}`;
      const entries: GroupPermissions["permissions"] = [];
      for (let pages = 0; url !== undefined; pages++) {
        if (pages >= LOCKS_MAX_PAGES) throw new AzureOperationError("listPermissions", `the resource group has more than ${LOCKS_MAX_PAGES} pages of permissions`, { code: "TooManyPages", retryable: false });
        const response = await this.send(this.clients.generic(), "GET", url);
        if (response.status !== 200) throw errorFromResponse("listPermissions", response);
        const page = parseWith(PermissionPageSchema, parseJson(response.bodyAsText), "permission page");
        for (const p of page.value) entries.push({ actions: p.actions ?? [], notActions: p.notActions ?? [] });
        url = page.nextLink === undefined || page.nextLink === null || page.nextLink === "" ? undefined : this.onEndpoint(page.nextLink, "listPermissions");
      }
      return entries;
    });
  }

  listResourcePowerEvents(resourceId: string, from: string, to: string): Promise<PowerEvent[]> {
    return this.call("listPowerEvents", async () => {
      const id = requireId(resourceId, "Microsoft.Compute/virtualMachines");
      // The documented `resourceUri eq` shape (activityLogs_API.json), with the caller selected.
      const filter = `eventTimestamp ge '${from}' and eventTimestamp le '${to}' and resourceUri eq '${resourceId}'`;
      const select = "eventTimestamp,operationName,status,resourceId,caller";
      const query = `api-version=${ACTIVITY_LOG_API_VERSION}&$filter=${encodeURIComponent(filter)}&$select=${encodeURIComponent(select)}`;
      const url = `/subscriptions/${encodeURIComponent(id.subscriptionId)}/providers/Microsoft.Insights/eventtypes/management/values?${query}`;
      const items = await this.rawListing("listPowerEvents", url, { maxPages: ACTIVITY_LOG_MAX_PAGES, what: "the Activity Log" }, EventPageSchema);
      return items.flatMap((e) => resourceEventOf(e) ?? []).sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
    });
  }

  /** Uniform scale sets only: flexible ones appear as their member VMs in listVms. */
  listScaleSets(subscriptionId: string): Promise<ScaleSetInfo[]> {
    return this.call("listScaleSets", async () => {
      const compute = this.clients.compute(subscriptionId);
      const sets = await collect<VirtualMachineScaleSet>(compute.virtualMachineScaleSets.listAll());
      const uniform = sets.filter((s) => (s.orchestrationMode ?? "Uniform").toLowerCase() === "uniform");
      return mapLimit(uniform, SCALE_SET_READ_CONCURRENCY, async (set) => {
        const id = requireId(set.id ?? "", "Microsoft.Compute/virtualMachineScaleSets");
        const instances = await this.readScaleSetInstances(id);
        const osDisk = set.virtualMachineProfile?.storageProfile?.osDisk;
        return parseWith(
          ScaleSetInfoSchema,
          {
            id: set.id,
            // ARM's definition makes `name` optional (its own minimal example omits it): the id always names it.
            name: set.name ?? id.name,
            resourceGroup: id.resourceGroup,
            location: set.location,
            orchestrationMode: "Uniform",
            ephemeralOsDisk: (osDisk?.diffDiskSettings?.option ?? "").toLowerCase() === "local",
            provisioningState: set.provisioningState ?? "Unknown",
            tags: set.tags ?? {},
            instances,
            ...(set.virtualMachineProfile?.networkProfile === undefined ? {} : { subnetIds: scaleSetSubnets(set) }),
          },
          "scale set",
        );
      });
    });
  }

  listVnets(subscriptionId: string): Promise<VnetInfo[]> {
    return this.call("listVnets", async () => {
      const vnets = await collect<VirtualNetwork>(this.clients.network(subscriptionId).virtualNetworks.listAll());
      return vnets.map(toVnetInfo);
    });
  }

  /** Every NIC of the subscription (NetworkInterfaces_ListAll, paged): one listing instead of one read per VM. */
  listNics(subscriptionId: string): Promise<NicInfo[]> {
    return this.call("listNics", async () => {
      const nics = await collect<NetworkInterface>(this.clients.network(subscriptionId).networkInterfaces.listAll());
      return nics.map((nic) =>
        parseWith(
          NicInfoSchema,
          { id: nic.id ?? "", subnetIds: (nic.ipConfigurations ?? []).flatMap((c) => (c.subnet?.id === undefined ? [] : [c.subnet.id])) },
          "network interface",
        ),
      );
    });
  }

  /** Every route table of the subscription with its user routes (RouteTables_ListAll, paged). */
  listRouteTables(subscriptionId: string): Promise<RouteTableInfo[]> {
    return this.call("listRouteTables", async () => {
      const tables = await collect<RouteTable>(this.clients.network(subscriptionId).routeTables.listAll());
      return tables.map((t) =>
        parseWith(
          RouteTableInfoSchema,
          {
            id: t.id ?? "",
            name: t.name ?? "",
            disableBgpRoutePropagation: t.disableBgpRoutePropagation ?? false,
            routes: (t.routes ?? []).map((r) => ({
              name: r.name ?? "",
              addressPrefix: r.addressPrefix ?? "",
              nextHopType: r.nextHopType ?? "None",
              ...optional("nextHopIpAddress", r.nextHopIpAddress),
            })),
          },
          "route table",
        ),
      );
    });
  }

  listNetworkWatchers(subscriptionId: string): Promise<NetworkWatcherInfo[]> {
    return this.call("listNetworkWatchers", async () => {
      const watchers = await collect<NetworkWatcher>(this.clients.network(subscriptionId).networkWatchers.listAll());
      return watchers.map((w) => {
        const id = requireId(w.id ?? "", "Microsoft.Network/networkWatchers");
        return parseWith(
          NetworkWatcherInfoSchema,
          { id: w.id, name: w.name ?? id.name, resourceGroup: id.resourceGroup, location: w.location },
          "network watcher",
        );
      });
    });
  }

  listVmPowerStates(subscriptionId: string): Promise<VmPowerListing> {
    return this.call("listVmPowerStates", async () => {
      const vms: VmPowerListing["vms"] = [];
      let pages = 0;
      for await (const page of this.clients.compute(subscriptionId).virtualMachines.listAll({ statusOnly: "true" }).byPage()) {
        pages++;
        for (const vm of page) {
          if (vm.id !== undefined) vms.push(vmPowerStatus(vm.id, vm));
        }
      }
      return parseWith(VmPowerListingSchema, { vms, pages: Math.max(1, pages) }, "VM status listing");
    });
  }

  getVmState(vmId: string): Promise<VmState> {
    return this.call("getVmState", async () => {
      const id = requireId(vmId, "Microsoft.Compute/virtualMachines");
      try {
        const view = await this.clients.compute(id.subscriptionId).virtualMachines.instanceView(id.resourceGroup, id.name);
        const statuses = view.statuses ?? [];
        return parseWith(
          VmStateSchema,
          {
            exists: true,
            powerState: powerStateFromStatuses(statuses),
            provisioningState: provisioningStateFromStatuses(statuses) ?? "Unknown",
          },
          "VM state",
        );
      } catch (e) {
        if (isNotFound(e)) return { exists: false, powerState: "unknown", provisioningState: "NotFound" };
        throw e;
      }
    });
  }

  beginVmPowerOperation(vmId: string, step: PowerStep): Promise<OperationHandle> {
    return this.call(`${step}Vm`, async () => {
      const id = requireId(vmId, "Microsoft.Compute/virtualMachines");
      return beginPowerStep(this.clients.compute(id.subscriptionId).virtualMachines, step, id, {});
    });
  }

  getScaleSetState(scaleSetId: string): Promise<ScaleSetState> {
    return this.call("getScaleSetState", async () => {
      const id = requireId(scaleSetId, "Microsoft.Compute/virtualMachineScaleSets");
      try {
        const instances = await this.readScaleSetInstances(id);
        return parseWith(
          ScaleSetStateSchema,
          {
            exists: true,
            instances: instances.map((i) => ({
              instanceId: i.instanceId,
              powerState: i.powerState,
              provisioningState: i.provisioningState,
            })),
          },
          "scale set state",
        );
      } catch (e) {
        if (isNotFound(e)) return { exists: false, instances: [] };
        throw e;
      }
    });
  }

  beginScaleSetPowerOperation(scaleSetId: string, step: PowerStep, instanceIds: string[]): Promise<OperationHandle> {
    return this.call(`${step}ScaleSet`, async () => {
      const id = requireId(scaleSetId, "Microsoft.Compute/virtualMachineScaleSets");
      if (instanceIds.length === 0) {
        // ARM applies a scale-set power operation to EVERY instance when no ids are given.
        throw new AzureOperationError(`${step}ScaleSet`, "no instance ids given (ARM would act on every instance)", {
          code: "InvalidRequest",
          retryable: false,
        });
      }
      return beginPowerStep(this.clients.compute(id.subscriptionId).virtualMachineScaleSets, step, id, { vmInstanceIDs: { instanceIds } });
    });
  }

  /**
   * One GET of the Azure-AsyncOperation URL (its body's `status`), or else of the Location URL: 202 = running,
   * 2xx = done, and an error status is the operation's failure (as the SDK's own poller reads it), except the
   * front door's throttling and unavailability, which throw (retryable). When the Location is the deleted
   * resource's own URL, 404 there = done and 200 = still there (its provisioningState says whether still deleting).

   *
   * Polling is ours rather than the SDKs' resumable pollers (`restorePoller` in arm-compute, `resumeFrom` in
   * arm-network), for these reasons:
   * - The handle lives in orchestration history, which a replay reads back, possibly after an upgrade: ours is plain
   *   data under a zod schema (OperationHandleSchema); a serialised poller is core-lro's own opaque state, in two
   *   formats here (compute is on core-lro 3, network on core-lro 2), free to change with any SDK release.
   * - One request per poll, timed by the orchestration: a durable timer between polls, paced from Retry-After and
   *   the rate-limit headers (pacing.ts). A restored poller sleeps inside the activity between requests (holding a
   *   worker), and compute's sends a further GET of the Location URL once the status says done.
   * - The token goes only to the configured ARM origin (onEndpoint): a poller GETs whatever URL the headers name.
   * - ARM's answers are read as ARM sends them: a Location that is the deleted resource itself (404 = done), 204
   *   on a final Location GET (which compute 24's poller rejects), and error statuses as the operation's failure
   *   while the front door's throttling stays retryable.
   */
  getOperationStatus(handle: OperationHandle): Promise<OperationStatus> {
    return this.call("getOperationStatus", async () => {
      const h = parseWith(OperationHandleSchema, handle, "operation handle");
      if (h.completed) return { status: "Succeeded" };
      const url = h.asyncOperationUrl ?? h.locationUrl;
      if (url === undefined) throw invalidHandle("getOperationStatus", "it has neither an Azure-AsyncOperation nor a Location URL");
      const response = await this.send(this.clients.generic(), "GET", this.onEndpoint(url, "getOperationStatus"));
      const retryAfterSeconds = retryAfterSecondsFrom(response.headers);
      const wait = retryAfterSeconds === undefined ? {} : { retryAfterSeconds };
      if (h.asyncOperationUrl !== undefined) {
        if (response.status !== 200 && response.status !== 202) throw errorFromResponse("getOperationStatus", response);
        const body = parseWith(AsyncOperationBodySchema, parseJson(response.bodyAsText), "async operation response");
        const status = asyncStatus(body.status ?? "InProgress");
        if (status === "Failed" || status === "Canceled") {
          return parseWith(
            OperationStatusSchema,
            {
              status,
              error: operationError(
                body.error?.code ?? (status === "Failed" ? "OperationFailed" : "OperationCanceled"),
                body.error?.message ?? `The operation ended ${status}.`,
                body.error?.details ?? [],
              ),
            },
            "operation status",
          );
        }
        return parseWith(OperationStatusSchema, { status, ...(status === "InProgress" ? wait : {}) }, "operation status");
      }
      if (h.locationIsResource === true) return resourceDeleteStatus(response, wait);
      if (response.status === 202) return parseWith(OperationStatusSchema, { status: "InProgress", ...wait }, "operation status");
      if (response.status >= 200 && response.status < 300) return { status: "Succeeded" };
      if (LOCATION_POLL_TRANSIENT.has(response.status)) throw errorFromResponse("getOperationStatus", response);
      const body = armErrorFromBody(response.bodyAsText ?? "");
      const failure = errorFromResponse("getOperationStatus", response);
      return parseWith(
        OperationStatusSchema,
        { status: "Failed", error: operationError(failure.code, body.message ?? failure.message, body.details ?? []) },
        "operation status",
      );
    });
  }

  getVnet(vnetId: string): Promise<VnetInfo | undefined> {
    return this.call("getVnet", async () => {
      const id = requireId(vnetId, "Microsoft.Network/virtualNetworks");
      try {
        return toVnetInfo(await this.clients.network(id.subscriptionId).virtualNetworks.get(id.resourceGroup, id.name));
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    });
  }

  getSubnet(vnetId: string, subnetName: string): Promise<SubnetState> {
    return this.call("getSubnet", async () => {
      const id = requireId(vnetId, "Microsoft.Network/virtualNetworks");
      try {
        const s = await this.clients.network(id.subscriptionId).subnets.get(id.resourceGroup, id.name, subnetName);
        return parseWith(
          SubnetStateSchema,
          { exists: true, provisioningState: s.provisioningState, addressPrefix: s.addressPrefix ?? s.addressPrefixes?.[0] },
          "subnet state",
        );
      } catch (e) {
        if (isNotFound(e)) return { exists: false };
        throw e;
      }
    });
  }

  beginCreateSubnet(vnetId: string, subnetName: string, addressPrefix: string, networkSecurityGroupId?: string): Promise<OperationHandle> {
    return this.call("createSubnet", async () => {
      const id = requireId(vnetId, "Microsoft.Network/virtualNetworks");
      const response = await this.send(this.clients.network(id.subscriptionId), "PUT", subnetPath(id, subnetName), {
        properties: { addressPrefix, ...(networkSecurityGroupId === undefined ? {} : { networkSecurityGroup: { id: networkSecurityGroupId } }) },
      });
      return handleFromResponse("createSubnet", response, [200, 201]);
    });
  }

  beginDeleteSubnet(vnetId: string, subnetName: string): Promise<OperationHandle> {
    return this.call("deleteSubnet", async () => {
      const id = requireId(vnetId, "Microsoft.Network/virtualNetworks");
      const path = subnetPath(id, subnetName);
      const response = await this.send(this.clients.network(id.subscriptionId), "DELETE", path);
      const handle = handleFromResponse("deleteSubnet", response, [200, 202, 204]);
      // ARM may point the Location at the subnet itself: polling it is then a GET of the subnet, 404 = deleted.
      return handle.locationUrl !== undefined && sameResource(handle.locationUrl, `${this.clients.connection.endpoint}${path}`)
        ? { ...handle, locationIsResource: true }
        : handle;
    });
  }

  /** 200 carries the result at once; 202 gives a handle whose Location serves it once the check has finished. */
  beginConnectivityCheck(watcher: NetworkWatcherInfo, vmId: string, host: string, port: number): Promise<ConnectivityStart> {
    return this.call("connectivityCheck", async () => {
      const w = requireId(watcher.id, "Microsoft.Network/networkWatchers");
      requireId(vmId, "Microsoft.Compute/virtualMachines");
      const path =
        `/subscriptions/${w.subscriptionId}/resourceGroups/${encodeURIComponent(w.resourceGroup)}` +
        `/providers/Microsoft.Network/networkWatchers/${encodeURIComponent(w.name)}/connectivityCheck?api-version=${NETWORK_API_VERSION}`;
      const response = await this.send(this.clients.network(w.subscriptionId), "POST", path, {
        source: { resourceId: vmId },
        destination: { address: host, port },
        protocol: "Tcp",
      });
      if (response.status === 200) {
        return parseWith(ConnectivityStartSchema, { status: "done", result: connectivityResultFrom(response) }, "connectivity check");
      }
      const handle = handleFromResponse("connectivityCheck", response, [202]);
      // The result is served at the Location only; a 202 without one leaves nothing to read it from.
      if (handle.locationUrl === undefined) throw invalidHandle("connectivityCheck", "ARM accepted the check (202) without a Location URL");
      return parseWith(ConnectivityStartSchema, { status: "started", handle }, "connectivity check");
    });
  }

  getConnectivityResult(handle: OperationHandle): Promise<ConnectivityResult> {
    return this.call("getConnectivityResult", async () => {
      const h = parseWith(OperationHandleSchema, handle, "operation handle");
      if (h.locationUrl === undefined) throw invalidHandle("getConnectivityResult", "it has no Location URL");
      const response = await this.send(this.clients.generic(), "GET", this.onEndpoint(h.locationUrl, "getConnectivityResult"));
      if (response.status === 202) {
        throw new AzureOperationError("getConnectivityResult", "the connectivity check is still running", {
          code: "OperationInProgress",
          statusCode: 202,
          retryable: true,
          ...optionalRetryAfter(response),
        });
      }
      if (response.status !== 200) throw errorFromResponse("getConnectivityResult", response);
      return connectivityResultFrom(response);
    });
  }

  /**
   * NetworkInterfaces_GetEffectiveRouteTable (network.json: POST, 200 or 202, final state via Location). Raw REST, as
   * the connectivity check: the orchestration polls on its own timers, not an SDK poller's sleeps. Azure answers 400
   * for a NIC whose VM is not running; a role without networkInterfaces/effectiveRouteTable/action gets 403.
   */
  beginGetEffectiveRoutes(nicId: string): Promise<EffectiveRoutesStart> {
    return this.call("getEffectiveRoutes", async () => {
      const id = requireId(nicId, "Microsoft.Network/networkInterfaces");
      const path =
        `/subscriptions/${id.subscriptionId}/resourceGroups/${encodeURIComponent(id.resourceGroup)}` +
        `/providers/Microsoft.Network/networkInterfaces/${encodeURIComponent(id.name)}/effectiveRouteTable?api-version=${NETWORK_API_VERSION}`;
      const response = await this.send(this.clients.network(id.subscriptionId), "POST", path);
      if (response.status === 200) return parseWith(EffectiveRoutesStartSchema, { status: "done", routes: effectiveRoutesFrom(response) }, "effective routes");
      const handle = handleFromResponse("getEffectiveRoutes", response, [202]);
      if (handle.locationUrl === undefined) throw invalidHandle("getEffectiveRoutes", "ARM accepted the read (202) without a Location URL");
      return parseWith(EffectiveRoutesStartSchema, { status: "started", handle }, "effective routes");
    });
  }

  getEffectiveRoutesResult(handle: OperationHandle): Promise<EffectiveRoute[]> {
    return this.call("getEffectiveRoutesResult", async () => {
      const h = parseWith(OperationHandleSchema, handle, "operation handle");
      if (h.locationUrl === undefined) throw invalidHandle("getEffectiveRoutesResult", "it has no Location URL");
      const response = await this.send(this.clients.generic(), "GET", this.onEndpoint(h.locationUrl, "getEffectiveRoutesResult"));
      if (response.status === 202) {
        throw new AzureOperationError("getEffectiveRoutesResult", "the effective-routes read is still running", {
          code: "OperationInProgress",
          statusCode: 202,
          retryable: true,
          ...optionalRetryAfter(response),
        });
      }
      if (response.status !== 200) throw errorFromResponse("getEffectiveRoutesResult", response);
      return effectiveRoutesFrom(response);
    });
  }

  private async readScaleSetInstances(id: ArmResourceId): Promise<ScaleSetInstance[]> {
    const vms = await collect<VirtualMachineScaleSetVM>(
      this.clients.compute(id.subscriptionId).virtualMachineScaleSetVMs.list(id.resourceGroup, id.name, { expand: "instanceView" }),
    );
    return vms.map((vm) => {
      const statuses = vm.instanceView?.statuses ?? [];
      return {
        instanceId: vm.instanceId ?? vm.name ?? "",
        powerState: powerStateFromStatuses(statuses),
        provisioningState: vm.provisioningState ?? provisioningStateFromStatuses(statuses) ?? "Unknown",
        ...optional("timeCreated", vm.timeCreated === undefined ? undefined : isoTime(vm.timeCreated)),
      };
    });
  }

  /** Sends one request through `client`'s pipeline (auth, user agent, transient retries) to a path on the endpoint. */
  private send(client: ServiceClient, method: HttpMethods, pathOrUrl: string, body?: unknown): Promise<PipelineResponse> {
    const url = pathOrUrl.startsWith("/") ? `${this.clients.connection.endpoint}${pathOrUrl}` : pathOrUrl;
    const headers = createHttpHeaders({ accept: "application/json" });
    if (body !== undefined) headers.set("content-type", "application/json");
    const request = createPipelineRequest({
      url,
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return client.sendRequest(request);
  }

  /**
   * Every item of a raw-REST listing (ARM's `{ value, nextLink }` pages), each next page followed on the ARM endpoint,
   * at most `maxPages`; an answer other than 200 becomes the error `refused` makes of it.
   */
  private async rawListing<T>(
    operation: string,
    firstUrl: string,
    opts: { maxPages: number; what: string; refused?: (response: PipelineResponse) => Error },
    schema: z.ZodType<{ value: T[]; nextLink?: string | null | undefined }>,
  ): Promise<T[]> {
    const items: T[] = [];
    let url: string | undefined = firstUrl;
    for (let pages = 0; url !== undefined; pages++) {
      if (pages >= opts.maxPages) throw new AzureOperationError(operation, `${opts.what} has more than ${opts.maxPages} pages`, { code: "TooManyPages", retryable: false });
      const response = await this.send(this.clients.generic(), "GET", url);
      if (response.status !== 200) throw (opts.refused ?? ((r: PipelineResponse) => errorFromResponse(operation, r)))(response);
      const page = parseWith(schema, parseJson(response.bodyAsText), `${opts.what} (a page)`);
      items.push(...page.value);
      url = page.nextLink === undefined || page.nextLink === null || page.nextLink === "" ? undefined : this.onEndpoint(page.nextLink, operation);
    }
    return items;
  }

  /** Polling URLs come from ARM; refuse to send our token anywhere but the configured ARM origin. */
  private onEndpoint(url: string, operation: string): string {
    let origin: string;
    try {
      origin = new URL(url).origin;
    } catch {
      throw invalidHandle(operation, `"${url}" is not a URL`);
    }
    if (origin !== this.clients.connection.endpoint) {
      throw invalidHandle(operation, `its URL is not on the ARM endpoint ${this.clients.connection.endpoint}`);
    }
    return url;
  }

  private async call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw toAzureOperationError(operation, e);
    }
  }
}

const EffectiveRouteListSchema = z.object({ value: z.array(EffectiveRouteSchema).default([]) });

/** The `{ value: [EffectiveRoute] }` body of an effective-routes answer. */
function effectiveRoutesFrom(response: PipelineResponse): EffectiveRoute[] {
  return parseWith(EffectiveRouteListSchema, parseJson(response.bodyAsText), "effective routes").value;
}

const BillingEnvelopeSchema = z.object({ properties: BillingPropertySchema.default({}) });

const ArmErrorDetailSchema = z.object({ code: z.string().optional(), message: z.string().optional() }).loose();

const AsyncOperationBodySchema = z.object({
  status: z.string().optional(),
  error: z.object({ code: z.string().optional(), message: z.string().optional(), details: z.array(ArmErrorDetailSchema).optional() }).optional(),
});

const ConnectivityBodySchema = z.object({
  connectionStatus: z.string().optional(),
  probesSent: z.number().optional(),
  probesFailed: z.number().optional(),
  hops: z
    .array(z.object({ issues: z.array(z.object({ origin: z.string().optional(), type: z.string().optional() })).optional() }))
    .optional(),
});

/** A status reports success: `ProvisioningState/succeeded` (the agent "Ready", an extension "Provisioning succeeded"). */
function succeeded(statuses: readonly InstanceViewStatus[] | undefined): boolean {
  return (statuses ?? []).some((s) => (s.code ?? "").toLowerCase() === "provisioningstate/succeeded");
}

function describeStatuses(what: string, statuses: readonly InstanceViewStatus[] | undefined): string {
  const first = statuses?.[0];
  if (first === undefined) return `${what} reports no status`;
  return `${what} ${first.displayStatus ?? first.code ?? "?"}${first.message !== undefined ? `: ${first.message}` : ""}`;
}

/**
 * Readiness from an instance view. The Network Watcher agent is found by its instance view's `type`
 * (`Microsoft.Azure.NetworkWatcher.NetworkWatcherAgentLinux|Windows`, publisher and type joined), whatever its name.
 */
function agentReadinessOf(view: VirtualMachineInstanceView): VmAgentReadiness {
  const statuses = view.statuses ?? [];
  const agentStatuses = view.vmAgent?.statuses;
  const vmAgent = succeeded(agentStatuses) ? "ready" : (agentStatuses ?? []).length > 0 ? "notReady" : "unknown";
  const nw = (view.extensions ?? []).find((e) => {
    const type = e.type ?? "";
    const dot = type.lastIndexOf(".");
    return isNetworkWatcherAgent({ publisher: dot < 0 ? "" : type.slice(0, dot), type: dot < 0 ? type : type.slice(dot + 1) });
  });
  const networkWatcherAgent = nw === undefined ? "absent" : succeeded(nw.statuses) ? "ready" : "notReady";
  const detail = [
    describeStatuses("VM agent", agentStatuses),
    nw === undefined ? "no Network Watcher agent extension reported" : describeStatuses(`extension ${nw.name ?? "Network Watcher agent"}`, nw.statuses),
  ].join("; ");
  return { exists: true, powerState: powerStateFromStatuses(statuses), vmAgent, networkWatcherAgent, detail: detail.slice(0, 500) };
}

/** Statuses at a Location URL that are the front door's (throttled, unavailable), not the operation's failure. */
const LOCATION_POLL_TRANSIENT = new Set([408, 429, 502, 503, 504]);

/** An operation's failure, flagged retryable when it lost to another operation on the same resource. */
function operationError(wrapped: string, wrappedMessage: string, details: readonly ArmErrorDetail[]): OperationStatus["error"] {
  // A wrapper (ResourceOperationFailure) is read as the code it wraps, so an allocation failure is one.
  const { code, message } = unwrapArmError({ code: wrapped, message: wrappedMessage, details });
  return { code, message, ...(isBusyFailure(code, message, details) ? { retryable: true } : {}) };
}

const ResourceBodySchema = z.object({ properties: z.object({ provisioningState: z.string().optional() }).loose().optional() }).loose();

/**
 * A poll of a resource being deleted, at its own URL: 404 = deleted; 200 = still there, still deleting unless its
 * provisioningState says the delete is over (Failed, or back to Succeeded: the delete did not happen, send it again).
 */
function resourceDeleteStatus(response: PipelineResponse, wait: { retryAfterSeconds?: number }): OperationStatus {
  if (response.status === 404) return { status: "Succeeded" };
  if (response.status === 200 || response.status === 202) {
    const state = parseWith(ResourceBodySchema, parseJson(response.bodyAsText), "resource").properties?.provisioningState?.toLowerCase();
    if (state === "failed") return { status: "Failed", error: { code: "DeleteFailed", message: "The resource ended in provisioning state Failed while being deleted." } };
    if (state === "succeeded") {
      return { status: "Failed", error: { code: "DeleteNotApplied", message: "The resource is still present and no longer being deleted.", retryable: true } };
    }
    return parseWith(OperationStatusSchema, { status: "InProgress", ...wait }, "operation status");
  }
  throw errorFromResponse("getOperationStatus", response);
}

/** Two URLs name the same ARM resource: same origin and path, compared case-insensitively, query ignored. */
function sameResource(a: string, b: string): boolean {
  try {
    const ua = new URL(a);
    const ub = new URL(b);
    return ua.origin === ub.origin && decodeURIComponent(ua.pathname).toLowerCase() === decodeURIComponent(ub.pathname).toLowerCase();
  } catch {
    return false;
  }
}

/**
 * The connectivity check's verdict on the port. The spec's vocabulary is Connected | Disconnected | Degraded |
 * Unknown; the CLI and PowerShell documentation show Reachable | Unreachable. Degraded means some probes failed: the
 * platform's port-25 block drops every connection, so one probe through is a TCP handshake with the host, and the
 * port is open (the loss is the path's); with every probe failed, or no counts, it is no better than Disconnected.
 * Unknown (and any word the product does not know) is no verdict.
 */
export function connectivityVerdict(status: string, probesSent: number | undefined, probesFailed: number | undefined): ConnectivityVerdict {
  switch (status.toLowerCase()) {
    case "connected":
    case "reachable":
      return "reachable";
    case "disconnected":
    case "unreachable":
      return "unreachable";
    case "degraded":
      return probesSent !== undefined && probesFailed !== undefined && probesSent > probesFailed ? "reachable" : "unreachable";
    default:
      return "inconclusive";
  }
}

function connectivityResultFrom(response: PipelineResponse): ConnectivityResult {
  const body = parseWith(ConnectivityBodySchema, parseJson(response.bodyAsText), "connectivity check response");
  const status = body.connectionStatus ?? "Unknown";
  const verdict = connectivityVerdict(status, body.probesSent, body.probesFailed);
  const issues = (body.hops ?? []).flatMap((hop) =>
    (hop.issues ?? []).map((i) => [i.origin, i.type].filter((part) => part !== undefined).join(": ")),
  );
  return parseWith(
    ConnectivityResultSchema,
    { connectionStatus: status, verdict, reachable: verdict === "reachable", issues, ...optional("probesSent", body.probesSent), ...optional("probesFailed", body.probesFailed) },
    "connectivity result",
  );
}

/** Records the initial LRO response an SDK call saw, and turns it into a handle. */
/** The SDK's power operations of VMs or of scale sets: one method per step, named as the step. */
type PowerOperations<O> = Record<
  PowerStep,
  (resourceGroup: string, name: string, options: O & { onResponse: (raw: PipelineResponse) => void }) => { submitted(): Promise<unknown> }
>;

/**
 * Sends a power step's initial request through the SDK and returns a handle to poll. Each SDK method sends its
 * initial POST at once; awaiting submitted() (never the poller itself) stops there.
 */
async function beginPowerStep<O extends object>(operations: PowerOperations<O>, step: PowerStep, id: ArmResourceId, options: O): Promise<OperationHandle> {
  const initial = new InitialResponse();
  await operations[step](id.resourceGroup, id.name, { ...options, onResponse: initial.capture }).submitted();
  return initial.handle();
}

class InitialResponse {
  private response: PipelineResponse | undefined;
  readonly capture = (raw: PipelineResponse): void => {
    this.response = raw;
  };
  handle(): OperationHandle {
    if (this.response === undefined) throw new Error("the SDK returned without a response to its initial request");
    return handleFromResponse("beginOperation", this.response, [200, 201, 202, 204]);
  }
}

/** A handle from ARM's answer to an LRO's initial request. */
function handleFromResponse(operation: string, response: PipelineResponse, accepted: number[]): OperationHandle {
  if (!accepted.includes(response.status)) throw errorFromResponse(operation, response);
  const asyncOperationUrl = response.headers.get("azure-asyncoperation") ?? response.headers.get("operation-location");
  const locationUrl = response.headers.get("location");
  return parseWith(
    OperationHandleSchema,
    {
      ...optional("asyncOperationUrl", asyncOperationUrl),
      ...optional("locationUrl", locationUrl),
      ...optionalRetryAfter(response),
      // 200/201/204 without anything to poll means ARM finished synchronously.
      completed: response.status !== 202 && asyncOperationUrl === undefined,
    },
    "operation handle",
  );
}

/** What the SDK's paged listings offer: pages, from the start or from a continuation token (ARM's nextLink). */
interface PagedListing<T> {
  byPage(settings?: { continuationToken?: string }): AsyncIterableIterator<T[]>;
}

function vmPowerStatus(id: string, vm: VirtualMachine): VmPowerStatus {
  const statuses = vm.instanceView?.statuses ?? [];
  const provisioning = provisioningStatusFromStatuses(statuses);
  return {
    id,
    powerState: powerStateFromStatuses(statuses),
    provisioningState: provisioning?.state ?? vm.provisioningState ?? "Unknown",
    ...optional("provisioningCode", provisioning?.code),
    // Compute gives it in the instance view of VMs in an availability set only.
    ...optional("platformUpdateDomain", vm.instanceView?.platformUpdateDomain),
  };
}

function toVmInfo(vm: VirtualMachine, statuses: InstanceViewStatus[], platformUpdateDomain?: number): VmInfo {
  const id = requireId(vm.id ?? "", "Microsoft.Compute/virtualMachines");
  return parseWith(
    VmInfoSchema,
    {
      id: vm.id,
      name: vm.name ?? id.name,
      resourceGroup: id.resourceGroup,
      location: vm.location,
      size: vm.hardwareProfile?.vmSize,
      powerState: powerStateFromStatuses(statuses),
      provisioningState: vm.provisioningState ?? provisioningStateFromStatuses(statuses) ?? "Unknown",
      ephemeralOsDisk: (vm.storageProfile?.osDisk?.diffDiskSettings?.option ?? "").toLowerCase() === "local",
      availabilitySetId: vm.availabilitySet?.id,
      zone: vm.zones?.[0],
      tags: vm.tags ?? {},
      priority: normalisePriority(vm.priority),
      flexScaleSetId: vm.virtualMachineScaleSet?.id,
      ...optional("timeCreated", vm.timeCreated === undefined ? undefined : isoTime(vm.timeCreated)),
      ...optional("platformUpdateDomain", platformUpdateDomain),
      // The primary NIC first: its subnet's routes decide the VM's default egress.
      ...(vm.networkProfile?.networkInterfaces === undefined
        ? {}
        : {
            nicIds: [...vm.networkProfile.networkInterfaces]
              .sort((a, b) => Number(b.primary === true) - Number(a.primary === true))
              .flatMap((n) => (n.id === undefined ? [] : [n.id])),
          }),
    },
    "virtual machine",
  );
}

function toVnetInfo(vnet: VirtualNetwork): VnetInfo {
  const id = requireId(vnet.id ?? "", "Microsoft.Network/virtualNetworks");
  return parseWith(
    VnetInfoSchema,
    {
      id: vnet.id,
      name: vnet.name ?? id.name,
      resourceGroup: id.resourceGroup,
      location: vnet.location,
      addressPrefixes: vnet.addressSpace?.addressPrefixes ?? [],
      ipamManaged: (vnet.addressSpace?.ipamPoolPrefixAllocations ?? []).length > 0,
      subnets: (vnet.subnets ?? []).map(toSubnetInfo),
      tags: vnet.tags ?? {},
      peerings: (vnet.virtualNetworkPeerings ?? []).flatMap(toPeeringInfo),
    },
    "virtual network",
  );
}

function toSubnetInfo(s: Subnet): SubnetInfo {
  return {
    id: s.id ?? "",
    name: s.name ?? "",
    ...optional("addressPrefix", s.addressPrefix),
    ...optional("addressPrefixes", s.addressPrefixes),
    delegations: (s.delegations ?? []).map((d) => d.serviceName ?? d.name ?? "").filter((n) => n !== ""),
    ipamAllocatedPrefixes: (s.ipamPoolPrefixAllocations ?? []).flatMap((a) => a.allocatedAddressPrefixes ?? []),
    ...optional("provisioningState", s.provisioningState),
    ...optional("networkSecurityGroupId", s.networkSecurityGroup?.id),
    ...optional("routeTableId", s.routeTable?.id),
    ...optional("natGatewayId", s.natGateway?.id),
  };
}

function toPeeringInfo(p: VirtualNetworkPeering): PeeringInfo[] {
  const remote = p.remoteVirtualNetwork?.id;
  if (remote === undefined) return [];
  return [
    {
      name: p.name ?? "",
      remoteVnetId: remote,
      remoteAddressPrefixes: p.remoteVirtualNetworkAddressSpace?.addressPrefixes ?? p.remoteAddressSpace?.addressPrefixes ?? [],
      useRemoteGateways: p.useRemoteGateways ?? false,
      ...optional("peeringState", p.peeringState),
    },
  ];
}

/** A scale set's subnets, from its network profile (the primary configuration first). */
function scaleSetSubnets(set: VirtualMachineScaleSet): string[] {
  const configs = [...(set.virtualMachineProfile?.networkProfile?.networkInterfaceConfigurations ?? [])].sort((a, b) => Number(b.primary === true) - Number(a.primary === true));
  return configs.flatMap((c) => (c.ipConfigurations ?? []).flatMap((ip) => (ip.subnet?.id === undefined ? [] : [ip.subnet.id])));
}

function normalisePriority(priority: string | undefined): "Regular" | "Low" | "Spot" {
  switch ((priority ?? "").toLowerCase()) {
    case "spot":
      return "Spot";
    case "low":
      return "Low";
    default:
      return "Regular";
  }
}

/** `ProvisioningState/failed/AllocationFailed` → { state: "Failed", code: "AllocationFailed" }. */
function provisioningStatusFromStatuses(statuses: readonly InstanceViewStatus[]): { state: string; code?: string } | undefined {
  for (const s of statuses) {
    const m = /^ProvisioningState\/([^/]+)(?:\/(.+))?$/i.exec(s.code ?? "");
    if (m?.[1] !== undefined) return { state: m[1].charAt(0).toUpperCase() + m[1].slice(1), ...(m[2] !== undefined ? { code: m[2] } : {}) };
  }
  return undefined;
}

/** `ProvisioningState/succeeded[/code]` → "Succeeded". */
function provisioningStateFromStatuses(statuses: readonly InstanceViewStatus[]): string | undefined {
  for (const s of statuses) {
    const m = /^ProvisioningState\/([^/]+)/i.exec(s.code ?? "");
    if (m?.[1] !== undefined) return m[1].charAt(0).toUpperCase() + m[1].slice(1);
  }
  return undefined;
}

/** A page of ManagementLockListResult (locks.json): each lock's id, name and level. */
const LockPageSchema = z.object({
  value: z
    .array(
      z.object({
        id: z.string().min(1),
        name: z.string().optional(),
        properties: z.object({ level: z.string(), notes: z.string().nullable().optional() }).loose(),
      }).loose(),
    )
    .default([]),
  nextLink: z.string().nullable().optional(),
});

/** A page of PermissionGetResult (authorization's permissions spec): each Permission's actions and notActions. */
const PermissionPageSchema = z.object({
  value: z.array(z.object({ actions: z.array(z.string()).nullable().optional().transform((v) => v ?? undefined), notActions: z.array(z.string()).nullable().optional().transform((v) => v ?? undefined) }).loose()).default([]),
  nextLink: z.string().nullable().optional(),
});

const EventPageSchema = z.object({
  value: z.array(z.unknown()).default([]),
  nextLink: z.string().nullable().optional(),
});

const LocalizableSchema = z.object({ value: z.string() }).loose();

/** The fields of an Activity Log event that re-verification reads (EventData in activityLogs_API.json). */
const EventDataSchema = z
  .object({
    eventTimestamp: z.string(),
    operationName: LocalizableSchema,
    status: LocalizableSchema.optional(),
    resourceId: z.string().optional(),
    /** `{resourceId}/events/{eventDataId}/ticks/{ticks}`: the resource when resourceId is not selected. */
    id: z.string().optional(),
    caller: z.string().optional(),
  })
  .loose();

/** A resource's power events, any actor (microsoft.compute/…/evictSpotVM/action is the platform's spot eviction). */
const RESOURCE_POWER_OPERATIONS = /^microsoft\.compute\/(virtualmachines|virtualmachinescalesets|virtualmachinescalesets\/virtualmachines)(?:\/(powerOff|deallocate|start|evictSpotVM)\/action|\/(delete))$/i;
const RESOURCE_OPERATION_NAMES = { poweroff: "powerOff", deallocate: "deallocate", start: "start", evictspotvm: "evictSpotVM", delete: "delete" } as const;

function resourceEventOf(raw: unknown): PowerEvent | undefined {
  const parsed = EventDataSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const e = parsed.data;
  const m = RESOURCE_POWER_OPERATIONS.exec(e.operationName.value);
  const status = (e.status?.value ?? "").toLowerCase();
  if (m === null || (status !== "succeeded" && status !== "started" && status !== "accepted")) return undefined;
  const name = (m[2] ?? m[3] ?? "").toLowerCase();
  const operation = name in RESOURCE_OPERATION_NAMES ? RESOURCE_OPERATION_NAMES[name as keyof typeof RESOURCE_OPERATION_NAMES] : undefined;
  const resourceId = e.resourceId ?? (e.id !== undefined ? e.id.replace(/\/events\/.*$/i, "") : undefined);
  const at = isoTime(e.eventTimestamp);
  if (operation === undefined || resourceId === undefined || resourceId === "" || at === undefined) return undefined;
  return parseWith(PowerEventSchema, { resourceId, operation, at, ...(e.caller !== undefined && e.caller !== "" ? { caller: e.caller } : {}) }, "Activity Log event");
}

/** Succeeded power operations, by operationName (case-insensitive): VMs, scale sets, scale-set instances. */
const POWER_OPERATIONS = /^microsoft\.compute\/(virtualmachines|virtualmachinescalesets|virtualmachinescalesets\/virtualmachines)\/(deallocate|start)\/action$/i;

function powerEventOf(raw: unknown): PowerEvent | undefined {
  const parsed = EventDataSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const e = parsed.data;
  const m = POWER_OPERATIONS.exec(e.operationName.value);
  if (m === null || (e.status?.value ?? "").toLowerCase() !== "succeeded") return undefined;
  const resourceId = e.resourceId ?? (e.id !== undefined ? e.id.replace(/\/events\/.*$/i, "") : undefined);
  const at = isoTime(e.eventTimestamp);
  if (resourceId === undefined || resourceId === "" || at === undefined) return undefined;
  return parseWith(PowerEventSchema, { resourceId, operation: (m[2] ?? "").toLowerCase(), at }, "Activity Log event");
}

function isoTime(value: Date | string): string | undefined {
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

function asyncStatus(status: string): OperationStatus["status"] {
  const s = status.toLowerCase();
  if (s === "succeeded") return "Succeeded";
  if (s === "failed") return "Failed";
  if (s === "canceled" || s === "cancelled") return "Canceled";
  return "InProgress";
}

function requireId(value: string, type: string): ArmResourceId {
  const id = tryParseArmResourceId(value);
  if (typeof id === "string" || id.type.toLowerCase() !== type.toLowerCase()) {
    throw new AzureOperationError("parseResourceId", `"${value}" is not a ${type} id${typeof id === "string" ? `: ${id}` : ""}`, {
      code: "InvalidResourceId",
      retryable: false,
    });
  }
  return id;
}

function subnetPath(vnet: ArmResourceId, subnetName: string): string {
  return (
    `/subscriptions/${vnet.subscriptionId}/resourceGroups/${encodeURIComponent(vnet.resourceGroup)}` +
    `/providers/Microsoft.Network/virtualNetworks/${encodeURIComponent(vnet.name)}` +
    `/subnets/${encodeURIComponent(subnetName)}?api-version=${NETWORK_API_VERSION}`
  );
}

function invalidHandle(operation: string, why: string): AzureOperationError {
  return new AzureOperationError(operation, `invalid operation handle: ${why}`, { code: "InvalidOperationHandle", retryable: false });
}

function isNotFound(e: unknown): boolean {
  return typeof e === "object" && e !== null && (e as { statusCode?: unknown }).statusCode === 404;
}

function optionalRetryAfter(response: PipelineResponse): { retryAfterSeconds?: number } {
  return optional("retryAfterSeconds", retryAfterSecondsFrom(response.headers));
}

function optional<K extends string, V>(key: K, value: V | undefined | null): { [P in K]?: V } {
  return (value === undefined || value === null ? {} : { [key]: value }) as { [P in K]?: V };
}

function parseJson(text: string | null | undefined): unknown {
  if (text === undefined || text === null || text === "") return {};
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new AzureOperationError("parseResponse", `ARM sent a body that is not JSON: ${ensureError(e).message}`, {
      code: "UnexpectedResponse",
      retryable: false,
      cause: e,
    });
  }
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

