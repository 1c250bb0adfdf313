/** `simulate --json` writes its document piece by piece: the line must be exactly the one JSON.stringify gives. */
import { describe, expect, it } from "vitest";
import { writeJsonLine } from "../../src/cli/simulateOutput";

function line(doc: Record<string, unknown>, streamed: string): { text: string; chunks: number } {
  const chunks: string[] = [];
  writeJsonLine((c) => chunks.push(c), doc, streamed);
  return { text: chunks.join(""), chunks: chunks.length };
}

describe("simulate --json line", () => {
  it("is JSON.stringify's line, with the streamed array written an item at a time", () => {
    const doc = {
      version: 1,
      scenario: { source: 'a "quoted" path', vms: 3 },
      skipped: undefined,
      outcomes: [{ name: "vm-1", notes: ["é", "\n"] }, undefined, { name: "vm-3", leftDown: null }],
      report: null,
    };
    const { text, chunks } = line(doc, "outcomes");
    expect(text).toBe(`${JSON.stringify(doc)}\n`);
    // Each outcome a chunk of its own, not one string of them all.
    expect(chunks).toBeGreaterThan(doc.outcomes.length + 4);
  });

  it("writes an empty streamed array and a document whose first field is absent as JSON.stringify does", () => {
    const doc = { absent: undefined, outcomes: [], tail: { a: [1, 2] } };
    expect(line(doc, "outcomes").text).toBe(`${JSON.stringify(doc)}\n`);
  });
});
