/** Microsoft.Compute's routes: VMs and their listing, scale sets and their instances, power actions, operation status. */
import { z } from "zod";
import { ArmHttpError } from "./armError";
import { extensionBody, instanceViewBody, scaleSetBody, scaleSetVmBody, vmBody } from "./computeBodies";
import { accepted, operationResult, operationStatus } from "./lroAnswers";
import {
  CSS,
  CVM,
  instanceOr404,
  page,
  RG,
  rgOr404,
  route,
  type Route,
  scaleSetOr404,
  type SimRequest,
  type SimResponse,
  SUB,
  VM_LIST_PAGE_SIZE,
  vmOr404,
} from "./routeKit";
import { hashOf } from "./rng";
import type { LroShape } from "./shapes";
import type { Machine, Operation, PowerOp, VmRecord } from "./world/types";
import type { World } from "./world/world";

/** `'virtualMachineScaleSet/id' eq '<id>'`: the only $filter a VM listing accepts (VirtualMachines_List and _ListAll). */
const VM_LIST_FILTER = /^\s*'?virtualMachineScaleSet\/id'?\s+eq\s+'([^']+)'\s*$/i;

/**
 * A VM listing as Compute serves it: `$filter` only by flexible scale set; `$expand=instanceView` only with such a
 * filter ("this can only be specified if a valid $filter option is specified"); `statusOnly=true` only on the
 * subscription's listing (VirtualMachines_ListAll), where it adds each VM's instance view. VirtualMachines_List (a
 * resource group's) has no statusOnly parameter: there it is ignored, and gives no power state.
 */
function vmListing(w: World, r: SimRequest, vms: readonly VmRecord[], subscriptionWide: boolean): SimResponse {
  const filter = r.query.get("$filter");
  let selected = vms;
  if (filter !== null) {
    const m = VM_LIST_FILTER.exec(filter);
    if (m === null)
      throw new ArmHttpError(
        400,
        "InvalidParameter",
        `The value of parameter '$filter' is invalid: only 'virtualMachineScaleSet/id' eq '<id>' is supported.`,
      );
    const ss = (m[1] ?? "").toLowerCase();
    selected = vms.filter((vm) => vm.flexScaleSetId?.toLowerCase() === ss);
  }
  const expand = (r.query.get("$expand") ?? "").toLowerCase();
  if (expand !== "" && expand !== "instanceview")
    throw new ArmHttpError(
      400,
      "InvalidParameter",
      `The value '${r.query.get("$expand") ?? ""}' of parameter '$expand' is not valid.`,
    );
  if (expand === "instanceview" && filter === null)
    throw new ArmHttpError(
      400,
      "InvalidParameter",
      "The parameter '$expand=instanceView' can only be specified with a valid '$filter'.",
    );
  const statusOnly = subscriptionWide && (r.query.get("statusOnly") ?? "").toLowerCase() === "true";
  const iv = expand === "instanceview" || statusOnly;
  const rate = w.scenario.behaviour.listingPowerStateMissing;
  return page(
    r,
    w,
    selected,
    (vm) => {
      w.settleMachine(vm.machine, r.now);
      const body = vmBody(vm, iv, true, r.now);
      return statusOnly && powerStateMissing(vm, r.now, rate) ? withoutPowerState(body) : body;
    },
    VM_LIST_PAGE_SIZE,
  );
}

/**
 * Whether this listing gives the VM no power state: "in some rare situations, the power state may not [be] available
 * due to intermittent issues in the retrieval process" (Learn "States and billing status of Azure Virtual Machines",
 * on List All with statusOnly=true). Drawn by a hash of the VM and the time, so the world's seeded draws do not shift.
 */
function powerStateMissing(vm: VmRecord, now: number, rate: number): boolean {
  return rate > 0 && (hashOf(`${vm.machine.vmId}|statusOnly|${now}`) % 10_000) / 10_000 < rate;
}

/** A VM body whose instance view lacks its `PowerState/*` status (the provisioning state stays). */
function withoutPowerState(body: object): object {
  const b = body as { properties?: { instanceView?: { statuses?: { code?: string }[] } } };
  const view = b.properties?.instanceView;
  if (view?.statuses === undefined) return body;
  return {
    ...b,
    properties: {
      ...b.properties,
      instanceView: { ...view, statuses: view.statuses.filter((s) => !(s.code ?? "").startsWith("PowerState/")) },
    },
  };
}

/** Shapes ARM allows for a Compute power action: 200 when it had nothing to do, else 202 with either header or both. */
function powerShapes(op: Operation): LroShape[] {
  const async: LroShape[] = ["location", "azureAsyncOperation", "azureAsyncOperationAndLocation"];
  return op.machines.length === 0 && op.failure === undefined ? ["synchronous", ...async] : async;
}

const InstanceIdsBody = z
  .object({ instanceIds: z.array(z.string()).optional() })
  .loose()
  .optional()
  .nullable();

function vmPower(kind: PowerOp) {
  return (w: World, r: SimRequest): SimResponse => {
    const vm = vmOr404(w, r);
    const op = w.beginPower([vm.machine], kind, r.ctx, r.now);
    return accepted(r, op, w.shapes.lro(powerShapes(op)), { syncBody: {} });
  };
}

