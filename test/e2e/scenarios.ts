/** Small scenarios built from the simulator's scenario schema, one concern each. */
import type { ScenarioInput } from "../../src/simulator";

export const SUBSCRIPTION_ID = "5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
export const START = "2026-03-03T08:00:00Z";

type Vm = NonNullable<ScenarioInput["vms"]>[number];

export function vm(name: string, extra: Partial<Vm> = {}): Vm {
  return { name, resourceGroup: "rg-app", ...extra };
}

/** An EA Dev/Test subscription, exempted the day before, with one resource group, a canary and `vms`. */
export function scenario(parts: Partial<ScenarioInput> & { vms?: Vm[] | undefined } = {}): ScenarioInput {
  const { behaviour, ...rest } = parts;
  return {
    subscription: {
      id: SUBSCRIPTION_ID,
      name: "Test Dev/Test",
      quotaId: "MSDNDevTest_2014-09-01",
      billing: { agreementType: "EnterpriseAgreement", workloadType: "DevTest", accountType: "Enterprise" },
    },
    exemption: { exempted: true, effectiveAt: "2026-03-02T09:00:00Z" },
    resourceGroups: [
      { name: "rg-app", location: "westeurope" },
      { name: "NetworkWatcherRG", location: "westeurope" },
    ],
    networkWatchers: [{ location: "westeurope" }],
    ...rest,
    vms: parts.vms ?? [
      vm("canary-01", { networkWatcherAgent: true, tags: { "port25-canary": "true" } }),
      vm("app-01"),
      vm("app-02"),
    ],
    behaviour: { startTime: START, ...behaviour },
  };
}

/** `n` plain running VMs plus a tagged canary. */
export function fleet(n: number, extra: Partial<Vm> = {}): Vm[] {
  return [
    vm("canary-01", { networkWatcherAgent: true, tags: { "port25-canary": "true" } }),
    ...Array.from({ length: n }, (_, i) => vm(`app-${String(i + 1).padStart(3, "0")}`, extra)),
  ];
}
