/** Client for a deployed port25 function app: the HTTP API with the function key. */
import { z } from "zod";
import { UsageError } from "./args";

export interface RemoteOptions {
  app: string;
  key?: string | undefined;
}

/** Loopback hosts, where plain http carries the key no further than this machine (`port25 serve`). */
const LOOPBACK_HOST = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\])$/i;

export const RemoteFlagsSchema = z.object({
  app: z
    .url({ protocol: /^https?$/ })
    .refine((u) => {
      const url = new URL(u);
      return url.protocol === "https:" || LOOPBACK_HOST.test(url.hostname);
    }, "must be https (http only for a loopback host such as 127.0.0.1, as `port25 serve` prints)")
    .transform((u) => u.replace(/\/+$/, "")),
  key: z.string().min(1).optional(),
});

export class RemoteError extends Error {
  override readonly name = "RemoteError";
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export async function callApi(opts: RemoteOptions, method: "GET" | "POST", path: string, body?: unknown): Promise<unknown> {
  const key = opts.key ?? process.env.PORT25_FUNCTION_KEY;
  if (!key) throw new UsageError("--key: a function key is required (or set PORT25_FUNCTION_KEY)");
  const response = await fetch(`${opts.app}${path}`, {
    method,
    headers: { "x-functions-key": key, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text === "" ? null : JSON.parse(text);
  } catch {
    // not JSON (e.g. the HTML report): returned as text
  }
  if (!response.ok) {
    const err = z.object({ error: z.object({ code: z.string(), message: z.string() }) }).safeParse(parsed);
    if (response.status === 401 && !err.success) {
      throw new RemoteError(401, "HTTP 401: the app refused the function key (--key or PORT25_FUNCTION_KEY)");
    }
    throw new RemoteError(response.status, err.success ? `${err.data.error.code}: ${err.data.error.message}` : `HTTP ${response.status}: ${text.slice(0, 500)}`);
  }
  return parsed;
}
