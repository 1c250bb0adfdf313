/**
 * Client for a deployed port25 function app: the HTTP API with the function key and, where App Service
 * authentication is on (the deployed default), an Entra access token for the API (`--token` or PORT25_API_TOKEN).
 */
import { z } from "zod";
import { UsageError } from "./args";
import { ensureError } from "../errors";
import { localPrincipalHeaders, LocalUserSchema } from "./localIdentity";
import { clip, TEXT_LIMITS } from "../contracts/textLimits";

export interface RemoteOptions {
  app: string;
  key?: string | undefined;
  token?: string | undefined;
  /** A local identity (`port25 serve --auth`): sent as the principal App Service authentication would set. */
  user?: string | undefined;
  /** The environment the command was started with: the key and token when no flag gives them. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** Loopback hosts, where plain http carries the key no further than this machine (`port25 serve`). */
const LOOPBACK_HOST = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\])$/i;

/** Whether --app names this machine (only there are local identities sent). */
function isLoopbackApp(app: string): boolean {
  return LOOPBACK_HOST.test(new URL(app).hostname);
}

export const RemoteFlagsSchema = z.object({
  app: z
    .string()
    .trim()
    .transform((raw, ctx) => {
      let url: URL | undefined;
      try {
        url = new URL(raw);
      } catch {
        url = undefined;
      }
      if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) {
        ctx.addIssue({
          code: "custom",
          message: `must be the app's address with its scheme, such as http://127.0.0.1:7071 (as \`port25 serve\` prints it) or https://func-port25-….azurewebsites.net; got "${raw}"`,
        });
        return z.NEVER;
      }
      if (url.protocol !== "https:" && !LOOPBACK_HOST.test(url.hostname)) {
        ctx.addIssue({
          code: "custom",
          message: "must be https (http only for a loopback host such as 127.0.0.1, as `port25 serve` prints)",
        });
        return z.NEVER;
      }
      // The address may be given with the API's route prefix, as `port25 serve` prints it: the client adds /api itself.
      const path = url.pathname.replace(/\/+$/, "").replace(/\/api$/i, "");
      return `${url.origin}${path}`;
    }),
  key: z.string().min(1).optional(),
  token: z
    .string()
    .trim()
    .min(1)
    .regex(/^[A-Za-z0-9\-_.~+/]+=*$/, "must be a bare access token (without the word Bearer)")
    .optional(),
  user: LocalUserSchema.optional(),
});

export class RemoteError extends Error {
  override readonly name = "RemoteError";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function callApi(
  opts: RemoteOptions,
  method: "GET" | "POST",
  path: string,
  body?: unknown,
): Promise<unknown> {
  const key = opts.key ?? opts.env?.PORT25_FUNCTION_KEY;
  if (!key) throw new UsageError("--key: a function key is required (or set PORT25_FUNCTION_KEY)");
  const token = opts.token ?? (opts.env?.PORT25_API_TOKEN?.trim() || undefined);
  // A deployed app's front end strips client-sent principals, and the app trusts none without it: a local identity
  // goes to this machine's `port25 serve` only.
  if (opts.user !== undefined && !isLoopbackApp(opts.app)) {
    throw new UsageError(
      "--user: only for `port25 serve --auth` on this machine (a loopback --app); a deployed app signs people in with Entra ID (--token)",
    );
  }
  let response: Response;
  try {
    response = await fetch(`${opts.app}${path}`, {
      method,
      headers: {
        "x-functions-key": key,
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        ...(opts.user === undefined ? {} : localPrincipalHeaders(opts.user)),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? null : JSON.stringify(body),
    });
  } catch (e) {
    // fetch says only "fetch failed": name the address and the system's reason (ECONNREFUSED, ENOTFOUND, …).
    const cause = ensureError(e).cause;
    const reason =
      typeof cause === "object" && cause !== null && "code" in cause && typeof cause.code === "string"
        ? cause.code
        : ensureError(e).message;
    throw new RemoteError(
      0,
      `could not reach the app at ${opts.app} (${reason}): is it running (\`port25 serve\` prints its address), and is --app right?`,
    );
  }
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
    // The app's own 401 (authentication on, no principal) says what is missing, not what to pass: add the flag.
    const signIn =
      response.status === 401 && err.success && token === undefined && opts.user === undefined
        ? isLoopbackApp(opts.app)
          ? " (port25 serve --auth signs in a local identity: add --user NAME)"
          : " (send an Entra access token for the API: --token or PORT25_API_TOKEN, docs/deploy.md)"
        : "";
    throw new RemoteError(
      response.status,
      err.success
        ? `${err.data.error.code}: ${err.data.error.message}${signIn}`
        : `HTTP ${response.status}: ${clip(text, TEXT_LIMITS.detail)}`,
    );
  }
  return parsed;
}
