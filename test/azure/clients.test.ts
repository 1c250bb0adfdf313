import { DefaultAzureCredential } from "@azure/identity";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config";
import { isConfigError } from "../../src/errors";
import {
  ArmClients,
  createArmConnection,
  credentialFromConfig,
  DEFAULT_ARM_RETRY,
  TRANSIENT_RETRY_POLICY_NAME,
} from "../../src/azure/clients";

const SUB = "00000000-0000-0000-0000-000000000001";

describe("createArmConnection", () => {
  it("uses the public cloud and its scope by default", () => {
    const c = createArmConnection(parseConfig({}), { credential: { getToken: () => Promise.resolve(null) } });
    expect(c.endpoint).toBe("https://management.azure.com");
    expect(c.scope).toBe("https://management.azure.com/.default");
    expect(c.caPem).toBeUndefined();
    expect(c.retry).toEqual(DEFAULT_ARM_RETRY);
  });

  it("uses DefaultAzureCredential unless a static token is configured", async () => {
    expect(credentialFromConfig(parseConfig({}))).toBeInstanceOf(DefaultAzureCredential);
    expect(
      credentialFromConfig(parseConfig({ AZURE_CLIENT_ID: "3f2a6c1e-8b4d-4e2f-9a1b-2c3d4e5f6a7b" })),
    ).toBeInstanceOf(DefaultAzureCredential);
    const local = credentialFromConfig(
      parseConfig({ PORT25_ARM_ENDPOINT: "https://127.0.0.1:8443", PORT25_ARM_STATIC_TOKEN: "abc" }),
    );
    await expect(local.getToken("https://127.0.0.1:8443/.default")).resolves.toMatchObject({ token: "abc" });
  });

  it("names PORT25_ARM_CA_FILE when the CA file cannot be read", () => {
    const config = parseConfig({ PORT25_ARM_CA_FILE: "/nonexistent/ca.pem" });
    let caught: unknown;
    try {
      createArmConnection(config);
    } catch (e) {
      caught = e;
    }
    expect(isConfigError(caught)).toBe(true);
    expect(isConfigError(caught) ? caught.issues[0]?.path : "").toBe("PORT25_ARM_CA_FILE");
  });

  it("merges partial retry options over the defaults", () => {
    const c = createArmConnection(parseConfig({}), {
      credential: { getToken: () => Promise.resolve(null) },
      retry: { maxRetries: 0 },
    });
    expect(c.retry).toEqual({ ...DEFAULT_ARM_RETRY, maxRetries: 0 });
  });
});

describe("ArmClients", () => {
  const clients = new ArmClients(
    createArmConnection(parseConfig({}), { credential: { getToken: () => Promise.resolve(null) } }),
  );
  const pipelines = {
    compute: clients.compute(SUB).pipeline,
    network: clients.network(SUB).pipeline,
    resources: clients.resources(SUB).pipeline,
    subscriptions: clients.subscriptions().pipeline,
    managementGroups: clients.managementGroups().pipeline,
    generic: clients.generic().pipeline,
  };

  it.each(Object.entries(pipelines))("%s client retries only through the transient policy", (_name, pipeline) => {
    const names = pipeline.getOrderedPolicies().map((p) => p.name);
    expect(names).toContain(TRANSIENT_RETRY_POLICY_NAME);
    expect(names).not.toContain("defaultRetryPolicy");
    expect(names.filter((n) => /retry/i.test(n))).toEqual([TRANSIENT_RETRY_POLICY_NAME]);
    expect(names).toContain("bearerTokenAuthenticationPolicy");
  });

  it("reuses one client per subscription, whatever the id's case", () => {
    expect(clients.compute(SUB.toUpperCase())).toBe(clients.compute(SUB));
    expect(clients.network(SUB)).not.toBe(clients.network("00000000-0000-0000-0000-000000000002"));
  });
});
