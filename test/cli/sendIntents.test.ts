import { appendFileSync, existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openSendIntents } from "../../src/cli/sendIntents";

describe("a state folder's record of first writes about to be sent", () => {
  it("keeps each intent on disk for the next process, and ignores a line cut short by a kill", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "port25-sends-")), "sends.jsonl");
    const first = openSendIntents(path);
    await first.add("vm-1|powerOff|2026-12-07T10:00:00.000Z");
    // A kill in the middle of the next write leaves half a line.
    appendFileSync(path, '\n{"key":"vm-2|powerOff|2026-12-0');
    const next = openSendIntents(path);
    expect(await next.has("vm-1|powerOff|2026-12-07T10:00:00.000Z")).toBe(true);
    expect(await next.has("vm-2|powerOff|2026-12-0")).toBe(false);
    await next.add("vm-3|deallocate|2026-12-07T10:05:00.000Z");
    expect(await openSendIntents(path).has("vm-3|deallocate|2026-12-07T10:05:00.000Z")).toBe(true);
  });

  it("reads a record an earlier version wrote (the key alone, a JSON string) and its drop", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "port25-sends-")), "sends.jsonl");
    appendFileSync(path, '\n"vm-1|powerOff|2026-12-07T10:00:00.000Z"\n\n"vm-2|powerOff|2026-12-07T10:00:00.000Z"\n');
    appendFileSync(path, '\n{"dropped":"vm-2|powerOff|2026-12-07T10:00:00.000Z"}\n');
    const intents = openSendIntents(path);
    expect(await intents.has("vm-1|powerOff|2026-12-07T10:00:00.000Z")).toBe(true);
    expect(await intents.has("vm-2|powerOff|2026-12-07T10:00:00.000Z")).toBe(false);
  });

  it("refuses a file with a whole line that is no record of a send, naming the file and the line", () => {
    const path = join(mkdtempSync(join(tmpdir(), "port25-sends-")), "sends.jsonl");
    appendFileSync(path, '\n"vm-1|powerOff|2026-12-07T10:00:00.000Z"\n\n{"kee":"vm-2"}\n');
    expect(() => openSendIntents(path)).toThrow(`record of a send in ${path} (line 4)`);
  });

  it("starts empty without a file, and creates it at the first intent", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "port25-sends-")), "sends.jsonl");
    const intents = openSendIntents(path);
    expect(await intents.has("vm-1|powerOff|2026-12-07T10:00:00.000Z")).toBe(false);
    expect(existsSync(path)).toBe(false);
    await intents.add("vm-1|powerOff|2026-12-07T10:00:00.000Z");
    expect(existsSync(path)).toBe(true);
  });

  it("forgets a dropped attempt (a send ARM refused), for the next process too, and keeps another attempt's", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "port25-sends-")), "sends.jsonl");
    const first = openSendIntents(path);
    const one = await first.add("vm-1|powerOff|2026-12-07T10:00:00.000Z");
    await first.add("vm-2|powerOff|2026-12-07T10:00:00.000Z");
    await first.drop("vm-1|powerOff|2026-12-07T10:00:00.000Z", one);
    await first.drop("vm-9|powerOff|2026-12-07T10:00:00.000Z", one);
    expect(await first.has("vm-1|powerOff|2026-12-07T10:00:00.000Z")).toBe(false);
    const next = openSendIntents(path);
    expect(await next.has("vm-1|powerOff|2026-12-07T10:00:00.000Z")).toBe(false);
    expect(await next.has("vm-2|powerOff|2026-12-07T10:00:00.000Z")).toBe(true);
    // Two attempts at one send; the later refused: the earlier one's record stays.
    const earlier = await next.add("vm-1|powerOff|2026-12-07T10:00:00.000Z");
    const later = await next.add("vm-1|powerOff|2026-12-07T10:00:00.000Z");
    expect(later).not.toBe(earlier);
    await next.drop("vm-1|powerOff|2026-12-07T10:00:00.000Z", later);
    expect(await openSendIntents(path).has("vm-1|powerOff|2026-12-07T10:00:00.000Z")).toBe(true);
  });
});
