/**
 * A stand-in for `@azure/functions-core`, the module the Functions worker injects. `@azure/functions` hands every
 * `app.*` registration to it; without it the package silently drops registrations ("test mode").
 */
import Module from "node:module";
import { z } from "zod";

const CORE_MODULE = "@azure/functions-core";

const BindingSchema = z.looseObject({ type: z.string(), direction: z.string().optional() });

const MetadataSchema = z.looseObject({
  name: z.string().min(1),
  bindings: z.record(z.string(), BindingSchema),
});
export type CoreFunctionMetadata = z.infer<typeof MetadataSchema>;

export type FunctionHandler = (...args: unknown[]) => unknown;

export type FunctionKind = "orchestration" | "activity" | "entity" | "http" | "timer" | "other";

export interface Registration {
  readonly name: string;
  readonly kind: FunctionKind;
  readonly triggerType: string;
  readonly metadata: CoreFunctionMetadata;
  readonly handler: FunctionHandler;
  /** Name of the durable client input binding, when the function has one. */
  readonly durableClientBinding: string | undefined;
}

interface CoreState {
  readonly registrations: Map<string, Registration>;
  installed: boolean;
}

// Kept on globalThis so that every copy of this module (vitest may load it more than once) shares one registry,
// matching `@azure/functions`, which caches the first core module it finds for the life of the process.
const STATE_KEY = Symbol.for("port25.durableHost.functionsCore");

function state(): CoreState {
  const holder = globalThis as unknown as Record<symbol, CoreState | undefined>;
  const existing = holder[STATE_KEY];
  if (existing) return existing;
  const created: CoreState = { registrations: new Map(), installed: false };
  holder[STATE_KEY] = created;
  return created;
}

function kindOf(triggerType: string): FunctionKind {
  switch (triggerType) {
    case "orchestrationTrigger":
      return "orchestration";
    case "activityTrigger":
      return "activity";
    case "entityTrigger":
      return "entity";
    case "httpTrigger":
      return "http";
    case "timerTrigger":
      return "timer";
    default:
      return "other";
  }
}

function register(rawMetadata: unknown, handler: unknown): { dispose(): void } {
  const metadata = MetadataSchema.parse(rawMetadata);
  if (typeof handler !== "function")
    throw new TypeError(`Function "${metadata.name}" was registered without a handler`);
  const trigger = Object.values(metadata.bindings).find((b) => /trigger$/i.test(b.type));
  if (!trigger) throw new TypeError(`Function "${metadata.name}" has no trigger binding`);
  const clientBinding = Object.entries(metadata.bindings).find(
    ([, b]) => b.type === "durableClient" || b.type === "orchestrationClient",
  );
  const registration: Registration = {
    name: metadata.name,
    kind: kindOf(trigger.type),
    triggerType: trigger.type,
    metadata,
    handler: handler as FunctionHandler,
    durableClientBinding: clientBinding?.[0],
  };
  const registrations = state().registrations;
  registrations.set(metadata.name.toLowerCase(), registration);
  return {
    dispose(): void {
      if (registrations.get(metadata.name.toLowerCase()) === registration)
        registrations.delete(metadata.name.toLowerCase());
    },
  };
}

const fakeCore = {
  version: "port25-durable-host",
  hostVersion: "4.0.0",
  programmingModel: undefined as unknown,
  setProgrammingModel(model: unknown): void {
    fakeCore.programmingModel = model;
  },
  getProgrammingModel(): unknown {
    return fakeCore.programmingModel;
  },
  registerFunction: register,
  registerHook(): { dispose(): void } {
    return { dispose(): void {} };
  },
  log(): void {},
};

type RequireFn = (this: unknown, id: string) => unknown;

/**
 * Makes `require("@azure/functions-core")` return the fake core. Must run before the first `app.*` call in the
 * process; idempotent.
 */
export function installFunctionsCore(): void {
  const s = state();
  if (s.installed) return;
  const proto = Module.prototype as unknown as { require: RequireFn };
  const original = proto.require;
  proto.require = function (this: unknown, id: string): unknown {
    if (id === CORE_MODULE) return fakeCore;
    return original.call(this, id);
  };
  s.installed = true;
}

/** Every function registered in this process so far, keyed by lower-cased name (function names are case-insensitive). */
export function registeredFunctions(): ReadonlyMap<string, Registration> {
  return state().registrations;
}
