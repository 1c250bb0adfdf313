import { describe, expect, it } from "vitest";
import type { GroupPermissions } from "../../../src/contracts/discovery";
import { PlanEntrySchema, type PlanEntry } from "../../../src/contracts/plan";
import { planResources } from "../../../src/domain/planResources";
import {
  allows,
  groupsToCheck,
  SUBNET_ASSIGNEE_PLACEHOLDER,
  SUBNET_ROLE_NAME_PATTERN,
} from "../../../src/domain/subnetPermissions";
import { readSubnetPermissions } from "../../../src/azure/discover";
import { AzureOperationError } from "../../../src/errors";
import { discovery, options, rgId, subnet, vnet } from "./fixtures";

const ASE = ["Microsoft.Web/hostingEnvironments"];
const WRITE = "Microsoft.Network/virtualNetworks/subnets/write";
const DELETE = "Microsoft.Network/virtualNetworks/subnets/delete";
const GRANT = {
  assignee: "0f0e0d0c-0000-4000-8000-000000000001",
  roleName: "Port25 Subnet Refresh (prod, 11111111-2222-3333-4444-555555555555)",
};

const aseVnet = (name: string, resourceGroup = "rg-net") =>
  vnet(name, ["10.0.0.0/16"], [subnet("ase", "10.0.0.0/24", { delegations: ASE })], { resourceGroup });
const granted = (rg: string, actions: string[], notActions: string[] = []): GroupPermissions => ({
  resourceGroupId: rgId(rg),
  permissions: [{ actions, notActions }],
});

function entry(entries: PlanEntry[], name: string): PlanEntry {
  const e = entries.find((x) => x.name === name);
  if (e === undefined) throw new Error(`no entry ${name}`);
  expect(PlanEntrySchema.parse(e)).toEqual(e);
  return e;
}

describe("planResources: subnet permission at the VNet's resource group", () => {
  it("refreshes a VNet whose group grants subnet write and delete (the subnet role's actions)", () => {
    const d = discovery({
      vnets: [aseVnet("vnet1")],
      subnetPermissions: [granted("rg-net", [WRITE, DELETE, "Microsoft.Network/networkSecurityGroups/join/action"])],
    });
    expect(entry(planResources(d, options()), "vnet1").action).toBe("refreshSubnet");
  });

  it("skips a VNet whose group lacks subnet write as noSubnetPermission, naming the action and the exact grant command; never attempted", () => {
    const d = discovery({
      vnets: [aseVnet("vnet1")],
      subnetPermissions: [granted("rg-net", ["Microsoft.Network/virtualNetworks/read", DELETE])],
      subnetGrant: GRANT,
    });
    const e = entry(planResources(d, options()), "vnet1");
    const command = `az role assignment create --assignee ${GRANT.assignee} --role "${GRANT.roleName}" --scope ${rgId("rg-net")}`;
    expect(e).toMatchObject({
      action: "skip",
      skipReason: "noSubnetPermission",
      steps: [],
      delegatedSubnets: ["ase"],
      grantCommand: command,
    });
    expect(e.tempSubnetName).toBeUndefined();
    expect(e.skipMessage).toContain(`lacks ${WRITE} at resource group ${rgId("rg-net")}`);
    expect(e.skipMessage).not.toContain(DELETE);
    expect(e.skipMessage).toContain(command);
  });

  it("a notAction in the same role takes the delete away; another role granting it gives it back", () => {
    const taken = discovery({
      vnets: [aseVnet("vnet1")],
      subnetPermissions: [
        granted("rg-net", ["Microsoft.Network/*"], ["Microsoft.Network/virtualNetworks/subnets/delete"]),
      ],
    });
    const e = entry(planResources(taken, options()), "vnet1");
    expect(e.skipReason).toBe("noSubnetPermission");
    expect(e.skipMessage).toContain(`lacks ${DELETE}`);
    const both = discovery({
      vnets: [aseVnet("vnet1")],
      subnetPermissions: [
        {
          resourceGroupId: rgId("RG-NET"),
          permissions: [
            { actions: ["Microsoft.Network/*"], notActions: [DELETE] },
            { actions: ["microsoft.network/virtualnetworks/subnets/*"], notActions: [] },
          ],
        },
      ],
    });
    expect(entry(planResources(both, options()), "vnet1").action).toBe("refreshSubnet");
  });

  it("judges each VNet by its own group, and names the role generically when the app was not told its name", () => {
    const d = discovery({
      vnets: [aseVnet("vnet-ok", "rg-net"), aseVnet("vnet-no", "rg-other")],
      subnetPermissions: [granted("rg-net", ["*"]), granted("rg-other", ["*/read"])],
    });
    const entries = planResources(d, options());
    expect(entry(entries, "vnet-ok").action).toBe("refreshSubnet");
    const no = entry(entries, "vnet-no");
    expect(no.skipReason).toBe("noSubnetPermission");
    expect(no.grantCommand).toBe(
      `az role assignment create --assignee ${SUBNET_ASSIGNEE_PLACEHOLDER} --role "${SUBNET_ROLE_NAME_PATTERN}" --scope ${rgId("rg-other")}`,
    );
  });

  it("a group whose permissions could not be read is not written: skipped, saying so", () => {
    const d = discovery({
      vnets: [aseVnet("vnet1")],
      subnetPermissions: [
        { resourceGroupId: rgId("rg-net"), permissions: [], unreadable: "AuthorizationFailed: refused" },
      ],
    });
    const e = entry(planResources(d, options()), "vnet1");
    expect(e.skipReason).toBe("noSubnetPermission");
    expect(e.skipMessage).toContain("could not be checked");
  });

  it("the temporary subnet carries the delegated subnet's NSG: the join is checked at the NSG's group, and its command names that group", () => {
    const nsg = `${rgId("rg-sec")}/providers/Microsoft.Network/networkSecurityGroups/nsg-ase`;
    const withNsg = vnet(
      "vnet1",
      ["10.0.0.0/16"],
      [subnet("ase", "10.0.0.0/24", { delegations: ASE, networkSecurityGroupId: nsg })],
    );
    expect(groupsToCheck([withNsg])).toEqual([rgId("rg-net"), rgId("rg-sec")]);
    const d = discovery({
      vnets: [withNsg],
      subnetPermissions: [granted("rg-net", [WRITE, DELETE]), granted("rg-sec", ["*/read"])],
      subnetGrant: GRANT,
    });
    const e = entry(planResources(d, options()), "vnet1");
    expect(e.skipReason).toBe("noSubnetPermission");
    expect(e.skipMessage).toContain(
      `lacks Microsoft.Network/networkSecurityGroups/join/action at resource group ${rgId("rg-sec")}`,
    );
    expect(e.grantCommand).toBe(
      `az role assignment create --assignee ${GRANT.assignee} --role "${GRANT.roleName}" --scope ${rgId("rg-sec")}`,
    );
    const joined = discovery({
      vnets: [withNsg],
      subnetPermissions: [
        granted("rg-net", [WRITE, DELETE]),
        granted("rg-sec", ["Microsoft.Network/networkSecurityGroups/join/action"]),
      ],
    });
    expect(entry(planResources(joined, options()), "vnet1").action).toBe("refreshSubnet");
  });

  it("an NSG in the VNet's own group: one group, one command, naming every missing action", () => {
    const nsg = `${rgId("rg-net")}/providers/Microsoft.Network/networkSecurityGroups/nsg-ase`;
    const withNsg = vnet(
      "vnet1",
      ["10.0.0.0/16"],
      [subnet("ase", "10.0.0.0/24", { delegations: ASE, networkSecurityGroupId: nsg })],
    );
    const d = discovery({ vnets: [withNsg], subnetPermissions: [granted("rg-net", [WRITE])] });
    const e = entry(planResources(d, options()), "vnet1");
    expect(e.skipMessage).toContain(
      `lacks ${DELETE} and Microsoft.Network/networkSecurityGroups/join/action at resource group ${rgId("rg-net")}`,
    );
    expect(e.grantCommand?.match(/az role assignment create/g)).toHaveLength(1);
  });

  it("a discovery that did not read permissions plans as before (no check)", () => {
    expect(entry(planResources(discovery({ vnets: [aseVnet("vnet1")] }), options()), "vnet1").action).toBe(
      "refreshSubnet",
    );
  });

  it("other skip reasons come first: a VNet without a delegated subnet is noDelegatedSubnet, whatever the permissions", () => {
    const plain = vnet("plain", ["10.1.0.0/16"], [subnet("s", "10.1.0.0/24")]);
    const d = discovery({ vnets: [plain], subnetPermissions: [] });
    expect(entry(planResources(d, options()), "plain").skipReason).toBe("noDelegatedSubnet");
  });
});

