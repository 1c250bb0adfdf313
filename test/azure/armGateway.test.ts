/** The gateway against a scripted HTTPS endpoint: retry policy, wire shape, handles, status and body mapping. */
import type { GetTokenOptions } from "@azure/core-auth";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config";
import { azureFailure } from "../support/rejections";
import { ArmClients, armScopeFor, createArmConnection } from "../../src/azure/clients";
import { ArmGatewayImpl } from "../../src/azure/armGateway";
import { NETWORK_API_VERSION } from "../../src/azure/arm/network";
import { connectivityVerdict } from "../../src/azure/arm/networkWatcher";
import { toArmFailure } from "../../activities/armFailure";
import { armError, gatewayFor, startFakeArm, SUB, type FakeArm, type FakeReply, type RecordedRequest } from "./fakeArm";

const RG = `/subscriptions/${SUB}/resourceGroups/rg1`;
const VM1 = `${RG}/providers/Microsoft.Compute/virtualMachines/vm1`;
const VNET = `${RG}/providers/Microsoft.Network/virtualNetworks/vnet1`;
const WATCHER = {
  id: `/subscriptions/${SUB}/resourceGroups/NetworkWatcherRG/providers/Microsoft.Network/networkWatchers/nw-eastus`,
  name: "nw-eastus",
  resourceGroup: "NetworkWatcherRG",
  location: "eastus",
};

let fake: FakeArm;
beforeAll(async () => {
  fake = await startFakeArm(() => ({ status: 404 }));
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.requests.length = 0;
});

const emptyList: FakeReply = { status: 200, body: { value: [] } };

describe("retries", () => {
  it("surfaces a 429 at once, retryable with ARM's Retry-After, instead of sleeping in the SDK", async () => {
    fake.setHandler(() => armError(429, "TooManyRequests", "throttled", { "retry-after": "1" }));
    const { gateway } = gatewayFor(fake);
    const e = await azureFailure(gateway.listVnets(SUB));
    expect(e).toMatchObject({ code: "TooManyRequests", statusCode: 429, retryable: true, retryAfterSeconds: 1 });
    expect(fake.requests).toHaveLength(1);
  });

  it("surfaces a 503 that carries Retry-After without retrying it in the SDK", async () => {
    fake.setHandler(() => armError(503, "ServiceUnavailable", "later", { "retry-after": "30" }));
    const { gateway } = gatewayFor(fake);
    const e = await azureFailure(gateway.listNetworkWatchers(SUB));
    expect(e).toMatchObject({ statusCode: 503, retryable: true, retryAfterSeconds: 30 });
    expect(fake.requests).toHaveLength(1);
  });

  it("retries transient 5xx in the SDK and succeeds", async () => {
    let n = 0;
    fake.setHandler(() => (++n <= 2 ? armError(500, "InternalServerError") : emptyList));
    const { gateway } = gatewayFor(fake);
    await expect(gateway.listVnets(SUB)).resolves.toEqual([]);
    expect(fake.requests).toHaveLength(3);
  });

  it("gives up after maxRetries and reports the last status", async () => {
    fake.setHandler(() => armError(502, "BadGateway"));
    const { gateway } = gatewayFor(fake, { maxRetries: 1, retryDelayInMs: 1, maxRetryDelayInMs: 1 });
    const e = await azureFailure(gateway.listVnets(SUB));
    expect(e).toMatchObject({ statusCode: 502, retryable: true });
    expect(fake.requests).toHaveLength(2);
  });

  it("surfaces a 409 with ARM's code and no retry", async () => {
    fake.setHandler(() => armError(409, "OperationNotAllowed", "conflict"));
    const { gateway } = gatewayFor(fake);
    const e = await azureFailure(gateway.beginVmPowerOperation(VM1, "start"));
    expect(e).toMatchObject({ code: "OperationNotAllowed", statusCode: 409, retryable: true, operation: "startVm" });
    expect(fake.requests).toHaveLength(1);
  });

  it("surfaces a quota refusal (409 OperationNotAllowed) as final", async () => {
    fake.setHandler(() =>
      armError(
        409,
        "OperationNotAllowed",
        "Operation could not be completed as it results in exceeding approved standardDSv3Family Cores quota.",
      ),
    );
    const { gateway } = gatewayFor(fake);
    const e = await azureFailure(gateway.beginVmPowerOperation(VM1, "start"));
    expect(e).toMatchObject({ code: "OperationNotAllowed", statusCode: 409, retryable: false });
    expect(toArmFailure(e)).toMatchObject({ status: "failed", code: "OperationNotAllowed" });
  });
});

