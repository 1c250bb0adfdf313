import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  INFRA_DIR,
  allBicepFiles,
  type BicepFile,
  callArguments,
  callee,
  loadBicep,
  modules,
  objectProperties,
  params,
  parseBicep,
  targetScope,
  unresolvedReferences,
  unusedParams,
} from "./bicep";

const files = allBicepFiles();
const main = loadBicep(path.join(INFRA_DIR, "main.bicep"));

function moduleFile(from: BicepFile, modulePath: string): string {
  return path.resolve(path.dirname(from.absolutePath), modulePath);
}

describe("module wiring", () => {
  it("every module is a local file that exists (nothing fetched from a registry)", () => {
    const problems: string[] = [];
    for (const file of files) {
      for (const mod of modules(file)) {
        if (mod.target.startsWith("br:") || mod.target.startsWith("br/") || mod.target.startsWith("ts:")) {
          problems.push(`${file.name}: module ${mod.symbol} comes from a registry (${mod.target})`);
        } else if (!existsSync(moduleFile(file, mod.target))) {
          problems.push(`${file.name}: module ${mod.symbol} points to a missing file ${mod.target}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it("modules pass only parameters their file declares, and every parameter without a default", () => {
    const problems: string[] = [];
    for (const file of files) {
      for (const mod of modules(file)) {
        const target = loadBicep(moduleFile(file, mod.target));
        const declared = params(target);
        const paramsNode = mod.body ? objectProperties(mod.body).get("params") : undefined;
        const passed = paramsNode ? [...objectProperties(paramsNode).keys()] : [];
        for (const name of passed) {
          if (!declared.some((p) => p.name === name))
            problems.push(`${file.name}: ${mod.symbol} passes undeclared ${name}`);
        }
        for (const p of declared) {
          if (p.defaultValue === undefined && !passed.includes(p.name)) {
            problems.push(`${file.name}: ${mod.symbol} omits required ${p.name} of ${target.name}`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it("modules deployed to a resource group get an explicit scope from the subscription-level main", () => {
    expect(targetScope(main)).toBe("subscription");
    for (const mod of modules(main)) {
      const target = loadBicep(moduleFile(main, mod.target));
      const scope = mod.body ? objectProperties(mod.body).get("scope") : undefined;
      // The subnet role's assignments go to the operator's listed groups; every other module to the app's own group.
      const expected =
        mod.target === "app/subnet-access.bicep"
          ? "resourceGroup(split(subnetResourceGroupId, '/')[2], split(subnetResourceGroupId, '/')[4])"
          : "rg";
      if (targetScope(target) === "resourceGroup") expect(scope?.text, mod.symbol).toBe(expected);
    }
  });

  it("assigns the remediation role once per target subscription (unless left to an owner), deployed at subscription(id)", () => {
    const access = modules(main).find((m) => m.target === "app/target-access.bicep");
    expect(access).toBeDefined();
    const loop = access?.node.namedChildren.find((c) => c.type === "for_statement");
    expect(loop?.namedChildren[1]?.text).toBe("targetSubscriptionIds");
    const loopVariable = loop?.childForFieldName("initializer")?.text;
    expect(loop?.childForFieldName("body")?.namedChildren[0]?.text).toBe("(assignTargetRole)");
    const scope = access?.body ? objectProperties(access.body).get("scope") : undefined;
    expect(scope && callee(scope)).toBe("subscription");
    expect(scope && callArguments(scope).map((a) => a.text)).toEqual([loopVariable]);
    expect(targetScope(loadBicep(path.join(INFRA_DIR, "app/target-access.bicep")))).toBe("subscription");
    expect(targetScope(loadBicep(path.join(INFRA_DIR, "app/remediation-role.bicep")))).toBe("subscription");
  });
});

describe("symbols", () => {
  it("every identifier a file references is declared in that file", () => {
    const problems = files.flatMap((f) => unresolvedReferences(f).map((r) => `${f.name}:${r.at} ${r.name}`));
    expect(problems).toEqual([]);
  });

  it("every declared parameter is used", () => {
    const problems = files.flatMap((f) => unusedParams(f).map((name) => `${f.name}: ${name}`));
    expect(problems).toEqual([]);
  });

  it("flags a reference to an undeclared parameter with its position, and an unused one", () => {
    const file = parseBicep("param used string\nparam idle string\n\nvar a = '${used}-${typo}'\n");
    expect(unresolvedReferences(file)).toEqual([{ name: "typo", at: "4:20" }]);
    expect(unusedParams(file)).toEqual(["idle"]);
  });

  it("accepts loop variables, nested resources and namespaces as declared", () => {
    const file = parseBicep(
      [
        "param ids array",
        "var scopes = [for (id, i) in ids: '/subscriptions/${id}/${i}']",
        "var names = map(ids, x => sys.toLower(x))",
        "resource st 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {",
        "  name: 'st'",
        "  resource blob 'blobServices' existing = {",
        "    name: 'default'",
        "  }",
        "}",
        "output o array = [scopes, names, st::blob.id]",
      ].join("\n"),
    );
    expect(unresolvedReferences(file)).toEqual([]);
  });
});

const ParametersFile = z.object({
  parameters: z.record(z.string(), z.object({ value: z.unknown() })),
});

describe("azd wiring", () => {
  it("main.parameters.json sets only declared parameters, and every one without a default", () => {
    const file = ParametersFile.parse(JSON.parse(readFileSync(path.join(INFRA_DIR, "main.parameters.json"), "utf8")));
    const declared = params(main);
    const set = Object.keys(file.parameters);
    expect(set.filter((name) => !declared.some((p) => p.name === name))).toEqual([]);
    expect(
      declared
        .filter((p) => p.defaultValue === undefined)
        .map((p) => p.name)
        .filter((n) => !set.includes(n)),
    ).toEqual([]);
    expect(file.parameters.environmentName?.value).toBe("${AZURE_ENV_NAME}");
    expect(file.parameters.location?.value).toBe("${AZURE_LOCATION}");
  });

  it("azure.yaml deploys the TypeScript project as the function service api", () => {
    const yaml = readFileSync(path.join(INFRA_DIR, "..", "azure.yaml"), "utf8");
    const service = /^services:\n {2}api:\n((?: {4}.*\n)+)/m.exec(yaml)?.[1] ?? "";
    expect(service).toMatch(/^ {4}language: ts$/m);
    expect(service).toMatch(/^ {4}host: function$/m);
    expect(service).toMatch(/^ {4}project: \.$/m);
  });

  it("tags the function app for azd and targets Flex Consumption with Node 22", () => {
    const api = modules(main).find((m) => m.target === "app/api.bicep");
    const tags = api?.body ? objectProperties(api.body).get("params") : undefined;
    expect(tags?.text).toContain("'azd-service-name': 'api'");
    const source = loadBicep(path.join(INFRA_DIR, "app/api.bicep")).source;
    expect(source).toMatch(/name: 'FC1'\s+tier: 'FlexConsumption'/);
    expect(source).toMatch(/runtime: \{\s+name: 'node'\s+version: '22'\s+\}/);
    expect(source).toMatch(/type: 'UserAssignedIdentity'\s+userAssignedIdentityResourceId: identityId/);
  });
});
