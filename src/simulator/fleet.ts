/** Builds realistic fleets of any size (for `--vms N`, benchmarks and chaos runs) from a seed. */
import { TAGS } from "../contracts/options";
import { createRng } from "./rng";
import { EstateSchema, type EstateScenario, type EstateSubscriptionInput } from "./estate";
import { ScenarioSchema, type Scenario, type ScenarioInput } from "./scenario";

type VmInput = NonNullable<ScenarioInput["vms"]>[number];

const REGIONS = ["westeurope", "northeurope", "eastus2"] as const;
const SIZES = ["Standard_D2s_v5", "Standard_D4s_v5", "Standard_B2ms", "Standard_E4s_v5", "Standard_F4s_v2"] as const;
const APPS = ["web", "api", "worker", "data", "build", "batch", "tools"] as const;

const EFFECTIVE_AT = Date.parse("2026-03-02T09:00:00Z");

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * A fleet of `n` VMs: application resource groups of about 40 VMs, availability sets and zones, a few
 * stopped/deallocated/spot/ephemeral VMs, wave and skip tags, one canary with the Network Watcher agent,
 * a uniform and a flexible scale set, an AKS-managed group, VNets with delegated subnets (one full), and
 * Network Watchers in every region used. Same n and seed → same scenario.
 */
export function generateFleet(n: number, seed = 1, as: { subscriptionId?: string; name?: string } = {}): Scenario {
  if (!Number.isInteger(n) || n < 1) throw new RangeError("generateFleet: n must be a positive integer");
  const rng = createRng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)] as T;
  const subscriptionId = as.subscriptionId ?? "6b1f3c2a-8d4e-4f6a-9b0c-1d2e3f405162";
  const rgCount = Math.max(1, Math.ceil(n / 40));
  const rgs: NonNullable<ScenarioInput["resourceGroups"]> = [];
  const used = new Set<string>();
  for (let i = 0; i < rgCount; i++) {
    const location = REGIONS[i % REGIONS.length] ?? "westeurope";
    used.add(location);
    rgs.push({
      name: `rg-${APPS[i % APPS.length] ?? "app"}-${String(i + 1).padStart(3, "0")}`,
      location,
      tags: { env: "dev", costCenter: `cc-${100 + (i % 7)}` },
    });
  }
  rgs.push({ name: "rg-network", location: "westeurope" }, { name: "rg-aks", location: "westeurope" });
  rgs.push({
    name: "MC_rg-aks_aks-dev_westeurope",
    location: "westeurope",
    managedBy: `/subscriptions/${subscriptionId}/resourcegroups/rg-aks/providers/Microsoft.ContainerService/managedClusters/aks-dev`,
    tags: { "aks-managed-cluster-name": "aks-dev", "aks-managed-cluster-rg": "rg-aks" },
  });
  used.add("westeurope");

  const vms: VmInput[] = [];
  const flexName = "vmss-flex-001";
  for (let i = 0; i < n; i++) {
    const rg = rgs[Math.floor(i / 40)] ?? rgs[0];
    if (rg === undefined) break;
    const app = rg.name.split("-")[1] ?? "app";
    const inRg = i % 40;
    const vm: VmInput = {
      name: `vm-${app}-${String(i + 1).padStart(5, "0")}`,
      resourceGroup: rg.name,
      size: pick(SIZES),
      osType: rng.next() < 0.2 ? "Windows" : "Linux",
      lastStartTime: iso(EFFECTIVE_AT - (1 + rng.int(60)) * 86_400_000 - rng.int(86_400_000)),
      tags: { app, env: "dev" },
    };
    // A third of each group sits in two availability sets, a third in zones.
    if (inRg < 14) vm.availabilitySet = `avset-${app}-${inRg % 2}`;
    else if (inRg < 28) vm.zone = String((inRg % 3) + 1) as "1" | "2" | "3";
    const r = rng.next();
    if (r < 0.06) vm.power = "stopped";
    else if (r < 0.12) vm.power = "deallocated";
    if (rng.next() < 0.02 && vm.availabilitySet === undefined) vm.priority = "Spot";
    if (rng.next() < 0.01 && vm.power !== "deallocated") vm.ephemeralOsDisk = true;
    const tags = vm.tags ?? {};
    if (rng.next() < 0.01) tags[TAGS.skip] = "skip";
    else if (rng.next() < 0.3) tags[TAGS.wave] = String(rng.int(4));
    vm.tags = tags;
    vms.push(vm);
  }
  // The first VM is the canary: running, agent installed, in the first region.
  const canary = vms[0];
  if (canary !== undefined) {
    canary.power = "running";
    canary.networkWatcherAgent = true;
    canary.ephemeralOsDisk = false;
    canary.priority = "Regular";
    canary.tags = { ...(canary.tags ?? {}), [TAGS.canary]: "true" };
    delete canary.tags[TAGS.skip];
  }
  // A flexible scale set whose members are the last few VMs of the first group.
  const firstRg = rgs[0]?.name ?? "rg-web-001";
  const flexMembers = vms
    .filter((v) => v.resourceGroup === firstRg && v.availabilitySet === undefined && v !== canary)
    .slice(-3);
  for (const v of flexMembers) {
    v.flexScaleSet = flexName;
    delete v.zone;
  }

  const scenario: ScenarioInput = {
    subscription: {
      id: subscriptionId,
      name: as.name ?? "Contoso Dev/Test (generated)",
      quotaId: "MSDNDevTest_2014-09-01",
      billing: {
        agreementType: "EnterpriseAgreement",
        workloadType: "DevTest",
        accountType: "Enterprise",
        skuDescription: "Enterprise Dev/Test",
      },
    },
    exemption: { exempted: true, effectiveAt: iso(EFFECTIVE_AT) },
    resourceGroups: [...rgs, { name: "NetworkWatcherRG", location: "westeurope" }],
    vms,
    scaleSets: [
      ...(flexMembers.length > 0
        ? [{ name: flexName, resourceGroup: firstRg, orchestrationMode: "Flexible" as const }]
        : []),
      {
        name: "vmss-uniform-001",
        resourceGroup: firstRg,
        orchestrationMode: "Uniform",
        instances: [0, 1, 2, 3].map((k) => ({
          instanceId: String(k),
          power: k === 3 ? ("deallocated" as const) : ("running" as const),
          lastStartTime: iso(EFFECTIVE_AT - 5 * 86_400_000),
        })),
      },
      {
        name: "aks-nodepool1-31415926-vmss",
        resourceGroup: "MC_rg-aks_aks-dev_westeurope",
        orchestrationMode: "Uniform",
        tags: {
          "aks-managed-poolName": "nodepool1",
          "aks-managed-cluster-name": "aks-dev",
          "aks-managed-cluster-rg": "rg-aks",
        },
        instances: [0, 1, 2].map((k) => ({ instanceId: String(k), lastStartTime: iso(EFFECTIVE_AT - 3 * 86_400_000) })),
      },
    ],
    vnets: fleetVnets(Math.max(0, Math.floor(n / 1000))),
    networkWatchers: [...used].map((location) => ({ location, resourceGroup: "NetworkWatcherRG" })),
    behaviour: { startTime: iso(EFFECTIVE_AT + 86_400_000) },
  };
  return ScenarioSchema.parse(scenario);
}