describe("credential and endpoint", () => {
  it("derives the token scope from the ARM origin", () => {
    expect(armScopeFor("https://management.azure.com")).toBe("https://management.azure.com/.default");
    expect(armScopeFor("https://management.usgovcloudapi.net/")).toBe("https://management.usgovcloudapi.net/.default");
  });

  it("asks every client for a token of the endpoint's scope and sends it as a bearer token", async () => {
    const scopes = new Set<string>();
    const credential = {
      getToken: (s: string | string[], _o?: GetTokenOptions) => {
        for (const x of [s].flat()) scopes.add(x);
        return Promise.resolve({ token: "spy-token", expiresOnTimestamp: Date.now() + 3_600_000 });
      },
    };
    fake.setHandler((req) => (req.path.endsWith("/default") ? { status: 200, body: { properties: {} } } : emptyList));
    const config = parseConfig({ PORT25_ARM_ENDPOINT: fake.endpoint });
    const gateway = new ArmGatewayImpl(new ArmClients(createArmConnection(config, { caPem: fake.caPem, credential })));
    await gateway.listVnets(SUB);
    await gateway.listVms(SUB);
    await gateway.listResourceGroups(SUB);
    await gateway.getBillingProperty(SUB);
    expect([...scopes]).toEqual([`${fake.endpoint}/.default`]);
    expect(fake.requests.every((r) => r.headers.authorization === "Bearer spy-token")).toBe(true);
  });

  it("refuses a self-signed endpoint when the CA is not configured", async () => {
    const config = parseConfig({ PORT25_ARM_ENDPOINT: fake.endpoint, PORT25_ARM_STATIC_TOKEN: "t" });
    const gateway = new ArmGatewayImpl(new ArmClients(createArmConnection(config, { retry: { maxRetries: 0 } })));
    const e = await azureFailure(gateway.listVnets(SUB));
    expect(e.code).toMatch(/SELF_SIGNED|CERT/);
    expect(fake.requests).toHaveLength(0);
  });
});

