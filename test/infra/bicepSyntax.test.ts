import { describe, expect, it } from "vitest";
import { allBicepFiles, parseBicep, syntaxProblems } from "./bicep";

describe("Bicep syntax (tree-sitter-bicep)", () => {
  const files = allBicepFiles();

  it("finds the deployment's entry point and modules", () => {
    const names = files.map((f) => f.name);
    expect(names).toEqual(
      expect.arrayContaining(["main.bicep", "app/api.bicep", "app/remediation-role.bicep", "app/target-access.bicep"]),
    );
  });

  it.each(files.map((f) => [f.name, f] as const))("%s parses without ERROR or MISSING nodes", (_name, file) => {
    const problems = syntaxProblems(file).map((p) => `${file.name}:${p.at} ${p.kind} ${p.text}`);
    expect(problems).toEqual([]);
  });

  it("reports an unterminated object with the line and column where the parse broke", () => {
    const file = parseBicep(
      "param a string\n\nresource x 'Microsoft.Web/sites@2024-04-01' = {\n  name: a\n  properties: {\n  }\n",
      "broken.bicep",
    );
    const problems = syntaxProblems(file);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]).toMatchObject({ kind: "error", at: "3:1" });
  });

  it("reports a token the parser had to invent as missing", () => {
    const problems = syntaxProblems(parseBicep("var a = [\n  1\n"));
    expect(problems).toEqual([expect.objectContaining({ kind: "missing", text: "]" })]);
  });
});
