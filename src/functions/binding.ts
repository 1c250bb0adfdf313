/**
 * The one way triggers are registered, as activities are (activities/binding.ts): each trigger is defined with its
 * route or schedule and a handler that takes the composition root first; bound to a root, it is registered with the
 * Functions app. Nothing a handler needs is read from the process.
 */
import {
  app,
  type HttpMethod,
  type HttpRequest,
  type HttpResponseInit,
  type InvocationContext,
  type Timer,
} from "@azure/functions";
import * as df from "durable-functions";
import type { TriggerRoot } from "./root";

type PlainHttp = (root: TriggerRoot, request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;
type ClientHttp = (
  root: TriggerRoot,
  request: HttpRequest,
  client: df.DurableClient,
  context: InvocationContext,
) => Promise<HttpResponseInit>;
type ClientTimer = (
  root: TriggerRoot,
  timer: Timer,
  client: df.DurableClient,
  context: InvocationContext,
) => Promise<unknown>;

interface HttpRoute {
  readonly name: string;
  readonly route: string;
  readonly methods: readonly HttpMethod[];
}

/** A trigger as its module defines it: what it answers, and its handler before a root is handed in. */
export type TriggerDefinition =
  | (HttpRoute & { readonly kind: "http"; readonly handler: PlainHttp })
  | (HttpRoute & { readonly kind: "clientHttp"; readonly handler: ClientHttp })
  | { readonly kind: "clientTimer"; readonly name: string; readonly schedule: string; readonly handler: ClientTimer };

/** A trigger bound to a root: ready to register. */
export interface BoundTrigger {
  readonly name: string;
  register(): void;
}

export function bindTrigger(def: TriggerDefinition, root: TriggerRoot): BoundTrigger {
  switch (def.kind) {
    case "http":
      return {
        name: def.name,
        register: () =>
          app.http(def.name, {
            route: def.route,
            methods: [...def.methods],
            authLevel: "function",
            handler: (request, context) => def.handler(root, request, context),
          }),
      };
    case "clientHttp":
      return {
        name: def.name,
        register: () =>
          df.app.client.http(def.name, {
            route: def.route,
            methods: [...def.methods],
            authLevel: "function",
            handler: (request, client, context) => def.handler(root, request, client, context),
          }),
      };
    case "clientTimer":
      return {
        name: def.name,
        register: () =>
          df.app.client.timer(def.name, {
            schedule: def.schedule,
            handler: (timer, client, context) => def.handler(root, timer, client, context),
          }),
      };
  }
}

/**
 * Registers the triggers with the Functions app. Registration is process-wide (the Functions worker loads one app per
 * process): a later registration of the same name replaces the earlier one, so a local stack registers and has its
 * host adopt them in one synchronous step (src/cli/localStack.ts).
 */
export function registerTriggers(triggers: readonly BoundTrigger[]): void {
  for (const t of triggers) t.register();
}
