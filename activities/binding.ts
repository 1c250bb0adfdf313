/**
 * The one way activities are registered: each is bound to its dependencies first (activities/index.ts), its input
 * parsed before the implementation runs and its output checked after.
 */
import * as df from "durable-functions";
import type { InvocationContext } from "@azure/functions";
import type { z } from "zod";
import type { ActivityDefinition } from "../src/contracts/define";
import { parseWith } from "../src/contracts/parse";

type ActivityImpl<I extends z.ZodType, O extends z.ZodType> = (
  input: z.output<I>,
  context: InvocationContext,
) => Promise<z.input<O>>;

/** An activity bound to its dependencies: its name and a handler that parses what crosses the boundary. */
export interface BoundActivity {
  readonly name: string;
  readonly handler: (raw: unknown, context: InvocationContext) => Promise<unknown>;
  /** The activity reads orchestration instances through a durable client input binding (`df.getClient(context)`). */
  readonly durableClient?: boolean;
}

export function bindActivity<I extends z.ZodType, O extends z.ZodType>(
  def: ActivityDefinition<I, O>,
  impl: ActivityImpl<I, O>,
  opts: { durableClient?: boolean } = {},
): BoundActivity {
  return {
    name: def.name,
    ...(opts.durableClient === true ? { durableClient: true } : {}),
    handler: async (raw: unknown, context: InvocationContext): Promise<z.output<O>> => {
      const input = parseWith(def.input, raw, `input of ${def.name}`);
      const output = await impl(input, context);
      return parseWith(def.output, output, `output of ${def.name}`);
    },
  };
}

/**
 * Registers the activities with the Functions app. Registration is process-wide (the Functions worker loads one
 * app per process): a later registration of the same name replaces the earlier one.
 */
export function registerActivities(activities: readonly BoundActivity[]): void {
  for (const a of activities) {
    df.app.activity(a.name, {
      handler: a.handler,
      ...(a.durableClient === true ? { extraInputs: [df.input.durableClient()] } : {}),
    });
  }
}