function scaleSetPower(kind: PowerOp) {
  return (w: World, r: SimRequest): SimResponse => {
    const ss = scaleSetOr404(w, r);
    if (ss.spec.orchestrationMode === "Flexible")
      throw new ArmHttpError(
        400,
        "OperationNotAllowed",
        `Scale set '${ss.name}' uses Flexible orchestration: act on its member VMs.`,
      );
    const parsed = InstanceIdsBody.safeParse(r.body);
    if (!parsed.success)
      throw new ArmHttpError(400, "InvalidRequestContent", 'The request body must be {"instanceIds": [..]}.');
    const ids = parsed.data?.instanceIds;
    const machines: Machine[] = [];
    if (ids === undefined || ids.length === 0) machines.push(...ss.instanceList);
    else
      for (const id of ids) {
        const m = ss.instances.get(id);
        if (m === undefined)
          throw new ArmHttpError(400, "InvalidParameter", `Instance id '${id}' is not a VM of scale set '${ss.name}'.`);
        machines.push(m);
      }
    const op = w.beginPower(machines, kind, r.ctx, r.now);
    return accepted(r, op, w.shapes.lro(powerShapes(op)), { syncBody: {} });
  };
}

/** Microsoft.Compute's paths, in the order they are matched. */
export const COMPUTE_ROUTES: readonly Route[] = [
  // Virtual machines
  route("GET", `${SUB}/providers/microsoft.compute/virtualmachines`, "listVms", "compute", (w, r) =>
    vmListing(w, r, w.vmList, true),
  ),
  route("GET", `${RG}/providers/microsoft.compute/virtualmachines`, "listVms", "compute", (w, r) =>
    vmListing(w, r, w.vmsByRg.get(rgOr404(w, r.params["rg"] ?? "").name.toLowerCase()) ?? [], false),
  ),
  route("GET", CVM, "getVm", "compute", (w, r) => ({
    status: 200,
    body: vmBody(vmOr404(w, r), (r.query.get("$expand") ?? "").toLowerCase() === "instanceview", false, r.now),
  })),
  route("GET", `${CVM}/instanceview`, "getVmInstanceView", "compute", (w, r) => {
    const vm = vmOr404(w, r);
    return {
      status: 200,
      body: instanceViewBody(vm.machine, vm.spec.osType, vm.name, vm.extensions, r.now, vm.platformUpdateDomain),
    };
  }),
  // Not paged: VirtualMachineExtensionsListResult has no nextLink.
  route("GET", `${CVM}/extensions`, "listVmExtensions", "compute", (w, r) => {
    const vm = vmOr404(w, r);
    return { status: 200, body: { value: vm.extensions.map((e) => extensionBody(vm, e)) } };
  }),
  route("POST", `${CVM}/poweroff`, "vmPowerOff", "compute", vmPower("powerOff")),
  route("POST", `${CVM}/deallocate`, "vmDeallocate", "compute", vmPower("deallocate")),
  route("POST", `${CVM}/start`, "vmStart", "compute", vmPower("start")),
  // Scale sets
  route("GET", `${SUB}/providers/microsoft.compute/virtualmachinescalesets`, "listScaleSets", "compute", (w, r) =>
    page(r, w, w.scaleSetList, scaleSetBody),
  ),
  route("GET", `${RG}/providers/microsoft.compute/virtualmachinescalesets`, "listScaleSets", "compute", (w, r) =>
    page(r, w, w.scaleSetsByRg.get(rgOr404(w, r.params["rg"] ?? "").name.toLowerCase()) ?? [], scaleSetBody),
  ),
  route("GET", CSS, "getScaleSet", "compute", (w, r) => ({ status: 200, body: scaleSetBody(scaleSetOr404(w, r)) })),
  route("GET", `${CSS}/virtualmachines`, "listScaleSetVms", "compute", (w, r) => {
    const ss = scaleSetOr404(w, r);
    const iv = (r.query.get("$expand") ?? "").toLowerCase() === "instanceview";
    return page(r, w, ss.instanceList, (m) => (w.settleMachine(m, r.now), scaleSetVmBody(ss, m, iv, r.now)));
  }),
  route("GET", `${CSS}/virtualmachines/{inst}`, "getScaleSetVm", "compute", (w, r) => {
    const ss = scaleSetOr404(w, r);
    const iv = (r.query.get("$expand") ?? "").toLowerCase() === "instanceview";
    return { status: 200, body: scaleSetVmBody(ss, instanceOr404(w, r, ss), iv, r.now) };
  }),
  route("GET", `${CSS}/virtualmachines/{inst}/instanceview`, "getScaleSetVm", "compute", (w, r) => {
    const ss = scaleSetOr404(w, r);
    const m = instanceOr404(w, r, ss);
    return { status: 200, body: instanceViewBody(m, "Linux", m.name, [], r.now) };
  }),
  route("POST", `${CSS}/poweroff`, "scaleSetPowerOff", "compute", scaleSetPower("powerOff")),
  route("POST", `${CSS}/deallocate`, "scaleSetDeallocate", "compute", scaleSetPower("deallocate")),
  route("POST", `${CSS}/start`, "scaleSetStart", "compute", scaleSetPower("start")),
  route(
    "GET",
    `${SUB}/providers/microsoft.compute/locations/{loc}/operations/{op}`,
    "getOperationStatus",
    "compute",
    (w, r) =>
      (r.query.get("monitor") ?? "").toLowerCase() === "true"
        ? operationResult(w, r, "Microsoft.Compute")
        : operationStatus(w, r, "Microsoft.Compute"),
  ),
];
