/** The subscription the API tests run against, and start-request bodies. */
import type { ScenarioInput } from "../../src/simulator";

export const SUB = "7c1d2e3f-4a5b-4c6d-8e7f-0a1b2c3d4e5f";
export const START = "2026-03-03T08:00:00Z";
export const APPROVED_AT = "2026-03-02T09:00:00Z";
export const BEFORE_EXEMPTION = "2026-02-10T08:00:00Z";

type Vm = NonNullable<ScenarioInput["vms"]>[number];

export function vm(name: string, extra: Partial<Vm> = {}): Vm {
  return { name, resourceGroup: "rg-app", lastStartTime: BEFORE_EXEMPTION, ...extra };
}

/** EA Dev/Test, exempted the day before: a tagged canary, running and deallocated VMs, one delegated-subnet VNet. */
export function apiScenario(extra: { vms?: Vm[] } = {}): ScenarioInput {
  return {
    subscription: {
      id: SUB,
      name: "Team Dev/Test",
      quotaId: "MSDNDevTest_2014-09-01",
      billing: { agreementType: "EnterpriseAgreement", workloadType: "DevTest", accountType: "Enterprise" },
    },
    exemption: { exempted: true, effectiveAt: APPROVED_AT },
    resourceGroups: [
      { name: "rg-app", location: "westeurope" },
      { name: "rg-net", location: "westeurope" },
      { name: "NetworkWatcherRG", location: "westeurope" },
    ],
    vms: extra.vms ?? [
      vm("canary-01", { networkWatcherAgent: true, tags: { "port25-canary": "true" } }),
      vm("app-01"),
      vm("app-02"),
      vm("app-03"),
      vm("old-01", { power: "deallocated" }),
    ],
    vnets: [
      {
        name: "vnet-app",
        resourceGroup: "rg-net",
        addressPrefixes: ["10.20.0.0/16"],
        subnets: [
          { name: "default", addressPrefix: "10.20.0.0/24" },
          { name: "ase", addressPrefix: "10.20.1.0/24", delegations: ["Microsoft.Web/hostingEnvironments"] },
        ],
      },
    ],
    networkWatchers: [{ location: "westeurope" }],
    behaviour: { startTime: START },
  };
}

export function startBody(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    subscriptionId: SUB,
    attestation: { reference: "REQ-25-0042", approvedBy: "network-ops@contoso.example", approvedAt: APPROVED_AT },
    ...extra,
  };
}

const OID = "http://schemas.microsoft.com/identity/claims/objectidentifier";

export interface Person {
  name: string;
  oid: string;
  roles: readonly string[];
}

/** The headers App Service authentication sets for a signed-in caller (AAD v2 token, app roles in `roles`). */
export function signedIn(p: Person, nameHeader = p.name): Record<string, string> {
  const principal = {
    auth_typ: "aad",
    name_typ: "preferred_username",
    role_typ: "roles",
    claims: [
      { typ: OID, val: p.oid },
      { typ: "preferred_username", val: p.name },
      ...p.roles.map((val) => ({ typ: "roles", val })),
    ],
  };
  return {
    "x-ms-client-principal": Buffer.from(JSON.stringify(principal), "utf8").toString("base64"),
    "x-ms-client-principal-name": nameHeader,
    "x-ms-client-principal-id": p.oid,
  };
}
