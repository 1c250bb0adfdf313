/** What the CLI writes to stdout and stderr when a test runs it in-process. */
import { vi } from "vitest";
import { main } from "../../src/cli/main";

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

/** `port25 <args>` in-process, as main() runs it (errors reported, exit codes mapped), with what it wrote. */
export async function runPort25(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const c = captureStdio();
  try {
    const code = await main(args);
    return { code, stdout: c.out(), stderr: c.err() };
  } finally {
    vi.restoreAllMocks();
  }
}
