/**
 * The gateway's management-group listing (ManagementGroups_GetDescendants through @azure/arm-managementgroups)
 * against the simulator serving an estate over HTTPS, and against a scripted endpoint for what the simulator never
 * answers (a nextLink elsewhere, a subscription twice).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config";
import { isAzureOperationError } from "../../src/errors";
import { azureFailure } from "../support/rejections";
import { createArmGateway } from "../../src/azure/clients";
import type { ArmGateway } from "../../src/azure/gateway";
import {
  DESCENDANTS_PAGE_SIZE,
  generateEstate,
  startSimulator,
  type EstateScenario,
  type SimulatorHandle,
} from "../../src/simulator";
import { ESTATE_GROUPS } from "../../src/simulator/fleet";
import { FAST_RETRY, gatewayFor, startFakeArm, type FakeArm } from "./fakeArm";

describe("listManagementGroupSubscriptions against the simulator", () => {
  let sim: SimulatorHandle;
  let gateway: ArmGateway;
  let estate: EstateScenario;
  beforeAll(async () => {
    estate = generateEstate({ subscriptions: 30, vmsPerSubscription: 1, seed: 11 });
    estate = {
      ...estate,
      behaviour: {
        ...estate.behaviour,
        tenantThrottling: { ...estate.behaviour.tenantThrottling, reads: { capacity: 6, refillPerSecond: 0.001 } },
      },
    };
    sim = await startSimulator({ scenario: estate, clock: { now: () => t }, seed: 2 });
    gateway = createArmGateway(parseConfig({ PORT25_ARM_ENDPOINT: sim.endpoint, PORT25_ARM_STATIC_TOKEN: sim.token }), {
      caPem: sim.caPem,
      retry: FAST_RETRY,
    });
  });
  afterAll(() => sim.close());
  // Simulated time: two hours between tests refill the tenant's small read budget (0.001 a second, 6 at most).
  let t = Date.parse("2026-03-03T08:00:00Z");
  beforeEach(() => {
    t += 7_200_000;
  });

  const descendantsRequests = (): { status: number; apiVersion: string | undefined }[] =>
    sim
      .requestLog()
      .filter((e) => e.operation === "listManagementGroupDescendants")
      .map((e) => ({ status: e.status, apiVersion: e.apiVersion }));

  it("follows every page and returns each subscription at any depth once, with its name and direct parent", async () => {
    const before = descendantsRequests().length;
    const subs = await gateway.listManagementGroupSubscriptions(ESTATE_GROUPS.root);
    const expected = estate.subscriptions.map((s) => ({
      subscriptionId: s.subscription.id.toLowerCase(),
      displayName: s.subscription.name,
      parentManagementGroupId: s.managementGroup,
    }));
    expect([...subs].sort((a, b) => a.subscriptionId.localeCompare(b.subscriptionId))).toEqual(
      expected.sort((a, b) => a.subscriptionId.localeCompare(b.subscriptionId)),
    );
    // 2 child groups + 30 subscriptions = 32 descendants: two pages.
    expect(Math.ceil(32 / DESCENDANTS_PAGE_SIZE)).toBe(2);
    expect(descendantsRequests().slice(before)).toEqual([
      { status: 200, apiVersion: "2021-04-01" },
      { status: 200, apiVersion: "2021-04-01" },
    ]);
  });

  it("lists a nested group's subscriptions only", async () => {
    const subs = await gateway.listManagementGroupSubscriptions(ESTATE_GROUPS.production);
    const production = estate.subscriptions
      .filter((s) => s.managementGroup === ESTATE_GROUPS.production)
      .map((s) => s.subscription.id.toLowerCase());
    expect(production).toHaveLength(1);
    expect(subs.map((s) => s.subscriptionId)).toEqual(production);
    expect(subs[0]?.parentManagementGroupId).toBe(ESTATE_GROUPS.production);
  });

  it("maps an unknown group to a non-retryable AuthorizationFailed naming the scope", async () => {
    const e = await azureFailure(gateway.listManagementGroupSubscriptions("mg-nowhere"));
    expect(e).toMatchObject({
      operation: "listManagementGroupSubscriptions",
      code: "AuthorizationFailed",
      statusCode: 403,
      retryable: false,
    });
    expect(e.message).toContain("/providers/Microsoft.Management/managementGroups/mg-nowhere");
  });

  it("surfaces the tenant's throttling as retryable with ARM's Retry-After", async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 4 }, () => gateway.listManagementGroupSubscriptions(ESTATE_GROUPS.root)),
    );
    const throttled = results.flatMap((r) =>
      r.status === "rejected" && isAzureOperationError(r.reason) ? [r.reason] : [],
    );
    expect(throttled.length).toBeGreaterThan(0);
    expect(throttled[0]).toMatchObject({ statusCode: 429, code: "TenantRequestsThrottled", retryable: true });
    expect(throttled[0]?.retryAfterSeconds).toBeGreaterThan(0);
  });
});

describe("listManagementGroupSubscriptions against a scripted endpoint", () => {
  let fake: FakeArm;
  beforeAll(async () => {
    fake = await startFakeArm(() => ({ status: 404 }));
  });
  afterAll(() => fake.close());

  const group = (name: string, parent: string): unknown => ({
    id: `/providers/Microsoft.Management/managementGroups/${name}`,
    type: "Microsoft.Management/managementGroups",
    name,
    properties: {
      displayName: name.toUpperCase(),
      parent: { id: `/providers/Microsoft.Management/managementGroups/${parent}` },
    },
  });
  const subscription = (id: string, parent: string): unknown => ({
    id: `/subscriptions/${id}`,
    type: "Microsoft.Management/managementGroups/subscriptions",
    name: id,
    properties: {
      displayName: `Sub ${id.slice(0, 4)}`,
      parent: { id: `/providers/Microsoft.Management/managementGroups/${parent}` },
    },
  });
  const S1 = "11111111-0000-4000-8000-000000000001";
  const S2 = "22222222-0000-4000-8000-000000000002";

  it("skips groups and keeps a subscription listed twice once", async () => {
    fake.setHandler((req) =>
      req.query["$skiptoken"] !== undefined
        ? { status: 200, body: { value: [subscription(S2, "child"), subscription(S1, "root")] } }
        : {
            status: 200,
            body: {
              value: [group("child", "root"), subscription(S1, "root")],
              nextLink: `${fake.endpoint}/providers/Microsoft.Management/managementGroups/root/descendants?api-version=2021-04-01&$skiptoken=Mg`,
            },
          },
    );
    const { gateway } = gatewayFor(fake);
    await expect(gateway.listManagementGroupSubscriptions("root")).resolves.toEqual([
      { subscriptionId: S1, displayName: "Sub 1111", parentManagementGroupId: "root" },
      { subscriptionId: S2, displayName: "Sub 2222", parentManagementGroupId: "child" },
    ]);
  });

  it("refuses to follow a nextLink off ARM's endpoint", async () => {
    fake.requests.length = 0;
    fake.setHandler(() => ({
      status: 200,
      body: {
        value: [subscription(S1, "root")],
        nextLink:
          "https://attacker.example/providers/Microsoft.Management/managementGroups/root/descendants?$skiptoken=x",
      },
    }));
    const { gateway } = gatewayFor(fake);
    const e = await azureFailure(gateway.listManagementGroupSubscriptions("root"));
    expect(e.operation).toBe("listManagementGroupSubscriptions");
    expect(e.message).toContain("not on the ARM endpoint");
    expect(fake.requests).toHaveLength(1);
  });

  it("reports a malformed descendant as an unexpected response", async () => {
    fake.setHandler(() => ({ status: 200, body: { value: [{ name: "x" }] } }));
    const { gateway } = gatewayFor(fake);
    const e = await azureFailure(gateway.listManagementGroupSubscriptions("root"));
    expect(e).toMatchObject({ code: "UnexpectedResponse", retryable: false });
  });
});
