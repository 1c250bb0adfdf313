import { describe, expect, it } from "vitest";
import type { TokenCredential } from "@azure/core-auth";
import { createAuditStore } from "../../src/audit/store";
import { tableEndpointOf } from "../../src/audit/tables";
import { isConfigError } from "../../src/errors";

function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (isConfigError(e)) return e.issues.map((i) => `${i.path}: ${i.message}`).join("; ");
    throw e;
  }
  throw new Error("expected a ConfigError");
}

describe("createAuditStore", () => {
  it("reads the table endpoint of each connection string form", () => {
    expect(tableEndpointOf("UseDevelopmentStorage=true")).toBe("http://127.0.0.1:10002/devstoreaccount1");
    expect(
      tableEndpointOf("DefaultEndpointsProtocol=http;AccountName=a;AccountKey=k;TableEndpoint=http://127.0.0.1:5/a;"),
    ).toBe("http://127.0.0.1:5/a");
    expect(
      tableEndpointOf("DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=k;EndpointSuffix=core.windows.net"),
    ).toBe("https://acct.table.core.windows.net");
    expect(tableEndpointOf("AccountKey=k")).toBeUndefined();
  });

  it("accepts plain http only for a loopback endpoint", () => {
    expect(() =>
      createAuditStore({ PORT25_AUDIT_TABLE_PREFIX: "p", PORT25_AUDIT_TABLE_CONNECTION: "UseDevelopmentStorage=true" }),
    ).not.toThrow();
    expect(
      configError(() =>
        createAuditStore({
          PORT25_AUDIT_TABLE_PREFIX: "p",
          PORT25_AUDIT_TABLE_CONNECTION:
            "DefaultEndpointsProtocol=http;AccountName=a;AccountKey=a2V5;TableEndpoint=http://10.1.2.3:10002/a;",
        }),
      ),
    ).toMatch(/PORT25_AUDIT_TABLE_CONNECTION: plain http is only accepted for a loopback endpoint/);
  });

  it("needs either a connection string or an https table endpoint", () => {
    expect(configError(() => createAuditStore({ PORT25_AUDIT_TABLE_PREFIX: "p" }))).toMatch(
      /^PORT25_AUDIT_TABLE_ENDPOINT/,
    );
    expect(
      configError(() =>
        createAuditStore({
          PORT25_AUDIT_TABLE_PREFIX: "p",
          PORT25_AUDIT_TABLE_ENDPOINT: "http://acct.table.core.windows.net",
        }),
      ),
    ).toMatch(/must be https/);
  });

  it("authenticates to a table endpoint with the identity's token for Azure Storage", async () => {
    const scopes: string[] = [];
    const credential: TokenCredential = {
      getToken: (scope) => {
        scopes.push(...(Array.isArray(scope) ? scope : [scope]));
        return Promise.reject(new Error("identity unavailable in this test"));
      },
    };
    // Port 9 on loopback: nothing listens, and the token is asked for before any connection is made.
    const store = createAuditStore(
      { PORT25_AUDIT_TABLE_PREFIX: "p", PORT25_AUDIT_TABLE_ENDPOINT: "https://127.0.0.1:9/acct" },
      { credential },
    );
    await expect(store.ensureTables()).rejects.toThrow(/identity unavailable in this test/);
    expect(scopes).toContain("https://storage.azure.com/.default");
  });
});
