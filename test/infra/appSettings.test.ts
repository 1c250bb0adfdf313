import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigSchema, parseConfig } from "../../src/config";
import {
  INFRA_DIR,
  type BicepFile,
  type Node,
  loadBicep,
  modules,
  objectProperties,
  params,
  resources,
  stringValue,
} from "./bicep";

/** Settings the app reads only when run locally (simulator, Azurite); in Azure they must stay unset. */
const LOCAL_ONLY = {
  PORT25_ARM_CA_FILE: "extra CA for the simulator's self-signed certificate",
  PORT25_ARM_STATIC_TOKEN: "static token, accepted only for a loopback ARM endpoint",
  PORT25_AUDIT_TABLE_CONNECTION: "connection string (Azurite); Azure uses PORT25_AUDIT_TABLE_ENDPOINT and the identity",
} as const satisfies Partial<Record<keyof typeof ConfigSchema.shape, string>>;

/** Settings App Service sets on its own; a template must not. */
const PLATFORM_SET = {
  WEBSITE_HOSTNAME: "the app's default host name, the notification links' fallback",
  WEBSITE_AUTH_ENABLED:
    "True exactly when App Service authentication is on: the triggers trust principal headers only then",
  WEBSITE_SITE_NAME: "the app's name: marks an App Service host, where PORT25_AUTH_ENABLED unset means on",
  WEBSITE_INSTANCE_ID: "the worker instance: marks an App Service host too",
} as const satisfies Partial<Record<keyof typeof ConfigSchema.shape, string>>;

const main = loadBicep(path.join(INFRA_DIR, "main.bicep"));
const api = loadBicep(path.join(INFRA_DIR, "app/api.bicep"));

function configResource(file: BicepFile, name: string): Map<string, Node> | undefined {
  const resource = resources(file).find((r) => r.body && stringValue(objectProperties(r.body).get("name")) === name);
  const properties = resource?.body ? objectProperties(resource.body).get("properties") : undefined;
  return properties ? objectProperties(properties) : undefined;
}

const settings = configResource(api, "appsettings") ?? new Map<string, Node>();

/** What main.bicep passes to the api module, by api parameter name. */
const apiArguments = (() => {
  const mod = modules(main).find((m) => m.target === "app/api.bicep");
  const p = mod?.body ? objectProperties(mod.body).get("params") : undefined;
  return p ? objectProperties(p) : new Map<string, Node>();
})();

/** The value a setting gets with every parameter at its default; undefined when it comes from a deployment output. */
function defaultValue(node: Node): string | undefined {
  const literal = stringValue(node);
  if (literal !== undefined) return literal;
  if (node.type === "boolean") return node.text;
  if (node.type === "ternary_expression") {
    const [condition, whenTrue, whenFalse] = node.namedChildren;
    const c = condition ? defaultValue(condition) : undefined;
    if (c === "true" && whenTrue) return defaultValue(whenTrue);
    if (c === "false" && whenFalse) return defaultValue(whenFalse);
    return undefined;
  }
  if (node.type !== "identifier") return undefined;
  const passed = apiArguments.get(node.text);
  if (passed?.type !== "identifier") return undefined;
  const mainParam = params(main).find((p) => p.name === passed.text);
  return mainParam?.defaultValue ? defaultValue(mainParam.defaultValue) : undefined;
}

