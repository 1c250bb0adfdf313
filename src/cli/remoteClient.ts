/**
 * Client for a deployed port25 function app: the HTTP API with the function key and, where App Service
 * authentication is on (the deployed default), an Entra access token for the API (`--token` or PORT25_API_TOKEN).
 */
import { z } from "zod";
import { UsageError } from "./args";

export interface RemoteOptions {
  app: string;
  key?: string | undefined;
  token?: string | undefined;
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
  token: z
    .string()
    .trim()
    .min(1)
    .regex(/^[A-Za-z0-9\-_.~+/]+=*$/, "must be a bare access token (without the word Bearer)")
    .optional(),
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
  const token = opts.token ?? (process.env.PORT25_API_TOKEN?.trim() || undefined);
  const response = await fetch(`${opts.app}${path}`, {
    method,
    headers: {
      "x-functions-key": key,
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
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
      throw new RemoteError(
        401,
        token === undefined
          ? "HTTP 401: the app refused the request: check the function key (--key or PORT25_FUNCTION_KEY); an app with authentication on (the deployed default) also needs an Entra access token (--token or PORT25_API_TOKEN, docs/deploy.md)"
          : "HTTP 401: the app refused the function key (--key or PORT25_FUNCTION_KEY) or the access token (--token or PORT25_API_TOKEN: expired, or issued for another audience)",
      );
    }
    throw new RemoteError(response.status, err.success ? `${err.data.error.code}: ${err.data.error.message}` : `HTTP ${response.status}: ${text.slice(0, 500)}`);
  }
  return parsed;
}