describe("long-running operations", () => {
  it("sends only the initial power request and returns ARM's polling URLs", async () => {
    fake.setHandler((req, base) =>
      req.method === "POST"
        ? {
            status: 202,
            headers: {
              "azure-asyncoperation": `${base}/op/1?api-version=x`,
              location: `${base}/loc/1?api-version=x`,
              "retry-after": "10",
            },
          }
        : { status: 500 },
    );
    const { gateway } = gatewayFor(fake);
    const handle = await gateway.beginVmPowerOperation(VM1, "deallocate");
    expect(handle).toEqual({
      asyncOperationUrl: `${fake.endpoint}/op/1?api-version=x`,
      locationUrl: `${fake.endpoint}/loc/1?api-version=x`,
      retryAfterSeconds: 10,
      completed: false,
    });
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`POST ${VM1}/deallocate`]);
  });

  it("names the scale-set instances in the power request body", async () => {
    fake.setHandler((_req, base) => ({ status: 202, headers: { "azure-asyncoperation": `${base}/op/2` } }));
    const { gateway } = gatewayFor(fake);
    const ss = `${RG}/providers/Microsoft.Compute/virtualMachineScaleSets/ss1`;
    await gateway.beginScaleSetPowerOperation(ss, "powerOff", ["0", "3"]);
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]?.path).toBe(`${ss}/poweroff`);
    expect(JSON.parse(fake.requests[0]?.body ?? "")).toEqual({ instanceIds: ["0", "3"] });
  });

  it("refuses a scale-set power operation without instance ids (ARM would hit every instance)", async () => {
    const { gateway } = gatewayFor(fake);
    const e = await azureFailure(
      gateway.beginScaleSetPowerOperation(
        `${RG}/providers/Microsoft.Compute/virtualMachineScaleSets/ss1`,
        "deallocate",
        [],
      ),
    );
    expect(e.code).toBe("InvalidRequest");
    expect(fake.requests).toHaveLength(0);
  });

  it("reports a synchronous 200 as completed", async () => {
    fake.setHandler(() => ({ status: 200, body: {} }));
    const { gateway } = gatewayFor(fake);
    const handle = await gateway.beginVmPowerOperation(VM1, "start");
    expect(handle.completed).toBe(true);
    await expect(gateway.getOperationStatus(handle)).resolves.toEqual({ status: "Succeeded" });
    expect(fake.requests).toHaveLength(1);
  });

  it.each([
    [{ status: "InProgress" }, { status: "InProgress", retryAfterSeconds: 5 }],
    [{ status: "Succeeded" }, { status: "Succeeded" }],
    [
      { status: "Failed", error: { code: "AllocationFailed", message: "no capacity" } },
      { status: "Failed", error: { code: "AllocationFailed", message: "no capacity" } },
    ],
    [
      { status: "Canceled" },
      { status: "Canceled", error: { code: "OperationCanceled", message: "The operation ended Canceled." } },
    ],
  ])("maps async-operation body %j", async (body, expected) => {
    fake.setHandler(() => ({ status: 200, headers: { "retry-after": "5" }, body }));
    const { gateway } = gatewayFor(fake);
    const status = await gateway.getOperationStatus({ asyncOperationUrl: `${fake.endpoint}/op/9`, completed: false });
    expect(status).toEqual(expected);
  });

  it("reads Location-only operations by status code", async () => {
    const { gateway } = gatewayFor(fake);
    fake.setHandler(() => ({ status: 202 }));
    await expect(
      gateway.getOperationStatus({ locationUrl: `${fake.endpoint}/loc/1`, completed: false }),
    ).resolves.toEqual({ status: "InProgress" });
    fake.setHandler(() => ({ status: 204 }));
    await expect(
      gateway.getOperationStatus({ locationUrl: `${fake.endpoint}/loc/1`, completed: false }),
    ).resolves.toEqual({ status: "Succeeded" });
    fake.setHandler(() => armError(400, "InUseSubnetCannotBeDeleted", "in use"));
    await expect(
      gateway.getOperationStatus({ locationUrl: `${fake.endpoint}/loc/1`, completed: false }),
    ).resolves.toEqual({
      status: "Failed",
      error: { code: "InUseSubnetCannotBeDeleted", message: "in use" },
    });
    // The operation's own failure, after the pipeline's retries: a verdict, not a transient poll error.
    fake.setHandler(() => armError(500, "InternalExecutionError", "failed"));
    await expect(
      gateway.getOperationStatus({ locationUrl: `${fake.endpoint}/loc/1`, completed: false }),
    ).resolves.toMatchObject({ status: "Failed", error: { code: "InternalExecutionError" } });
    fake.setHandler(() => armError(409, "AnotherOperationInProgress", "busy"));
    await expect(
      gateway.getOperationStatus({ locationUrl: `${fake.endpoint}/loc/1`, completed: false }),
    ).resolves.toEqual({
      status: "Failed",
      error: { code: "AnotherOperationInProgress", message: "busy", retryable: true },
    });
  });

  it("flags an async operation that ended Failed with AnotherOperationInProgress as retryable", async () => {
    fake.setHandler(() => ({
      status: 200,
      body: {
        status: "Failed",
        error: {
          code: "AnotherOperationInProgress",
          message: "Another operation on this or dependent resource is in progress.",
        },
      },
    }));
    const { gateway } = gatewayFor(fake);
    await expect(
      gateway.getOperationStatus({ asyncOperationUrl: `${fake.endpoint}/op/1`, completed: false }),
    ).resolves.toEqual({
      status: "Failed",
      error: {
        code: "AnotherOperationInProgress",
        message: "Another operation on this or dependent resource is in progress.",
        retryable: true,
      },
    });
  });

  it("polls a subnet DELETE whose Location is the subnet itself: 200 Deleting = running, 404 = done, back to Succeeded = not applied", async () => {
    const subnetUrl = `${VNET}/subnets/port25-tmp`;
    fake.setHandler((req, base) =>
      req.method === "DELETE"
        ? { status: 202, headers: { location: `${base}${subnetUrl}?api-version=${NETWORK_API_VERSION}` } }
        : { status: 500 },
    );
    const { gateway } = gatewayFor(fake);
    const handle = await gateway.beginDeleteSubnet(VNET, "port25-tmp");
    expect(handle).toMatchObject({ locationIsResource: true, completed: false });
    fake.setHandler(() => ({
      status: 200,
      body: { name: "port25-tmp", properties: { provisioningState: "Deleting" } },
    }));
    await expect(gateway.getOperationStatus(handle)).resolves.toEqual({ status: "InProgress" });
    fake.setHandler(() => armError(404, "NotFound", "gone"));
    await expect(gateway.getOperationStatus(handle)).resolves.toEqual({ status: "Succeeded" });
    fake.setHandler(() => ({
      status: 200,
      body: { name: "port25-tmp", properties: { provisioningState: "Succeeded" } },
    }));
    await expect(gateway.getOperationStatus(handle)).resolves.toMatchObject({
      status: "Failed",
      error: { code: "DeleteNotApplied", retryable: true },
    });
  });

  it("takes a subnet DELETE's operationResults Location as an operation, not as the subnet", async () => {
    fake.setHandler((req, base) =>
      req.method === "DELETE"
        ? {
            status: 202,
            headers: {
              location: `${base}/subscriptions/${SUB}/providers/Microsoft.Network/locations/eastus/operationResults/1`,
            },
          }
        : { status: 500 },
    );
    const { gateway } = gatewayFor(fake);
    const handle = await gateway.beginDeleteSubnet(VNET, "port25-tmp");
    expect(handle.locationIsResource).toBeUndefined();
  });

  it("throws a throttled status poll as retryable rather than calling the operation failed", async () => {
    fake.setHandler(() => armError(429, "TooManyRequests", "slow", { "retry-after": "3" }));
    const { gateway } = gatewayFor(fake);
    const e = await azureFailure(
      gateway.getOperationStatus({ asyncOperationUrl: `${fake.endpoint}/op/1`, completed: false }),
    );
    expect(e).toMatchObject({ retryable: true, retryAfterSeconds: 3 });
  });

  it("never sends the token to a polling URL off the ARM endpoint", async () => {
    const { gateway } = gatewayFor(fake);
    const e = await azureFailure(
      gateway.getOperationStatus({ asyncOperationUrl: "https://evil.example/op/1", completed: false }),
    );
    expect(e.code).toBe("InvalidOperationHandle");
    expect(fake.requests).toHaveLength(0);
  });

  it("reads the VM listing one page at a time, from its nextLink, and follows no nextLink off the ARM endpoint", async () => {
    const vm = (name: string) => ({
      id: `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/${name}`,
      name,
      location: "eastus",
    });
    fake.setHandler((req, base) =>
      req.query["$skiptoken"] !== undefined
        ? { status: 200, body: { value: [vm("b")] } }
        : {
            status: 200,
            body: {
              value: [vm("a")],
              nextLink: `${base}/subscriptions/${SUB}/providers/Microsoft.Compute/virtualMachines?api-version=2024-07-01&$skiptoken=p2`,
            },
          },
    );
    const { gateway } = gatewayFor(fake);
    const first = await gateway.listVmModelPage(SUB);
    expect(first.items.map((v) => v.name)).toEqual(["a"]);
    expect(fake.requests).toHaveLength(1);
    const second = await gateway.listVmModelPage(SUB, first.nextLink);
    expect(second).toMatchObject({ items: [{ name: "b", powerState: "unknown" }] });
    expect(second.nextLink).toBeUndefined();
    expect(fake.requests).toHaveLength(2);
    const e = await azureFailure(
      gateway.listVmStatusPage(
        SUB,
        "https://evil.example/subscriptions/x/providers/Microsoft.Compute/virtualMachines?$skiptoken=p2",
      ),
    );
    expect(e.code).toBe("InvalidOperationHandle");
    expect(fake.requests).toHaveLength(2);
  });
});

