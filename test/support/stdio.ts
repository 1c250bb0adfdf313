/** What the CLI writes to stdout and stderr when a test runs it in-process. */
import { vi } from "vitest";

const text = (chunk: string | Uint8Array): string => (typeof chunk === "string" ? chunk : Buffer.from(chunk).toString());

/** Captures (and silences) stdout and stderr until `vi.restoreAllMocks()`; reads what was written so far. */
export function captureStdio(): { out: () => string; err: () => string } {
  let stdout = "";
  let stderr = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    stdout += text(chunk);
    return true;
  });
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    stderr += text(chunk);
    return true;
  });
  return { out: () => stdout, err: () => stderr };
}