function fleetVnets(extra: number): NonNullable<ScenarioInput["vnets"]> {
  const ase = {
    name: "vnet-ase",
    resourceGroup: "rg-network",
    addressPrefixes: ["10.10.0.0/24"],
    subnets: [
      {
        name: "snet-ase",
        addressPrefix: "10.10.0.0/25",
        delegations: ["Microsoft.Web/hostingEnvironments"],
        serviceAssociationLinks: [
          { name: "legionservicelink", linkedResourceType: "Microsoft.Web/hostingEnvironments" },
        ],
      },
      { name: "snet-apps", addressPrefix: "10.10.0.128/26", inUse: true },
      { name: "snet-data", addressPrefix: "10.10.0.192/26", inUse: true },
    ],
  };
  const apps = {
    name: "vnet-apps",
    resourceGroup: "rg-network",
    addressPrefixes: ["10.20.0.0/16"],
    subnets: [
      { name: "snet-web", addressPrefix: "10.20.1.0/24", inUse: true },
      { name: "snet-funcs", addressPrefix: "10.20.4.0/26", delegations: ["Microsoft.Web/serverFarms"] },
    ],
  };
  const plain = {
    name: "vnet-plain",
    resourceGroup: "rg-network",
    addressPrefixes: ["10.30.0.0/16"],
    subnets: [{ name: "default", addressPrefix: "10.30.0.0/24", inUse: true }],
  };
  const more = Array.from({ length: extra }, (_, i) => ({
    name: `vnet-team-${String(i + 1).padStart(3, "0")}`,
    resourceGroup: "rg-network",
    addressPrefixes: [`10.${40 + (i % 200)}.0.0/16`],
    subnets: [
      { name: "snet-app", addressPrefix: `10.${40 + (i % 200)}.1.0/24`, inUse: true },
      {
        name: "snet-delegated",
        addressPrefix: `10.${40 + (i % 200)}.2.0/26`,
        delegations: ["Microsoft.Web/serverFarms"],
      },
    ],
  }));
  return [ase, apps, plain, ...more];
}