describe("network requests go out exactly as @azure/arm-network sends them", () => {
  function firstRequest(): RecordedRequest {
    const r = fake.requests[0];
    if (r === undefined) throw new Error("no request recorded");
    return r;
  }
  const lroReply = (req: RecordedRequest, base: string): FakeReply =>
    req.method === "GET"
      ? { status: 200, body: { status: "Succeeded" } }
      : {
          status: req.method === "PUT" ? 201 : 202,
          headers: { "azure-asyncoperation": `${base}/op/net`, location: `${base}/loc/net` },
          body: {},
        };
  const shape = (r: RecordedRequest) => ({
    method: r.method,
    path: r.path,
    query: r.query,
    body: r.body === "" ? undefined : (JSON.parse(r.body) as unknown),
    contentType: r.headers["content-type"],
  });

  it("subnet PUT", async () => {
    fake.setHandler(lroReply);
    const { gateway, clients } = gatewayFor(fake);
    await clients
      .network(SUB)
      .subnets.beginCreateOrUpdate("rg1", "vnet1", "port25-tmp", { addressPrefix: "10.0.9.0/29" });
    const sdk = shape(firstRequest());
    fake.requests.length = 0;
    const handle = await gateway.beginCreateSubnet(VNET, "port25-tmp", "10.0.9.0/29");
    expect(shape(firstRequest())).toEqual(sdk);
    expect(sdk.query["api-version"]).toBe(NETWORK_API_VERSION);
    expect(handle).toMatchObject({ asyncOperationUrl: `${fake.endpoint}/op/net`, completed: false });
    expect(fake.requests).toHaveLength(1);
  });

  it("subnet DELETE", async () => {
    fake.setHandler(lroReply);
    const { gateway, clients } = gatewayFor(fake);
    await clients.network(SUB).subnets.beginDelete("rg1", "vnet1", "port25-tmp");
    const sdk = shape(firstRequest());
    fake.requests.length = 0;
    await gateway.beginDeleteSubnet(VNET, "port25-tmp");
    expect(shape(firstRequest())).toEqual(sdk);
  });

  it("connectivity check POST", async () => {
    fake.setHandler(lroReply);
    const { gateway, clients } = gatewayFor(fake);
    await clients.network(SUB).networkWatchers.beginCheckConnectivity("NetworkWatcherRG", "nw-eastus", {
      source: { resourceId: VM1 },
      destination: { address: "smtp.example.com", port: 25 },
      protocol: "Tcp",
    });
    const sdk = shape(firstRequest());
    fake.requests.length = 0;
    const started = await gateway.beginConnectivityCheck(WATCHER, VM1, "smtp.example.com", 25);
    expect(shape(firstRequest())).toEqual(sdk);
    expect(started.status === "started" ? started.handle.locationUrl : undefined).toBe(`${fake.endpoint}/loc/net`);
  });
});

