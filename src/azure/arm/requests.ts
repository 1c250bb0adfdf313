/** One ARM connection's requests: sending, paging and the checks every answer passes, shared by the operation groups. */
import type { ServiceClient } from "@azure/core-client";
import {
  createHttpHeaders,
  createPipelineRequest,
  type HttpMethods,
  type PipelineResponse,
} from "@azure/core-rest-pipeline";
import type { z } from "zod";
import { tryParseArmResourceId, type ArmResourceId } from "../../contracts/ids";
import { parseWith } from "../../contracts/parse";
import { AzureOperationError, ensureError } from "../../errors";
import type { ArmClientSet } from "../clientSet";
import { errorFromResponse, retryAfterSecondsFrom, toAzureOperationError } from "../errors";

export class ArmRequests {
  constructor(readonly clients: ArmClientSet) {}

  /** One page of an SDK listing, from its start or from a nextLink on ARM's endpoint. */
  async firstPage<T>(
    listing: PagedListing<T>,
    nextLink: string | undefined,
  ): Promise<{ items: T[]; nextLink: string | undefined }> {
    const from = nextLink === undefined ? undefined : this.onEndpoint(nextLink, "listVms");
    const pages = listing.byPage(from === undefined ? {} : { continuationToken: from });
    const first = await pages.next();
    if (first.done === true) return { items: [], nextLink: undefined };
    const next = (first.value as T[] & { continuationToken?: string }).continuationToken;
    return {
      items: first.value,
      nextLink: next === undefined || next === "" ? undefined : this.onEndpoint(next, "listVms"),
    };
  }

  /** Sends one request through `client`'s pipeline (auth, user agent, transient retries) to a path on the endpoint. */
  send(client: ServiceClient, method: HttpMethods, pathOrUrl: string, body?: unknown): Promise<PipelineResponse> {
    const url = pathOrUrl.startsWith("/") ? `${this.clients.connection.endpoint}${pathOrUrl}` : pathOrUrl;
    const headers = createHttpHeaders({ accept: "application/json" });
    if (body !== undefined) headers.set("content-type", "application/json");
    const request = createPipelineRequest({
      url,
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return client.sendRequest(request);
  }

  /**
   * Every item of a raw-REST listing (ARM's `{ value, nextLink }` pages), each next page followed on the ARM endpoint,
   * at most `maxPages`; an answer other than 200 becomes the error `refused` makes of it.
   */
  async rawListing<T>(
    operation: string,
    firstUrl: string,
    opts: { maxPages: number; what: string; refused?: (response: PipelineResponse) => Error },
    schema: z.ZodType<{ value: T[]; nextLink?: string | null | undefined }>,
  ): Promise<T[]> {
    const items: T[] = [];
    let url: string | undefined = firstUrl;
    for (let pages = 0; url !== undefined; pages++) {
      if (pages >= opts.maxPages)
        throw new AzureOperationError(operation, `${opts.what} has more than ${opts.maxPages} pages`, {
          code: "TooManyPages",
          retryable: false,
        });
      const response = await this.send(this.clients.generic(), "GET", url);
      if (response.status !== 200)
        throw (opts.refused ?? ((r: PipelineResponse) => errorFromResponse(operation, r)))(response);
      const page = parseWith(schema, parseJson(response.bodyAsText), `${opts.what} (a page)`);
      items.push(...page.value);
      url =
        page.nextLink === undefined || page.nextLink === null || page.nextLink === ""
          ? undefined
          : this.onEndpoint(page.nextLink, operation);
    }
    return items;
  }

  /** Polling URLs come from ARM; refuse to send our token anywhere but the configured ARM origin. */
  onEndpoint(url: string, operation: string): string {
    let origin: string;
    try {
      origin = new URL(url).origin;
    } catch {
      throw invalidHandle(operation, `"${url}" is not a URL`);
    }
    if (origin !== this.clients.connection.endpoint) {
      throw invalidHandle(operation, `its URL is not on the ARM endpoint ${this.clients.connection.endpoint}`);
    }
    return url;
  }

  async call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw toAzureOperationError(operation, e);
    }
  }
}

/** What the SDK's paged listings offer: pages, from the start or from a continuation token (ARM's nextLink). */
interface PagedListing<T> {
  byPage(settings?: { continuationToken?: string }): AsyncIterableIterator<T[]>;
}

export function isoTime(value: Date | string): string | undefined {
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

export function requireId(value: string, type: string): ArmResourceId {
  const id = tryParseArmResourceId(value);
  if (typeof id === "string" || id.type.toLowerCase() !== type.toLowerCase()) {
    throw new AzureOperationError(
      "parseResourceId",
      `"${value}" is not a ${type} id${typeof id === "string" ? `: ${id}` : ""}`,
      {
        code: "InvalidResourceId",
        retryable: false,
      },
    );
  }
  return id;
}

/** The fields every tracked resource's info starts with. */
interface ArmIdentity {
  id: string;
  name: string;
  resourceGroup: string;
  location: string | undefined;
}

/**
 * A listed resource's identity, its id checked to be of `type` (`id` is the parsed id, for further calls). ARM's
 * resource definitions make `name` read-only and optional (the SDKs type it `readonly name?: string`; the Compute
 * spec's own minimal examples omit it), and a resource's body carries no resource group: the id names both.
 */
export function armIdentity(
  resource: { id?: string | undefined; name?: string | undefined; location?: string | undefined },
  type: string,
): { identity: ArmIdentity; id: ArmResourceId } {
  const id = requireId(resource.id ?? "", type);
  return {
    identity: {
      id: resource.id ?? "",
      name: resource.name ?? id.name,
      resourceGroup: id.resourceGroup,
      location: resource.location,
    },
    id,
  };
}

export function invalidHandle(operation: string, why: string): AzureOperationError {
  return new AzureOperationError(operation, `invalid operation handle: ${why}`, {
    code: "InvalidOperationHandle",
    retryable: false,
  });
}

export function isNotFound(e: unknown): boolean {
  return typeof e === "object" && e !== null && (e as { statusCode?: unknown }).statusCode === 404;
}

export function optionalRetryAfter(response: PipelineResponse): { retryAfterSeconds?: number } {
  return optional("retryAfterSeconds", retryAfterSecondsFrom(response.headers));
}

export function optional<K extends string, V>(key: K, value: V | undefined | null): { [P in K]?: V } {
  return (value === undefined || value === null ? {} : { [key]: value }) as { [P in K]?: V };
}

export function parseJson(text: string | null | undefined): unknown {
  if (text === undefined || text === null || text === "") return {};
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new AzureOperationError("parseResponse", `ARM sent a body that is not JSON: ${ensureError(e).message}`, {
      code: "UnexpectedResponse",
      retryable: false,
      cause: e,
    });
  }
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}
