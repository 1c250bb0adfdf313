import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { Role } from "../../src/functions/http";
import { INFRA_DIR, allBicepFiles, infraFiles, objectProperties, resources } from "./bicep";

/** Ways a storage key or a key-bearing connection string gets into a template. */
const KEY_PATTERNS: readonly { readonly what: string; readonly pattern: RegExp }[] = [
  { what: "listKeys()", pattern: /\blistKeys\s*\(/i },
  { what: "an account SAS or service SAS", pattern: /\blist(Account|Service)Sas\s*\(/i },
  { what: "AccountKey in a connection string", pattern: /AccountKey\s*=/i },
  { what: "SharedAccessSignature in a connection string", pattern: /SharedAccessSignature\s*=/i },
  { what: "a key read from a resource", pattern: /\.(primaryKey|secondaryKey|primaryMasterKey|keys\s*\[)/i },
  { what: "a plain AzureWebJobsStorage connection string", pattern: /\bAzureWebJobsStorage\s*[:=]\s*'/ },
  { what: "the Azurite development connection", pattern: /UseDevelopmentStorage/i },
  { what: "an instrumentation-key setting", pattern: /APPINSIGHTS_INSTRUMENTATIONKEY/ },
];

function keyFindings(text: string): string[] {
  const lines = text.split("\n");
  return KEY_PATTERNS.flatMap(({ what, pattern }) =>
    lines.flatMap((line, i) => (pattern.test(line) ? [`line ${i + 1}: ${what}`] : [])),
  );
}

const deployedFiles = [...infraFiles(".bicep"), ...infraFiles(".json"), path.join(INFRA_DIR, "..", "azure.yaml")];

describe("no keys or key-bearing connection strings", () => {
  it.each(deployedFiles.map((f) => [path.relative(path.join(INFRA_DIR, ".."), f), f] as const))(
    "%s holds no storage key, SAS or key connection string",
    (_name, file) => {
      expect(keyFindings(readFileSync(file, "utf8"))).toEqual([]);
    },
  );

  it("catches the usual ways a key is smuggled into settings", () => {
    const leaky = [
      "AzureWebJobsStorage: 'DefaultEndpointsProtocol=https;AccountName=${st.name};AccountKey=${st.listKeys().keys[0].value}'",
      "var sas = st.listAccountSas('2023-05-01', {})",
    ].join("\n");
    expect(keyFindings(leaky)).toEqual(
      expect.arrayContaining([
        "line 1: listKeys()",
        "line 1: AccountKey in a connection string",
        "line 1: a plain AzureWebJobsStorage connection string",
        "line 2: an account SAS or service SAS",
      ]),
    );
  });

  it("every storage account it creates refuses shared-key access", () => {
    const accounts = allBicepFiles().flatMap((f) =>
      resources(f).filter((r) => r.target.startsWith("Microsoft.Storage/storageAccounts@") && !r.existing),
    );
    expect(accounts).toHaveLength(1);
    for (const account of accounts) {
      const properties = account.body ? objectProperties(account.body).get("properties") : undefined;
      const props = properties ? objectProperties(properties) : undefined;
      expect(props?.get("allowSharedKeyAccess")?.text).toBe("false");
      expect(props?.get("allowBlobPublicAccess")?.text).toBe("false");
      expect(props?.get("minimumTlsVersion")?.text).toBe("'TLS1_2'");
    }
  });

  it("Application Insights accepts only Entra-authenticated telemetry", () => {
    const components = allBicepFiles().flatMap((f) =>
      resources(f).filter((r) => r.target.startsWith("Microsoft.Insights/components@") && !r.existing),
    );
    expect(components).toHaveLength(1);
    const properties = components[0]?.body ? objectProperties(components[0].body).get("properties") : undefined;
    expect(properties && objectProperties(properties).get("DisableLocalAuth")?.text).toBe("true");
  });
});

const AppRoles = z.array(
  z.object({
    id: z.uuid(),
    value: z.string(),
    displayName: z.string().min(1),
    description: z.string().min(1),
    allowedMemberTypes: z.array(z.enum(["User", "Application"])).min(1),
    isEnabled: z.literal(true),
  }),
);

describe("app roles for App Service authentication", () => {
  it("defines exactly the roles the HTTP triggers check", () => {
    const roles = AppRoles.parse(JSON.parse(readFileSync(path.join(INFRA_DIR, "auth/app-roles.json"), "utf8")));
    const expected: readonly Role[] = ["Port25.Auditor", "Port25.Operator"];
    expect(roles.map((r) => r.value).sort()).toEqual(expected);
    expect(new Set(roles.map((r) => r.id)).size).toBe(roles.length);
  });
});

describe("the audit outlives a mistaken delete", () => {
  const storage = allBicepFiles().find((f) => f.name === "app/storage.bicep");

  it("locks the storage account that holds the audit tables CanNotDelete, unless the deployment opts out", () => {
    const locks = storage
      ? resources(storage).filter((r) => r.target.startsWith("Microsoft.Authorization/locks@"))
      : [];
    expect(locks).toHaveLength(1);
    const lock = locks[0];
    const body = lock?.body ? objectProperties(lock.body) : new Map<string, never>();
    expect(body.get("scope")?.text).toBe("storage");
    const properties = body.get("properties");
    expect(properties ? objectProperties(properties).get("level")?.text : undefined).toBe("'CanNotDelete'");
    expect(lock?.node.text).toMatch(/= if \(protectAudit\) \{/);
    const parameters = z
      .object({ parameters: z.record(z.string(), z.object({ value: z.unknown() })) })
      .parse(JSON.parse(readFileSync(path.join(INFRA_DIR, "main.parameters.json"), "utf8")));
    expect(parameters.parameters["protectAudit"]?.value).toBe("${PORT25_PROTECT_AUDIT=true}");
  });
});
