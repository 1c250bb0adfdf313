/**
 * The one prelude of the HTTP triggers: who may call, the route's parameters, the query and the body, read in that
 * order and refused with the answer each deserves (401/403, then 400 route, 400 query, 413/400 body) before the
 * trigger's own work touches the engine, ARM or the audit. An action (start, approve, cancel) refuses any query
 * parameter it does not declare and has its refusals recorded in the audit; a read declares the query it takes, or
 * that it reads none.
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { z } from "zod";
import { type Caller, handleErrors, parseOr400, queryObject, readJsonBody, requireRole, type Role } from "./http";
import type { TriggerRoot } from "./root";

/**
 * An action takes no query parameter unless it declares one (400 naming it): a caller who adds `?dryrun=1` to an
 * approval must not have it approved for real. The function key (`code`) is the platform's and never counted.
 */
const NoQuerySchema = z.object({}).strict();

/** What the prelude hands the trigger: the caller and what the request said, each parsed. */
export interface CheckedRequest<R, Q, B> {
  readonly caller: Caller;
  readonly route: R;
  readonly query: Q;
  readonly body: B;
}

interface RequestSpec<R> {
  /** The app role (or one of the roles) the caller must hold when sign-in is enforced. */
  readonly role: Role | readonly [Role, ...Role[]];
  /** The route's parameters, parsed (a 400 naming the parameter when malformed). */
  readonly route?: (request: HttpRequest) => R;
}

export interface ActionSpec<R, Q extends z.ZodType, B extends z.ZodType> extends RequestSpec<R> {
  /** The query parameters the action takes; none when absent. */
  readonly query?: Q;
  /** The JSON body and its size limit; an action without one does not read it. */
  readonly body?: { readonly schema: B; readonly maxBytes: number };
}

export interface ReadSpec<R, Q extends z.ZodType> extends RequestSpec<R> {
  /** The query parameters the read takes, or "unread" for a read that looks at none (and so refuses none). */
  readonly query: Q | "unread";
}

/** The caller, the route and the query, in the order every trigger checks them. */
function checked<R>(
  root: TriggerRoot,
  request: HttpRequest,
  spec: RequestSpec<R>,
  query: z.ZodType | "unread",
): { caller: Caller; route: R; query: unknown } {
  const caller = requireRole(root, request, spec.role);
  const route = spec.route === undefined ? (undefined as R) : spec.route(request);
  return {
    caller,
    route,
    query: query === "unread" ? undefined : parseOr400(query, queryObject(request), "query"),
  };
}

/**
 * An action's request (start, approve, cancel): the prelude, then `act` with what it read. Whatever refuses it —
 * the prelude or `act` — with 401, 403 or 409 goes on the audit's record (handleErrors).
 */
export async function actionRequest<
  R = undefined,
  Q extends z.ZodType = typeof NoQuerySchema,
  B extends z.ZodType = z.ZodUndefined,
>(
  root: TriggerRoot,
  request: HttpRequest,
  context: InvocationContext,
  spec: ActionSpec<R, Q, B>,
  act: (checked: CheckedRequest<R, z.output<Q>, z.output<B>>) => Promise<HttpResponseInit>,
): Promise<HttpResponseInit> {
  return handleErrors(
    root,
    context,
    async () => {
      const { caller, route, query } = checked(root, request, spec, spec.query ?? NoQuerySchema);
      const body =
        spec.body === undefined
          ? undefined
          : parseOr400(spec.body.schema, await readJsonBody(request, spec.body.maxBytes), "request body");
      return act({ caller, route, query: query as z.output<Q>, body: body as z.output<B> });
    },
    request,
  );
}

/** A read's request (status, audit): the prelude, then `act`. Reads change nothing, so their refusals are not recorded. */
export async function readRequest<R = undefined, Q extends z.ZodType = z.ZodUndefined>(
  root: TriggerRoot,
  request: HttpRequest,
  context: InvocationContext,
  spec: ReadSpec<R, Q>,
  act: (checked: CheckedRequest<R, z.output<Q>, undefined>) => Promise<HttpResponseInit>,
): Promise<HttpResponseInit> {
  return handleErrors(root, context, async () => {
    const { caller, route, query } = checked(root, request, spec, spec.query);
    return act({ caller, route, query: query as z.output<Q>, body: undefined });
  });
}