describe("Function app settings", () => {
  const configKeys = Object.keys(ConfigSchema.shape);

  it("sets every key src/config.ts reads, except the local-only ones", () => {
    const required = configKeys.filter((k) => !(k in LOCAL_ONLY) && !(k in PLATFORM_SET));
    expect(required.filter((k) => !settings.has(k))).toEqual([]);
    expect(required.length).toBeGreaterThanOrEqual(9);
  });

  it("leaves the local-only and platform-set keys unset, and every local-only key is one the config knows", () => {
    expect(Object.keys(LOCAL_ONLY).filter((k) => settings.has(k))).toEqual([]);
    expect(Object.keys(PLATFORM_SET).filter((k) => settings.has(k))).toEqual([]);
    expect(Object.keys(LOCAL_ONLY).filter((k) => !configKeys.includes(k))).toEqual([]);
  });

  it("sets nothing under PORT25_ that the config does not parse (a misspelt key would be ignored silently)", () => {
    expect([...settings.keys()].filter((k) => k.startsWith("PORT25_") && !configKeys.includes(k))).toEqual([]);
  });

  it("connects the host to storage with the user-assigned identity, never a connection string", () => {
    // The account's own endpoints, which sovereign clouds need (an account name implies the public cloud's suffix).
    expect(settings.get("AzureWebJobsStorage__blobServiceUri")?.text).toBe("blobEndpoint");
    expect(settings.get("AzureWebJobsStorage__queueServiceUri")?.text).toBe("queueEndpoint");
    expect(settings.get("AzureWebJobsStorage__tableServiceUri")?.text).toBe("tableEndpoint");
    expect(settings.has("AzureWebJobsStorage__accountName")).toBe(false);
    expect(apiArguments.get("blobEndpoint")?.text).toBe("storage.outputs.blobEndpoint");
    expect(apiArguments.get("queueEndpoint")?.text).toBe("storage.outputs.queueEndpoint");
    expect(apiArguments.get("tableEndpoint")?.text).toBe("storage.outputs.tableEndpoint");
    expect(stringValue(settings.get("AzureWebJobsStorage__credential"))).toBe("managedidentity");
    expect(settings.get("AzureWebJobsStorage__clientId")?.text).toBe("identityClientId");
    expect(settings.get("AZURE_CLIENT_ID")?.text).toBe("identityClientId");
    expect(settings.has("AzureWebJobsStorage")).toBe(false);
    expect(settings.get("PORT25_AUDIT_TABLE_ENDPOINT")?.text).toBe("tableEndpoint");
    expect(settings.get("APPLICATIONINSIGHTS_AUTHENTICATION_STRING")?.text).toBe(
      "'ClientId=${identityClientId};Authorization=AAD'",
    );
  });

  it("leaves the worker runtime to functionAppConfig, as Flex Consumption requires", () => {
    expect(settings.has("FUNCTIONS_WORKER_RUNTIME")).toBe(false);
    expect(settings.has("FUNCTIONS_EXTENSION_VERSION")).toBe(false);
  });

  it("deploys defaults that the app's own config schema accepts", () => {
    const fromOutputs = {
      AZURE_CLIENT_ID: "00000000-0000-4000-8000-000000000000",
      PORT25_AUDIT_TABLE_ENDPOINT: "https://stport25example.table.core.windows.net/",
      PORT25_ARM_ENDPOINT: "https://management.azure.com",
      PORT25_PUBLIC_URL: "https://func-port25-example.azurewebsites.net",
      // A Key Vault reference: the platform resolves it to the secret, by default an empty list (infra/app/keyvault.bicep).
      PORT25_NOTIFY_WEBHOOKS: "[]",
      // The app identity and the subnet role (deployment outputs): the grant command a plan prints.
      PORT25_IDENTITY_PRINCIPAL_ID: "00000000-0000-4000-8000-000000000001",
      PORT25_SUBNET_ROLE_NAME: "Port25 Subnet Refresh (dev, 00000000-0000-4000-8000-000000000002)",
    };
    const env: Record<string, string> = {};
    const unresolved: string[] = [];
    for (const key of configKeys) {
      const node = settings.get(key);
      if (!node) continue;
      const value = defaultValue(node);
      if (value === undefined) unresolved.push(key);
      else env[key] = value;
    }
    expect(unresolved.sort()).toEqual(Object.keys(fromOutputs).sort());
    const config = parseConfig({ ...env, ...fromOutputs });
    // Secure by default: the deployed app enforces the app roles unless the deployment opts out.
    expect(config.PORT25_AUTH_ENABLED).toBe(true);
    expect(config.PORT25_AUTO_REMEDIATE).toBe(false);
    expect(config.PORT25_TASK_HUB).toBe("port25");
  });

  it("strips the trailing slash of the cloud's Resource Manager endpoint", () => {
    expect(apiArguments.get("armEndpoint")?.text).toBe("environment().resourceManager");
    expect(settings.get("PORT25_ARM_ENDPOINT")?.text).toBe("armEndpointBase");
    expect(api.source).toMatch(
      /armEndpointBase = endsWith\(armEndpoint, '\/'\) \? substring\(armEndpoint, 0, length\(armEndpoint\) - 1\) : armEndpoint/,
    );
  });
});

describe("App Service authentication", () => {
  const auth = resources(api).find(
    (r) => r.body && stringValue(objectProperties(r.body).get("name")) === "authsettingsV2",
  );

  it("is deployed only when authEnabled, and the triggers are told through PORT25_AUTH_ENABLED", () => {
    const condition = auth?.node.namedChildren.find((c) => c.type === "if_statement")?.namedChildren[0];
    expect(condition?.text).toBe("(authEnabled)");
    expect(settings.get("PORT25_AUTH_ENABLED")?.text).toBe("authEnabled ? 'true' : 'false'");
  });

  it("answers unauthenticated API calls with 401 and validates Entra tokens for the app registration", () => {
    const properties = configResource(api, "authsettingsV2");
    expect(properties?.get("globalValidation")?.text).toMatch(
      /requireAuthentication: true\s+unauthenticatedClientAction: 'Return401'/,
    );
    const aad = properties?.get("identityProviders")?.text ?? "";
    expect(aad).toContain("clientId: authClientId");
    expect(aad).toContain("allowedAudiences: authAudiences");
    const audiences = api.source.slice(api.source.indexOf("var authAudiences"));
    expect(audiences).toMatch(
      /^var authAudiences = union\(\[\s+authClientId\s+'api:\/\/\$\{authClientId\}'\s+\], empty\(authIdentifierUri\) \? \[\] : \[\s+authIdentifierUri\s+\]\)/,
    );
    // No token store and no login flow: the API only validates bearer tokens, so no client secret exists anywhere.
    expect(properties?.get("login")?.text).toMatch(/tokenStore: \{\s+enabled: false\s+\}/);
    expect(aad).not.toMatch(/clientSecret/);
  });
});
