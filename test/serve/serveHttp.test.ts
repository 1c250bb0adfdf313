/** The HTTP front of `port25 serve`: route templates, matching, keys, and the route table of the app's own triggers. */
import "../../src/durable-host/register";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { createDurableHost } from "../../src/durable-host";
import {
  authorized,
  generateKeys,
  httpRoutes,
  matchRoute,
  parseRouteTemplate,
  routePrefixFrom,
  timerFunctions,
  type HttpRoute,
} from "../../src/cli/serveHttp";

const route = (template: string): HttpRoute => ({
  functionName: "f",
  template,
  methods: ["GET"],
  authLevel: "function",
  segments: parseRouteTemplate(template),
});

describe("route templates", () => {
  it("matches literals case-insensitively and binds parameters", () => {
    expect(matchRoute(route("remediations/{id}/approve"), ["Remediations", "port25-x", "APPROVE"])).toEqual({
      id: "port25-x",
    });
    expect(matchRoute(route("remediations/{id}"), ["remediations", "a", "b"])).toBeUndefined();
    expect(matchRoute(route("remediations/{id}"), ["remediations"])).toBeUndefined();
    expect(matchRoute(route("audit/runs"), ["audit", "runs"])).toEqual({});
  });

  it("serves an optional last parameter and refuses what it cannot serve", () => {
    expect(matchRoute(route("runs/{id?}"), ["runs"])).toEqual({});
    expect(matchRoute(route("runs/{id?}"), ["runs", "r1"])).toEqual({ id: "r1" });
    expect(() => parseRouteTemplate("runs/{id:int}")).toThrow(/not served locally/);
    expect(() => parseRouteTemplate("files/{*path}")).toThrow(/not served locally/);
    expect(() => parseRouteTemplate("{a?}/b")).toThrow(/optional/);
  });
});

describe("keys", () => {
  it("accepts the function key or the master key at function level, only the master key at admin level", () => {
    const keys = generateKeys();
    expect(keys.functionKey).not.toBe(keys.masterKey);
    expect(authorized("function", keys.functionKey, keys)).toBe(true);
    expect(authorized("function", keys.masterKey, keys)).toBe(true);
    expect(authorized("function", undefined, keys)).toBe(false);
    expect(authorized("function", `${keys.functionKey}x`, keys)).toBe(false);
    expect(authorized("admin", keys.functionKey, keys)).toBe(false);
    expect(authorized("admin", keys.masterKey, keys)).toBe(true);
    expect(authorized("anonymous", undefined, keys)).toBe(true);
  });
});

describe("the app's route table", () => {
  it("is every HTTP trigger at function level under host.json's prefix, and the re-verification timer", async () => {
    const host = createDurableHost();
    try {
      // The Functions app's entry registers every trigger, bound to the root it builds.
      await host.importApp([resolve(__dirname, "../../src/app.ts")]);
      const table = httpRoutes()
        .map((r) => `${r.methods.join(",")} ${r.template} ${r.functionName} ${r.authLevel}`)
        .sort();
      expect(table).toEqual([
        "GET audit/campaigns listAuditCampaigns function",
        "GET audit/campaigns/{campaignId} getAuditCampaign function",
        "GET audit/runs listAuditRuns function",
        "GET audit/runs/{runId} getAuditRun function",
        "GET audit/verify verifyAudit function",
        "GET campaigns/{id} getCampaign function",
        "GET remediations/{id} getRemediation function",
        "POST campaigns startCampaign function",
        "POST campaigns/{id}/approve approveCampaign function",
        "POST campaigns/{id}/cancel cancelCampaign function",
        "POST remediations startRemediation function",
        "POST remediations/{id}/approve approveRemediation function",
        "POST remediations/{id}/cancel cancelRemediation function",
      ]);
      expect(timerFunctions()).toContain("reverifySubscriptions");
      expect(routePrefixFrom(resolve(__dirname, "../.."))).toBe("api");
    } finally {
      await host.close();
    }
  });
});
