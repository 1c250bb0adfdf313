/**
 * The functions one host runs: adopted from the process-wide registrations the stand-in `@azure/functions-core`
 * captures, looked up by name and kind, and called with an `InvocationContext` built from their bindings.
 */
import { randomUUID } from "node:crypto";
import { InvocationContext, type FunctionInput, type FunctionOutput, type FunctionTrigger } from "@azure/functions";
import { DurableHostError } from "./hostError";
import { installFunctionsCore, registeredFunctions, type FunctionKind, type Registration } from "./functionsCore";
import type { HostLogger } from "./types";

export class FunctionRegistry {
  private readonly byName = new Map<string, Registration>();

  /**
   * Loads the app's modules (their `app.*` / `df.app.*` calls register functions through the fake core) and takes
   * every function registered in this process.
   */
  async importApp(modulePaths: readonly string[]): Promise<readonly string[]> {
    installFunctionsCore();
    for (const path of modulePaths) {
      await import(path);
    }
    this.adoptRegistrations();
    if (this.byName.size === 0) {
      throw new DurableHostError(
        "No functions were registered. If @azure/functions was used before the host was created, it is in test mode: " +
          "import 'src/durable-host/register' before any module that calls app.*.",
        { code: "NoRegistrations", statusCode: 500 },
      );
    }
    return [...this.byName.values()].map((r) => r.name);
  }

  /** Takes every function registered in this process so far (for apps imported by the caller). */
  adoptRegistrations(): void {
    for (const [key, registration] of registeredFunctions()) this.byName.set(key, registration);
  }

  functions(): readonly { name: string; kind: FunctionKind }[] {
    return [...this.byName.values()].map((r) => ({ name: r.name, kind: r.kind }));
  }

  /** The function of that name (case-insensitive, as in the Functions host) if it is of that kind. */
  lookup(name: string, kind: FunctionKind): Registration | undefined {
    const r = this.byName.get(name.toLowerCase());
    return r && r.kind === kind ? r : undefined;
  }
}

function optionsOf(registration: Registration): {
  trigger: FunctionTrigger;
  extraInputs: FunctionInput[];
  extraOutputs: FunctionOutput[];
  return?: FunctionOutput;
} {
  let trigger: FunctionTrigger | undefined;
  let ret: FunctionOutput | undefined;
  const extraInputs: FunctionInput[] = [];
  const extraOutputs: FunctionOutput[] = [];
  for (const [name, binding] of Object.entries(registration.metadata.bindings)) {
    const described = { ...binding, name, type: binding.type };
    if (binding.type === registration.triggerType) trigger = described;
    else if (name === "$return") ret = described;
    else if (binding.direction === "out") extraOutputs.push(described);
    else extraInputs.push(described);
  }
  return {
    trigger: trigger ?? { name: "trigger", type: registration.triggerType },
    extraInputs,
    extraOutputs,
    ...(ret === undefined ? {} : { return: ret }),
  }; // the SDK's options take no explicit undefined
}

/** A fresh context for one call of the function; its `context.log` output goes to `log`. */
export function invocationContext(registration: Registration, log: HostLogger | undefined): InvocationContext {
  return new InvocationContext({
    invocationId: randomUUID(),
    functionName: registration.name,
    options: optionsOf(registration),
    logHandler: (level, ...args) => log?.(level, registration.name, ...args),
  });
}
