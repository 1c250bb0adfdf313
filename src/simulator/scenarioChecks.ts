/** The scenario's rules that span fields: references resolve, names are unique, subnets fit their VNet. */
import type { z } from "zod";
import type { ActorEvent } from "./actorSchema";
import { contains, overlaps, parseCidr, type Cidr } from "./cidr";
import { VmSchema, type ScenarioScaleSet, type ScenarioVm, type ScenarioVnet } from "./scenarioResources";

type Ctx = z.RefinementCtx<z.output<z.ZodObject>>;

/** Rules that span fields: references resolve, names are unique, subnets fit their VNet. */
export function crossCheck(
  s: {
    exemption: { exempted: boolean; effectiveAt?: string | undefined };
    resourceGroups: { name: string }[];
    vms: ScenarioVm[];
    scaleSets: ScenarioScaleSet[];
    vnets: ScenarioVnet[];
    networkWatchers: { resourceGroup: string; location: string }[];
    locks?: { scope: "subscription" | { resourceGroup: string } }[];
    policyAssignments?: { scope: "subscription" | { resourceGroup: string } }[];
    networkSecurityGroups?: { resourceGroup: string }[];
    permissions?: { resourceGroup: string }[];
    actors?: ActorEvent[];
    routeTables?: { name: string; resourceGroup: string }[];
    natGateways?: { name: string; resourceGroup: string }[];
  },
  ctx: Ctx,
): void {
  const issue = (path: (string | number)[], message: string): void => ctx.addIssue({ code: "custom", path, message });
  if (s.exemption.exempted && s.exemption.effectiveAt === undefined)
    issue(["exemption", "effectiveAt"], "is required when exempted is true");
  const rgs = new Set<string>();
  s.resourceGroups.forEach((rg, i) => {
    const k = rg.name.toLowerCase();
    if (rgs.has(k)) issue(["resourceGroups", i, "name"], `duplicate resource group "${rg.name}"`);
    rgs.add(k);
  });
  const needRg = (path: (string | number)[], name: string): void => {
    if (!rgs.has(name.toLowerCase())) issue(path, `resource group "${name}" is not declared in resourceGroups`);
  };
  const flex = new Set<string>();
  const sets = new Set<string>();
  s.scaleSets.forEach((ss, i) => {
    needRg(["scaleSets", i, "resourceGroup"], ss.resourceGroup);
    const k = `${ss.resourceGroup}/${ss.name}`.toLowerCase();
    if (sets.has(k)) issue(["scaleSets", i, "name"], `duplicate scale set "${ss.name}" in "${ss.resourceGroup}"`);
    sets.add(k);
    if (ss.orchestrationMode === "Flexible") {
      flex.add(k);
      if (ss.instances.length > 0)
        issue(
          ["scaleSets", i, "instances"],
          "a flexible scale set has no instances here: declare its members as vms with flexScaleSet",
        );
    }
    const ids = new Set<string>();
    ss.instances.forEach((inst, j) => {
      if (ids.has(inst.instanceId))
        issue(["scaleSets", i, "instances", j, "instanceId"], `duplicate instance id "${inst.instanceId}"`);
      ids.add(inst.instanceId);
    });
  });
  const vms = new Set<string>();
  s.vms.forEach((vm, i) => {
    needRg(["vms", i, "resourceGroup"], vm.resourceGroup);
    const k = `${vm.resourceGroup}/${vm.name}`.toLowerCase();
    if (vms.has(k)) issue(["vms", i, "name"], `duplicate VM "${vm.name}" in "${vm.resourceGroup}"`);
    vms.add(k);
    if (vm.flexScaleSet !== undefined && !flex.has(`${vm.resourceGroup}/${vm.flexScaleSet}`.toLowerCase()))
      issue(
        ["vms", i, "flexScaleSet"],
        `no flexible scale set "${vm.flexScaleSet}" in resource group "${vm.resourceGroup}"`,
      );
    if (vm.ephemeralOsDisk && vm.power === "deallocated")
      issue(["vms", i, "power"], "a VM with an ephemeral OS disk cannot be deallocated");
  });
  s.vnets.forEach((vnet, i) => {
    needRg(["vnets", i, "resourceGroup"], vnet.resourceGroup);
    const space = vnet.addressPrefixes.map((p) => parseCidr(p)).filter((c): c is Cidr => typeof c !== "string");
    const taken: { cidr: Cidr; subnet: string }[] = [];
    vnet.subnets.forEach((sn, j) => {
      const at = ["vnets", i, "subnets", j];
      if ((sn.addressPrefix === undefined) === (sn.addressPrefixes === undefined) && sn.ipamAllocations.length === 0)
        issue(at, "needs exactly one of addressPrefix or addressPrefixes (or IPAM allocations)");
      const prefixes = [
        ...(sn.addressPrefix === undefined ? [] : [sn.addressPrefix]),
        ...(sn.addressPrefixes ?? []),
        ...sn.ipamAllocations.flatMap((a) => a.allocatedAddressPrefixes),
      ];
      for (const p of prefixes) {
        const c = parseCidr(p);
        if (typeof c === "string") continue;
        if (!space.some((v) => contains(v, c))) issue(at, `prefix ${p} lies outside the VNet's address space`);
        const clash = taken.find((t) => overlaps(t.cidr, c));
        if (clash) issue(at, `prefix ${p} overlaps subnet "${clash.subnet}"`);
        taken.push({ cidr: c, subnet: sn.name });
      }
    });
  });
  s.networkWatchers.forEach((nw, i) => needRg(["networkWatchers", i, "resourceGroup"], nw.resourceGroup));
  s.locks?.forEach((l, i) => {
    if (l.scope !== "subscription") needRg(["locks", i, "scope", "resourceGroup"], l.scope.resourceGroup);
  });
  s.policyAssignments?.forEach((a, i) => {
    if (a.scope !== "subscription") needRg(["policyAssignments", i, "scope", "resourceGroup"], a.scope.resourceGroup);
  });
  s.networkSecurityGroups?.forEach((n, i) => needRg(["networkSecurityGroups", i, "resourceGroup"], n.resourceGroup));
  s.permissions?.forEach((g, i) => needRg(["permissions", i, "resourceGroup"], g.resourceGroup));
  s.vnets.forEach((vnet, i) =>
    vnet.subnets.forEach((sn, j) => {
      const nsg = sn.networkSecurityGroup;
      if (nsg !== undefined && typeof nsg !== "string")
        needRg(["vnets", i, "subnets", j, "networkSecurityGroup", "resourceGroup"], nsg.resourceGroup);
    }),
  );
  const declared = new Map(s.vms.map((vm) => [`${vm.resourceGroup}/${vm.name}`.toLowerCase(), vm] as const));
  const created = new Set<string>();
  (s.actors ?? []).forEach((a, i) => {
    const at = ["actors", i];
    if (a.kind === "create") {
      const parsed = VmSchema.safeParse(a.vm);
      if (!parsed.success) {
        for (const e of parsed.error.issues)
          issue([...at, "vm", ...e.path.map((p) => (typeof p === "symbol" ? String(p) : p))], e.message);
        return;
      }
      const k = `${parsed.data.resourceGroup}/${parsed.data.name}`.toLowerCase();
      needRg([...at, "vm", "resourceGroup"], parsed.data.resourceGroup);
      if (declared.has(k) || created.has(k))
        issue([...at, "vm", "name"], `VM "${parsed.data.name}" already exists in "${parsed.data.resourceGroup}"`);
      created.add(k);
      if ("firstTouch" in a.when)
        issue([...at, "when"], "a created VM cannot wait for the product's first write on it: give at or afterSeconds");
      return;
    }
    if (!("resourceGroup" in a)) {
      // A lock or a policy assignment: its scope's group must exist; a first touch names the VM it waits for.
      const scope =
        a.kind === "addLock" || a.kind === "removeLock" ? a.lock.scope : (a.assignment.scope ?? "subscription");
      const field = a.kind === "addLock" || a.kind === "removeLock" ? "lock" : "assignment";
      if (scope !== "subscription") needRg([...at, field, "scope", "resourceGroup"], scope.resourceGroup);
      if ("firstTouch" in a.when) {
        if (a.when.resourceGroup === undefined)
          issue(
            [...at, "when", "resourceGroup"],
            "is required with firstTouch on a lock or policy event (the VM's resource group)",
          );
        else if (!declared.has(`${a.when.resourceGroup}/${a.when.firstTouch}`.toLowerCase()))
          issue([...at, "when", "firstTouch"], `no VM "${a.when.firstTouch}" to wait for a first write on`);
      }
      return;
    }
    const k = `${a.resourceGroup}/${a.vm}`.toLowerCase();
    const vm = declared.get(k);
    if (vm === undefined && !created.has(k))
      issue([...at, "vm"], `no VM "${a.vm}" in resource group "${a.resourceGroup}" (vms[] or an earlier create)`);
    if (a.kind === "evict" && vm !== undefined && vm.priority === "Regular")
      issue(
        [...at, "vm"],
        `VM "${a.vm}" is not a spot VM (priority Regular): only Spot and Low priority VMs are evicted`,
      );
    if ("firstTouch" in a.when) {
      const tk = `${a.when.resourceGroup ?? a.resourceGroup}/${a.when.firstTouch}`.toLowerCase();
      if (!declared.has(tk))
        issue([...at, "when", "firstTouch"], `no VM "${a.when.firstTouch}" to wait for a first write on`);
    }
  });
  s.vms.forEach((vm, i) => {
    if (vm.evictionPolicy !== undefined && vm.priority === "Regular")
      issue(["vms", i, "evictionPolicy"], "only a Spot or Low priority VM has an eviction policy");
  });
  checkRouting(s, issue, needRg);
}

