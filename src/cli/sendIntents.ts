/**
 * The first writes a local run is about to send, in its state folder (`sends.jsonl`, one JSON value a line): each
 * attempt is appended as `{"key": key, "id": id}` and fsynced before its request leaves, so that the same command
 * started again after a kill knows which step it may already have sent (src/root.ts, `SendIntents`). A line cut short
 * by a kill was never acted on (its request is sent only once the line is on disk) and is ignored. An attempt ARM
 * refused is dropped by a line `{"dropped": key, "id": id}`; another attempt's record of the same key stays. A line
 * that is a bare JSON string (a key, as earlier versions wrote them) is a record without an id.
 */
import { randomUUID } from "node:crypto";
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from "node:fs";
import { z } from "zod";
import type { SendIntents } from "../root";
import { parseWith } from "../contracts/parse";

const LineSchema = z.union([
  z.string().transform((key) => ({ key, id: "", dropped: false })),
  z
    .object({ key: z.string(), id: z.string() })
    .strict()
    .transform((l) => ({ ...l, dropped: false })),
  z
    .object({ dropped: z.string(), id: z.string().default("") })
    .strict()
    .transform((l) => ({ key: l.dropped, id: l.id, dropped: true })),
]);

export function openSendIntents(path: string): SendIntents {
  /** The ids of each key's attempts on record. */
  const records = new Map<string, Set<string>>();
  const note = (key: string, id: string, dropped: boolean): void => {
    const ids = records.get(key) ?? new Set<string>();
    if (dropped) ids.delete(id);
    else ids.add(id);
    if (ids.size === 0) records.delete(key);
    else records.set(key, ids);
  };
  if (existsSync(path)) {
    for (const [n, text] of readFileSync(path, "utf8").split("\n").entries()) {
      if (text.trim() === "") continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        // The last line of a write cut short by a kill: its send never left.
        continue;
      }
      const line = parseWith(LineSchema, value, `record of a send in ${path} (line ${n + 1})`);
      note(line.key, line.id, line.dropped);
    }
  }
  const append = (value: unknown): void => {
    const fd = openSync(path, "a");
    try {
      // A line starts after a newline, so one cut short before it never joins the next.
      writeSync(fd, `\n${JSON.stringify(value)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  };
  return {
    has: (key) => Promise.resolve(records.has(key)),
    add: (key) => {
      const id = randomUUID();
      append({ key, id });
      note(key, id, false);
      return Promise.resolve(id);
    },
    drop: (key, id) => {
      if (records.get(key)?.has(id) !== true) return Promise.resolve();
      append({ dropped: key, id });
      note(key, id, true);
      return Promise.resolve();
    },
  };
}