export interface EstateOptions {
  /** Subscriptions in the estate. */
  subscriptions: number;
  /** VMs in each subscription's generated fleet. */
  vmsPerSubscription: number;
  seed?: number;
  /**
   * With 4 or more subscriptions, the last is an MCA Production subscription (not blocked: nothing to remediate)
   * and the one before it has a billing property the identity may not read (classified unknown). Default true.
   */
  nonExemptible?: boolean;
}

/** Ids of the generated estate's groups: the root and its two children. */
export const ESTATE_GROUPS = {
  root: "mg-contoso",
  devTest: "mg-contoso-devtest",
  production: "mg-contoso-production",
} as const;

/**
 * An estate of `subscriptions` generated fleets of `vmsPerSubscription` VMs each under a root management group with
 * two child groups (Dev/Test and Production): distinct subscription ids and names, mostly EA Dev/Test subscriptions
 * with the exemption, every fifth directly under the root, and (unless `nonExemptible` is false, and with at least
 * four subscriptions) one MCA Production subscription and one whose billing property cannot be read. Same options →
 * same estate.
 */
export function generateEstate(o: EstateOptions): EstateScenario {
  const n = o.subscriptions;
  const m = o.vmsPerSubscription;
  if (!Number.isInteger(n) || n < 1) throw new RangeError("generateEstate: subscriptions must be a positive integer");
  if (!Number.isInteger(m) || m < 1)
    throw new RangeError("generateEstate: vmsPerSubscription must be a positive integer");
  const seed = o.seed ?? 1;
  const ids = createRng((seed ^ 0x3c6ef372) >>> 0);
  const tenantId = ids.guid();
  const special = (o.nonExemptible ?? true) && n >= 4;
  const taken = new Set<string>();
  const subscriptions: EstateSubscriptionInput[] = [];
  for (let k = 0; k < n; k++) {
    let id = ids.guid();
    while (taken.has(id)) id = ids.guid();
    taken.add(id);
    const label = String(k + 1).padStart(2, "0");
    const production = special && k === n - 1;
    const unreadable = special && k === n - 2;
    const name = production ? `Contoso Production ${label}` : `Contoso Dev/Test ${label}`;
    // The fleet's own startTime and timeScale give way to the estate's one clock.
    const { behaviour, ...fleet } = generateFleet(m, (seed + Math.imul(k + 1, 0x9e3779b1)) >>> 0, {
      subscriptionId: id,
      name,
    });
    const { startTime: _startTime, timeScale: _timeScale, ...ownBehaviour } = behaviour;
    const sub: EstateSubscriptionInput = {
      ...fleet,
      behaviour: ownBehaviour,
      managementGroup: production ? ESTATE_GROUPS.production : k % 5 === 4 ? ESTATE_GROUPS.root : ESTATE_GROUPS.devTest,
    };
    if (production) {
      sub.subscription = {
        ...fleet.subscription,
        quotaId: "EnterpriseAgreement_2014-09-01",
        billing: { agreementType: "MicrosoftCustomerAgreement", workloadType: "Production", accountType: "Enterprise" },
      };
      sub.exemption = { exempted: false };
    }
    if (unreadable) sub.subscription = { ...fleet.subscription, billing: "forbidden" };
    subscriptions.push(sub);
  }
  return EstateSchema.parse({
    tenantId,
    managementGroups: [
      { id: ESTATE_GROUPS.root, displayName: "Contoso" },
      { id: ESTATE_GROUPS.devTest, displayName: "Contoso Dev/Test", parent: ESTATE_GROUPS.root },
      { id: ESTATE_GROUPS.production, displayName: "Contoso Production", parent: ESTATE_GROUPS.root },
    ],
    subscriptions,
    behaviour: { startTime: iso(EFFECTIVE_AT + 86_400_000) },
  });
}
