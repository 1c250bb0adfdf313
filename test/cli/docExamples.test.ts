/** Every example output in README.md and docs/cli.md is what a real run prints (scripts/docExamples.ts). */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { documented, EXAMPLES, normalise, ROOT, runExample } from "../../scripts/docExamples";

describe("the documented example outputs", () => {
  for (const example of EXAMPLES) {
    it(`${example.name} (port25 ${example.args.join(" ")}) is what a real run prints, ids and real seconds aside`, async () => {
      const real = normalise(await runExample(example, "dist"));
      for (const file of example.files) {
        const block = documented(readFileSync(join(ROOT, file), "utf8"), example.name);
        if (block === undefined) throw new Error(`${file} has no markers for the example ${example.name}`);
        // On a difference: `npm run docs:examples` regenerates the blocks from a real run.
        expect(normalise(block), `${file}: run \`npm run docs:examples\``).toBe(real);
      }
    }, 300_000);
  }
});
