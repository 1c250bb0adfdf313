/**
 * Conformance of the simulator's tenant-level route: a management group's descendants (ManagementGroups_GetDescendants,
 * Management Groups API 2021-04-01, the version @azure/arm-managementgroups sends) validated page by page against the
 * spec's DescendantListResult, paged as its x-ms-pageable says, and its errors against the spec's ErrorResponse.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { generateEstate, loadEstate } from "../../src/simulator";
import { arr, connect, pick, str, type Client } from "../simulator/helpers";
import { SpecSet, type Json } from "./openapi";

const specs = new SpecSet(join(__dirname, "specs"));
const MANAGEMENT =
  "specification/managementgroups/resource-manager/Microsoft.Management/stable/2021-04-01/management.json";
const OPERATION = "/providers/Microsoft.Management/managementGroups/{groupId}/descendants";

/** The operation as the stored spec declares it: its paging and its query parameters. */
const spec = z
  .object({
    paths: z.record(
      z.string(),
      z.object({
        get: z.object({
          operationId: z.string(),
          parameters: z.array(z.object({ $ref: z.string() })),
          "x-ms-pageable": z.object({ nextLinkName: z.string() }),
        }),
      }),
    ),
    parameters: z.record(z.string(), z.object({ name: z.string(), in: z.string() })),
  })
  .parse(JSON.parse(readFileSync(join(__dirname, "specs", MANAGEMENT), "utf8")));
const operation = spec.paths[OPERATION]?.get;

/** Every page from the first, following the spec's nextLink property; each page's body as served. */
async function allPages(c: Client, groupId: string): Promise<Json[]> {
  const nextLinkName = operation?.["x-ms-pageable"].nextLinkName ?? "";
  const pages: Json[] = [];
  let r = await c.call(
    "GET",
    `/providers/Microsoft.Management/managementGroups/${groupId}/descendants?api-version=2021-04-01`,
  );
  for (let i = 0; i < 100; i++) {
    expect(r.status).toBe(200);
    pages.push(r.body as Json);
    const next = pick(r.body, nextLinkName);
    if (next === undefined) return pages;
    if (typeof next !== "string") throw new Error(`${nextLinkName} is not a string: ${JSON.stringify(next)}`);
    r = await c.follow(next);
  }
  throw new Error("more than 100 pages");
}

describe("ManagementGroups_GetDescendants conformance", () => {
  let c: Client;
  beforeAll(async () => {
    // 30 subscriptions under a root with two child groups: 32 descendants, more than a page.
    c = await connect(generateEstate({ subscriptions: 30, vmsPerSubscription: 1, seed: 5 }));
  });
  afterAll(() => c.sim.close());

  it("the stored operation is the one served: pageable by nextLink, with $skiptoken and $top", () => {
    expect(operation?.operationId).toBe("ManagementGroups_GetDescendants");
    expect(operation?.["x-ms-pageable"].nextLinkName).toBe("nextLink");
    const query = (operation?.parameters ?? [])
      .map((p) => spec.parameters[p.$ref.replace("#/parameters/", "")])
      .filter((p) => p?.in === "query")
      .map((p) => p?.name);
    expect(query.sort()).toEqual(["$skiptoken", "$top", "api-version"]);
    // The definition is strict: an undeclared property or a wrong type fails.
    const definition = specs.definition(MANAGEMENT, "DescendantListResult");
    expect(specs.validate(definition, { value: [{ id: "/x", kind: "group" }] })).toEqual([
      "$.value[0].kind: property not declared by the definition",
    ]);
    expect(specs.validate(definition, { value: [{ properties: { parent: "root" } }] })).toHaveLength(1);
  });

  it("every page is a DescendantListResult; followed to the end they give every group and subscription once", async () => {
    const pages = await allPages(c, "mg-contoso");
    expect(pages.length).toBeGreaterThan(1);
    const definition = specs.definition(MANAGEMENT, "DescendantListResult");
    expect(pages.flatMap((p) => specs.validate(definition, p))).toEqual([]);
    const items = pages.flatMap((p) => arr(p, "value"));
    const ids = items.map((d) => str(d, "id"));
    expect(new Set(ids).size).toBe(ids.length);
    const groups = c.sim.managementGroups
      .filter((g) => g.parent !== undefined)
      .map((g) => `/providers/Microsoft.Management/managementGroups/${g.id}`);
    const subscriptions = c.sim.subscriptionIds.map((s) => `/subscriptions/${s}`);
    expect([...ids].sort()).toEqual([...groups, ...subscriptions].sort());
    // The type values of the spec's GetDescendants example; each parent is a group of the hierarchy.
    expect(new Set(items.map((d) => str(d, "type")))).toEqual(
      new Set(["Microsoft.Management/managementGroups", "Microsoft.Management/managementGroups/subscriptions"]),
    );
    const known = new Set(
      c.sim.managementGroups.map((g) => `/providers/Microsoft.Management/managementGroups/${g.id}`),
    );
    expect(items.filter((d) => !known.has(str(d, "properties.parent.id")))).toEqual([]);
    // Only the last page goes without a nextLink.
    expect(pages.map((p) => pick(p, "nextLink") === undefined)).toEqual([...pages.slice(1).map(() => false), true]);
  });

  it("a nested group's descendants conform too (the demo estate's three levels)", async () => {
    const demo = await connect(loadEstate(join(__dirname, "../../scenarios/estate.json")));
    try {
      const pages = await allPages(demo, "mg-contoso-devtest");
      expect(pages.flatMap((p) => specs.validate(specs.definition(MANAGEMENT, "DescendantListResult"), p))).toEqual([]);
      expect(pages.flatMap((p) => arr(p, "value")).map((d) => str(d, "name"))).toEqual([
        "mg-contoso-sandbox",
        "7c1e4b2a-3d5f-4a6b-8c9d-0e1f2a3b4c51",
        "7c1e4b2a-3d5f-4a6b-8c9d-0e1f2a3b4c54",
      ]);
    } finally {
      await demo.sim.close();
    }
  });

  it("its errors are the spec's ErrorResponse", async () => {
    const errors = [
      await c.call(
        "GET",
        "/providers/Microsoft.Management/managementGroups/mg-elsewhere/descendants?api-version=2021-04-01",
      ),
      await c.call(
        "GET",
        "/providers/Microsoft.Management/managementGroups/mg-contoso/descendants?api-version=2018-01-01-preview",
      ),
      await c.call(
        "GET",
        "/providers/Microsoft.Management/managementGroups/mg-contoso/descendants?api-version=2021-04-01&$skiptoken=bm9wZQ",
      ),
    ];
    expect(errors.map((r) => r.status)).toEqual([403, 400, 400]);
    const definition = specs.definition(MANAGEMENT, "ErrorResponse");
    expect(errors.flatMap((r) => specs.validate(definition, r.body as Json))).toEqual([]);
  });
});
