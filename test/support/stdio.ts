/** What the CLI writes to stdout and stderr when a test runs it in-process. */
import { vi } from "vitest";
import { main } from "../../src/cli/main";

const text = (chunk: string | Uint8Array): string =>
  typeof chunk === "string" ? chunk : Buffer.from(chunk).toString();

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

const SIGNALS = ["SIGINT", "SIGTERM"] as const;

/**
 * `port25 <args>` in-process, as main() runs it (errors reported, exit codes mapped), with what it wrote. `env` is
 * set for the call only. The signal handlers a command installs for the life of its process are removed after it,
 * so that calls do not pile them up in the test's process.
 */
export async function runPort25(
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const before = new Map(SIGNALS.map((s) => [s, new Set(process.listeners(s))]));
  const saved = Object.keys(env).map((name) => [name, process.env[name]] as const);
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  const c = captureStdio();
  try {
    const code = await main(args);
    return { code, stdout: c.out(), stderr: c.err() };
  } finally {
    vi.restoreAllMocks();
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    for (const s of SIGNALS) {
      for (const l of process.listeners(s)) if (!before.get(s)?.has(l)) process.removeListener(s, l);
    }
  }
}
