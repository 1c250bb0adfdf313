/** The Functions app's entry registers every activity the contracts define, bound to the root built from the app settings. */
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { createDurableHost } from "../../src/durable-host";

const ROOT = resolve(__dirname, "../..");

async function definedActivities(): Promise<string[]> {
  const dir = join(ROOT, "src/contracts/durable");
  const names: string[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
    const mod: Record<string, unknown> = await import(join(dir, file));
    for (const value of Object.values(mod)) {
      if (
        typeof value === "object" &&
        value !== null &&
        "kind" in value &&
        value.kind === "activity" &&
        "name" in value &&
        typeof value.name === "string"
      ) {
        names.push(value.name);
      }
    }
  }
  return names.sort();
}

describe("src/app.ts", () => {
  it("registers one activity for each activity definition", async () => {
    const host = createDurableHost();
    try {
      await host.importApp([join(ROOT, "src/app.ts")]);
      const registered = host
        .functions()
        .filter((f) => f.kind === "activity")
        .map((f) => f.name)
        .sort();
      expect(registered).toEqual(await definedActivities());
      expect(registered.length).toBeGreaterThan(10);
    } finally {
      await host.close();
    }
  });
});