describe("reads", () => {
  it("joins the model list with the statusOnly list into VMs with power states and timeCreated, leaving the agent unread", async () => {
    const vm = (name: string, extra: Record<string, unknown> = {}, props: Record<string, unknown> = {}) => ({
      id: `${RG}/providers/Microsoft.Compute/virtualMachines/${name}`,
      name,
      location: "eastus",
      ...extra,
      properties: { provisioningState: "Succeeded", hardwareProfile: { vmSize: "Standard_B2s" }, ...props },
    });
    // As ARM answers: only the provisioning state has a time; extensions listed by id only.
    const status = (name: string, power: string) => ({
      id: `${RG.toUpperCase()}/providers/Microsoft.Compute/virtualMachines/${name}`,
      name,
      properties: {
        instanceView: {
          statuses: [
            { code: "ProvisioningState/succeeded", time: "2026-02-01T10:00:00Z" },
            { code: `PowerState/${power}` },
          ],
        },
      },
    });
    fake.setHandler((req) => {
      if (req.query.statusOnly === "true")
        return { status: 200, body: { value: [status("vm1", "running"), status("vm2", "deallocated")] } };
      // vm3 came without a power state: its own instance view is read, and has none either.
      if (req.path.toLowerCase().endsWith("/vm3/instanceview"))
        return { status: 200, body: { statuses: [{ code: "ProvisioningState/succeeded" }] } };
      return {
        status: 200,
        body: {
          value: [
            vm(
              "vm1",
              {
                zones: ["2"],
                tags: { env: "dev" },
                resources: [
                  {
                    id: `${RG}/providers/Microsoft.Compute/virtualMachines/vm1/extensions/AzureNetworkWatcherExtension`,
                  },
                ],
              },
              {
                availabilitySet: { id: `${RG}/providers/Microsoft.Compute/availabilitySets/as1` },
                priority: "Spot",
                timeCreated: "2025-11-01T10:00:00Z",
              },
            ),
            vm(
              "vm2",
              {},
              {
                storageProfile: { osDisk: { diffDiskSettings: { option: "Local", placement: "CacheDisk" } } },
                virtualMachineScaleSet: { id: `${RG}/providers/Microsoft.Compute/virtualMachineScaleSets/flex1` },
              },
            ),
            vm("vm3"),
          ],
        },
      };
    });
    const { gateway } = gatewayFor(fake);
    const vms = await gateway.listVms(SUB);
    expect(vms).toEqual([
      {
        id: `${RG}/providers/Microsoft.Compute/virtualMachines/vm1`,
        name: "vm1",
        resourceGroup: "rg1",
        location: "eastus",
        size: "Standard_B2s",
        powerState: "running",
        provisioningState: "Succeeded",
        ephemeralOsDisk: false,
        availabilitySetId: `${RG}/providers/Microsoft.Compute/availabilitySets/as1`,
        zone: "2",
        tags: { env: "dev" },
        priority: "Spot",
        timeCreated: "2025-11-01T10:00:00.000Z",
      },
      expect.objectContaining({
        name: "vm2",
        powerState: "deallocated",
        ephemeralOsDisk: true,
        flexScaleSetId: `${RG}/providers/Microsoft.Compute/virtualMachineScaleSets/flex1`,
        priority: "Regular",
      }),
      expect.objectContaining({ name: "vm3", powerState: "unknown" }),
    ]);
    expect(vms.map((v) => v.networkWatcherAgent)).toEqual([undefined, undefined, undefined]);
    expect(fake.requests.map((r) => r.query.statusOnly ?? "none").sort()).toEqual(["none", "none", "true"]);
    expect(fake.requests.filter((r) => /\/instanceview$/i.test(r.path)).map((r) => r.path)).toEqual([
      `${RG}/providers/Microsoft.Compute/virtualMachines/vm3/instanceView`,
    ]);
  });

  it("reads a VM the statusOnly listing gave no power state on its own, as Learn recommends", async () => {
    const status = (name: string, codes: string[]): object => ({
      name,
      id: `${RG}/providers/Microsoft.Compute/virtualMachines/${name}`,
      properties: { instanceView: { statuses: codes.map((code) => ({ code })) } },
    });
    fake.setHandler((req) => {
      if (req.query.statusOnly === "true")
        return {
          status: 200,
          body: {
            value: [
              status("vm1", ["ProvisioningState/succeeded", "PowerState/running"]),
              status("vm2", ["ProvisioningState/succeeded"]),
            ],
          },
        };
      if (req.path.toLowerCase().endsWith("/vm2/instanceview"))
        return {
          status: 200,
          body: { statuses: [{ code: "ProvisioningState/succeeded" }, { code: "PowerState/stopped" }] },
        };
      return { status: 404, body: { error: { code: "ResourceNotFound", message: "not here" } } };
    });
    const { gateway } = gatewayFor(fake);
    const page = await gateway.listVmStatusPage(SUB);
    expect(page.items.map((i) => [i.id.split("/").pop(), i.powerState])).toEqual([
      ["vm1", "running"],
      ["vm2", "stopped"],
    ]);
    // Asked for the ids only (the run's closing listing), the page leaves that VM unknown and reads nothing more.
    const before = fake.requests.length;
    const idsOnly = await gateway.listVmStatusPage(SUB, undefined, false);
    expect(idsOnly.items.map((i) => [i.id.split("/").pop(), i.powerState])).toEqual([
      ["vm1", "running"],
      ["vm2", "unknown"],
    ]);
    expect(fake.requests.slice(before).filter((r) => /\/instanceview$/i.test(r.path))).toEqual([]);
  });

  it("fails the status page when a VM it re-reads is throttled, rather than leave that VM unknown", async () => {
    fake.setHandler((req) => {
      if (req.query.statusOnly === "true")
        return {
          status: 200,
          body: {
            value: [
              {
                name: "vm2",
                id: `${RG}/providers/Microsoft.Compute/virtualMachines/vm2`,
                properties: { instanceView: { statuses: [{ code: "ProvisioningState/succeeded" }] } },
              },
            ],
          },
        };
      return armError(429, "TooManyRequests", "throttled", { "retry-after": "7" });
    });
    const { gateway } = gatewayFor(fake);
    const e: unknown = await gateway.listVmStatusPage(SUB).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e).toMatchObject({ statusCode: 429, retryable: true, retryAfterSeconds: 7 });
  });

  it("reads who changed a scale set from the Activity Log, as for a VM", async () => {
    const ssId = `${RG}/providers/Microsoft.Compute/virtualMachineScaleSets/ss1`;
    fake.setHandler((req) =>
      /\/eventtypes\/management\/values$/i.test(req.path)
        ? {
            status: 200,
            body: {
              value: [
                {
                  eventTimestamp: "2026-03-03T09:10:00Z",
                  operationName: { value: "Microsoft.Compute/virtualMachineScaleSets/powerOff/action" },
                  status: { value: "Succeeded" },
                  resourceId: ssId,
                  caller: "owner@contoso.example",
                },
              ],
            },
          }
        : armError(404, "ResourceNotFound", "not here"),
    );
    const { gateway } = gatewayFor(fake);
    const events = await gateway.listResourcePowerEvents(ssId, "2026-03-03T09:00:00Z", "2026-03-03T10:00:00Z");
    expect(events).toEqual([
      { resourceId: ssId, operation: "powerOff", at: "2026-03-03T09:10:00.000Z", caller: "owner@contoso.example" },
    ]);
    expect(fake.requests.at(-1)?.query.$filter).toContain(`resourceUri eq '${ssId}'`);
  });

  it("reads a billing property's fields", async () => {
    fake.setHandler(() => ({
      status: 200,
      body: {
        id: "x",
        properties: {
          billingAccountAgreementType: "EnterpriseAgreement",
          subscriptionWorkloadType: "DevTest",
          skuId: "0001",
          extra: 1,
        },
      },
    }));
    const { gateway } = gatewayFor(fake);
    await expect(gateway.getBillingProperty(SUB)).resolves.toEqual({
      status: "ok",
      property: {
        billingAccountAgreementType: "EnterpriseAgreement",
        subscriptionWorkloadType: "DevTest",
        skuId: "0001",
      },
    });
    expect(fake.requests[0]?.query["api-version"]).toBe("2024-04-01");
    expect(fake.requests[0]?.path).toBe(`/subscriptions/${SUB}/providers/Microsoft.Billing/billingProperty/default`);
  });

  it("reports a forbidden billing property as unreadable, naming the permission", async () => {
    fake.setHandler(() => armError(403, "AuthorizationFailed", "does not have authorization"));
    const { gateway } = gatewayFor(fake);
    const read = await gateway.getBillingProperty(SUB);
    expect(read).toMatchObject({ status: "unreadable", httpStatus: 403, code: "AuthorizationFailed" });
    expect(read.status === "unreadable" ? read.message : "").toContain("Microsoft.Billing/billingProperty/read");
  });

  it("throws (retryable) when the billing property read is throttled", async () => {
    fake.setHandler(() => armError(429, "TooManyRequests", "slow", { "retry-after": "4" }));
    const { gateway } = gatewayFor(fake);
    await expect(azureFailure(gateway.getBillingProperty(SUB))).resolves.toMatchObject({
      retryable: true,
      retryAfterSeconds: 4,
    });
  });

  it("maps a connectivity result with its hop issues", async () => {
    fake.setHandler(() => ({
      status: 200,
      body: {
        connectionStatus: "Unreachable",
        probesSent: 30,
        probesFailed: 30,
        hops: [
          { type: "Source", issues: [] },
          { type: "Internet", issues: [{ origin: "Outbound", severity: "Error", type: "PortThrottled" }] },
        ],
      },
    }));
    const { gateway } = gatewayFor(fake);
    await expect(
      gateway.getConnectivityResult({ locationUrl: `${fake.endpoint}/loc/c`, completed: false }),
    ).resolves.toEqual({
      connectionStatus: "Unreachable",
      verdict: "unreachable",
      reachable: false,
      issues: ["Outbound: PortThrottled"],
      probesSent: 30,
      probesFailed: 30,
    });
  });

  it("takes a synchronous 200 from the connectivity check as its result, without polling", async () => {
    fake.setHandler(() => ({
      status: 200,
      body: { connectionStatus: "Connected", probesSent: 20, probesFailed: 0, hops: [] },
    }));
    const { gateway } = gatewayFor(fake);
    await expect(gateway.beginConnectivityCheck(WATCHER, VM1, "smtp.example.com", 25)).resolves.toEqual({
      status: "done",
      result: {
        connectionStatus: "Connected",
        verdict: "reachable",
        reachable: true,
        issues: [],
        probesSent: 20,
        probesFailed: 0,
      },
    });
    expect(fake.requests).toHaveLength(1);
  });

  it.each([
    ["Reachable", 30, 0, "reachable"],
    ["Connected", 30, 0, "reachable"],
    ["Unreachable", 30, 30, "unreachable"],
    ["Disconnected", 30, 30, "unreachable"],
    ["Degraded", 30, 12, "reachable"],
    ["Degraded", 30, 30, "unreachable"],
    ["Degraded", undefined, undefined, "unreachable"],
    ["Unknown", 0, 0, "inconclusive"],
    ["SomethingNew", 30, 0, "inconclusive"],
  ] as const)("reads connectionStatus %s (%s sent, %s failed) as %s", (status, sent, failed, verdict) => {
    expect(connectivityVerdict(status, sent, failed)).toBe(verdict);
  });

  it("reports missing VMs, subnets and VNets as absent rather than failing", async () => {
    fake.setHandler(() => armError(404, "ResourceNotFound"));
    const { gateway } = gatewayFor(fake);
    await expect(gateway.getVmState(VM1)).resolves.toMatchObject({ exists: false });
    await expect(gateway.getSubnet(VNET, "s")).resolves.toEqual({ exists: false });
    await expect(gateway.getVnet(VNET)).resolves.toBeUndefined();
  });

  it("rejects an id of the wrong resource type before calling ARM", async () => {
    const { gateway } = gatewayFor(fake);
    await expect(azureFailure(gateway.getVmState(VNET))).resolves.toMatchObject({ code: "InvalidResourceId" });
    expect(fake.requests).toHaveLength(0);
  });
});