describe("reading the permissions", () => {
  it("reads once per resource group holding a delegated-subnet VNet, and a refusal marks the group unreadable", async () => {
    const vnets = [
      aseVnet("a", "rg-net"),
      aseVnet("b", "RG-NET"),
      aseVnet("c", "rg-x"),
      vnet("plain", ["10.1.0.0/16"], [subnet("s", "10.1.0.0/24")], { resourceGroup: "rg-plain" }),
    ];
    expect(groupsToCheck(vnets)).toEqual([rgId("rg-net"), rgId("rg-x")]);
    const asked: string[] = [];
    const arm = {
      listResourceGroupPermissions: (_sub: string, rg: string): Promise<GroupPermissions["permissions"]> => {
        asked.push(rg);
        if (rg === "rg-x")
          return Promise.reject(
            new AzureOperationError("listPermissions", "no", {
              code: "AuthorizationFailed",
              statusCode: 403,
              retryable: false,
            }),
          );
        return Promise.resolve([{ actions: ["*"], notActions: [] }]);
      },
    };
    const read = await readSubnetPermissions(arm, "sub", vnets);
    expect(asked).toEqual(["rg-net", "rg-x"]);
    expect(read.map((g) => [g.resourceGroupId, g.unreadable === undefined])).toEqual([
      [rgId("rg-net"), true],
      [rgId("rg-x"), false],
    ]);
  });

  it("throttling fails the read rather than being taken as no permission", async () => {
    const arm = {
      listResourceGroupPermissions: (): Promise<GroupPermissions["permissions"]> =>
        Promise.reject(
          new AzureOperationError("listPermissions", "slow down", {
            code: "TooManyRequests",
            statusCode: 429,
            retryable: true,
          }),
        ),
    };
    await expect(readSubnetPermissions(arm, "sub", [aseVnet("a")])).rejects.toThrow("slow down");
  });

  it("matches wildcards case-insensitively and only whole actions", () => {
    expect(allows([{ actions: ["Microsoft.Network/virtualNetworks/*"], notActions: [] }], WRITE)).toBe(true);
    expect(allows([{ actions: ["Microsoft.Network/virtualNetworks/subnets/writ"], notActions: [] }], WRITE)).toBe(
      false,
    );
    expect(allows([], WRITE)).toBe(false);
  });
});
