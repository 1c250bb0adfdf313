/** A request as the front door took it, kept so that a world can be rebuilt by taking it again (persist.ts). */
import type { OperationName, RequestKind } from "./faults";

/** One answered request, as the request log keeps it. */
export interface RequestLogEntry {
  method: string;
  /** Path without the query string, as sent. */
  path: string;
  apiVersion: string | undefined;
  status: number;
  /** Simulated epoch ms at receipt. */
  at: number;
  /** Real epoch ms at receipt. */
  realMs: number;
  /** Real milliseconds spent answering. */
  durationMs: number;
  kind: RequestKind;
  operation?: OperationName | "listManagementGroupDescendants";
  /** Subscription named in the path, when there is one. */
  subscriptionId?: string;
  /** ARM error code of a failed request. */
  errorCode?: string;
  /** Whose budget refused the request: ARM's subscription or tenant buckets, or Microsoft.Compute's own policies. */
  throttledBy?: "subscription" | "tenant" | "compute";
}

/** Whether a request carried the simulator's token: only the class of the header is kept, never the token. */
export type AuthorizationClass = "valid" | "missing" | "invalid";

/**
 * One request as the front door took it, with every clock reading it made in order: fed again through `replayRequest`
 * on a world built from the same scenario and seed, it makes the same changes and the same answer.
 */
export interface RecordedRequest {
  method: string;
  /** Path and query string, as sent. */
  url: string;
  /** The body, as sent (empty for methods without one). */
  raw: string;
  authorization: AuthorizationClass;
  /** The simulated clock's readings while the request was handled, in order. */
  reads: number[];
  entry: RequestLogEntry;
}

export interface RequestJournal {
  /** Resolves once the request is on disk; rejects when it cannot be. */
  record(request: RecordedRequest): Promise<void>;
}

export function authorizationClass(header: string | undefined, token: string): AuthorizationClass {
  if (header === undefined || header === "") return "missing";
  return header === `Bearer ${token}` ? "valid" : "invalid";
}

/** The header a request of that class carries to this simulator. */
export function authorizationOf(c: AuthorizationClass, token: string): string | undefined {
  return c === "missing" ? undefined : c === "valid" ? `Bearer ${token}` : "Bearer -";
}
