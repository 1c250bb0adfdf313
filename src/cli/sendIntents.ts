/**
 * The first writes a local run is about to send, in its state folder (`sends.jsonl`, one JSON string a line): each is
 * appended and fsynced before its request leaves, so that the same command started again after a kill knows which
 * step it may already have sent (src/root.ts, `SendIntents`). A line cut short by a kill was never acted on (its
 * request is sent only once the line is on disk) and is ignored. A send ARM refused is dropped by a line
 * `{"dropped": key}`.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from "node:fs";
import type { SendIntents } from "../root";

export function openSendIntents(path: string): SendIntents {
  const keys = new Set<string>();
  if (existsSync(path)) {
    for (const line of readFileSync(path, "utf8").split("\n")) {
      if (line.trim() === "") continue;
      try {
        const key: unknown = JSON.parse(line);
        if (typeof key === "string") keys.add(key);
        else if (isDropped(key)) keys.delete(key.dropped);
      } catch {
        // The last line of a write cut short by a kill: its send never left.
      }
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
    has: (key) => Promise.resolve(keys.has(key)),
    add: (key) => {
      if (keys.has(key)) return Promise.resolve();
      append(key);
      keys.add(key);
      return Promise.resolve();
    },
    drop: (key) => {
      if (!keys.has(key)) return Promise.resolve();
      append({ dropped: key });
      keys.delete(key);
      return Promise.resolve();
    },
  };
}

function isDropped(value: unknown): value is { dropped: string } {
  return typeof value === "object" && value !== null && "dropped" in value && typeof value.dropped === "string";
}
