/**
 * Posting a notification to the configured webhooks: each request has its own time limit, and whatever happens is
 * reported by the webhook's index and an HTTP status or error kind. The addresses embed their receivers' tokens, so
 * nothing here logs them, throws them or returns them.
 */
import type { WebhookResult } from "../contracts/durable/sendNotification";
import type { NotificationMessage } from "../contracts/notification";
import { webhookBody, type WebhookFormat } from "./format";

export interface NotifierDeps {
  /** The webhooks, in the order of the app setting (results name them by that index). */
  readonly webhooks: readonly string[];
  readonly format: WebhookFormat;
  /** Each request's time limit. */
  readonly timeoutMs: number;
  /** The app's public address, for the links; undefined: messages carry none. */
  readonly baseUrl: string | undefined;
  /** The fetch to use (the platform's by default). */
  readonly fetch?: typeof fetch;
}

/** A failure described without the address: an HTTP status, "timeout", or the network error's code. */
function errorKind(e: unknown): string {
  if (e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError")) return "timeout";
  const cause = e instanceof Error ? e.cause : undefined;
  if (
    typeof cause === "object" &&
    cause !== null &&
    "code" in cause &&
    typeof cause.code === "string" &&
    /^[A-Z0-9_]{1,40}$/.test(cause.code)
  ) {
    return `network error ${cause.code}`;
  }
  return "network error";
}

async function post(deps: NotifierDeps, url: string, body: string): Promise<string | undefined> {
  const doFetch = deps.fetch ?? fetch;
  try {
    const response = await doFetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
      redirect: "error",
      signal: AbortSignal.timeout(deps.timeoutMs),
    });
    // The body is not read for its content (it could echo the address); it is drained so the socket is freed.
    await response.arrayBuffer().catch(() => undefined);
    return response.ok ? undefined : `HTTP ${response.status}`;
  } catch (e) {
    return errorKind(e);
  }
}

/** Posts `message` to the webhooks at `targets` (every one when absent), at once. */
export async function postToWebhooks(
  deps: NotifierDeps,
  message: NotificationMessage,
  targets?: readonly number[],
): Promise<WebhookResult[]> {
  const body = JSON.stringify(webhookBody(message, deps.format));
  const indexes = (targets ?? deps.webhooks.map((_, i) => i)).filter((i) => i < deps.webhooks.length);
  return Promise.all(
    indexes.map(async (index): Promise<WebhookResult> => {
      const url = deps.webhooks[index];
      const error = url === undefined ? "not configured" : await post(deps, url, body);
      return error === undefined ? { index, delivered: true } : { index, delivered: false, error };
    }),
  );
}