/** Route tables, NAT gateways and subnets named by VMs and scale sets resolve; names are unique (they are looked up by name). */
function checkRouting(
  s: {
    vms: ScenarioVm[];
    scaleSets: ScenarioScaleSet[];
    vnets: ScenarioVnet[];
    routeTables?: { name: string; resourceGroup: string }[];
    natGateways?: { name: string; resourceGroup: string }[];
  },
  issue: (path: (string | number)[], message: string) => void,
  needRg: (path: (string | number)[], name: string) => void,
): void {
  const names = (list: { name: string }[] | undefined, field: string): Set<string> => {
    const seen = new Set<string>();
    (list ?? []).forEach((x, i) => {
      const k = x.name.toLowerCase();
      if (seen.has(k))
        issue([field, i, "name"], `duplicate ${field} name "${x.name}" (subnets name them without a resource group)`);
      seen.add(k);
    });
    return seen;
  };
  const tables = names(s.routeTables, "routeTables");
  const nats = names(s.natGateways, "natGateways");
  (s.routeTables ?? []).forEach((t, i) => needRg(["routeTables", i, "resourceGroup"], t.resourceGroup));
  (s.natGateways ?? []).forEach((t, i) => needRg(["natGateways", i, "resourceGroup"], t.resourceGroup));
  const subnets = new Set<string>();
  s.vnets.forEach((vnet, i) =>
    vnet.subnets.forEach((sn, j) => {
      subnets.add(`${vnet.name}/${sn.name}`.toLowerCase());
      if (sn.routeTable !== undefined && !tables.has(sn.routeTable.toLowerCase()))
        issue(["vnets", i, "subnets", j, "routeTable"], `no route table "${sn.routeTable}" in routeTables`);
      if (sn.natGateway !== undefined && !nats.has(sn.natGateway.toLowerCase()))
        issue(["vnets", i, "subnets", j, "natGateway"], `no NAT gateway "${sn.natGateway}" in natGateways`);
    }),
  );
  s.vms.forEach((vm, i) => {
    if (vm.subnet !== undefined && !subnets.has(vm.subnet.toLowerCase()))
      issue(["vms", i, "subnet"], `no subnet "${vm.subnet}" among the vnets`);
  });
  s.scaleSets.forEach((ss, i) => {
    if (ss.subnet !== undefined && !subnets.has(ss.subnet.toLowerCase()))
      issue(["scaleSets", i, "subnet"], `no subnet "${ss.subnet}" among the vnets`);
  });
}
